"""The tasks API: queues, claiming, permissions checked in our code, field descriptions, SLAs."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from viewflow.workflow.models import Task

from safety_workflow.models import TaskDeadline, TimelineEntry

from .helpers import API, complete, open_task, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def case_at_triage(people, client_for, decision_table, advice_templates, police_contact):
    return report(client_for(people.councillor))["case"]["id"]


def test_queue_shows_each_role_only_its_tasks(people, client_for, case_at_triage):
    assert [t["node"] for t in client_for(people.members).get(f"{API}/tasks/").json()["results"]] == ["triage"]
    for user in (people.safety, people.legal, people.police):
        assert client_for(user).get(f"{API}/tasks/").json()["results"] == [], user
    for user in (people.frontline, people.councillor, people.nobody):  # no task of their roles, ever
        assert client_for(user).get(f"{API}/tasks/").status_code == 403, user


def test_other_roles_cannot_see_claim_or_complete_a_task(people, client_for, case_at_triage):
    task = open_task(client_for(people.members), case_at_triage, "triage")
    before = TimelineEntry.objects.count()
    # Those who may not see the case: the task does not exist for them.
    for user in (people.legal, people.police, people.frontline, people.nobody):
        client = client_for(user)
        for response in (client.get(f"{API}/tasks/{task['id']}/"),
                         client.post(f"{API}/tasks/{task['id']}/claim/"),
                         client.post(f"{API}/tasks/{task['id']}/release/"),
                         client.post(f"{API}/tasks/{task['id']}/complete/", {}, format="json")):
            assert response.status_code == 404, (user, response.content)
            assert response.json() == {"code": "not_found", "message": "Not found."}
    # Those who see the case (health and safety, the reporting councillor): the task is another role's.
    for user in (people.safety, people.councillor, people.monitoring):
        client = client_for(user)
        for response in (client.get(f"{API}/tasks/{task['id']}/"),
                         client.post(f"{API}/tasks/{task['id']}/claim/"),
                         client.post(f"{API}/tasks/{task['id']}/release/"),
                         client.post(f"{API}/tasks/{task['id']}/complete/", {}, format="json")):
            assert response.status_code == 403, (user, response.content)
            assert response.json()["code"] == "task_wrong_role"
    # A task that does not exist answers exactly the same.
    assert client_for(people.safety).get(f"{API}/tasks/999999/").json() == {"code": "not_found",
                                                                           "message": "Not found."}
    assert Task.objects.get(pk=task["id"]).owner is None
    assert TimelineEntry.objects.count() == before


def test_claim_release_and_claimed_by_other(people, client_for, case_at_triage):
    alice = people.members
    from .factories import make_user

    bob = make_user("members_services", email="bob@council.example")
    task = open_task(client_for(alice), case_at_triage, "triage")
    claimed = client_for(alice).post(f"{API}/tasks/{task['id']}/claim/")
    assert claimed.status_code == 200 and claimed.json()["owner"]["id"] == str(alice.pk)

    # Bob no longer sees it as available, cannot claim or complete it.
    assert client_for(bob).get(f"{API}/tasks/", {"scope": "available"}).json()["results"] == []
    refused = client_for(bob).post(f"{API}/tasks/{task['id']}/claim/")
    assert refused.status_code == 409 and refused.json()["code"] == "task_claimed_by_other"
    refused = client_for(bob).post(f"{API}/tasks/{task['id']}/complete/", {}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "task_claimed_by_other"
    refused = client_for(bob).post(f"{API}/tasks/{task['id']}/release/")
    assert refused.status_code == 409 and refused.json()["code"] == "task_not_yours"

    assert [t["id"] for t in client_for(alice).get(f"{API}/tasks/", {"scope": "mine"}).json()["results"]] == [
        task["id"]]
    assert client_for(alice).post(f"{API}/tasks/{task['id']}/release/").status_code == 200
    assert client_for(bob).post(f"{API}/tasks/{task['id']}/claim/").status_code == 200


def test_completed_task_gives_409_and_changes_nothing(people, client_for, case_at_triage):
    client = client_for(people.members)
    task = open_task(client, case_at_triage, "triage")
    assert client.post(f"{API}/tasks/{task['id']}/complete/", {}, format="json").status_code == 200
    before = TimelineEntry.objects.count()
    again = client.post(f"{API}/tasks/{task['id']}/complete/", {"notes": "twice"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "task_already_completed"
    assert TimelineEntry.objects.count() == before


def test_bad_body_is_400_with_field_errors_and_writes_nothing(people, client_for, case_at_triage):
    client = client_for(people.members)
    task = open_task(client, case_at_triage, "triage")
    before = TimelineEntry.objects.count()
    response = client.post(f"{API}/tasks/{task['id']}/complete/",
                           {"subject": "not-a-uuid", "new_subject": {"full_name": ""}}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and {"subject", "new_subject"} <= set(body["errors"])
    assert TimelineEntry.objects.count() == before
    assert Task.objects.get(pk=task["id"]).status == "NEW"
    malformed = client.post(f"{API}/tasks/{task['id']}/complete/", "{not json", content_type="application/json")
    assert malformed.status_code == 400 and malformed.json()["code"] == "malformed_request"


def test_task_describes_the_fields_it_needs(people, client_for, case_at_triage, decision_table):
    members, safety = client_for(people.members), client_for(people.safety)
    triage = members.get(f"{API}/tasks/{open_task(members, case_at_triage, 'triage')['id']}/").json()
    fields = {f["name"]: f for f in triage["fields"]}
    assert set(fields) == {"subject", "new_subject", "immediate_danger", "ward", "notes"}
    assert fields["new_subject"]["type"] == "object"
    assert {f["name"] for f in fields["new_subject"]["fields"]} >= {"full_name", "handles"}
    complete(members, case_at_triage, "triage", {})
    assess = safety.get(f"{API}/tasks/{open_task(safety, case_at_triage, 'assess')['id']}/").json()
    level = next(f for f in assess["fields"] if f["name"] == "override_level")
    assert [c["value"] for c in level["choices"]] == ["low", "medium", "serious"]
    table = assess["context"]["decision_table"]
    assert table["version"] == 1
    assert [q["key"] for q in table["questions"]] == list(decision_table.questions.values_list("key", flat=True))


def test_every_human_task_gets_its_due_time(people, client_for, case_at_triage):
    task = Task.objects.get(pk=open_task(client_for(people.members), case_at_triage, "triage")["id"])
    deadline = TaskDeadline.objects.get(task=task)
    local_created = timezone.localtime(task.created)
    local_due = timezone.localtime(deadline.due_at)
    assert local_due.time().replace(microsecond=0) == local_created.time().replace(microsecond=0)
    assert local_due.weekday() < 5 and local_due.date() > local_created.date()


def test_overdue_tasks_are_listed_by_api_and_command(people, client_for, case_at_triage,
                                                     django_capture_on_commit_callbacks):
    members = client_for(people.members)
    task = open_task(members, case_at_triage, "triage")
    assert members.get(f"{API}/tasks/overdue/").json()["results"] == []
    TaskDeadline.objects.filter(task_id=task["id"]).update(due_at=timezone.now() - dt.timedelta(hours=5))
    listed = members.get(f"{API}/tasks/overdue/").json()["results"]
    assert [t["id"] for t in listed] == [task["id"]] and listed[0]["overdue"] is True
    assert client_for(people.safety).get(f"{API}/tasks/overdue/").json()["results"] == []

    mail.outbox.clear()
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("safety_workflow_overdue", "--notify", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert [row["task"] for row in result["overdue"]] == [task["id"]] and result["notified"] == 1
    assert result["overdue"][0]["hours_late"] >= 5
    assert [m.to for m in mail.outbox] == [[people.members.email]]
    out = StringIO()
    call_command("safety_workflow_overdue", "--notify", stdout=out)
    assert "Notified 0" in out.getvalue() and len(mail.outbox) == 1  # told once


def test_unauthenticated_requests_are_refused(db):
    from rest_framework.test import APIClient

    response = APIClient().get(f"{API}/tasks/")
    assert response.status_code in (401, 403) and response.json()["code"] == "not_authenticated"


def test_assessor_sees_decision_table_missing_as_conflict(people, client_for, case_at_triage):
    from safety_workflow.models import DecisionTable

    complete(client_for(people.members), case_at_triage, "triage", {})
    DecisionTable.objects.update(status="retired")
    error = complete(client_for(people.safety), case_at_triage, "assess",
                     {"answers": {"threat_to_life": False}}, expect=409)
    assert error["code"] == "no_decision_table"



def test_a_task_that_cannot_be_worked_on_now_says_so(people, client_for, case_at_triage):
    """A task viewflow left in error (e.g. a failing step run in the background) is neither open nor done."""
    client = client_for(people.members)
    task = open_task(client, case_at_triage, "triage")
    Task.objects.filter(pk=task["id"]).update(status="ERROR")
    for action in ("claim", "release", "complete"):
        response = client.post(f"{API}/tasks/{task['id']}/{action}/", {}, format="json")
        assert response.status_code == 409 and response.json()["code"] == "task_not_open", action
