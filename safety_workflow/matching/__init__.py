"""Recognising the same person however their name was typed: normalising names and contact handles,
blocking keys for the register check, and its graded evidence and decision.

Pure functions: no database access (settings are read for the forename variants and phone region).

- ``text``: what people paste (invisible characters, full-width letters...), e-mail addresses,
  phone numbers (``phonenumbers``), social handles, postcodes and address lines;
- ``names``: parsing names, forename variants (the ``nicknames`` dataset and ``name_variants.py``),
  graded agreement of two names (rapidfuzz, jellyfish);
- ``evidence``: dates of birth and places, and the table that gives match, possible or no match;
- ``keys``: the keys entries are filed under and checks look up.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .evidence import (
    AGREE,
    DISAGREE,
    DOB_DIFFERS,
    DOB_EXACT,
    DOB_ONE_DIGIT,
    DOB_SAME_YEAR,
    DOB_SWAPPED,
    DOB_TWO_DIGITS,
    DOB_UNKNOWN,
    MATCH,
    NO_MATCH,
    POSSIBLE_MATCH,
    UNKNOWN,
    Candidate,
    CheckDecision,
    CheckQuery,
    Evidence,
    candidate_evidence,
    candidate_from_profile,
    candidate_outcome,
    check_decide,
    decide,
    dob_relation,
    dob_transposed,
    entry_profile_data,
    location_relation,
)
from .keys import deletions, entry_keys, query_keys
from .names import (
    Agreement,
    NameEvidence,
    NameGrade,
    NameTooShort,
    ParsedName,
    compare_names,
    forename_relation,
    forename_variant_codes,
    parse_name,
    parse_query_name,
    parse_reversed,
    surname_relation,
)
from .text import (
    address_line_tokens,
    clean_text,
    fold,
    fold_letters,
    normalise_email,
    normalise_handle,
    normalise_phone,
    normalise_postcode,
    normalise_social,
    phone_search_digits,
    postcode_in,
    postcode_query,
)

__all__ = [
    "AGREE", "DISAGREE", "DOB_DIFFERS", "DOB_EXACT", "DOB_ONE_DIGIT", "DOB_SAME_YEAR", "DOB_SWAPPED",
    "DOB_TWO_DIGITS", "DOB_UNKNOWN", "MATCH", "NO_MATCH", "POSSIBLE_MATCH", "UNKNOWN",
    "Agreement", "Candidate", "CheckDecision", "CheckQuery", "Evidence", "NameEvidence", "NameGrade",
    "NameTooShort", "ParsedName",
    "address_line_tokens", "candidate_evidence", "candidate_from_profile", "candidate_outcome",
    "check_decide", "check_query", "clean_text", "compare_names", "decide", "deletions", "dob_relation",
    "dob_transposed", "entry_keys", "entry_profile", "entry_profile_data", "fold", "fold_letters",
    "forename_relation", "forename_variant_codes", "location_relation", "normalise_email", "normalise_handle",
    "normalise_phone", "normalise_postcode", "normalise_social", "parse_name", "parse_query_name",
    "parse_reversed", "phone_search_digits", "postcode_in", "postcode_query", "query_keys",
    "surname_relation",
]


def entry_profile(*, names: list[str], date_of_birth: dt.date | None,
                  addresses: list[tuple[str, str]]) -> tuple[dict[str, Any], set[str]]:
    """A register entry's matching profile (stored as JSON) and the keys to file it under.

    ``names``: the subject's name and aliases; ``addresses``: (address, postcode) pairs.
    """
    parsed = [p for p in (parse_name(n) for n in names if n and clean_text(n)) if p.surnames]
    profile = entry_profile_data(names=parsed, date_of_birth=date_of_birth, addresses=addresses)
    return profile, entry_keys(names=parsed, date_of_birth=date_of_birth)


def check_query(*, name: str, date_of_birth: dt.date | None = None, postcode: str = "",
                address: str = "") -> CheckQuery:
    """What a check compares, from what was typed. Raises ``NameTooShort`` without a forename or
    initial and a surname; ``postcode`` must already be normalised (``postcode_query``)."""
    return CheckQuery(name=parse_query_name(name), date_of_birth=date_of_birth, postcode=postcode,
                      address=clean_text(address), reversed_name=parse_reversed(name))
