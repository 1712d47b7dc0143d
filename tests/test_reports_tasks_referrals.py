"""reports/tasks/ (open and overdue tasks) and reports/referrals/ (police referrals and their outcomes)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from safety_workflow.flows import IncidentFlow
from safety_workflow.models import PoliceReferral, TaskDeadline
from safety_workflow.services.incidents import incident_report

from .factories import PoliceContactFactory
from .histories import five_councillors, one_off, open_case, slow_burn, when

pytestmark = pytest.mark.django_db
TASKS = "/api/safety/reports/tasks/"
REFERRALS = "/api/safety/reports/referrals/"


def report(people, *, danger: bool = False, account: str = "Abusive e-mail"):
    return incident_report(
        reporter=people.councillor, channel="email", account=account,
        occurred_at=timezone.now() - dt.timedelta(hours=2), immediate_danger=danger,
    ).incident


@pytest.fixture
def workflow(people, police_contact):
    """Three reports through IncidentFlow: two wait for triage (one overdue); one went straight to the police
    (its acknowledgement overdue) and waits for triage beside it."""
    late, fresh, danger = report(people), report(people), report(people, danger=True)
    TaskDeadline.objects.filter(task__process=late.case).update(due_at=timezone.now() - dt.timedelta(hours=3))
    TaskDeadline.objects.filter(task__process=danger.case, task__flow_task=IncidentFlow.instance.police_acknowledge
                                ).update(due_at=timezone.now() - dt.timedelta(minutes=5))
    # A finished task is not open.
    done = report(people)
    Task.objects.filter(process=done.case, flow_task_type="HUMAN").update(status=STATUS.DONE)
    return {"late": late.case, "fresh": fresh.case, "danger": danger.case}


def test_open_and_overdue_tasks_soonest_due_first(people, workflow, client_for):
    response = client_for(people.members).get(TASKS)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["summary"] == {
        "open": 4, "overdue": 2,
        "by_task": [  # most overdue first, then most open
            {"task": "triage", "title": "Triage the report", "open": 3, "overdue": 1, "claimed": 0},
            {"task": "police_acknowledge", "title": "Acknowledge the police referral", "open": 1, "overdue": 1,
             "claimed": 0},
        ],
    }
    assert [(t["task"], t["case"]["reference"], t["overdue"]) for t in body["results"]] == [
        ("triage", workflow["late"].reference, True),
        ("police_acknowledge", workflow["danger"].reference, True),
        ("triage", workflow["fresh"].reference, False),
        ("triage", workflow["danger"].reference, False),
    ]
    assert body["results"][0]["due_at"] and body["results"][0]["claimed_by"] is None


def test_task_filters_and_pages_keep_the_whole_summary(people, workflow, client_for):
    client = client_for(people.safety)
    overdue = client.get(TASKS, {"overdue": "true"}).json()
    assert overdue["count"] == 2 and overdue["summary"]["open"] == 2
    assert [t["case"]["reference"] for t in client.get(TASKS, {"task": "triage"}).json()["results"]] == [
        workflow["late"].reference, workflow["fresh"].reference, workflow["danger"].reference]
    page = client.get(TASKS, {"page_size": 1}).json()
    assert page["count"] == 4 and len(page["results"]) == 1 and page["next"] and page["summary"]["open"] == 4
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert client.get(TASKS, {"from": tomorrow}).json()["summary"] == {"open": 0, "overdue": 0, "by_task": []}


def test_task_report_takes_the_same_queries_for_a_few_or_many_tasks(people, client_for,
                                                                   django_assert_max_num_queries):
    def add(count: int) -> None:
        for n in range(count):
            case = open_case(subject=None, reference=f"SW-2026-{Task.objects.count() + n + 900:04d}")
            task = Task.objects.create(process=case, flow_task=IncidentFlow.instance.assess, flow_task_type="HUMAN",
                                       status=STATUS.ASSIGNED if n % 2 else STATUS.NEW,
                                       owner=people.safety if n % 2 else None)
            TaskDeadline.objects.create(task=task, sla="assess",
                                        due_at=timezone.now() + dt.timedelta(days=(n % 3) - 1))

    client = client_for(people.monitoring)
    add(3)
    with django_assert_max_num_queries(6) as few:
        assert client.get(TASKS, {"page_size": 200}).json()["count"] == 3
    add(40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(TASKS, {"page_size": 200}).json()
    assert body["count"] == 43 and body["summary"]["by_task"][0]["claimed"] == 21
    assert {(t["claimed_by"] or {}).get("name") for t in body["results"]} == {"Hana Safety", None}


@pytest.fixture
def referrals(people, decision_table):
    """Referrals on the realistic histories: made in April and May, one outcome each kind, one older."""
    contact = PoliceContactFactory()
    slow, once, five = slow_burn(people), one_off(people), five_councillors(people)

    def refer(case, on, **fields):
        referral = PoliceReferral.objects.create(case=case, contact=contact, reason="Assessed as serious.",
                                                 referred_by=people.safety, referred_at=when(on), **fields)
        referral.incidents.set(case.incidents.all())
        return referral

    return {
        "slow": refer(slow.cases[1], "2026-04-02", status="charged", crime_reference="NP/26/1234",
                      acknowledged_at=when("2026-04-02", 11), outcome_recorded_at=when("2026-05-20")),
        "five": refer(five.cases[0], "2026-05-07", urgent=True, status="investigating",
                      crime_reference="NP/26/2001", acknowledged_at=when("2026-05-07", 11)),
        "once": refer(once.cases[0], "2026-02-15", status="no_further_action",
                      acknowledged_at=when("2026-02-16"), outcome_recorded_at=when("2026-03-01")),
    }


def test_referrals_and_their_outcomes(people, referrals, client_for):
    body = client_for(people.monitoring).get(REFERRALS, {"from": "2026-04-01", "to": "2026-05-31"}).json()
    summary = body["summary"]
    assert {k: summary[k] for k in ("from", "to", "total", "urgent", "open", "acknowledged",
                                    "with_crime_reference")} == {
        "from": "2026-04-01", "to": "2026-05-31", "total": 2, "urgent": 1, "open": 1, "acknowledged": 2,
        "with_crime_reference": 2}
    assert {s["status"]: s["count"] for s in summary["by_status"] if s["count"]} == {"charged": 1, "investigating": 1}
    assert [(r["case"]["reference"], r["status_label"], r["crime_reference"], r["incident_count"])
            for r in body["results"]] == [
        ("SW-2026-0005", "Under investigation", "NP/26/2001", 6),
        ("SW-2026-0003", "Charged", "NP/26/1234", 5),
    ]
    everything = client_for(people.safety).get(REFERRALS).json()
    assert everything["count"] == 3 and everything["summary"]["open"] == 1
    nfa = client_for(people.safety).get(REFERRALS, {"status": "no_further_action"}).json()
    assert [r["case"]["reference"] for r in nfa["results"]] == ["SW-2026-0002"]
    assert client_for(people.safety).get(REFERRALS, {"status": "lost"}).status_code == 400


def test_referral_report_takes_the_same_queries_for_a_few_or_many(people, referrals, client_for,
                                                                 django_assert_max_num_queries):
    client = client_for(people.members)
    with django_assert_max_num_queries(6) as few:
        client.get(REFERRALS, {"page_size": 200})
    case = referrals["slow"].case
    for n in range(30):
        PoliceReferral.objects.create(case=case, contact=referrals["slow"].contact, reason="x",
                                      referred_at=when("2026-06-01") + dt.timedelta(hours=n)).incidents.set(
            case.incidents.all()[:2])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(REFERRALS, {"page_size": 200}).json()["count"] == 33
