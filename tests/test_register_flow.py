"""RegisterFlow through the API: propose -> approve (another person) -> notify or not -> active ->
review due -> renew or remove -> retained -> erased."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from safety_workflow.models import AccessLogEntry, RegisterEntry, RegisterMatchKey, RegisterProcess
from safety_workflow.services.register import register_review_reset_for_subject

from .register_helpers import (
    ENTRIES,
    READ,
    active_entry,
    check,
    entry_url,
    proposal,
    subject_with_incidents,
)

pytestmark = pytest.mark.django_db


def open_tasks(entry_id):
    tasks = Task.objects.filter(process__registerprocess__entry_id=entry_id, status__in=(STATUS.NEW, STATUS.ASSIGNED))
    return sorted(t.flow_task.name for t in tasks)


def test_propose_creates_an_entry_awaiting_approval(people, client_for):
    subject, incidents = subject_with_incidents(people, name="Gary Booth", date_of_birth=dt.date(1971, 5, 2),
                                                aliases=("Gaz Booth",))
    response = client_for(people.safety).post(ENTRIES, proposal(subject, incidents), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "proposed"
    assert body["reference"].startswith("SW-PVPR-")
    assert {i["reference"] for i in body["incidents"]} == {i.reference for i in incidents}
    assert body["aliases"] == ["Gaz Booth"]  # the subject's recorded aliases are carried over
    assert body["date_of_birth"] == "1971-05-02"
    assert open_tasks(body["id"]) == ["approve"]
    # Not checkable until approved: a proposal is not a decision.
    assert not RegisterMatchKey.objects.filter(entry_id=body["id"]).exists()
    assert check(client_for(people.frontline), "Gary Booth", date_of_birth="1971-05-02").json()["result"] == "no_match"


@pytest.mark.parametrize(
    "change, code",
    [
        ({"incidents": []}, "invalid"),
        ({"reasons": ""}, "invalid"),
        ({"mitigations": []}, "invalid"),
        ({"mitigations": [{"kind": "named_office"}]}, "register_entry_invalid"),
        ({"advice_contact": {"name": "Somebody"}}, "register_entry_invalid"),
    ],
)
def test_a_proposal_without_incidents_reasons_or_mitigations_is_refused(people, client_for, change, code):
    subject, incidents = subject_with_incidents(people, name="Gary Booth")
    body = {**proposal(subject, incidents), **change}
    response = client_for(people.safety).post(ENTRIES, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not RegisterEntry.objects.exists()


def test_incidents_must_be_about_the_same_subject(people, client_for):
    subject, incidents = subject_with_incidents(people, name="Gary Booth")
    _, others = subject_with_incidents(people, name="Someone Else")
    response = client_for(people.safety).post(ENTRIES, proposal(subject, incidents + others[:1]), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "incident_not_about_subject"
    assert not RegisterEntry.objects.exists()


def test_only_health_and_safety_propose(people, client_for):
    subject, incidents = subject_with_incidents(people, name="Gary Booth")
    for user in (people.frontline, people.legal, people.members):
        response = client_for(user).post(ENTRIES, proposal(subject, incidents), format="json")
        assert response.status_code == 403
    assert not RegisterEntry.objects.exists()


def test_one_live_entry_per_subject(people, client_for):
    subject, incidents = subject_with_incidents(people, name="Gary Booth")
    safety = client_for(people.safety)
    assert safety.post(ENTRIES, proposal(subject, incidents), format="json").status_code == 201
    response = safety.post(ENTRIES, proposal(subject, incidents), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "register_entry_exists"


def test_the_proposer_cannot_approve(people, client_for):
    subject, incidents = subject_with_incidents(people, name="Gary Booth")
    safety = client_for(people.safety)
    entry_id = safety.post(ENTRIES, proposal(subject, incidents), format="json").json()["id"]
    response = safety.post(entry_url(entry_id, "approve"), {"decision": "approve"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "approver_is_proposer"
    assert RegisterEntry.objects.get(pk=entry_id).state == "proposed"
    assert open_tasks(entry_id) == ["approve"]


def test_another_health_and_safety_officer_may_approve(people, client_for):
    from .factories import make_user

    colleague = make_user("health_and_safety", email="hs2@council.example")
    subject, incidents = subject_with_incidents(people, name="Gary Booth")
    entry_id = client_for(people.safety).post(ENTRIES, proposal(subject, incidents), format="json").json()["id"]
    response = client_for(colleague).post(entry_url(entry_id, "approve"), {"decision": "approve"}, format="json")
    assert response.status_code == 200
    assert response.json()["state"] == "approved"


def test_approval_then_notification_makes_the_entry_active_with_review_in_a_year(people, client_for):
    subject, incidents = subject_with_incidents(people, name="Gary Booth", date_of_birth=dt.date(1971, 5, 2))
    entry_id = client_for(people.safety).post(ENTRIES, proposal(subject, incidents), format="json").json()["id"]
    monitoring = client_for(people.monitoring)
    body = monitoring.post(entry_url(entry_id, "approve"), {"decision": "approve", "reason": "Incidents verified."},
                           format="json").json()
    assert body["state"] == "approved"
    assert body["decided_by"]["name"] == "Mona Officer"
    assert body["review_due_on"] == (timezone.localdate() + dt.timedelta(days=365)).isoformat()
    assert open_tasks(entry_id) == ["notify"]
    # Once approved, staff are protected at once: the check finds it while the letter is prepared.
    assert check(client_for(people.frontline), "Gary Booth", date_of_birth="1971-05-02").json()["result"] == "match"

    response = monitoring.post(entry_url(entry_id, "notification"), {"method": "letter"}, format="json")
    assert response.status_code == 400  # the date the letter went is needed
    body = monitoring.post(entry_url(entry_id, "notification"),
                           {"method": "letter", "notified_on": timezone.localdate().isoformat(), "reference": "L/77"},
                           format="json").json()
    assert body["state"] == "active"
    assert body["notification"] == "letter"
    assert [e["action"] for e in body["history"]] == ["proposed", "approved", "notified"]
    assert open_tasks(entry_id) == ["active"]


def test_not_notifying_needs_a_reason(people, client_for):
    subject, incidents = subject_with_incidents(people, name="Gary Booth")
    entry_id = client_for(people.safety).post(ENTRIES, proposal(subject, incidents), format="json").json()["id"]
    monitoring = client_for(people.monitoring)
    monitoring.post(entry_url(entry_id, "approve"), {"decision": "approve"}, format="json")
    response = monitoring.post(entry_url(entry_id, "notification"), {"method": "not_notified"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "reason_required"
    body = monitoring.post(entry_url(entry_id, "notification"),
                           {"method": "not_notified", "reason": "Police advise a letter would provoke him."},
                           format="json").json()
    assert body["state"] == "active"
    assert body["not_notified_reason"] == "Police advise a letter would provoke him."


def test_refusal_needs_a_reason_and_is_retained_then_erased(people, client_for):
    subject, incidents = subject_with_incidents(people, name="Gary Booth")
    entry_id = client_for(people.safety).post(ENTRIES, proposal(subject, incidents), format="json").json()["id"]
    monitoring = client_for(people.monitoring)
    assert monitoring.post(entry_url(entry_id, "approve"), {"decision": "refuse"}, format="json").status_code == 400
    body = monitoring.post(entry_url(entry_id, "approve"), {"decision": "refuse", "reason": "One incident, no threat."},
                           format="json").json()
    assert body["state"] == "rejected"
    assert open_tasks(entry_id) == ["retained"]
    entry = RegisterEntry.objects.get(pk=entry_id)
    entry.erase_after = timezone.localdate()
    entry.save(update_fields=["erase_after"])
    call_command("safety_workflow_register_erase", stdout=open("/dev/null", "w"))
    assert RegisterEntry.objects.get(pk=entry_id).state == "erased"


def test_steps_out_of_order_are_conflicts(people, client_for):
    entry = active_entry(people, client_for, name="Gary Booth")
    monitoring = client_for(people.monitoring)
    response = monitoring.post(entry_url(entry["id"], "approve"), {"decision": "approve"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "register_entry_wrong_step"


def test_review_falls_due_then_renew(people, client_for):
    entry = active_entry(people, client_for, name="Gary Booth", date_of_birth=dt.date(1971, 5, 2))
    RegisterEntry.objects.filter(pk=entry["id"]).update(review_due_on=timezone.localdate())
    call_command("safety_workflow_register_reviews", stdout=open("/dev/null", "w"))
    assert RegisterEntry.objects.get(pk=entry["id"]).state == "review_due"
    assert open_tasks(entry["id"]) == ["review"]
    # Still in force while the review is pending.
    assert check(client_for(people.frontline), "Gary Booth", date_of_birth="1971-05-02").json()["result"] == "match"

    monitoring = client_for(people.monitoring)
    assert monitoring.post(entry_url(entry["id"], "review"), {"decision": "renew"}, format="json").status_code == 400
    body = monitoring.post(entry_url(entry["id"], "review"),
                           {"decision": "renew", "reason": "Further threats in March."}, format="json").json()
    assert body["state"] == "active"
    assert body["review_due_on"] == (timezone.localdate() + dt.timedelta(days=365)).isoformat()
    assert open_tasks(entry["id"]) == ["active"]


def test_overdue_reviews_are_listed_and_reported(people, client_for, capsys):
    entry = active_entry(people, client_for, name="Gary Booth")
    RegisterEntry.objects.filter(pk=entry["id"]).update(review_due_on=timezone.localdate() - dt.timedelta(days=40))
    # Before the command has run, the past review date makes it overdue.
    listed = client_for(people.monitoring).get(ENTRIES, {"review": "overdue", **READ}).json()["results"]
    assert [e["id"] for e in listed] == [entry["id"]]
    call_command("safety_workflow_register_reviews")
    # The review task opened today is within its SLA: due, not overdue.
    assert client_for(people.monitoring).get(ENTRIES, {"review": "overdue", **READ}).json()["results"] == []
    due = client_for(people.monitoring).get(ENTRIES, {"review": "due", **READ}).json()["results"]
    assert [e["id"] for e in due] == [entry["id"]]
    from safety_workflow.models import TaskDeadline

    TaskDeadline.objects.filter(task__process__registerprocess__entry_id=entry["id"], sla="review").update(
        due_at=timezone.now() - dt.timedelta(days=1)
    )
    call_command("safety_workflow_register_reviews", "--report-only")
    out = capsys.readouterr().out
    assert f"OVERDUE: {entry['reference']}" in out
    listed = client_for(people.monitoring).get(ENTRIES, {"review": "overdue", **READ}).json()["results"]
    assert [e["id"] for e in listed] == [entry["id"]]


def test_a_new_incident_resets_the_review(people, client_for):
    entry = active_entry(people, client_for, name="Gary Booth")
    stored = RegisterEntry.objects.get(pk=entry["id"])
    subject = stored.subject
    # Review became due and its task opened...
    RegisterEntry.objects.filter(pk=stored.pk).update(review_due_on=timezone.localdate())
    call_command("safety_workflow_register_reviews", stdout=open("/dev/null", "w"))
    assert open_tasks(stored.pk) == ["review"]
    # ...then a new incident about the subject: review moves to a year after it, the entry is back in force.
    incident = stored.incidents.first()
    incident.pk = None
    incident.reference = "T-NEW-01"
    incident.occurred_at = timezone.now()
    incident.save()
    changed = register_review_reset_for_subject(subject=subject, incident=incident)
    assert [e.pk for e in changed] == [stored.pk]
    stored.refresh_from_db()
    assert stored.state == "active"
    assert stored.review_due_on == timezone.localdate() + dt.timedelta(days=365)
    assert open_tasks(stored.pk) == ["active"]
    assert stored.events.filter(action="review_reset", incident=incident).exists()
    # Calling again changes nothing.
    assert register_review_reset_for_subject(subject=subject, incident=incident) == []


def test_an_old_incident_does_not_bring_the_review_forward(people, client_for):
    entry = active_entry(people, client_for, name="Gary Booth")
    stored = RegisterEntry.objects.get(pk=entry["id"])
    incident = stored.incidents.first()  # occurred months ago
    assert register_review_reset_for_subject(subject=stored.subject, incident=incident) == []
    stored.refresh_from_db()
    assert stored.review_due_on == timezone.localdate() + dt.timedelta(days=365)


def test_early_removal_then_erasure_keeps_a_tombstone_and_the_log(people, client_for):
    entry = active_entry(people, client_for, name="Gary Booth", date_of_birth=dt.date(1971, 5, 2),
                         aliases=("Gaz Booth",), addresses=[{"address": "4 Mill Lane", "postcode": "HD1 2AB"}])
    client_for(people.monitoring).post(entry_url(entry["id"], "grants"),
                                       {"user": people.legal.pk, "reason": "Injunction"}, format="json")
    frontline = client_for(people.frontline)
    assert check(frontline, "Gary Booth", date_of_birth="1971-05-02").json()["result"] == "match"

    body = client_for(people.monitoring).post(
        entry_url(entry["id"], "review"), {"decision": "remove", "reason": "No contact for 18 months."}, format="json"
    ).json()
    assert body["state"] == "removed"
    assert [e["action"] for e in body["history"]][-2:] == ["review_brought_forward", "removed"]
    # Removed entries are no longer found by the check.
    assert check(frontline, "Gary Booth", date_of_birth="1971-05-02").json()["result"] == "no_match"
    assert body["erase_after"] == (timezone.localdate() + dt.timedelta(days=183)).isoformat()

    # Not erased before the retention period ends...
    call_command("safety_workflow_register_erase", stdout=open("/dev/null", "w"))
    assert RegisterEntry.objects.get(pk=entry["id"]).state == "removed"
    # ...erased after it.
    RegisterEntry.objects.filter(pk=entry["id"]).update(erase_after=timezone.localdate() - dt.timedelta(days=1))
    call_command("safety_workflow_register_erase", stdout=open("/dev/null", "w"))
    stored = RegisterEntry.objects.get(pk=entry["id"])
    assert stored.state == "erased"
    assert stored.subject is None and stored.reasons == "" and stored.words_used == ""
    assert stored.date_of_birth is None and stored.match_profile == {}
    assert not stored.aliases.exists() and not stored.addresses.exists() and not stored.mitigations.exists()
    assert not stored.incidents.exists() and not stored.user_grants.exists()
    assert not stored.events.exclude(reason="").exists()
    assert not stored.events.filter(summary__contains="T-").exists()  # no incident references left
    assert list(stored.events.values_list("summary", flat=True))[:2] == ["proposed", "approved"]
    assert stored.reference == entry["reference"] and stored.erased_at is not None
    assert RegisterProcess.objects.get(entry=stored).status == "DONE"
    erasure = AccessLogEntry.objects.get(action="erase", object_id=str(stored.pk))
    assert erasure.result == "erased" and erasure.data["grants"] == 1
    # The checks made while it was in force are still in the log.
    assert AccessLogEntry.objects.filter(action="check", register_hits__entry=stored).count() == 1
    # The tombstone: the register's officers see the reference and dates, nothing personal.
    tomb = client_for(people.monitoring).get(entry_url(entry["id"]), READ).json()
    assert tomb["state"] == "erased" and tomb["subject"] is None and tomb["reasons"] == ""
    # The granted person no longer sees it.
    assert client_for(people.legal).get(entry_url(entry["id"]), READ).status_code == 404


def test_changing_mitigations_and_aliases_is_logged_and_rematched(people, client_for):
    entry = active_entry(people, client_for, name="Gary Booth", date_of_birth=dt.date(1971, 5, 2))
    frontline = client_for(people.frontline)
    assert check(frontline, "Gareth Smythe", date_of_birth="1971-05-02").json()["result"] == "no_match"
    response = client_for(people.monitoring).patch(
        entry_url(entry["id"]),
        {"reason": "Uses another name", "aliases": ["Gareth Smythe"], "mitigations": [{"kind": "letter_only"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    result = check(frontline, "Gareth Smythe", date_of_birth="1971-05-02").json()
    assert result["result"] == "match"
    assert [m["kind"] for m in result["mitigations"]] == ["letter_only"]
    assert AccessLogEntry.objects.filter(action="change", object_id=entry["id"]).count() == 1
    # A granted reader cannot change it.
    client_for(people.monitoring).post(entry_url(entry["id"], "grants"),
                                       {"user": people.legal.pk, "reason": "Injunction"}, format="json")
    response = client_for(people.legal).patch(entry_url(entry["id"]), {"reason": "x", "aliases": []}, format="json")
    assert response.status_code == 403


def test_register_entry_changed_is_sent_after_commit(people, client_for, django_capture_on_commit_callbacks):
    from safety_workflow.signals import register_entry_changed

    seen = []

    def receiver(sender, entry, change, **kwargs):
        seen.append((entry.reference, change))

    register_entry_changed.connect(receiver)
    try:
        subject, incidents = subject_with_incidents(people, name="Gary Booth")
        with django_capture_on_commit_callbacks(execute=True):
            entry = client_for(people.safety).post(ENTRIES, proposal(subject, incidents), format="json").json()
        with django_capture_on_commit_callbacks(execute=True):
            client_for(people.monitoring).post(entry_url(entry["id"], "approve"), {"decision": "approve"},
                                               format="json")
    finally:
        register_entry_changed.disconnect(receiver)
    assert seen == [(entry["reference"], "proposed"), (entry["reference"], "approved")]


def test_a_proposal_from_a_case_can_be_recorded_on_its_register_proposal_task(people, client_for):
    from safety_workflow.models import Case
    from safety_workflow.selectors.register import register_entries_for_case_proposal

    subject, incidents = subject_with_incidents(people, name="Gary Booth")
    case = Case.objects.get(pk=incidents[0].case_id)
    body = proposal(subject, incidents, case=str(case.pk))
    entry = client_for(people.safety).post(ENTRIES, body, format="json").json()
    assert entry["case"]["id"] == case.pk
    assert [e.reference for e in register_entries_for_case_proposal(people.safety, case)] == [entry["reference"]]
    assert list(register_entries_for_case_proposal(people.legal, case)) == []


def test_proposers_are_told_when_the_approver_is_needed(people, client_for, mailoutbox,
                                                        django_capture_on_commit_callbacks):
    subject, incidents = subject_with_incidents(people, name="Gary Booth")
    with django_capture_on_commit_callbacks() as queued:
        entry = client_for(people.safety).post(ENTRIES, proposal(subject, incidents), format="json").json()
    assert mailoutbox == []  # nothing is sent inside the request: a task is queued after the commit
    for send in queued:
        send()
    assert [m.to for m in mailoutbox] == [["mo@council.example"]]  # the other officer, not the proposer
    assert entry["reference"] in mailoutbox[0].subject
    assert "Gary" not in mailoutbox[0].subject + mailoutbox[0].body  # identifiers only


def test_the_schema_describes_the_register_operations(people, client_for):
    response = client_for(people.monitoring).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/safety/register/check/", "/api/safety/register/entries/",
                 "/api/safety/register/entries/{entry_id}/approve/", "/api/safety/audit/"):
        assert path in paths
    assert "CheckInput" in response.content.decode()
