"""Languages: the API's language from ``Accept-Language``, and the language of the documents the package writes.

The package ships two message catalogues, English (the source) and Welsh (``locale/cy``, compiled and committed,
so a server never needs gettext). Nothing here needs the host to add ``LocaleMiddleware``:

- :func:`api_language` picks the API's language from a request's ``Accept-Language`` header, among the languages
  the package speaks (:data:`API_LANGUAGES`); ``api.base.SafetyAPIMixin`` answers every request in it, with
  ``Content-Language``.
- A document (a bundle, a letter) is written in :func:`document_language`: the language asked for with the
  request, else the preference recorded for the person it is for, else ``SAFETY_WORKFLOW["DOCUMENT_LANGUAGE"]``.
  ``bilingual`` writes every part in Welsh and then in English (Welsh first, as Welsh councils publish).
- Notices are written in ``SAFETY_WORKFLOW["NOTICE_LANGUAGE"]`` (:func:`notice_text`), whoever's request
  caused them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from django.utils import translation

T = TypeVar("T")

ENGLISH = "en"
WELSH = "cy"
BILINGUAL = "bilingual"
#: The languages the API answers in (a message catalogue for each ships with the package).
API_LANGUAGES = (ENGLISH, WELSH)
#: The choices for a document's language.
DOCUMENT_LANGUAGES = (ENGLISH, WELSH, BILINGUAL)
#: The separator between the Welsh and the English of a short bilingual text (a title, a subject line).
BILINGUAL_SEPARATOR = " / "

_QUALITY = re.compile(r"^q=(0(\.\d{0,3})?|1(\.0{0,3})?)$")


def accepted_languages(header: str) -> list[str]:
    """The language ranges of an ``Accept-Language`` header, best first; malformed ones are left out."""
    ranges: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:50]):
        tag, _, params = item.strip().partition(";")
        tag = tag.strip().lower()
        if not tag or not re.fullmatch(r"(\*|[a-z]{1,8}(-[a-z0-9]{1,8})*)", tag):
            continue
        quality = 1.0
        params = params.strip().replace(" ", "")
        if params:
            if not _QUALITY.match(params):
                continue
            quality = float(params[2:])
        if quality > 0:
            ranges.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(ranges)]


def api_language(request: Any, default: str | None = None) -> str:
    """The language to answer ``request`` in: the first of ``Accept-Language``'s ranges the package speaks.

    ``cy``, ``cy-GB`` or ``cy;q=0.9, en;q=0.8`` give Welsh; ``en-GB`` English; a header naming neither (or none)
    gives ``default``, else the host's ``LANGUAGE_CODE`` if the package speaks it (a Welsh council's "cy"), else
    English.
    """
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "") if request is not None else ""
    for tag in accepted_languages(header):
        base = tag.split("-")[0]
        if base in API_LANGUAGES:
            return base
    if default:
        return default
    from django.conf import settings

    host = (getattr(settings, "LANGUAGE_CODE", "") or "").lower().split("-")[0]
    return host if host in API_LANGUAGES else ENGLISH


def content_language(language: str) -> str:
    """The value of ``Content-Language`` (and an HTML ``lang``) for one of :data:`DOCUMENT_LANGUAGES`."""
    return {ENGLISH: "en-GB", WELSH: "cy", BILINGUAL: "cy, en-GB"}.get(language, language)


def html_lang(language: str) -> str:
    """An HTML (or PDF) ``lang`` for a part in ``language``: a bilingual part's first language, Welsh."""
    return content_language(WELSH if language == BILINGUAL else language or ENGLISH)


def valid_document_language(value: Any) -> bool:
    return value in DOCUMENT_LANGUAGES


def document_language(*, requested: str = "", person: Any = None) -> str:
    """The language a document is written in: the one requested, else the person's preference, else the
    council's default (``SAFETY_WORKFLOW["DOCUMENT_LANGUAGE"]``)."""
    from .conf import app_settings

    if requested:
        return requested
    preferred = getattr(person, "language", "") if person is not None else ""
    if preferred in DOCUMENT_LANGUAGES:
        return preferred
    default = app_settings.DOCUMENT_LANGUAGE
    return default if default in DOCUMENT_LANGUAGES else ENGLISH  # check W006 warns of another value


def parts(language: str) -> tuple[str, ...]:
    """The languages a document in ``language`` is written in, in order: Welsh first for a bilingual one."""
    return (WELSH, ENGLISH) if language == BILINGUAL else (language,)


def each(language: str, build: Callable[[], T]) -> list[T]:
    """``build()`` once in each of the languages of ``language`` (Welsh first for bilingual)."""
    results = []
    for part in parts(language):
        with translation.override(part):
            results.append(build())
    return results


def text(language: str, build: Callable[[], str], *, separator: str = BILINGUAL_SEPARATOR) -> str:
    """A text in ``language``; a bilingual one is the Welsh, ``separator``, then the English."""
    return separator.join(dict.fromkeys(each(language, build)))


def notice_text(build: Callable[[], tuple[str, str]], language: str = "") -> tuple[str, str]:
    """A notice's subject and message in ``language``, else ``SAFETY_WORKFLOW["NOTICE_LANGUAGE"]``; bilingual:
    Welsh first."""
    from .conf import app_settings

    language = language or app_settings.NOTICE_LANGUAGE
    written = each(language if language in DOCUMENT_LANGUAGES else ENGLISH, build)
    if len(written) == 1:
        return written[0]
    subject = BILINGUAL_SEPARATOR.join(dict.fromkeys(s for s, _ in written))
    message = "\n\n----------\n\n".join(m for _, m in written)
    return subject, message

