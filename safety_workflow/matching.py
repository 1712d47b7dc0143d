"""Normalising names and contact handles so that the same person is recognised however they are typed,
and scoring register-check candidates.

Pure functions: no database access (the forename variant lists are read from settings once).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any


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


# Names, dates of birth and postcodes for the register check ------------------------------
#
# A register entry's names (its subject's name and aliases) are parsed once, when the entry is
# written, into a profile and a set of keys that are stored in an indexed table. A check parses
# the name it was given the same way, looks the keys up (one query, whatever the register's
# size), and scores only the few candidates that come back, with the rules below.

_APOSTROPHES = "'\u2019\u2018`\u00b4\u02bc"
_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ı": "i"})

#: Words dropped from the start (titles) or the end (generational suffixes) of a name.
TITLES = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "master", "dr", "doctor", "prof", "professor", "sir", "dame", "lord",
    "lady", "rev", "revd", "reverend", "fr", "father", "cllr", "councillor", "capt", "captain", "sgt", "pc",
})
SUFFIXES = frozenset({"jr", "jnr", "junior", "sr", "snr", "senior", "ii", "iii", "iv", "esq"})
#: Surname particles joined to the word after them: "O Brien" = "O'Brien" = "OBrien".
PARTICLES = frozenset({
    "o", "mc", "mac", "de", "da", "di", "du", "del", "della", "der", "den", "des", "van", "von", "le", "la",
    "st", "saint", "al", "el", "bin", "ibn", "ap", "ab", "ni", "nic", "ui", "y",
})


def fold_letters(text: str) -> str:
    """Lower case a-z, digits, spaces, hyphens and commas only; accents removed; apostrophes joined."""
    text = (text or "").translate({ord(c): None for c in _APOSTROPHES})
    text = unicodedata.normalize("NFKD", text.casefold().translate(_LETTERS))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^a-z0-9,\- ]+", " ", text)
    text = re.sub(r"\s*-\s*", "-", text).strip("- ")
    return " ".join(text.split())


def sound_key(token: str) -> str:
    """A phonetic key: spellings that sound alike get the same key (Smith/Smyth, Thompson/Thomson).

    Deliberately coarse (vowels after the first letter are dropped): it finds candidates and
    gives weak evidence; it never makes a match on its own.
    """
    s = re.sub(r"[^a-z]", "", token)
    if not s:
        return ""
    for old, new in (("mac", "mc"), ("kn", "n"), ("wr", "r"), ("ps", "s"), ("pf", "f"), ("gn", "n"),
                     ("wh", "w")):
        if s.startswith(old) and len(s) > len(old):
            s = new + s[len(old):]
            break
    for old, new in (("sch", "sk"), ("tch", "ch"), ("ph", "f"), ("gh", ""), ("ck", "k"), ("dg", "j"),
                     ("th", "t"), ("qu", "kw"), ("q", "k"), ("x", "ks"), ("z", "s"), ("mps", "ms"), ("v", "f"),
                     ("y", "i")):
        s = s.replace(old, new)
    s = re.sub(r"c(?=[eiy])", "s", s).replace("c", "k")
    s = re.sub(r"g(?=[eiy])", "j", s)
    s = s[0] + s[1:].replace("h", "") if len(s) > 1 else s
    s = re.sub(r"(.)\1+", r"\1", s)
    key = s[0] + re.sub(r"[aeiou]", "", s[1:])
    return re.sub(r"(.)\1+", r"\1", key)[:12]


@functools.lru_cache(maxsize=8)
def _variant_index(extra: tuple[tuple[str, ...], ...]) -> dict[str, frozenset[str]]:
    from .name_variants import FORENAME_VARIANTS

    index: dict[str, set[str]] = {}
    for group in (*FORENAME_VARIANTS, *extra):
        folded = [fold_letters(name).replace("-", "").replace(" ", "") for name in group]
        for name in folded:
            index.setdefault(name, set()).add(folded[0])
    return {name: frozenset(groups) for name, groups in index.items()}


def forename_groups(token: str) -> frozenset[str]:
    """The variant groups (name_variants.py plus REGISTER_NAME_VARIANTS) a forename belongs to."""
    from .conf import app_settings

    extra = tuple(tuple(group) for group in app_settings.REGISTER_NAME_VARIANTS)
    return _variant_index(extra).get(token, frozenset())


def _canonical_surname(text: str) -> str:
    text = text.replace("-", "")
    if text.startswith("saint"):
        text = "st" + text[5:]
    if text.startswith("mac") and len(text) > 4:
        text = "mc" + text[3:]
    return text


class NameTooShort(ValueError):
    """A name too short to check (a first name or initial and a surname are needed)."""


@dataclass(frozen=True)
class ParsedName:
    """A person's name as the register check compares it.

    ``given``: forenames and initials in order (hyphenated ones also joined: mary, jane, maryjane);
    ``surnames``: every form the surname may be written in (smithjones, smith, jones; obrien).
    """

    given: tuple[str, ...]
    surnames: frozenset[str]

    def to_json(self) -> dict[str, list[str]]:
        return {"g": list(self.given), "s": sorted(self.surnames)}

    @classmethod
    def from_json(cls, data: dict[str, list[str]]) -> ParsedName:
        return cls(given=tuple(data.get("g", ())), surnames=frozenset(data.get("s", ())))


def _split_hyphens(token: str) -> list[str]:
    parts = [p for p in token.split("-") if p]
    return parts + (["".join(parts)] if len(parts) > 1 else [])


def parse_name(text: str) -> ParsedName:
    """Parse "Dr Jonathan O'Brien", "O'BRIEN, Jonathan", "J. O Brien", "Mary-Jane Smith-Jones"."""
    folded = fold_letters(text)
    if "," in folded:
        surname_part, _, given_part = folded.partition(",")
        given_tokens = given_part.replace(",", " ").split()
        surname_tokens = surname_part.split()
    else:
        tokens = folded.replace(",", " ").split()
        given_tokens, surname_tokens = tokens[:-1], tokens[-1:]
        # Particles before the last word belong to the surname: "Ludwig van der Berg", "Sean O Brien".
        while len(given_tokens) > 1 and given_tokens[-1] in PARTICLES:
            surname_tokens.insert(0, given_tokens.pop())
    while given_tokens and given_tokens[0] in TITLES:
        given_tokens.pop(0)
    while len(surname_tokens) == 1 and surname_tokens[0] in SUFFIXES and given_tokens:
        surname_tokens = [given_tokens.pop()]
    if surname_tokens and surname_tokens[-1] in SUFFIXES and len(surname_tokens) > 1:
        surname_tokens.pop()
    given: list[str] = []
    for token in given_tokens:
        for part in _split_hyphens(token):
            if part not in given and part not in SUFFIXES:
                given.append(part)
    surnames: set[str] = set()
    if surname_tokens:
        surnames.add(_canonical_surname("".join(surname_tokens)))
        core = [t for t in surname_tokens if t not in PARTICLES] or surname_tokens[-1:]
        surnames.add(_canonical_surname("".join(core)))
        for token in core:
            for part in _split_hyphens(token):
                surnames.add(_canonical_surname(part))
    surnames.discard("")
    return ParsedName(given=tuple(given), surnames=frozenset(surnames))


def parse_query_name(text: str) -> ParsedName:
    name = parse_name(text)
    if not name.given or not name.surnames:
        raise NameTooShort("Give a first name or initial and a surname.")
    return name


def _forename_keys(token: str) -> set[str]:
    keys = {f"v:{group}" for group in forename_groups(token)}
    keys.add(f"p:{sound_key(token)}")
    return keys


def name_keys(name: ParsedName, *, stored: bool) -> set[str]:
    """Keys under which a stored name is filed, or under which a checked name is looked up.

    Full forenames meet through their variant group or sound (``n:``); a checked initial meets
    stored forenames with that initial (``i:``); a stored initial meets any checked forename with
    that initial (``x:``). A stored single word is filed by its sound alone (``s:``).
    """
    sounds = {sound_key(s) for s in name.surnames} - {""}
    keys: set[str] = set()
    if stored and not name.given:
        keys |= {f"s:{s}" for s in sounds}
    if not stored:
        keys |= {f"s:{s}" for s in sounds}
    for token in name.given:
        for sound in sounds:
            if len(token) == 1:
                keys.add(f"x:{token}|{sound}")
                if not stored:
                    keys.add(f"i:{token}|{sound}")
            else:
                keys |= {f"n:{k}|{sound}" for k in _forename_keys(token)}
                keys.add(f"{'i' if stored else 'x'}:{token[0]}|{sound}")
    return {k[:100] for k in keys}


# Comparing a checked name with a stored one.
NONE, INITIAL, PHONETIC, VARIANT, EXACT = 0, 1, 2, 3, 4


def forename_relation(a: str, b: str) -> int:
    if a == b:
        return EXACT
    if len(a) == 1 or len(b) == 1:
        return INITIAL if a[0] == b[0] else NONE
    groups_a, groups_b = forename_groups(a), forename_groups(b)
    if groups_a & groups_b:
        return VARIANT
    if groups_a and groups_b:
        return NONE  # two known names of different groups: John is not Jane
    return PHONETIC if sound_key(a) == sound_key(b) else NONE


def surname_relation(a: frozenset[str], b: frozenset[str]) -> int:
    if a & b:
        return EXACT
    if {sound_key(s) for s in a} & {sound_key(s) for s in b}:
        return PHONETIC
    return NONE


STRONG, PARTIAL = 2, 1


def name_strength(query: ParsedName, stored: ParsedName) -> int:
    """STRONG: same surname and the same forename or a known variant of it; PARTIAL: alike; else NONE."""
    surname = surname_relation(query.surnames, stored.surnames)
    if surname == NONE:
        return NONE
    if not query.given or not stored.given:
        return PARTIAL
    forename = max(forename_relation(q, s) for q in query.given for s in stored.given)
    if forename == NONE:
        return NONE
    if surname == EXACT and forename >= VARIANT:
        return STRONG
    return PARTIAL


# Dates of birth, postcodes and addresses.
AGREE, UNKNOWN, NEAR, DISAGREE = "agree", "unknown", "near", "disagree"
POSTCODE_RE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b")
OUTWARD_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_STREET_WORDS = {"street": "st", "road": "rd", "avenue": "ave", "lane": "ln", "drive": "dr", "close": "cl",
                 "crescent": "cres", "court": "ct", "place": "pl", "terrace": "ter", "gardens": "gdns"}


def dob_transposed(value: dt.date) -> dt.date | None:
    """The date with day and month swapped (03/04 typed as 04/03), if that is a different valid date."""
    if value.day > 12 or value.day == value.month:
        return None
    try:
        return value.replace(month=value.day, day=value.month)
    except ValueError:
        return None


def dob_relation(query: dt.date | None, stored: dt.date | None) -> str:
    if query is None or stored is None:
        return UNKNOWN
    if query == stored:
        return AGREE
    if dob_transposed(query) == stored:
        return NEAR
    return DISAGREE


def postcode_in(text: str) -> str:
    """The first full UK postcode written in ``text``, normalised (``LS1 1AA`` -> ``LS11AA``), or ""."""
    found = POSTCODE_RE.search((text or "").upper())
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
    line = re.split(r"[,\n]", POSTCODE_RE.sub(" ", (text or "").upper()), maxsplit=1)[0]
    return tuple(_STREET_WORDS.get(t, t) for t in fold(line).split())


def location_relation(*, postcode: str, address: str, stored_postcodes: frozenset[str],
                      stored_addresses: tuple[tuple[str, ...], ...]) -> str:
    """Postcodes agree or disagree; an address line can only agree (free text is typed too many ways)."""
    result = UNKNOWN
    if postcode and stored_postcodes:
        if len(postcode) <= 4:  # outward code only: can rule out, cannot confirm
            if not any(p[:-3] == postcode for p in stored_postcodes):
                return DISAGREE
        elif postcode in stored_postcodes:
            return AGREE
        else:
            result = DISAGREE
    if address and result == UNKNOWN:
        words = set(address_line_tokens(address))
        if any(len(line) >= 2 and set(line) <= words for line in stored_addresses):
            return AGREE
    return result


# The decision.
MATCH, POSSIBLE_MATCH, NO_MATCH = "match", "possible_match", "no_match"


@dataclass(frozen=True)
class CheckQuery:
    name: ParsedName
    date_of_birth: dt.date | None = None
    postcode: str = ""
    address: str = ""


@dataclass(frozen=True)
class Candidate:
    """A register entry's matching profile (names, date of birth, postcodes, first address lines)."""

    key: Any
    names: tuple[ParsedName, ...]
    date_of_birth: dt.date | None = None
    postcodes: frozenset[str] = frozenset()
    addresses: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class CheckDecision:
    result: str
    matched: Any = None
    #: (candidate key, MATCH or POSSIBLE_MATCH) for each entry the check could be about.
    hits: tuple[tuple[Any, str], ...] = ()


