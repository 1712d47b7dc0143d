"""Patterns inside the case workflow: link proposals at triage, flags and triggers for the assessor, flags on
the case file, and the register reviews report."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from safety_workflow.models import AccessLogEntry, CourseOfConductFlag, RegisterEntry, Subject

from .helpers import API, answers, complete, open_task, report
from .register_helpers import direct_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def c(people, client_for, decision_table, advice_templates, police_contact):
    return {name: client_for(getattr(people, name)) for name in vars(people)}


def test_second_incident_against_one_councillor_flags_the_case_and_tells_the_assessor(
        c, people, decision_table, django_capture_on_commit_callbacks):
    first = report(c["councillor"], occurred_at=(timezone.now() - dt.timedelta(days=20)).isoformat(),
                   subject_details={"name": "Gary Pike", "handles": [{"kind": "email", "value": "gpike@mail.example"}]})
    case_id = first["case"]["id"]
    complete(c["members"], case_id, "triage", {"new_subject": {
        "full_name": "Gary Pike", "handles": [{"kind": "email", "value": "gpike@mail.example"}]}})
    complete(c["safety"], case_id, "assess", {"answers": answers(decision_table)})
    assert not CourseOfConductFlag.objects.exists()

    # A second report, in a new case, from the same address: triage proposes the link, never makes it.
    second = report(c["councillor"], channel="surgery", account="He came to my surgery and shouted.",
                    subject_details={"handles": [{"kind": "email", "value": "GPike@Mail.Example "}]})
    triage = open_task(c["members"], second["case"]["id"], "triage")
    detail = c["members"].get(f"{API}/tasks/{triage['id']}/").json()
    suggestions = detail["context"]["subject_suggestions"][0]["suggestions"]
    assert suggestions[0]["subject"]["full_name"] == "Gary Pike" and suggestions[0]["strength"] == "strong"
    assert Subject.objects.get(full_name="Gary Pike").incidents.count() == 1  # not linked yet

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = complete(c["members"], second["case"]["id"], "triage",
                          {"subject": suggestions[0]["subject"]["id"]})
    assert result["case"]["state"] == "merged"
    flag = CourseOfConductFlag.objects.get()
    assert flag.protected_person.user == people.councillor and flag.incident_count == 2
    assert any(people.safety.email in m.to for m in mail.outbox)  # the assessor is told

    assess = open_task(c["safety"], case_id, "assess")
    context = c["safety"].get(f"{API}/tasks/{assess['id']}/").json()["context"]
    assert [f["incident_count"] for f in context["course_of_conduct_flags"]] == [2]
    kinds = {s["trigger"] for s in context["police_trigger_suggestions"]}
    assert "repeated_contact" in kinds
    assert any(s["kind"] == "moved_in_person" for s in context["escalation_signals"])

    case = c["monitoring"].get(f"{API}/cases/{case_id}/").json()
    assert case["course_of_conduct"][0]["reason"] and len(case["course_of_conduct"][0]["incidents"]) == 2
    assert c["councillor"].get(f"{API}/cases/{case_id}/").json()["course_of_conduct"] == []


def test_register_reviews_report(c, people):
    soon = direct_entry(people, name="Ada Lowe")
    RegisterEntry.objects.filter(pk=soon.pk).update(review_due_on=timezone.localdate() + dt.timedelta(days=10))
    late = direct_entry(people, name="Bob Tate")
    RegisterEntry.objects.filter(pk=late.pk).update(review_due_on=timezone.localdate() - dt.timedelta(days=3))
    direct_entry(people, name="Cal Reyes")  # due in a year

    today = timezone.localdate()
    response = c["monitoring"].get(f"{API}/reports/register-reviews/",
                                   {"to": str(today + dt.timedelta(days=30))})
    body = response.json()
    assert [row["reference"] for row in body["results"]] == [late.reference, soon.reference]
    assert [row["overdue"] for row in body["results"]] == [True, False]
    assert body["summary"] == {"due": 2, "overdue": 1}
    assert AccessLogEntry.objects.filter(purpose="register reviews report", actor=people.monitoring).count() == 1
    # Members services hold no grants here: they see no entries and no counts.
    members = c["members"].get(f"{API}/reports/register-reviews/").json()
    assert members["results"] == [] and members["summary"] == {"due": 0, "overdue": 0}
    assert c["councillor"].get(f"{API}/reports/register-reviews/").status_code == 403
    assert "register-reviews" in c["members"].get(f"{API}/reports/").json()["sections"]
