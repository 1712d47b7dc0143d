"""POST register/check/ finds the person however their name was typed, and still tells namesakes apart.

Each entry gets its own office as a mitigation, so a "match" shows which entry it was.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from safety_workflow.models import AccessLogEntry

from .register_helpers import check, direct_entry

pytestmark = pytest.mark.django_db

NEVILLE = dt.date(1971, 5, 2)
TOBY = dt.date(1988, 11, 23)
ELUNED = dt.date(1990, 3, 4)


@pytest.fixture
def register(people, settings):
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "REGISTER_CHECKS_PER_HOUR": 10_000,
                                "REGISTER_ADVICE_CONTACT": {"name": "Register desk", "phone": "01484 111111"}}
    direct_entry(people, name="Neville Blackwell", date_of_birth=NEVILLE, office="blackwell")
    direct_entry(people, name="Toby Smith", date_of_birth=TOBY, office="smith")
    direct_entry(people, name="Eluned Prys-Roberts", date_of_birth=ELUNED, postcode="SA1 1AA", office="prys")
    direct_entry(people, name="Robert Knox", date_of_birth=None, postcode="HD1 2AB", office="knox")


def answer(client, name, **extra):
    body = check(client, name, **extra).json()
    offices = [m["detail"] for m in body.get("mitigations", []) if m["kind"] == "named_office"]
    return body["result"], offices[0] if offices else None


SLIPS = [
    # (what was typed, date of birth typed, expected answer, the entry for a match)
    # One slip in one name, with the date of birth: still this person.
    ("Nevilke Blackwell", NEVILLE, "match", "blackwell"),      # a neighbouring key
    ("Nevlile Blackwell", NEVILLE, "match", "blackwell"),      # two letters swapped
    ("Nevile Blackwell", NEVILLE, "match", "blackwell"),       # a letter dropped
    ("Nevillle Blackwell", NEVILLE, "match", "blackwell"),     # a letter doubled
    ("Nevillre Blackwell", NEVILLE, "match", "blackwell"),     # a letter added
    ("Neville Blackwekl", NEVILLE, "match", "blackwell"),      # the issue's own example
    ("Neville Blakcwell", NEVILLE, "match", "blackwell"),
    ("Tobt Smith", TOBY, "match", "smith"),                    # a slip in a four-letter name
    ("Toby Smyth", TOBY, "match", "smith"),                    # a sound-alike spelling
    ("Eluned Prys Roberts", ELUNED, "match", "prys"),
    ("Eluned Roberts", ELUNED, "match", "prys"),
    ("BLACKWELL Neville", NEVILLE, "match", "blackwell"),      # surname first, no comma
    ("BLACKWELL, Neville", NEVILLE, "match", "blackwell"),
    ("Mr Neville Blackwell Jnr", NEVILLE, "match", "blackwell"),
    # More than one slip, or an unsure date: worth a call, never a match.
    ("Nevolvle Blackwell", NEVILLE, "possible_match", None),   # two slips in the forename
    ("Nevile Blackwekl", NEVILLE, "possible_match", None),     # a slip in each name
    ("Neville Blackwell", dt.date(1971, 5, 3), "possible_match", None),   # one digit off
    ("Neville Blackwell", dt.date(1917, 5, 2), "possible_match", None),   # two digits swapped
    ("Neville Blackwell", dt.date(1971, 2, 5), "possible_match", None),   # day and month swapped
    ("Neville Blackwell", dt.date(1971, 8, 9), "possible_match", None),   # two digits of day and month
    ("Neville Blackwell", None, "possible_match", None),       # no date of birth
    ("Nevilke Blackwell", None, "possible_match", None),       # a slip and no date of birth
    ("Tobt Smith", dt.date(1988, 11, 24), "possible_match", None),  # a slip and a digit
    ("BLACKWELL Nevilke", NEVILLE, "no_match", None),          # another order and a slip: too far
    # Namesakes and other people stay apart.
    ("Neville Blackwell", dt.date(1971, 9, 30), "no_match", None),  # only the year agrees
    ("Neville Blackwell", dt.date(1959, 12, 8), "no_match", None),
    ("Toby Smith", dt.date(1960, 1, 1), "no_match", None),
    ("Tony Smith", TOBY, "possible_match", None),              # another known name, one letter apart
    ("Tom Smith", TOBY, "no_match", None),
    ("Nicola Blackwell", NEVILLE, "no_match", None),
    ("Neville Blackburn", NEVILLE, "no_match", None),          # another surname, however alike it starts
    ("Neville Blakwel", NEVILLE, "possible_match", None),      # two slips in the surname (Jaro-Winkler 0.94)
    ("Neville Black", NEVILLE, "possible_match", None),        # a surname cut short, the same birthday
    ("Neville Black", None, "no_match", None),
]


@pytest.mark.parametrize("name, dob, expected, office", SLIPS)
def test_each_kind_of_slip(people, client_for, register, name, dob, expected, office):
    extra = {"date_of_birth": dob.isoformat()} if dob else {}
    assert answer(client_for(people.frontline), name, **extra) == (expected, office)


def test_a_nickname_is_the_person_and_a_nickname_of_their_nickname_is_not(people, client_for, register):
    frontline = client_for(people.frontline)
    assert answer(frontline, "Bob Knox", postcode="HD1 2AB") == ("match", "knox")
    assert answer(frontline, "Bobby Knox", postcode="HD1 2AB") == ("match", "knox")
    assert answer(frontline, "Rob Knox") == ("possible_match", None)


PASTED = [
    "Neville\u200b Blackwell",                 # zero-width space
    "Neville\u00a0Blackwell",                  # non-breaking space
    "\u200fNeville Blackwell\u200f",           # right-to-left marks
    "\u202bNeville Blackwell\u202c",           # an embedding
    "\u2067Neville Blackwell\u2069",           # an isolate
    "\ufeffNeville Blackwell",                 # a byte-order mark
    "Nev\u00adille Blackwell",                 # a soft hyphen
    "Ｎｅｖｉｌｌｅ　Ｂｌａｃｋｗｅｌｌ",       # full-width letters and space
    "Nevi\u0301lle Blackwell",                 # a combining accent
    "  Neville\t\nBlackwell  ",
]


@pytest.mark.parametrize("name", PASTED)
def test_pasted_invisible_characters_and_odd_letters(people, client_for, register, name):
    assert answer(client_for(people.frontline), name, date_of_birth=NEVILLE.isoformat()) == ("match", "blackwell")


def test_pasted_postcode_and_what_is_logged(people, client_for, register):
    frontline = client_for(people.frontline)
    assert answer(frontline, "Robert\u00a0Knox", postcode="HD1\u00a02AB\u200b") == ("match", "knox")
    assert answer(frontline, "Robert Knox", postcode="ＨＤ１ ２ＡＢ") == ("match", "knox")
    log = AccessLogEntry.objects.filter(action="check").latest("at")
    # The log keeps what was typed, readable, and the evidence for each entry the check found.
    assert log.object_repr == "Robert Knox" and log.data["postcode"] == "HD1 2AB"
    assert log.data["evidence"] == [{
        "entry": log.object_id, "outcome": "match", "name": "same (surname exact, forename exact)",
        "date_of_birth": "unknown", "place": "agree",
    }]


def test_namesakes_with_another_date_of_birth_are_kept_apart(people, client_for, settings):
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "REGISTER_CHECKS_PER_HOUR": 10_000}
    direct_entry(people, name="John Smith", date_of_birth=dt.date(1970, 1, 1), office="older")
    direct_entry(people, name="John Smith", date_of_birth=dt.date(1992, 6, 30), office="younger")
    frontline = client_for(people.frontline)
    assert answer(frontline, "John Smith", date_of_birth="1970-01-01") == ("match", "older")
    assert answer(frontline, "Jon Smith", date_of_birth="1992-06-30") == ("match", "younger")
    assert answer(frontline, "Jonh Smith", date_of_birth="1992-06-30") == ("match", "younger")
    assert answer(frontline, "John Smith", date_of_birth="1981-04-17") == ("no_match", None)
    assert answer(frontline, "John Smyth", date_of_birth="1955-10-12") == ("no_match", None)
    # Without a date of birth the register cannot tell them apart, and says so without saying who.
    assert answer(frontline, "John Smith") == ("possible_match", None)


def test_an_entry_with_a_surname_only_is_not_everyone_with_that_surname(people, client_for, settings):
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "REGISTER_CHECKS_PER_HOUR": 10_000}
    direct_entry(people, name="Booth", date_of_birth=dt.date(1966, 4, 12), postcode="LS6 2BB", office="booth")
    direct_entry(people, name="Pickersgill", office="pickersgill")  # nothing but a surname
    frontline = client_for(people.frontline)
    for name in ("Gary Booth", "Alice Booth", "G Booth", "Mohammed Booth"):
        assert answer(frontline, name) == ("no_match", None)
        assert answer(frontline, name, date_of_birth="1980-01-01") == ("no_match", None)
    assert answer(frontline, "Gary Pickersgill") == ("no_match", None)
    assert answer(frontline, "Gary Pickersgill", date_of_birth="1966-04-12") == ("no_match", None)
    # The date of birth or the address is evidence about the person: worth a call, never a match.
    assert answer(frontline, "Gary Booth", date_of_birth="1966-04-12") == ("possible_match", None)
    assert answer(frontline, "Gary Boothe", date_of_birth="1966-04-12") == ("possible_match", None)
    assert answer(frontline, "Gary Booth", date_of_birth="1966-12-04") == ("possible_match", None)
    assert answer(frontline, "Gary Booth", postcode="LS6 2BB") == ("possible_match", None)
    assert answer(frontline, "Gary Boothe", postcode="LS6 2BB") == ("no_match", None)
    assert answer(frontline, "Gary Booth", date_of_birth="1966-04-12", postcode="HD1 1AA") == ("no_match", None)


def test_a_possible_match_from_a_slip_discloses_nothing_more(people, client_for, register):
    response = check(client_for(people.frontline), "Nevilke Blackwell")
    body = response.json()
    assert set(body) == {"result", "reference", "checked_at", "meeting_date", "advice", "contact", "mitigations"}
    assert body["result"] == "possible_match" and body["mitigations"] == []
    assert body["contact"] == {"name": "Register desk", "phone": "01484 111111", "email": ""}
    text = response.content.decode()
    for secret in ("Neville", "Blackwell", "blackwell", "1971", "H&S", "01484 000000", "REG"):
        assert secret not in text


def test_the_right_entry_is_scored_among_many_namesakes(people, client_for, settings):
    """More namesakes than a check scores (CHECK_CANDIDATE_LIMIT): the entries sharing most keys with the
    check come first, and the date of birth is one of them."""
    from safety_workflow.selectors.register import CHECK_CANDIDATE_LIMIT

    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "REGISTER_CHECKS_PER_HOUR": 1000}
    for n in range(CHECK_CANDIDATE_LIMIT + 10):
        direct_entry(people, name="John Smith", date_of_birth=dt.date(1950, 1, 1) + dt.timedelta(days=200 * n))
    # Its id sorts after every namesake's: where it ties with them on keys it would be the one left out.
    direct_entry(people, name="John Smith", date_of_birth=dt.date(1977, 7, 7), office="this one",
                 entry_id=uuid.UUID("ffffffff-ffff-4fff-bfff-ffffffffffff"))
    frontline = client_for(people.frontline)
    assert answer(frontline, "John Smith", date_of_birth="1977-07-07") == ("match", "this one")
    assert answer(frontline, "Jonh Smith", date_of_birth="1977-07-07") == ("match", "this one")
    assert answer(frontline, "John Smith", date_of_birth="1977-07-08") == ("possible_match", None)
    assert answer(frontline, "John Smith") == ("possible_match", None)
    assert answer(frontline, "John Smith", date_of_birth="1930-02-03") == ("no_match", None)
