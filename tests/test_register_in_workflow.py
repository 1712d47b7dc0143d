"""The register and the case workflow together: proposing from a case, new incidents resetting reviews,
register tasks in the shared queue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from safety_workflow.models import RegisterEntry, Subject

from .factories import person_for
from .helpers import API, answers, complete, open_task, report
from .register_helpers import DEFAULT_CONTACT, DEFAULT_MITIGATIONS, ENTRIES, active_entry, entry_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def c(people, client_for, decision_table, advice_templates, police_contact):
    return {name: client_for(getattr(people, name)) for name in vars(people)}


def test_register_proposal_task_records_the_entry_proposed_from_the_case(c, people, decision_table):
    incident = report(c["councillor"], channel="surgery", account="He leant over the table and said he'd hurt me.")
    case_id = incident["case"]["id"]
    complete(c["members"], case_id, "triage", {"new_subject": {"full_name": "Victor Lane",
                                                               "date_of_birth": "1971-05-09"}})
    complete(c["safety"], case_id, "assess", {"answers": answers(decision_table, threatening_language=True),
                                              "propose_register": True})
    # Without an entry or a reason the task will not close.
    error = complete(c["safety"], case_id, "register_proposal", {}, expect=400)
    assert "reason" in error["errors"]
    subject = Subject.objects.get(full_name="Victor Lane")
    proposed = c["safety"].post(ENTRIES, {
        "subject": str(subject.pk), "incidents": [incident["id"]], "case": case_id,
        "reasons": "Threat of violence at a surgery.", "mitigations": DEFAULT_MITIGATIONS,
        "advice_contact": DEFAULT_CONTACT,
    }, format="json")
    assert proposed.status_code == 201, proposed.content
    entry_id = proposed.json()["id"]
    complete(c["safety"], case_id, "register_proposal", {"register_entry": entry_id})
    timeline = c["members"].get(f"{API}/incidents/{incident['id']}/timeline/").json()["results"]
    assert "register_proposed" in [e["action"] for e in timeline]

    # The approval waits in the monitoring officer's queue beside case tasks, with where to complete it.
    approve = next(t for t in c["monitoring"].get(f"{API}/tasks/").json()["results"] if t["node"] == "approve")
    assert approve["case"] is None and approve["register_entry"]["id"] == entry_id
    assert approve["complete_at"] == f"register/entries/{entry_id}/approve/" and approve["due_at"]
    refused = c["monitoring"].post(f"{API}/tasks/{approve['id']}/complete/", {}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "task_completed_elsewhere"
    # The proposer cannot approve their own proposal.
    own = c["safety"].post(entry_url(entry_id, "approve"), {"decision": "approve", "reason": "ok"}, format="json")
    assert own.status_code in (403, 409)
    # Frontline staff see no register tasks at all.
    assert c["frontline"].get(f"{API}/tasks/").status_code == 403


def test_register_entry_for_another_case_is_refused(c, people, decision_table):
    first = active_entry(people, client_for=lambda u: c[next(k for k in c if getattr(people, k) == u)],
                         name="Paula Marsh")
    incident = report(c["councillor"])
    case_id = incident["case"]["id"]
    complete(c["members"], case_id, "triage", {})
    complete(c["safety"], case_id, "assess", {"answers": answers(decision_table), "propose_register": True})
    error = complete(c["safety"], case_id, "register_proposal", {"register_entry": first["id"]}, expect=400)
    assert error["code"] == "register_entry_not_for_case"


def test_new_incident_about_a_subject_resets_the_register_review(c, people):
    entry = active_entry(people, client_for=lambda u: c[next(k for k in c if getattr(people, k) == u)],
                         name="Roy Kemp")
    stored = RegisterEntry.objects.get(pk=entry["id"])
    subject = stored.subject
    when = timezone.now() + dt.timedelta(days=-1)
    RegisterEntry.objects.filter(pk=stored.pk).update(review_due_on=timezone.localdate() + dt.timedelta(days=30))
    report(c["members"], protected_person=str(person_for(people.councillor).pk), subject=str(subject.pk),
           occurred_at=when.isoformat(),
           account="Roy Kemp shouted at me in the car park.")
    stored.refresh_from_db()
    assert stored.review_due_on == timezone.localdate(when) + dt.timedelta(days=365)
    # Linking at triage resets it too (a second councillor's report, linked by members services).
    RegisterEntry.objects.filter(pk=stored.pk).update(review_due_on=timezone.localdate() + dt.timedelta(days=30))
    other = report(c["councillor2"], account="Same man at my door.")
    open_task(c["members"], other["case"]["id"], "triage")
    complete(c["members"], other["case"]["id"], "triage", {"subject": str(subject.pk)})
    stored.refresh_from_db()
    assert stored.review_due_on > timezone.localdate() + dt.timedelta(days=300)


def test_only_health_and_safety_propose_whatever_the_body(c, people):
    """The view and the service apply one rule: the monitoring officer decides entries but does not propose them."""
    from .register_helpers import proposal, subject_with_incidents

    subject, incidents = subject_with_incidents(people, name="Nina Holt")
    for user in ("monitoring", "members", "legal"):
        for body in ({}, proposal(subject, incidents)):
            response = c[user].post(ENTRIES, body, format="json")
            assert response.status_code == 403, (user, response.content)
            assert response.json()["code"] == "register_propose_not_permitted"
    assert not RegisterEntry.objects.exists()
    assert c["safety"].post(ENTRIES, proposal(subject, incidents), format="json").status_code == 201
