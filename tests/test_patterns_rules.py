"""The pattern rules on plain records (no database): what they find, and the words they say it in."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from safety_workflow import patterns
from safety_workflow.patterns import IncidentRecord

LONDON = ZoneInfo("Europe/London")


NAMES = {1: "Cllr Ahmed", 2: "Cllr Byrne", 3: "Cllr Chen", 4: "Cllr Davies", 5: "Cllr Evans", 6: "Jo Ahmed",
         7: "Sam Reed", 8: "Priya Shah"}
KINDS = {6: "household", 7: "staff", 8: "candidate"}


def rec(ref: str, day: str, channel: str = "email", *, cllr: int = 1, level: str = "", words: str = "",
        hate: tuple = (), case: str = "C1") -> IncidentRecord:
    return IncidentRecord(
        id=ref, reference=ref, occurred_at=dt.datetime.fromisoformat(day).replace(hour=10, tzinfo=LONDON),
        person_id=cllr, person_name=NAMES[cllr], person_kind=KINDS.get(cllr, "councillor"),
        channel=channel, level=level, case_id=case, case_reference=case, words_used=words,
        hate_element=bool(hate), hate_categories=hate,
    )


SLOW_BURN = [
    rec("A-01", "2026-01-05", "email", level="low"),
    rec("A-02", "2026-02-09", "social_media", level="low"),
    rec("B-01", "2026-03-02", "social_media", level="medium"),
    rec("B-02", "2026-03-20", "email", level="medium"),
    rec("B-03", "2026-04-01", "email", level="serious", words="I know where you live and I'll be round."),
    rec("B-04", "2026-04-06", "surgery", level="serious"),
    rec("B-05", "2026-04-09", "surgery"),
]


def kinds(signals):
    return [s.kind for s in signals]


def test_course_of_conduct_needs_two_occasions_against_the_same_councillor():
    one = patterns.course_of_conduct([rec("X-01", "2026-02-14", cllr=2)], subject_name="Angela Crisp")
    assert len(one) == 1 and not one[0].reaches_threshold
    assert one[0].explanation == (
        "Angela Crisp has 1 logged incident against Cllr Byrne: X-01 (14 February 2026, by e-mail). "
        "A course of conduct under the Protection from Harassment Act 1997 needs at least two occasions."
    )

    groups = patterns.course_of_conduct(SLOW_BURN[:2], subject_name="Gary Pike")
    assert [g.count for g in groups] == [2] and groups[0].reaches_threshold
    assert groups[0].explanation == (
        "Gary Pike has 2 logged incidents against Cllr Ahmed, from 5 January 2026 to 9 February 2026: "
        "A-01 (5 January 2026, by e-mail) and A-02 (9 February 2026, on social media). Conduct on two or "
        "more occasions against the same person can amount to a course of conduct under the Protection "
        "from Harassment Act 1997."
    )


def test_course_of_conduct_is_per_councillor_and_names_the_unidentified():
    records = [rec("M-01", "2026-05-04", cllr=1), rec("M-02", "2026-05-05", cllr=2), rec("M-03", "2026-05-15", "phone")]
    groups = patterns.course_of_conduct(records)
    assert [(g.person_name, g.count, g.reaches_threshold) for g in groups] == [
        ("Cllr Ahmed", 2, True), ("Cllr Byrne", 1, False)]
    assert groups[0].explanation.startswith("The unidentified subject has 2 logged incidents against Cllr Ahmed")


def test_slow_burn_harasser_shows_every_escalation_with_its_incidents():
    signals = {s.kind: s for s in patterns.escalation_signals(SLOW_BURN, subject_name="Gary Pike")}
    assert set(signals) == {"moved_in_person", "severity_rising", "frequency_rising"}

    moved = signals["moved_in_person"]
    assert moved.explanation == (
        "Contact has moved from online to in person: after 5 incidents by e-mail and on social media from "
        "5 January 2026, Gary Pike came to Cllr Ahmed's surgery on 6 April 2026 (B-04), and has been met in "
        "person 1 more time since: B-05 (9 April 2026, at a surgery)."
    )
    assert [r.reference for r in moved.incidents] == ["A-01", "A-02", "B-01", "B-02", "B-03", "B-04", "B-05"]

    severity = signals["severity_rising"]
    assert severity.key == "severity_rising:serious"
    assert severity.explanation == (
        "The assessed level has risen from low to serious: A-01 (5 January 2026) was assessed low, "
        "B-01 (2 March 2026) medium and B-03 (1 April 2026) serious."
    )
    assert [r.reference for r in severity.incidents] == ["A-01", "B-01", "B-03"]

    # Gaps 35, 21, 18 days, then 12, 5, 3: the last four came about a week apart.
    frequency = signals["frequency_rising"]
    assert frequency.explanation == (
        "Incidents are coming closer together: the last 4 incidents, B-02 (20 March 2026), B-03 (1 April 2026), "
        "B-04 (6 April 2026) and B-05 (9 April 2026), came on average 7 days apart, against 25 days apart "
        "for the 4 incidents up to 20 March 2026."
    )
    assert [r.reference for r in frequency.incidents] == ["B-02", "B-03", "B-04", "B-05"]


def test_a_visit_home_after_online_contact_is_the_strongest_signal():
    records = [*SLOW_BURN[:3], rec("B-02", "2026-03-25", "at_home")]
    signals = patterns.escalation_signals(records, subject_name="Gary Pike")
    assert kinds(signals)[:2] == ["reached_home", "moved_in_person"]
    assert signals[0].explanation == (
        "Gary Pike came to Cllr Ahmed's home on 25 March 2026 (B-02), after 3 earlier incidents (by e-mail and "
        "on social media) from 5 January 2026. Contact at someone's home is the strongest sign of escalation."
    )


def test_no_escalation_without_a_change():
    # Steady monthly e-mails at one level, one councillor; a first incident at home is not a "move".
    steady = [rec(f"S-{n:02d}", f"2026-{n:02d}-03", level="low") for n in range(1, 8)]
    assert patterns.escalation_signals(steady) == []
    assert patterns.escalation_signals([rec("H-01", "2026-03-01", "at_home", level="serious")]) == []
    # Falling levels are not rising severity.
    falling = [rec("F-01", "2026-01-01", level="serious"), rec("F-02", "2026-02-01", level="low")]
    assert patterns.escalation_signals(falling) == []


def test_frequency_needs_enough_incidents_and_a_real_change():
    three = [rec("Q-01", "2026-01-01"), rec("Q-02", "2026-03-01"), rec("Q-03", "2026-03-02")]
    assert patterns.frequency_signal(three) is None
    bursts = [rec("Q-01", "2026-01-01"), rec("Q-02", "2026-02-01"), rec("Q-03", "2026-02-20"),
              rec("Q-04", "2026-03-10")]
    assert patterns.frequency_signal(bursts) is None  # 31 days, then 19 and 18: not half
    assert patterns.frequency_signal(bursts, ratio=0.7) is not None


def test_five_councillors_signal_lists_each_with_dates():
    records = [
        rec("M-01", "2026-05-04", cllr=1), rec("M-02", "2026-05-05", cllr=2), rec("M-03", "2026-05-06", cllr=3),
        rec("M-04", "2026-05-11", "social_media", cllr=4), rec("M-05", "2026-05-12", "letter", cllr=5),
        rec("M-06", "2026-05-15", "phone", cllr=1),
    ]
    signal = patterns.people_signal(records, subject_name="Derek Mallory")
    assert signal.key == "several_people:5"
    assert signal.explanation == (
        "Derek Mallory has incidents against 5 councillors: Cllr Ahmed (2 incidents from 4 May 2026: M-01 and "
        "M-06), Cllr Byrne (M-02, 5 May 2026), Cllr Chen (M-03, 6 May 2026), Cllr Davies (M-04, 11 May 2026) "
        "and Cllr Evans (M-05, 12 May 2026)."
    )
    assert len(signal.incidents) == 6
    # The key moves only when the number of councillors passes a band: told again at 5, not at 4.
    assert patterns.people_signal(records[:4]).key == "several_people:3"
    assert patterns.people_signal(records[:2]).key == "several_people:2"
    assert patterns.people_signal(records[:2], threshold=3) is None


def test_several_people_of_different_kinds_are_one_signal_naming_each_kind():
    """A councillor, their partner, a member of staff and a candidate: four people, counted across kinds."""
    records = [rec("P-01", "2026-05-04", cllr=1), rec("P-02", "2026-05-05", "at_home", cllr=6),
               rec("P-03", "2026-05-06", "in_person", cllr=7), rec("P-04", "2026-05-07", cllr=8),
               rec("P-05", "2026-05-08", cllr=6)]
    signal = patterns.people_signal(records, subject_name="Derek Mallory")
    assert signal.key == "several_people:3"
    assert signal.explanation == (
        "Derek Mallory has incidents against 4 people (candidates, councillors, household members and members "
        "of staff): Cllr Ahmed, councillor (P-01, 4 May 2026), Jo Ahmed, household member (2 incidents from "
        "5 May 2026: P-02 and P-05), Sam Reed, member of staff (P-03, 6 May 2026) and Priya Shah, candidate "
        "(P-04, 7 May 2026)."
    )
    groups = patterns.course_of_conduct(records, subject_name="Derek Mallory")
    assert [(g.person_name, g.count, g.reaches_threshold) for g in groups][0] == ("Jo Ahmed", 2, True)


def test_police_triggers_threat_repeated_contact_and_hate():
    triggers = {t.trigger: t for t in patterns.police_triggers(SLOW_BURN, subject_name="Gary Pike")}
    assert set(triggers) == {"threatening_language", "repeated_contact"}
    assert triggers["threatening_language"].question == "threatening_language"
    assert triggers["threatening_language"].explanation.startswith(
        'Possible threatening or abusive language: B-03 (1 April 2026) records "i know where you live". '
        "Operation Ford treats excessive abuse or threatening language as a reason to involve the police."
    )
    assert triggers["repeated_contact"].explanation.startswith(
        "Gary Pike has 7 incidents against Cllr Ahmed (A-01, A-02, B-01, B-02, B-03, B-04 and B-05).")

    hate = patterns.police_triggers([rec("M-03", "2026-05-06", hate=("race",), cllr=3)], subject_name="Derek Mallory")
    assert [t.trigger for t in hate] == ["hate_based"]
    assert hate[0].explanation.startswith("M-03 (6 May 2026) was recorded as hostile to race or ethnicity.")


def test_threat_phrases_match_whole_words_only_and_are_configurable():
    skill = rec("W-01", "2026-01-01", words="What a skilled killjoy you are, bombastic as ever.")
    assert patterns.police_triggers([skill]) == []
    assert patterns.threatening_phrases(rec("W-02", "2026-01-01", words="You'll REGRET this."),
                                        patterns.DEFAULT_THREAT_PHRASES) == ["you'll regret"]
    assert patterns.police_triggers([skill], threat_phrases=["killjoy"])[0].trigger == "threatening_language"


def test_wording_helpers():
    assert patterns.join_words(["a"]) == "a"
    assert patterns.join_words(["a", "b", "c"]) == "a, b and c"
    assert patterns.days_in_words(0.2) == "less than a day"
    assert patterns.days_in_words(1.2) == "1 day"
    assert patterns.format_date(dt.date(2026, 3, 1)) == "1 March 2026"
