"""The register check's decision: graded evidence on the name, the date of birth and the place,
combined by a fixed table into match, possible match or no match for each entry.

The levels follow splink's comparisons (UK Ministry of Justice): names as in ``names.py``; dates of
birth as ``DateOfBirthComparison`` grades them (exact, Damerau-Levenshtein distance 1 on the written
date, ...), with a day and month swap (03/04 written 04/03) as its own level. Unlike a trained splink
model, the combination is a short table written for an information-governance officer to read
(docs/register.md): a match needs the names alike and the date of birth agreeing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein

from .names import Agreement, NameEvidence, NameGrade, ParsedName, compare_names, compare_reversed
from .text import address_line_tokens, postcode_in

MATCH, POSSIBLE_MATCH, NO_MATCH = "match", "possible_match", "no_match"

# Dates of birth --------------------------------------------------------------------------------
DOB_EXACT = "exact"
DOB_SWAPPED = "day_month_swapped"
DOB_ONE_DIGIT = "one_digit"        # one digit wrong, or two neighbouring digits swapped
DOB_TWO_DIGITS = "two_digits"      # two digits of the day and month wrong, the year right
DOB_SAME_YEAR = "same_year"        # only the year agrees
DOB_UNKNOWN = "unknown"            # not given, or not recorded
DOB_DIFFERS = "differs"

# Places (postcode, first line of the address).
AGREE, UNKNOWN, DISAGREE = "agree", "unknown", "disagree"


def dob_transposed(value: dt.date) -> dt.date | None:
    """The date with day and month swapped (03/04 typed as 04/03), if that is a different valid date."""
    if value.day > 12 or value.day == value.month:
        return None
    try:
        return value.replace(month=value.day, day=value.month)
    except ValueError:
        return None


def dob_one_digit_away(value: dt.date) -> list[dt.date]:
    """Every valid date one digit away from ``value`` as written (YYYYMMDD): 1985 typed as 1986, 07 as 01."""
    written = value.strftime("%Y%m%d")
    found = []
    for position, digit in enumerate(written):
        for other in "0123456789":
            if other == digit:
                continue
            text = written[:position] + other + written[position + 1:]
            try:
                found.append(dt.date(int(text[:4]), int(text[4:6]), int(text[6:])))
            except ValueError:
                continue
    return found


def dob_relation(query: dt.date | None, stored: dt.date | None) -> str:
    """How a checked date of birth agrees with a recorded one (compared as written, YYYYMMDD)."""
    if query is None or stored is None:
        return DOB_UNKNOWN
    if query == stored:
        return DOB_EXACT
    if dob_transposed(query) == stored:
        return DOB_SWAPPED
    distance = DamerauLevenshtein.distance(query.strftime("%Y%m%d"), stored.strftime("%Y%m%d"))
    if distance == 1:
        return DOB_ONE_DIGIT
    if distance == 2 and query.year == stored.year:
        return DOB_TWO_DIGITS
    if query.year == stored.year:
        return DOB_SAME_YEAR
    return DOB_DIFFERS


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


# The decision ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckQuery:
    name: ParsedName
    date_of_birth: dt.date | None = None
    postcode: str = ""
    address: str = ""
    #: The name read surname first ("SMITH John"), when it can be.
    reversed_name: ParsedName | None = None


@dataclass(frozen=True)
class Candidate:
    """A register entry's matching profile (names, date of birth, postcodes, first address lines)."""

    key: Any
    names: tuple[ParsedName, ...]
    date_of_birth: dt.date | None = None
    postcodes: frozenset[str] = frozenset()
    addresses: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Evidence:
    """What the check found about one entry, and the outcome the table gives it."""

    outcome: str
    name: NameEvidence
    date_of_birth: str
    place: str

    def as_dict(self) -> dict[str, str]:
        return {"outcome": self.outcome, "name": self.name.describe(), "date_of_birth": self.date_of_birth,
                "place": self.place}


@dataclass(frozen=True)
class CheckDecision:
    result: str
    matched: Any = None
    #: (candidate key, MATCH or POSSIBLE_MATCH) for each entry the check could be about.
    hits: tuple[tuple[Any, str], ...] = ()
    #: candidate key -> the evidence behind its outcome, for each hit.
    evidence: dict[Any, Evidence] | None = None


