"""The check's matching, through HTTP, over a written list of name variations and namesakes.

Each register entry gets its own office as a mitigation, so a "match" shows which entry it was.
"""

from __future__ import annotations

import datetime as dt

import pytest

from safety_workflow import matching

from .register_helpers import check, direct_entry

REGISTER = [
    # (office label, name, date of birth, aliases, postcode)
    ("obrien", "Jonathan Michael O'Brien", dt.date(1985, 3, 14), ("Jon Bryan",), ""),
    ("alvarez", "José Álvarez-García", dt.date(1990, 7, 21), (), ""),
    ("khan", "Muhammad Khan", dt.date(1979, 11, 2), (), ""),
    ("mcdonald", "Catherine McDonald", dt.date(1968, 2, 28), (), ""),
    ("walsh", "Stephen Walsh", dt.date(1975, 9, 9), (), ""),
    ("murphy", "Sean Murphy", dt.date(1988, 12, 1), (), ""),
    ("smithjones", "Mary-Jane Smith-Jones", dt.date(1992, 4, 15), (), ""),
    ("taylor", "Robert Taylor", dt.date(1960, 6, 6), ("Bobby Knox",), ""),
    ("smith1970", "John Smith", dt.date(1970, 1, 1), (), ""),
    ("smith1990", "John Smith", dt.date(1990, 5, 5), (), ""),
    ("jones-hd", "David Jones", dt.date(1980, 1, 1), (), "HD1 1AA"),
    ("jones-ls", "David Jones", None, (), "LS6 2BB"),
    ("vanderberg", "Ludwig van der Berg", dt.date(1955, 10, 10), (), ""),
]

# (name typed, date of birth typed, postcode typed, expected result, expected entry for a match)
VARIATIONS = [
    # Case, punctuation, apostrophes, titles, order, middle names, variants, aliases.
    ("Jonathan O'Brien", "1985-03-14", "", "match", "obrien"),
    ("JONATHAN O'BRIEN", "1985-03-14", "", "match", "obrien"),
    ("jonathan obrien", "1985-03-14", "", "match", "obrien"),
    ("Jonathan O Brien", "1985-03-14", "", "match", "obrien"),
    ("Jonathan O\u2019Brien", "1985-03-14", "", "match", "obrien"),
    ("Dr. Jonathan O'Brien", "1985-03-14", "", "match", "obrien"),
    ("O'BRIEN, Jonathan", "1985-03-14", "", "match", "obrien"),
    ("Jonathan Michael O'Brien", "1985-03-14", "", "match", "obrien"),
    ("Michael O'Brien", "1985-03-14", "", "match", "obrien"),
    ("Jon O'Brien", "1985-03-14", "", "match", "obrien"),
    ("John O'Brien", "1985-03-14", "", "match", "obrien"),
    ("Jonathon O'Brien", "1985-03-14", "", "match", "obrien"),
    ("Jon Bryan", "1985-03-14", "", "match", "obrien"),
    # Initials and names more than one slip apart find the entry but do not confirm it; one slip in
    # one name, with the date of birth agreeing, is still this person.
    ("J. O'Brien", "1985-03-14", "", "possible_match", None),
    ("J O'Brien", "", "", "possible_match", None),
    ("Jonathan O'Brian", "1985-03-14", "", "match", "obrien"),
    ("Jonothan O'Brain", "1985-03-14", "", "possible_match", None),  # a slip in each name
    # Accents and hyphens.
    ("Jose Alvarez-Garcia", "1990-07-21", "", "match", "alvarez"),
    ("JOSE ALVAREZ GARCIA", "1990-07-21", "", "match", "alvarez"),
    ("José García", "1990-07-21", "", "match", "alvarez"),
    ("Jose Alvarez", "1990-07-21", "", "match", "alvarez"),
    ("jose alvarezgarcia", "1990-07-21", "", "match", "alvarez"),
    ("Álvarez García, José", "1990-07-21", "", "match", "alvarez"),
    ("Mary-Jane Smith-Jones", "1992-04-15", "", "match", "smithjones"),
    ("Mary Jane Smith Jones", "1992-04-15", "", "match", "smithjones"),
    ("Mary Smith-Jones", "1992-04-15", "", "match", "smithjones"),
    ("Mary-Jane Jones", "1992-04-15", "", "match", "smithjones"),
    ("Maryjane Smithjones", "1992-04-15", "", "match", "smithjones"),
    ("Ludwig Van Der Berg", "1955-10-10", "", "match", "vanderberg"),
    ("Ludwig Vanderberg", "1955-10-10", "", "match", "vanderberg"),
    ("Ludwig Berg", "1955-10-10", "", "match", "vanderberg"),
    # Common spelling variants of forenames.
    ("Mohammed Khan", "1979-11-02", "", "match", "khan"),
    ("Mohamed Khan", "1979-11-02", "", "match", "khan"),
    ("MOHAMMAD KHAN", "1979-11-02", "", "match", "khan"),
    ("Md Khan", "1979-11-02", "", "match", "khan"),
    ("Katherine McDonald", "1968-02-28", "", "match", "mcdonald"),
    ("Kathryn MacDonald", "1968-02-28", "", "match", "mcdonald"),
    ("Cathy Mc Donald", "1968-02-28", "", "match", "mcdonald"),
    ("Kate Mcdonald", "1968-02-28", "", "match", "mcdonald"),
    ("Steven Walsh", "1975-09-09", "", "match", "walsh"),
    ("Steve Walsh", "1975-09-09", "", "match", "walsh"),
    ("Shaun Murphy", "1988-12-01", "", "match", "murphy"),
    ("Shawn Murphy", "1988-12-01", "", "match", "murphy"),
    ("Bobby Knox", "1960-06-06", "", "match", "taylor"),
    ("Robert Knox", "1960-06-06", "", "match", "taylor"),
    ("Bob Taylor", "1960-06-06", "", "match", "taylor"),
    # Day and month swapped: worth a call, not a clearance.
    ("Mohammed Khan", "1979-02-11", "", "possible_match", None),
    # No date of birth: the name alone is never a match.
    ("Mohammed Khan", "", "", "possible_match", None),
    # Namesakes told apart by date of birth, and never mixed up.
    ("John Smith", "1970-01-01", "", "match", "smith1970"),
    ("John Smith", "1990-05-05", "", "match", "smith1990"),
    ("Jon Smith", "1990-05-05", "", "match", "smith1990"),
    ("John Smith", "1985-06-15", "", "no_match", None),
    ("John Smith", "", "", "possible_match", None),
    ("Mohammed Khan", "1980-01-01", "", "no_match", None),
    ("Jonathan O'Brien", "1968-09-30", "", "no_match", None),
    # A date of birth one digit off is worth a call, never a match.
    ("Jonathan O'Brien", "1986-03-14", "", "possible_match", None),
    # Namesakes told apart by postcode when there is no date of birth.
    ("David Jones", "1980-01-01", "", "match", "jones-hd"),
    ("David Jones", "", "HD1 1AA", "match", "jones-hd"),
    ("David Jones", "", "LS6 2BB", "match", "jones-ls"),
    ("David Jones", "1962-08-23", "HD1 1AA", "no_match", None),
    ("David Jones", "1985-01-01", "HD1 1AA", "possible_match", None),  # one digit off, same postcode
    ("David Jones", "1985-01-01", "", "possible_match", None),  # the LS6 entry has no date of birth
    # Different people whose names sound alike.
    ("Jane Smith", "1970-01-01", "", "no_match", None),
    ("Joan O'Brien", "1985-03-14", "", "no_match", None),
    ("Sean O'Brien", "1985-03-14", "", "no_match", None),
    ("Caroline McDonald", "1968-02-28", "", "no_match", None),
    ("Stephanie Walsh", "1975-09-09", "", "no_match", None),
    ("Jonathan Obi", "1985-03-14", "", "no_match", None),
]