def candidate_outcome(query: CheckQuery, candidate: Candidate) -> str:
    """MATCH, POSSIBLE_MATCH or NO_MATCH for one register entry.

    - the name must be alike (else no match);
    - a date of birth that disagrees rules the entry out (a namesake); so does a postcode that
      disagrees when no date of birth settles it;
    - match: a strong name with the same date of birth (and no disagreeing postcode), or a strong
      name with the same postcode or address when the date of birth is not known;
    - everything else that is alike is a possible match: a partial name (initial, sound-alike),
      missing details, day and month swapped, or a date of birth and a postcode that contradict.
    """
    strength = max((name_strength(query.name, n) for n in candidate.names), default=NONE)
    if strength == NONE:
        return NO_MATCH
    dob = dob_relation(query.date_of_birth, candidate.date_of_birth)
    if dob == DISAGREE:
        return NO_MATCH
    place = location_relation(postcode=query.postcode, address=query.address,
                              stored_postcodes=candidate.postcodes, stored_addresses=candidate.addresses)
    if dob == UNKNOWN and place == DISAGREE:
        return NO_MATCH
    if strength == STRONG and ((dob == AGREE and place != DISAGREE) or (dob == UNKNOWN and place == AGREE)):
        return MATCH
    return POSSIBLE_MATCH


