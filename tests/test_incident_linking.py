"""Idempotent reporting, and new incidents about a subject with an open case."""

from __future__ import annotations

import pytest
from viewflow.workflow.models import Task

from safety_workflow.models import Case, Incident, Subject

from .factories import person_for
from .helpers import API, answers, complete, open_task, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(people, decision_table, advice_templates, police_contact):
    return people


def test_same_idempotency_key_creates_one_incident(setup, client_for):
    client = client_for(setup.councillor)
    body = {"occurred_at": "2026-11-20T10:00:00Z", "channel": "phone", "account": "Called me a liar, twice."}
    first = client.post(f"{API}/incidents/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-123")
    again = client.post(f"{API}/incidents/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-123")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert again.json()["created"] is False
    assert Incident.objects.count() == 1 and Case.objects.count() == 1

    changed = client.post(f"{API}/incidents/", {**body, "account": "Something else"}, format="json",
                          HTTP_IDEMPOTENCY_KEY="k-123")
    assert changed.status_code == 409 and changed.json()["code"] == "idempotency_key_reused"
    # Keys belong to their user: another councillor's identical key is a different report.
    other = client_for(setup.councillor2).post(f"{API}/incidents/", body, format="json",
                                               HTTP_IDEMPOTENCY_KEY="k-123")
    assert other.status_code == 201 and Incident.objects.count() == 2


def test_idempotency_keys_expire(setup, client_for):
    import datetime as dt

    from django.utils import timezone

    from safety_workflow.models import IdempotencyRecord

    client = client_for(setup.councillor)
    body = {"occurred_at": "2026-11-20T10:00:00Z", "channel": "phone", "account": "Called again."}
    assert client.post(f"{API}/incidents/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-9").status_code == 201
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=73))
    again = client.post(f"{API}/incidents/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-9")
    assert again.status_code == 201 and Incident.objects.count() == 2


def _to_advice(clients, case_id, decision_table, subject=None):
    body = {"subject": str(subject.pk)} if subject else {}
    complete(clients["members"], case_id, "triage", body)
    complete(clients["safety"], case_id, "assess", {"answers": answers(decision_table)})
    open_task(clients["members"], case_id, "advise")


@pytest.fixture
def clients(setup, client_for):
    return {name: client_for(getattr(setup, name)) for name in ("councillor", "councillor2", "members", "safety")}


def test_new_incident_about_subject_with_open_case_reopens_assessment(setup, clients, decision_table):
    subject = Subject.objects.create(full_name="Derek Hale")
    first = report(clients["councillor"])
    case_id = first["case"]["id"]
    _to_advice(clients, case_id, decision_table, subject)
    advise_task = open_task(clients["members"], case_id, "advise")

    # Members services log a second incident, naming the known subject: it joins the open case.
    second = report(clients["members"], protected_person=str(person_for(setup.councillor2).pk), subject=str(subject.pk),
                    account="He turned up at my surgery and would not leave.", channel="surgery")
    assert second["case"]["id"] == case_id and second["linked_to_open_case"] is True
    assert second["reference"] == first["case"]["reference"] + "-02"
    assert Task.objects.get(pk=advise_task["id"]).status == "CANCELED"
    assess = open_task(clients["safety"], case_id, "assess")
    assert assess["case"]["route"] == ""
    detail = clients["safety"].get(f"{API}/tasks/{assess['id']}/").json()
    assert [i["reference"] for i in detail["context"]["incidents"]] == [first["reference"], second["reference"]]

    result = complete(clients["safety"], case_id, "assess",
                      {"answers": answers(decision_table, repeated_contact=True)})
    assert result["case"]["level"] == "medium"
    timeline = clients["members"].get(f"{API}/incidents/{first['id']}/timeline/").json()["results"]
    assert "assessment_reopened" in [e["action"] for e in timeline]