@pytest.mark.django_db
def test_name_variations_and_namesakes(people, client_for, settings):
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "REGISTER_CHECKS_PER_HOUR": 10_000}
    for office, name, dob, aliases, postcode in REGISTER:
        direct_entry(people, name=name, date_of_birth=dob, aliases=aliases, postcode=postcode, office=office)
    frontline = client_for(people.frontline)
    wrong = []
    for name, dob, postcode, expected, entry in VARIATIONS:
        extra = {k: v for k, v in {"date_of_birth": dob, "postcode": postcode}.items() if v}
        body = check(frontline, name, **extra).json()
        offices = [m["detail"] for m in body.get("mitigations", []) if m["kind"] == "named_office"]
        got = (body.get("result"), offices[0] if offices else None)
        if got != (expected, entry):
            wrong.append(f"{name!r} dob={dob!r} postcode={postcode!r}: expected {(expected, entry)}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_parse_name_handles_order_titles_particles_and_hyphens():
    assert matching.parse_name("O'BRIEN, Dr Jonathan").given == ("jonathan",)
    assert matching.parse_name("Mr John Smith Jnr") == matching.parse_name("john smith")
    name = matching.parse_name("Mary-Jane Smith-Jones")
    assert name.given == ("mary", "jane", "maryjane")
    assert name.surnames == {"smith", "jones", "smithjones"}
    assert matching.parse_name("Sean O Brien").surnames == {"obrien", "brien"}
    assert matching.parse_name("Ludwig van der Berg").surnames == {"vanderberg", "berg"}
    assert matching.parse_name("Kathryn MacDonald").surnames == {"mcdonald"}
    with pytest.raises(matching.NameTooShort):
        matching.parse_query_name("Smith")


@pytest.mark.parametrize("a, b", [("smith", "smyth"), ("thompson", "thomson"), ("phillips", "philips"),
                                  ("obrien", "obrian"), ("mohammed", "muhammad"), ("blackwell", "blackwekl")])
def test_surnames_spelled_alike_agree(a, b):
    assert matching.surname_relation(frozenset({a}), frozenset({b})) >= matching.Agreement.CLOSE


@pytest.mark.parametrize("a, b, level", [
    ("catherine", "kathryn", "VARIANT"), ("stephen", "steven", "VARIANT"), ("geoffrey", "jeffrey", "VARIANT"),
    ("robert", "bob", "VARIANT"), ("william", "bill", "VARIANT"), ("jonathan", "nathan", "VARIANT"),
    ("mohammed", "md", "VARIANT"), ("dafydd", "david", "VARIANT"),
    ("toby", "tobt", "SLIP"), ("neville", "nevlile", "SLIP"), ("neville", "nevolvle", "FAIR"),
    ("jon", "joan", "FAIR"), ("toby", "tony", "FAIR"), ("j", "jane", "INITIAL"),
])
def test_forename_levels(a, b, level):
    assert matching.forename_relation(a, b) == matching.Agreement[level]


@pytest.mark.parametrize("a, b", [("john", "jane"), ("sean", "jonathan"), ("stephen", "stephanie"),
                                  ("catherine", "caroline"), ("john", "nathan"), ("robert", "william"),
                                  ("ian", "john"), ("gary", "gareth")])
def test_known_forenames_that_are_not_variants_do_not_match(a, b):
    assert matching.forename_relation(a, b) == matching.Agreement.NONE


def test_two_sets_of_forenames_that_each_have_a_name_the_other_lacks_are_only_fair():
    john_paul, john_peter = matching.parse_name("John Paul Smith"), matching.parse_name("John Peter Smith")
    assert matching.compare_names(john_paul, john_peter).grade == matching.NameGrade.SIMILAR
    # A name given with or without its middle name is the same person.
    assert matching.compare_names(matching.parse_name("John Smith"), john_peter).grade == matching.NameGrade.SAME
    assert matching.compare_names(matching.parse_name("Peter Smith"), john_peter).grade == matching.NameGrade.SAME


def test_councils_can_add_variant_groups(settings):
    assert matching.forename_relation("dafydd", "taff") == matching.Agreement.NONE
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "REGISTER_NAME_VARIANTS": [["dafydd", "taff"]]}
    assert matching.forename_relation("dafydd", "taff") == matching.Agreement.VARIANT