def decide(name: NameEvidence, dob: str, place: str) -> str:
    """The table (docs/register.md, "What gives a match"):

    - nothing is found unless the names are alike; a date of birth that differs (beyond the slips
      below) rules the entry out: namesakes stay apart;
    - match: names the same or one slip apart, and the date of birth exactly the same, with no
      postcode contradicting; or the same names and the same postcode or address when no date of
      birth is known on one side;
    - possible match: a likeness that is worth a call and that nothing rules out: a date of birth one
      digit off or with day and month swapped, the same names with no date of birth to compare, ...;
    - an entry recorded with a surname only is at most a possible match, and only when the date of
      birth or the place agrees: a surname alone is not evidence about a person.
    """
    grade = name.grade
    if grade == NameGrade.NONE or dob == DOB_DIFFERS:
        return NO_MATCH
    if grade == NameGrade.SURNAME_ONLY:
        return _surname_only(name, dob, place)
    if place == DISAGREE:  # moved house, or another person: a call at most, and only on a near-certain name and date
        near = dob in (DOB_EXACT, DOB_ONE_DIGIT, DOB_SWAPPED)
        return POSSIBLE_MATCH if grade >= NameGrade.ALIKE and near else NO_MATCH
    if dob == DOB_UNKNOWN:
        if grade == NameGrade.SAME and place == AGREE:
            return MATCH
        if grade >= NameGrade.ALIKE or place == AGREE or name.initial_only:
            return POSSIBLE_MATCH
        return NO_MATCH
    if dob == DOB_EXACT:
        return MATCH if grade >= NameGrade.ALIKE else POSSIBLE_MATCH
    if dob in (DOB_ONE_DIGIT, DOB_SWAPPED):
        return POSSIBLE_MATCH
    if dob == DOB_TWO_DIGITS:  # two slips in the date: worth a call only if the names are the same
        return POSSIBLE_MATCH if grade == NameGrade.SAME else NO_MATCH
    # DOB_SAME_YEAR: born the same year, another day: a namesake, as for any other date that differs.
    return NO_MATCH


def _surname_only(name: NameEvidence, dob: str, place: str) -> str:
    """An entry with no forename: the surname alone is no evidence about a person, so a possible match
    needs the date of birth (exactly; or one digit off or day and month swapped, with the surname
    exact) or, with no date of birth to compare, the same postcode or address and the surname exact.
    Never a match."""
    exact = name.surname == Agreement.EXACT
    if place == DISAGREE:
        return NO_MATCH
    if dob == DOB_EXACT or (dob in (DOB_ONE_DIGIT, DOB_SWAPPED) and exact):
        return POSSIBLE_MATCH
    if dob == DOB_UNKNOWN and place == AGREE and exact:
        return POSSIBLE_MATCH
    return NO_MATCH


def candidate_evidence(query: CheckQuery, candidate: Candidate,
                       memo: dict[ParsedName, list[NameEvidence]] | None = None) -> Evidence:
    """The best reading of the checked name against the entry's names, with the date and place.
    ``memo`` keeps the readings of names already compared in this check (namesakes share names)."""
    memo = {} if memo is None else memo
    readings = []
    for stored in candidate.names:
        if stored not in memo:
            found = [compare_names(query.name, stored)]
            if query.reversed_name is not None and found[0].grade < NameGrade.SAME:
                found.append(compare_reversed(query.reversed_name, stored))  # at best ALIKE
            memo[stored] = found
        readings += memo[stored]
    name = max(readings, key=lambda e: (e.grade, e.surname, e.forename, not e.reversed_order),
               default=NameEvidence(NameGrade.NONE))
    dob = dob_relation(query.date_of_birth, candidate.date_of_birth)
    place = location_relation(postcode=query.postcode, address=query.address,
                              stored_postcodes=candidate.postcodes, stored_addresses=candidate.addresses)
    return Evidence(outcome=decide(name, dob, place), name=name, date_of_birth=dob, place=place)


def candidate_outcome(query: CheckQuery, candidate: Candidate) -> str:
    """MATCH, POSSIBLE_MATCH or NO_MATCH for one register entry."""
    return candidate_evidence(query, candidate).outcome


def check_decide(query: CheckQuery, candidates: list[Candidate]) -> CheckDecision:
    """The check's answer over every candidate. One clear match is a match; two are a possible match
    (the register cannot tell which, so nobody's mitigations are disclosed)."""
    memo: dict[ParsedName, list[NameEvidence]] = {}
    found = {c.key: e for c in candidates if (e := candidate_evidence(query, c, memo)).outcome != NO_MATCH}
    hits = tuple((key, e.outcome) for key, e in found.items())
    matches = [key for key, outcome in hits if outcome == MATCH]
    if len(matches) == 1:
        return CheckDecision(MATCH, matched=matches[0], hits=hits, evidence=found)
    if hits:
        return CheckDecision(POSSIBLE_MATCH, hits=hits, evidence=found)
    return CheckDecision(NO_MATCH, evidence={})


# Profiles ----------------------------------------------------------------------------------------
def entry_profile_data(*, names: list[ParsedName], date_of_birth: dt.date | None,
                       addresses: list[tuple[str, str]]) -> dict[str, Any]:
    postcodes = sorted({pc for address, postcode in addresses
                        if (pc := postcode_in(postcode) or postcode_in(address))})
    lines = [list(line) for address, _ in addresses if (line := address_line_tokens(address))]
    return {
        "names": [n.to_json() for n in names],
        "dob": date_of_birth.isoformat() if date_of_birth else None,
        "postcodes": postcodes,
        "addresses": lines,
    }


def candidate_from_profile(key: Any, profile: dict[str, Any]) -> Candidate:
    dob = profile.get("dob")
    return Candidate(
        key=key,
        names=tuple(ParsedName.from_json(n) for n in profile.get("names", ())),
        date_of_birth=dt.date.fromisoformat(dob) if dob else None,
        postcodes=frozenset(profile.get("postcodes", ())),
        addresses=tuple(tuple(line) for line in profile.get("addresses", ())),
    )
