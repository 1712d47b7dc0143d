"""Course-of-conduct flags and escalation signals: raised once, with their reasons, and shown on the subject."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection

from safety_workflow import signals
from safety_workflow.api.subjects import ConductFlagSerializer
from safety_workflow.models import AccessLogEntry, CourseOfConductFlag, EscalationSignal, Subject, TimelineEntry
from safety_workflow.selectors.patterns import conduct_flags_for_case
from safety_workflow.services.patterns import conduct_flags_update

from .factories import person_for
from .histories import add_incident, assess, five_councillors, one_off, open_case, slow_burn

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    """Receivers on our two pattern signals; the lists fill once the transaction commits."""
    got = {"flags": [], "signals": []}

    def on_flag(sender, flag, **kwargs):
        got["flags"].append(flag)

    def on_signal(sender, escalation, **kwargs):
        got["signals"].append(escalation)

    signals.course_of_conduct_flagged.connect(on_flag)
    signals.escalation_signal_noticed.connect(on_signal)
    yield got
    signals.course_of_conduct_flagged.disconnect(on_flag)
    signals.escalation_signal_noticed.disconnect(on_signal)


def test_the_second_incident_against_the_same_councillor_raises_the_flag_once(
        people, decision_table, django_capture_on_commit_callbacks, received):
    subject = Subject.objects.create(full_name="Gary Pike")
    case = open_case(subject=subject, reference="SW-2026-0001")
    add_incident(case, councillor=people.councillor, occurred="2026-01-05", channel="email")
    assert not conduct_flags_update(subject=subject, actor=people.members)
    assert len(mail.outbox) == 0

    add_incident(case, councillor=people.councillor, occurred="2026-02-09", channel="social_media")
    with django_capture_on_commit_callbacks(execute=True):
        update = conduct_flags_update(subject=subject, actor=people.members)
    [flag] = update.flags
    assert (flag.protected_person.user, flag.case, flag.incident_count, flag.raised_by) == (
        people.councillor, case, 2, people.members)
    assert sorted(i.reference for i in flag.incidents.all()) == ["SW-2026-0001-01", "SW-2026-0001-02"]
    assert flag.reason.startswith(
        "Gary Pike has 2 logged incidents against Cllr Ahmed, from 5 January 2026 to 9 February 2026: "
        "SW-2026-0001-01 (5 January 2026, by e-mail) and SW-2026-0001-02 (9 February 2026, on social media).")
    assert received["flags"] == [flag]

    # The assessor is told: health and safety, by the adapter, with identifiers only.
    [message] = mail.outbox
    assert message.to == ["hs@council.example"]
    assert "SW-2026-0001" in message.subject and "Gary Pike" not in message.body
    entry = TimelineEntry.objects.get(case=case, action="course_of_conduct_flagged")
    assert entry.reason == flag.reason and entry.actor == people.members and not entry.shared_with_councillor

    # A third incident changes the live picture but is not told again.
    add_incident(case, councillor=people.councillor, occurred="2026-03-09", channel="email")
    assert not conduct_flags_update(subject=subject, actor=people.members).flags
    assert CourseOfConductFlag.objects.count() == 1 and len(mail.outbox) == 1


def test_slow_burn_harasser_is_flagged_with_every_escalation_on_the_latest_case(
        people, decision_table, django_capture_on_commit_callbacks, received):
    history = slow_burn(people)
    with django_capture_on_commit_callbacks(execute=True):
        update = conduct_flags_update(subject=history.subject, actor=None)

    assert [f.protected_person.user for f in update.flags] == [people.councillor]
    assert {s.key for s in update.signals} == {"moved_in_person", "severity_rising:serious", "frequency_rising"}
    latest_case = history.cases[1]
    assert {f.case for f in update.flags} | {s.case for s in update.signals} == {latest_case}
    assert set(received["signals"]) == set(update.signals)
    moved = next(s for s in update.signals if s.kind == "moved_in_person")
    assert "Gary Pike came to Cllr Ahmed's surgery on 6 April 2026 (SW-2026-0003-04)" in moved.explanation
    assert moved.incidents.count() == 7

    actions = list(TimelineEntry.objects.filter(case=latest_case).values_list("action", flat=True))
    assert actions.count("course_of_conduct_flagged") == 1 and actions.count("escalation_noticed") == 3
    assert len(mail.outbox) == 1  # one message for everything noticed at once
    assert "escalation" in mail.outbox[0].body.lower()

    # Idempotent; and a new assessment at a level already reached says nothing new.
    assess(latest_case, level="serious", on="2026-04-10", assessor=people.safety)
    assert not conduct_flags_update(subject=history.subject, actor=None)
    assert len(mail.outbox) == 1


def test_one_off_angry_email_flags_nothing(people, decision_table):
    history = one_off(people)
    assert not conduct_flags_update(subject=history.subject, actor=people.members)
    assert not CourseOfConductFlag.objects.exists() and not EscalationSignal.objects.exists()
    assert len(mail.outbox) == 0


def test_one_subject_writing_to_five_councillors(people, decision_table):
    history = five_councillors(people)
    update = conduct_flags_update(subject=history.subject, actor=people.members)
    assert [f.protected_person.user for f in update.flags] == [people.councillor]  # only Cllr Ahmed had two
    assert [s.key for s in update.signals] == ["several_people:5"]
    assert update.signals[0].explanation.startswith("Derek Mallory has incidents against 5 councillors:")


def test_a_flag_shows_on_the_subjects_later_cases_about_the_same_councillor(people, decision_table):
    history = slow_burn(people)
    first, second = history.cases
    # Flag raised while only the first case existed would sit on it; show it on the later case too.
    flag = CourseOfConductFlag.objects.create(
        subject=history.subject, protected_person=person_for(people.councillor), case=first, incident_count=2,
        reason="Two e-mails.")
    assert list(conduct_flags_for_case(second)) == [flag]
    flag.incidents.set(history.incidents[:2])
    [shown] = ConductFlagSerializer(conduct_flags_for_case(second), many=True).data  # as a case view would
    assert (shown["case"]["reference"], shown["reason"], shown["protected_person"]["name"]) == (
        "SW-2026-0001", "Two e-mails.", "Cllr Ahmed")
    assert [i["reference"] for i in shown["incidents"]] == ["SW-2026-0001-01", "SW-2026-0001-02"]
    other = open_case(subject=history.subject, reference="SW-2026-0009")
    add_incident(other, councillor=people.councillor2, occurred="2026-05-01", channel="email")
    assert list(conduct_flags_for_case(other)) == []  # a different councillor


# Through the API -------------------------------------------------------------------------------
def test_conduct_endpoint_explains_the_course_of_conduct_and_the_signals(people, decision_table, client_for):
    history = slow_burn(people)
    conduct_flags_update(subject=history.subject, actor=people.members)

    response = client_for(people.monitoring).get(f"/api/safety/subjects/{history.subject.pk}/conduct/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["subject"] == {"id": str(history.subject.pk), "name": "Gary Pike"}
    assert body["incident_count"] == 7
    [group] = body["course_of_conduct"]
    assert (group["protected_person"]["name"], group["incident_count"], group["reaches_threshold"]) == (
        "Cllr Ahmed", 7, True)
    assert group["flag"]["reason"].startswith("Gary Pike has 7 logged incidents against Cllr Ahmed")
    assert [i["reference"] for i in group["incidents"]][:2] == ["SW-2026-0001-01", "SW-2026-0001-02"]
    assert [i["level"] for i in group["incidents"]] == ["low", "low", "medium", "medium", "serious", "serious", ""]
    signals_by_kind = {s["kind"]: s for s in body["signals"]}
    assert set(signals_by_kind) == {"moved_in_person", "severity_rising", "frequency_rising"}
    assert all(s["noticed_at"] for s in body["signals"])
    assert signals_by_kind["severity_rising"]["explanation"] == (
        "The assessed level has risen from low to serious: SW-2026-0001-01 (5 January 2026) was assessed low, "
        "SW-2026-0003-01 (2 March 2026) medium and SW-2026-0003-03 (1 April 2026) serious.")
    assert [i["reference"] for i in signals_by_kind["severity_rising"]["incidents"]] == [
        "SW-2026-0001-01", "SW-2026-0003-01", "SW-2026-0003-03"]
    assert len(body["signals_noticed"]) == 3 and len(body["course_of_conduct_flags"]) == 1
    assert AccessLogEntry.objects.filter(actor=people.monitoring, object_type="subject",
                                         object_id=str(history.subject.pk), action="view").exists()


@pytest.mark.parametrize("who", ["councillor", "legal", "police", "frontline", "governance", "nobody"])
def test_only_case_officers_see_a_subjects_conduct(people, decision_table, client_for, who):
    history = one_off(people)
    response = client_for(getattr(people, who)).get(f"/api/safety/subjects/{history.subject.pk}/conduct/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    missing = client_for(getattr(people, who)).get("/api/safety/subjects/0b7e2bd4-7f3c-4ad4-9d53-000000000000/conduct/")
    assert missing.json() == response.json()
    assert not AccessLogEntry.objects.exists()


def test_conduct_endpoint_costs_the_same_whatever_the_history(people, decision_table, client_for,
                                                             django_assert_max_num_queries):
    subject = Subject.objects.create(full_name="Pat Long")
    case = open_case(subject=subject, reference="SW-2026-0100")

    def grow(to: int) -> None:
        for n in range(case.incidents.count(), to):
            add_incident(case, councillor=people.councillor if n % 2 else people.councillor2,
                         occurred=f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}", channel="email")
        assess(case, level="medium", on="2026-06-01", assessor=people.safety)
        conduct_flags_update(subject=subject, actor=None)

    client = client_for(people.safety)
    grow(4)
    with django_assert_max_num_queries(12) as small:
        assert client.get(f"/api/safety/subjects/{subject.pk}/conduct/").status_code == 200
    grow(60)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(f"/api/safety/subjects/{subject.pk}/conduct/").status_code == 200


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_two_updates_at_once_raise_one_flag(people):
    subject = Subject.objects.create(full_name="Gary Pike")
    case = open_case(subject=subject, reference="SW-2026-0001")
    add_incident(case, councillor=people.councillor, occurred="2026-01-05", channel="email")
    add_incident(case, councillor=people.councillor, occurred="2026-02-09", channel="email")
    barrier, results, errors = threading.Barrier(2), [], []

    def update() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(conduct_flags_update(subject=subject, actor=None))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=update) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(len(r.flags) for r in results) == [0, 1]
    assert CourseOfConductFlag.objects.count() == 1 and len(mail.outbox) == 1
