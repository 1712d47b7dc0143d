"""Cleaning what people type or paste: names, contact handles, postcodes and address lines.

Pure functions, no database access. ``clean_text`` is applied first to every name, postcode and
address the register check is given, so that text pasted from an e-mail or a web page compares
like text typed by hand.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers


def clean_text(text: str) -> str:
    """Text as it reads, without what pasting adds.

    NFKC (full-width letters ``Ｊｏｈｎ`` and ligatures become plain letters, non-breaking and other
    special spaces become spaces), then invisible format characters are dropped: zero-width spaces
    and joiners, the byte-order mark, soft hyphens, left-to-right and right-to-left marks, embeddings,
    overrides and isolates (Unicode category Cf). Control characters and every kind of space become
    one space.
    """
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(
        " " if ch.isspace() or unicodedata.category(ch) == "Cc" else ch
        for ch in text
        if unicodedata.category(ch) != "Cf"
    )
    return " ".join(text.split())


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation turned into spaces, spaces collapsed."""
    text = unicodedata.normalize("NFKD", clean_text(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold()
    text = re.sub(r"[^\w]+", " ", text)
    return " ".join(text.split())


_APOSTROPHES = "'\u2019\u2018`\u00b4\u02bc"
_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ı": "i",
                          "ß": "ss"})


def fold_letters(text: str) -> str:
    """Lower case a-z, digits, spaces, hyphens and commas only; accents removed; apostrophes joined."""
    text = clean_text(text).translate({ord(c): None for c in _APOSTROPHES})
    text = unicodedata.normalize("NFKD", text.casefold().translate(_LETTERS))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^a-z0-9,\- ]+", " ", text)
    text = re.sub(r"\s*-\s*", "-", text).strip("- ")
    return " ".join(text.split())


# Contact handles ---------------------------------------------------------------------------------
def normalise_email(value: str) -> str:
    value = clean_text(value).replace(" ", "").casefold()
    local, _, domain = value.partition("@")
    if domain in ("gmail.com", "googlemail.com"):
        local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}" if domain else local


def _phone_region() -> str:
    from ..conf import app_settings

    return str(app_settings.PHONE_REGION or "GB").upper()


def normalise_phone(value: str, *, region: str | None = None) -> str:
    """A phone number in E.164 (``+447700900123``), parsed by ``phonenumbers`` (Google's libphonenumber
    data) with ``PHONE_REGION`` (GB) for numbers written without a country code: ``07700 900123``,
    ``+44 (0)7700-900123`` and ``0044 7700 900123`` are one number. What cannot be a phone number is kept
    as its digits, so that it still compares with itself."""
    value = clean_text(value)
    try:
        number = phonenumbers.parse(value, region or _phone_region())
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_possible_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return re.sub(r"\D", "", value)


def phone_search_digits(value: str) -> str:
    """The digits to look for inside stored numbers when searching: the national number of a whole
    number (``01484 000000`` -> ``1484000000``), or the digits typed, without a leading trunk ``0``."""
    value = clean_text(value)
    try:
        number = phonenumbers.parse(value, _phone_region())
        if phonenumbers.is_possible_number(number):
            return str(number.national_number)
    except phonenumbers.NumberParseException:
        pass
    return re.sub(r"\D", "", value).lstrip("0")


def normalise_social(value: str) -> str:
    value = clean_text(value).casefold()
    value = re.sub(r"^https?://(www\.)?[^/]+/", "", value)
    return value.lstrip("@").rstrip("/")


def normalise_handle(kind: str, value: str) -> str:
    if kind == "email":
        return normalise_email(value)
    if kind == "phone":
        return normalise_phone(value)
    if kind == "social":
        return normalise_social(value)
    return fold(value)


# Postcodes and address lines -------------------------------------------------------------------
POSTCODE_RE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b")
OUTWARD_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_STREET_WORDS = {"street": "st", "road": "rd", "avenue": "ave", "lane": "ln", "drive": "dr", "close": "cl",
                 "crescent": "cres", "court": "ct", "place": "pl", "terrace": "ter", "gardens": "gdns"}


def normalise_postcode(value: str) -> str:
    return re.sub(r"\s+", "", clean_text(value)).upper()


def postcode_in(text: str) -> str:
    """The first full UK postcode written in ``text``, normalised (``LS1 1AA`` -> ``LS11AA``), or ""."""
    found = POSTCODE_RE.search(clean_text(text).upper())
    return f"{found.group(1)}{found.group(2)}" if found else ""


def postcode_query(value: str) -> str:
    """A checked postcode: a full one normalised, or an outward code alone (``HD1``); "" if not a postcode."""
    full = postcode_in(value)
    if full:
        return full
    value = normalise_postcode(value)
    return value if OUTWARD_RE.match(value) else ""


def address_line_tokens(text: str) -> tuple[str, ...]:
    """The first line of an address (before the first comma or line break), folded, postcode removed."""
    text = unicodedata.normalize("NFKC", text or "")  # keep line breaks: they end the first line
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    line = re.split(r"[,\n]", POSTCODE_RE.sub(" ", text.upper()), maxsplit=1)[0]
    return tuple(_STREET_WORDS.get(t, t) for t in fold(line).split())
