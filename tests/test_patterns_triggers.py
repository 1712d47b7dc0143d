"""Police escalation triggers (Operation Ford) suggested on a case's assessment."""

from __future__ import annotations

import pytest
from django.test import override_settings

from safety_workflow.conf import app_settings
from safety_workflow.selectors.patterns import police_trigger_suggestions

from .histories import add_incident, five_councillors, one_off, open_case, slow_burn

pytestmark = pytest.mark.django_db


def test_slow_burn_case_suggests_threatening_language_and_repeated_contact(people, decision_table):
    history = slow_burn(people)
    suggestions = {s["trigger"]: s for s in police_trigger_suggestions(history.cases[1])}
    assert set(suggestions) == {"threatening_language", "repeated_contact"}

    threat = suggestions["threatening_language"]
    assert threat["question"] == "threatening_language" and threat["suggested_answer"] is True
    assert threat["question_text"] == "Was threatening or excessively abusive language used?"
    assert threat["explanation"].startswith(
        'Possible threatening or abusive language: SW-2026-0003-03 (1 April 2026) records "i know where you live".')
    assert [(i["reference"], i["in_this_case"]) for i in threat["incidents"]] == [("SW-2026-0003-03", True)]

    repeated = suggestions["repeated_contact"]
    assert repeated["question_text"] == "Is this repeated unwanted contact by the same person?"
    # The course of conduct spans the closed first case too.
    assert [i["in_this_case"] for i in repeated["incidents"]][:3] == [False, False, True]
    assert repeated["explanation"].startswith("Gary Pike has 7 incidents against Cllr Ahmed")


def test_hate_and_repeated_contact_for_the_subject_writing_to_five_councillors(people, decision_table):
    history = five_councillors(people)
    suggestions = {s["trigger"]: s for s in police_trigger_suggestions(history.cases[0])}
    assert set(suggestions) == {"hate_based", "repeated_contact"}
    assert suggestions["hate_based"]["explanation"].startswith(
        "SW-2026-0005-03 (6 May 2026) was recorded as hostile to race or ethnicity.")
    assert suggestions["repeated_contact"]["explanation"].startswith(
        "Derek Mallory has 2 incidents against Cllr Ahmed (SW-2026-0005-01 and SW-2026-0005-06).")


def test_one_off_angry_email_suggests_nothing(people, decision_table):
    assert police_trigger_suggestions(one_off(people).cases[0]) == []


def test_a_case_without_a_subject_looks_only_at_its_own_incidents(people, decision_table):
    case = open_case(subject=None, reference="SW-2026-0020")
    add_incident(case, councillor=people.councillor, occurred="2026-06-01", channel="phone",
                 account="Caller said they would burn the house down.")
    add_incident(case, councillor=people.councillor, occurred="2026-06-02", channel="phone")
    other = open_case(subject=None, reference="SW-2026-0021")
    add_incident(other, councillor=people.councillor, occurred="2026-06-03", channel="phone")
    suggestions = {s["trigger"]: s for s in police_trigger_suggestions(case)}
    assert set(suggestions) == {"threatening_language", "repeated_contact"}
    assert suggestions["repeated_contact"]["explanation"].startswith(
        "The unidentified subject has 2 incidents against Cllr Ahmed")


def test_the_council_chooses_its_own_phrases(people, decision_table):
    history = slow_burn(people)
    with override_settings(SAFETY_WORKFLOW={"POLICE_TRIGGER_PHRASES": ["liar"]}):
        assert app_settings.POLICE_TRIGGER_PHRASES == ["liar"]
        threat = police_trigger_suggestions(history.cases[0])[0]
    assert threat["trigger"] == "threatening_language" and '"liar"' in threat["explanation"]


def test_suggestions_cost_the_same_however_long_the_history(people, decision_table, django_assert_max_num_queries):
    history = slow_burn(people)
    case = history.cases[1]
    with django_assert_max_num_queries(5) as few:  # one of them reads the text of the evidence
        police_trigger_suggestions(case)
    for day in range(1, 28):
        add_incident(case, councillor=people.councillor, occurred=f"2026-07-{day:02d}", channel="email",
                     words_used="watch your back")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(police_trigger_suggestions(case)) == 2


def test_assess_task_context_gathers_triggers_flags_and_signals(people, decision_table,
                                                                 django_assert_max_num_queries):
    from safety_workflow.selectors.patterns import assess_context
    from safety_workflow.services.patterns import conduct_flags_update

    history = slow_burn(people)
    conduct_flags_update(subject=history.subject, actor=None)
    with django_assert_max_num_queries(6):  # one of them reads the text of the evidence
        context = assess_context(None, history.cases[1])
    assert [t["trigger"] for t in context["police_trigger_suggestions"]] == ["threatening_language",
                                                                            "repeated_contact"]
    [flag] = context["course_of_conduct_flags"]
    assert flag["protected_person"]["name"] == "Cllr Ahmed" and flag["reason"].startswith("Gary Pike has 7 logged")
    assert [s["kind"] for s in context["escalation_signals"]] == ["moved_in_person", "severity_rising",
                                                                  "frequency_rising"]
    assert context["escalation_signals"][0]["incidents"][-1]["reference"] == "SW-2026-0003-05"
    quiet = assess_context(None, one_off(people).cases[0])
    assert quiet == {"police_trigger_suggestions": [], "course_of_conduct_flags": [], "escalation_signals": []}
