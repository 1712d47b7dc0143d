"""Two people completing the same task at the same moment: exactly one succeeds, the other gets 409.

Real threads, real connections, real row locks: PostgreSQL only (SQLite's lock is a no-op).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient
from viewflow.workflow.models import Task

from safety_workflow.models import Assessment, Incident, TimelineEntry

from .factories import make_user
from .helpers import API, answers, complete, open_task, report

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(requests):
    """Run each (user, path, body) at once in its own thread and connection; return the responses."""
    barrier = threading.Barrier(len(requests))
    responses = [None] * len(requests)

    def run(index, user, path, body):
        client = APIClient()
        client.force_authenticate(user=user)
        try:
            barrier.wait()
            responses[index] = client.post(path, body, format="json")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def test_concurrent_completion_of_one_task(people, decision_table, police_contact):
    other = make_user("members_services", email="second.officer@council.example")
    client = APIClient()
    client.force_authenticate(user=people.councillor)
    case_id = report(client)["case"]["id"]
    client.force_authenticate(user=people.members)
    task = open_task(client, case_id, "triage")
    path = f"{API}/tasks/{task['id']}/complete/"

    responses = race([(people.members, path, {"notes": "first"}), (other, path, {"notes": "second"})])
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409], [r.content for r in responses]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["code"] in ("task_already_completed", "busy")
    assert TimelineEntry.objects.filter(case_id=case_id, action="triaged").count() == 1
    assert Task.objects.filter(process_id=case_id, flow_task__endswith=".assess").count() == 1


def test_concurrent_assessments_route_once(people, decision_table, police_contact):
    second = make_user("health_and_safety", email="second.assessor@council.example")
    client = APIClient()
    client.force_authenticate(user=people.councillor)
    case_id = report(client)["case"]["id"]
    client.force_authenticate(user=people.members)
    complete(client, case_id, "triage", {})
    client.force_authenticate(user=people.safety)
    task = open_task(client, case_id, "assess")
    path = f"{API}/tasks/{task['id']}/complete/"
    responses = race([
        (people.safety, path, {"answers": answers(decision_table, threat_to_life=True)}),
        (second, path, {"answers": answers(decision_table)}),
    ])
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert Assessment.objects.filter(case_id=case_id).count() == 1
    assert Incident.objects.get(case_id=case_id).referrals.count() in (0, 1)


def test_concurrent_reports_with_one_idempotency_key(people):
    body = {"occurred_at": "2026-11-20T10:00:00Z", "channel": "phone", "account": "Called at midnight again."}
    barrier = threading.Barrier(2)
    results = []

    def run():
        c = APIClient()
        c.force_authenticate(user=people.councillor)
        try:
            barrier.wait()
            results.append(c.post(f"{API}/incidents/", body, format="json", HTTP_IDEMPOTENCY_KEY="same-key"))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(r.status_code for r in results) == [200, 201]
    assert len({r.json()["id"] for r in results}) == 1
    assert Incident.objects.count() == 1


def test_two_officers_correcting_the_same_incident_at_once_correct_it_once(people, decision_table, police_contact):
    """Both unlink the wrong subject: one succeeds; the other finds nothing linked (or the case busy); one
    withdrawal of the flag, one timeline entry."""
    from safety_workflow.models import CourseOfConductFlag, Subject

    second = make_user("health_and_safety", email="second.assessor@council.example")
    client = APIClient()
    client.force_authenticate(user=people.councillor)
    first = report(client)
    case_id = first["case"]["id"]
    client.force_authenticate(user=people.members)
    complete(client, case_id, "triage", {"new_subject": {"full_name": "Gary Pike"}})
    gary = Subject.objects.get(full_name="Gary Pike")
    again = report(client, protected_person=first["protected_person"]["id"], subject=str(gary.pk), channel="phone")
    assert CourseOfConductFlag.objects.filter(subject=gary, withdrawn_at__isnull=True).count() == 1

    path = f"{API}/incidents/{again['id']}/unlink-subject/"
    responses = race([(people.members, path, {"reason": "Not him (members)."}),
                      (second, path, {"reason": "Not him (health and safety)."})])
    assert sorted(r.status_code for r in responses) == [200, 409], [r.content for r in responses]
    assert next(r for r in responses if r.status_code == 409).json()["code"] in ("no_subject_linked", "busy")
    assert TimelineEntry.objects.filter(case_id=case_id, action="subject_unlinked").count() == 1
    assert TimelineEntry.objects.filter(case_id=case_id, action="course_of_conduct_withdrawn").count() == 1
    assert CourseOfConductFlag.objects.filter(subject=gary, withdrawn_at__isnull=False).count() == 1


def test_the_same_candidacy_or_account_recorded_twice_at_once_is_recorded_once(people):
    """Members services and the monitoring officer record the same candidacy, and the same councillor's record,
    at the same moment: one is recorded, the other answers 409 (never a database error)."""
    import datetime as dt

    from django.utils import timezone

    from safety_workflow.models import Candidacy, ElectionPeriod, ProtectedPerson

    election = ElectionPeriod.objects.create(name="County", poll_date=timezone.localdate(),
                                             starts_on=timezone.localdate() - dt.timedelta(days=30),
                                             ends_on=timezone.localdate() + dt.timedelta(days=1))
    person = ProtectedPerson.objects.create(kind="candidate", full_name="Priya Shah")
    path = f"{API}/protected-persons/{person.pk}/candidacies/"
    body = {"election": election.pk, "ward": "Riverside"}
    responses = race([(people.monitoring, path, body), (people.members, path, body)])
    assert sorted(r.status_code for r in responses) == [201, 409], [r.content for r in responses]
    assert Candidacy.objects.filter(person=person).count() == 1

    body = {"kind": "councillor", "user": people.councillor2.pk}
    responses = race([(people.members, f"{API}/protected-persons/", body),
                      (people.safety, f"{API}/protected-persons/", body)])
    assert sorted(r.status_code for r in responses) == [201, 409], [r.content for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"protected_person_exists"}
    assert ProtectedPerson.objects.filter(user=people.councillor2).count() == 1
