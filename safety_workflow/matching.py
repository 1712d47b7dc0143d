"""Normalising names and contact handles so that the same person is recognised however they are typed.

Pure functions: no database access.
"""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation turned into spaces, spaces collapsed."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold()
    text = re.sub(r"[^\w]+", " ", text)
    return " ".join(text.split())


def normalise_email(value: str) -> str:
    value = (value or "").strip().casefold()
    local, _, domain = value.partition("@")
    if domain in ("gmail.com", "googlemail.com"):
        local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}" if domain else local


def normalise_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value or "")
    if digits.startswith("0044"):
        digits = digits[4:]
    elif digits.startswith("44") and len(digits) > 10:
        digits = digits[2:]
    if digits.startswith("0"):
        digits = digits[1:]
    return digits


def normalise_social(value: str) -> str:
    value = (value or "").strip().casefold()
    value = re.sub(r"^https?://(www\.)?[^/]+/", "", value)
    return value.lstrip("@").rstrip("/")


def normalise_postcode(value: str) -> str:
    return re.sub(r"\s+", "", (value or "")).upper()


def normalise_handle(kind: str, value: str) -> str:
    if kind == "email":
        return normalise_email(value)
    if kind == "phone":
        return normalise_phone(value)
    if kind == "social":
        return normalise_social(value)
    return fold(value)
