"""Redactions applied to the text of a bundle before it is rendered.

A redaction replaces every occurrence of a phrase (case-insensitive, any run of whitespace between
its words, whole words only) with a label, in the data the templates receive: the phrase never
reaches the PDF, so nothing is drawn over text that is still there. Each application is counted
so the bundle's log can say what was redacted, where and why, without repeating the phrase.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

#: Presets a requester may name instead of typing the text; resolved when the bundle is built.
PRESETS = {
    "home_addresses": "The home addresses of the people harmed (their contact details and priority-response flags).",
}
MIN_LENGTH = 3
MAX_LENGTH = 500
MAX_ITEMS = 50


class Verbatim(str):
    """Text that is never redacted: hashes, references, identifiers the system generated."""


@dataclass
class Redaction:
    text: str
    replacement: str
    reason: str
    source: str  # "requested", a preset name, or "automatic"
    count: int = 0

    def log_entry(self) -> dict[str, Any]:
        """What the bundle log keeps: never the redacted text itself, only a fingerprint of it."""
        return {
            "source": self.source,
            "reason": self.reason,
            "replacement": self.replacement,
            "occurrences": self.count,
            "fingerprint": hashlib.sha256(normalise(self.text).lower().encode()).hexdigest()[:16],
        }


def normalise(text: str) -> str:
    return " ".join(str(text).split())


def _pattern(text: str) -> str:
    words = normalise(text).split(" ")
    body = r"\s+".join(re.escape(word) for word in words)
    start = r"(?<!\w)" if re.match(r"\w", words[0]) else ""
    end = r"(?!\w)" if re.search(r"\w$", words[-1]) else ""
    return f"{start}{body}{end}"


class Redactor:
    """Replaces every redacted phrase in strings and in nested data (dicts, lists, dataclasses)."""

    def __init__(self, items: list[Redaction]) -> None:
        # Longest first, so "12 Acacia Avenue, Leeds" wins over "12 Acacia Avenue".
        self.items = sorted((i for i in items if normalise(i.text)), key=lambda i: -len(normalise(i.text)))
        if self.items:
            self.regex: re.Pattern | None = re.compile(
                "|".join(f"(?P<r{n}>{_pattern(item.text)})" for n, item in enumerate(self.items)),
                re.IGNORECASE,
            )
        else:
            self.regex = None

    def _replace(self, match: re.Match) -> str:
        item = self.items[int(match.lastgroup[1:])]
        item.count += 1
        return item.replacement

    def text(self, value: str) -> str:
        if self.regex is None or isinstance(value, Verbatim) or not value:
            return value
        return self.regex.sub(self._replace, value)

    def tree(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.tree(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.tree(item) for item in value]
        if isinstance(value, tuple):
            return tuple(self.tree(item) for item in value)
        return value

    def found_in(self, value: str) -> list[Redaction]:
        """The redactions whose text occurs in ``value`` (for checking exhibits), without counting."""
        if self.regex is None or not value:
            return []
        found = {int(m.lastgroup[1:]) for m in self.regex.finditer(value)}
        return [self.items[n] for n in sorted(found)]

    def log(self) -> list[dict[str, Any]]:
        return [item.log_entry() for item in self.items]