def test_triage_linking_merges_into_the_subjects_open_case(setup, clients, decision_table):
    subject = Subject.objects.create(full_name="Derek Hale")
    first = report(clients["councillor"])
    _to_advice(clients, first["case"]["id"], decision_table, subject)

    second = report(clients["councillor2"], account="Same man, new e-mail address.")
    assert second["case"]["id"] != first["case"]["id"]
    result = complete(clients["members"], second["case"]["id"], "triage", {"subject": str(subject.pk)})
    assert result["case"]["state"] == "merged"
    merged = Case.objects.get(pk=second["case"]["id"])
    assert merged.merged_into_id == first["case"]["id"] and merged.status == "DONE"
    moved = Incident.objects.get(pk=second["id"])
    assert moved.case_id == first["case"]["id"] and moved.subject == subject
    assert moved.reference == second["reference"]  # references never change: they are evidence
    open_task(clients["safety"], first["case"]["id"], "assess")
    # The councillor still sees their incident, now in the other case.
    assert clients["councillor2"].get(f"{API}/incidents/{second['id']}/").status_code == 200


def test_triage_records_a_new_subject_with_handles(setup, clients, decision_table):
    incident = report(clients["councillor"])
    complete(clients["members"], incident["case"]["id"], "triage", {"new_subject": {
        "full_name": "Sharon Blake", "aliases": ["Shaz Blake"], "date_of_birth": "1980-02-03",
        "handles": [{"kind": "email", "value": "Sharon.B@Example.com"},
                    {"kind": "social", "platform": "X", "value": "https://x.com/ShazB"}],
    }})
    subject = Subject.objects.get(full_name="Sharon Blake")
    assert list(subject.aliases.values_list("name", flat=True)) == ["Shaz Blake"]
    assert sorted(subject.handles.values_list("normalised", flat=True)) == ["sharon.b@example.com", "shazb"]
    assert Incident.objects.get(pk=incident["id"]).subject == subject


def test_merging_at_triage_raises_the_course_of_conduct_on_the_case_it_merges_into(setup, clients, decision_table):
    """The flag, the signals and their timeline entries belong to the case that now holds the incidents."""
    import datetime as dt

    from django.utils import timezone

    from safety_workflow.models import CourseOfConductFlag, EscalationSignal, TimelineEntry

    subject = Subject.objects.create(full_name="Derek Hale")
    first = report(clients["councillor"], occurred_at=(timezone.now() - dt.timedelta(days=9)).isoformat())
    target = first["case"]["id"]
    _to_advice(clients, target, decision_table, subject)
    # The same man e-mails Cllr Byrne, then comes to Cllr Ahmed's home: both reported as new cases.
    other = report(clients["councillor2"], occurred_at=(timezone.now() - dt.timedelta(days=5)).isoformat())
    complete(clients["members"], other["case"]["id"], "triage", {"subject": str(subject.pk)})
    home = report(clients["councillor"], channel="at_home", account="He came to my house.")
    complete(clients["members"], home["case"]["id"], "triage", {"subject": str(subject.pk)})

    flag = CourseOfConductFlag.objects.get(subject=subject)
    assert flag.case_id == target
    signals = {s.kind: s.case_id for s in EscalationSignal.objects.filter(subject=subject)}
    assert signals["several_people"] == target and signals["reached_home"] == target
    for merged in (other["case"]["id"], home["case"]["id"]):
        assert not TimelineEntry.objects.filter(case_id=merged, action__in=[
            "course_of_conduct_flagged", "escalation_noticed"]).exists()
    assert TimelineEntry.objects.filter(case_id=target, action="course_of_conduct_flagged").count() == 1


def test_triage_corrects_a_wrong_ward_and_keeps_what_was_reported(setup, clients):
    incident = report(clients["councillor"], ward="Riverside")
    complete(clients["members"], incident["case"]["id"], "triage", {"ward": "Castle"})
    assert Incident.objects.get(pk=incident["id"]).ward == "Castle"
    timeline = clients["members"].get(f"{API}/incidents/{incident['id']}/timeline/").json()["results"]
    triaged = next(e for e in timeline if e["action"] == "triaged")
    assert "ward set to Castle" in triaged["summary"]
    from safety_workflow.models import TimelineEntry

    assert TimelineEntry.objects.get(case_id=incident["case"]["id"], action="triaged").data == {
        "ward": {incident["reference"]: ["Riverside", "Castle"]}}
    # A blank ward at triage leaves the reporter's ward alone.
    again = report(clients["councillor"], ward="Abbey")
    complete(clients["members"], again["case"]["id"], "triage", {})
    assert Incident.objects.get(pk=again["id"]).ward == "Abbey"