@pytest.mark.parametrize("typed, level", [
    ("1979-11-02", matching.DOB_EXACT), ("1979-02-11", matching.DOB_SWAPPED), ("1979-11-03", matching.DOB_ONE_DIGIT),
    ("1997-11-02", matching.DOB_ONE_DIGIT), ("1979-12-01", matching.DOB_TWO_DIGITS),
    ("1979-06-21", matching.DOB_SAME_YEAR), ("1989-12-02", matching.DOB_DIFFERS),
    ("1970-01-01", matching.DOB_DIFFERS),
])
def test_date_of_birth_levels(typed, level):
    assert matching.dob_relation(dt.date.fromisoformat(typed), dt.date(1979, 11, 2)) == level
    assert matching.dob_relation(None, dt.date(1979, 11, 2)) == matching.DOB_UNKNOWN


def test_clean_text_removes_what_pasting_adds():
    assert matching.clean_text("\ufeff\u200fＪｏｈｎ\u00a0O\u2019\u200bBrien\u00ad\u202c ") == "John O\u2019Brien"
    assert matching.parse_name("Jose\u0301 A\u0301lvarez") == matching.parse_name("José Álvarez")


def test_any_single_slip_shares_a_blocking_key_without_a_date_of_birth():
    stored = matching.entry_keys(names=[matching.parse_name("Neville Blackwell")], date_of_birth=None)
    for typed in ("Nevilke Blackwell", "Nevlile Blackwell", "Nevile Blackwell", "Nevillle Blackwell",
                  "Neville Blackwekl", "Neville Blckwell", "Neville Blackwelll", "Neville Lbackwell", "Bob Blackwell"):
        query = matching.check_query(name=typed)
        shared = stored & matching.query_keys(query)
        assert shared or typed.startswith("Bob"), typed
    assert not stored & matching.query_keys(matching.check_query(name="Bob Blackwell"))


def test_two_entries_that_both_match_are_a_possible_match_never_a_match():
    name = matching.parse_query_name("John Smith")
    stored = matching.Candidate(key=1, names=(name,), date_of_birth=dt.date(1970, 1, 1))
    query = matching.CheckQuery(name=name, date_of_birth=dt.date(1970, 1, 1))
    assert matching.check_decide(query, [stored]).result == matching.MATCH
    # Two entries that both match: the register cannot tell which, so neither's mitigations are given.
    twin = matching.Candidate(key=2, names=(name,), date_of_birth=dt.date(1970, 1, 1))
    decision = matching.check_decide(query, [stored, twin])
    assert decision.result == matching.POSSIBLE_MATCH and decision.matched is None
    assert dict(decision.hits) == {1: matching.MATCH, 2: matching.MATCH}
