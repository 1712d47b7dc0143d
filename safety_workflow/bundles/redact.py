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


def address_forms(address: str) -> list[str]:
    """The parts of a recorded address that identify it on their own, as people write them.

    "27 Larch Avenue, Riverside" gives "27 Larch Avenue" (the house and street without the town),
    and every line of a multi-line address. A town or area alone ("Riverside", also a ward's name)
    identifies nobody and is left alone.
    """
    forms: list[str] = []
    lines = [" ".join(line.split()).strip(" ,") for line in (address or "").splitlines()]
    lines = [line for line in lines if line]
    segments = [" ".join(part.split()) for line in lines for part in line.split(",") if part.strip()]
    for line in lines:
        if len(line) >= 6:
            forms.append(line)
    for end in range(2, len(segments)):  # the address without its last part(s): "Flat 2, Sycamore Court"
        forms.append(", ".join(segments[:end]))
    for n, segment in enumerate(segments):
        numbered = re.search(r"\d", segment) and re.search(r"[^\W\d]{3,}", segment)
        if (numbered or (n == 0 and len(segments) > 1)) and len(segment) >= 6:
            forms.append(segment)  # "27 Larch Avenue", or a house name before its street
    return list(dict.fromkeys(forms))


# Words read from images ----------------------------------------------------------------------

#: How alike an OCR'd word must be to a word of a redacted phrase to be covered as a near match
#: (difflib's ratio): "0duya" and "Oduye" are covered for "Oduya"; words of 3 letters or fewer must match.
NEAR_MATCH_RATIO = 0.8


def _token(word: str) -> str:
    return "".join(ch for ch in word.casefold() if ch.isalnum())


@dataclass
class WordMatches:
    """The words of an image a redaction covers: their indices, and how many occurrences were exact or near."""

    indices: set[int]
    exact: int = 0
    near: int = 0
    reasons: set[str] | None = None


def words_to_cover(redactor: Redactor, words: list[list[Any]]) -> WordMatches:
    """Which OCR words (``[text, left, top, width, height, confidence, line]``, in reading order) hold
    something ``redactor`` redacts: exact occurrences (the same rules as for text), and near ones, where
    OCR misread a letter or two, so that a misreading cannot let a name through. Counts each occurrence
    on its redaction, as the text replacements do."""
    result = WordMatches(indices=set(), reasons=set())
    if redactor.regex is None or not words:
        return result
    # The words as text, a space within a line and a line break between lines, with each word's span.
    spans: list[tuple[int, int]] = []
    parts: list[str] = []
    position = 0
    for n, word in enumerate(words):
        if n:
            sep = " " if words[n - 1][6] == word[6] else "\n"
            parts.append(sep)
            position += 1
        parts.append(str(word[0]))
        spans.append((position, position + len(str(word[0]))))
        position += len(str(word[0]))
    text = "".join(parts)
    for match in redactor.regex.finditer(text):
        item = redactor.items[int(match.lastgroup[1:])]
        hit = {n for n, (a, b) in enumerate(spans) if a < match.end() and b > match.start()}
        if hit:
            item.count += 1
            result.exact += 1
            result.indices |= hit
            result.reasons.add(item.reason)
    tokens = [_token(str(w[0])) for w in words]
    from difflib import SequenceMatcher

    for item in redactor.items:
        phrase = [t for t in (_token(p) for p in normalise(item.text).split(" ")) if t]
        if not phrase:
            continue
        size = len(phrase)
        for start in range(0, len(tokens) - size + 1):
            window = range(start, start + size)
            if all(n in result.indices for n in window):
                continue
            alike = True
            for offset, n in enumerate(window):
                want, got = phrase[offset], tokens[n]
                if want == got:
                    continue
                if len(want) <= 3 or not got or SequenceMatcher(None, want, got).ratio() < NEAR_MATCH_RATIO:
                    alike = False
                    break
            if alike:
                item.count += 1
                result.near += 1
                result.indices |= set(window)
                result.reasons.add(item.reason)
    return result