def check_decide(query: CheckQuery, candidates: list[Candidate], *, too_many: bool = False) -> CheckDecision:
    """The check's answer over every candidate. One clear match is a match; two are a possible match
    (the register cannot tell which, so nobody's mitigations are disclosed)."""
    hits = tuple((c.key, outcome) for c in candidates
                 if (outcome := candidate_outcome(query, c)) != NO_MATCH)
    matches = [key for key, outcome in hits if outcome == MATCH]
    if len(matches) == 1 and not too_many:
        return CheckDecision(MATCH, matched=matches[0], hits=hits)
    if hits or too_many:
        return CheckDecision(POSSIBLE_MATCH, hits=hits)
    return CheckDecision(NO_MATCH)


def entry_profile(*, names: list[str], date_of_birth: dt.date | None,
                  addresses: list[tuple[str, str]]) -> tuple[dict[str, Any], set[str]]:
    """A register entry's matching profile (stored as JSON) and the keys to file it under.

    ``names``: the subject's name and aliases; ``addresses``: (address, postcode) pairs.
    """
    parsed = [p for p in (parse_name(n) for n in names if n and n.strip()) if p.surnames]
    postcodes = sorted({pc for address, postcode in addresses
                        if (pc := postcode_in(postcode) or postcode_in(address))})
    lines = [list(line) for address, _ in addresses if (line := address_line_tokens(address))]
    profile = {
        "names": [p.to_json() for p in parsed],
        "dob": date_of_birth.isoformat() if date_of_birth else None,
        "postcodes": postcodes,
        "addresses": lines,
    }
    keys: set[str] = set()
    for name in parsed:
        keys |= name_keys(name, stored=True)
    return profile, keys


def candidate_from_profile(key: Any, profile: dict[str, Any]) -> Candidate:
    dob = profile.get("dob")
    return Candidate(
        key=key,
        names=tuple(ParsedName.from_json(n) for n in profile.get("names", ())),
        date_of_birth=dt.date.fromisoformat(dob) if dob else None,
        postcodes=frozenset(profile.get("postcodes", ())),
        addresses=tuple(tuple(line) for line in profile.get("addresses", ())),
    )
