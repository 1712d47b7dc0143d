"""The tasks themselves, run by the immediate backend: notices queued after commit and sent through the adapter,
their retries, the scheduled work as tasks, the scheduler command, and how a request queues a build."""

from __future__ import annotations

import datetime as dt
import time
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from safety_workflow import background, notifications
from safety_workflow.adapter import DefaultAdapter
from safety_workflow.conf import DEFAULTS

from .factories import PoliceContactFactory

SENT: list[dict] = []


class FlakyAdapter(DefaultAdapter):
    """Fails to deliver the first time, as an SMTP server that is down would."""

    def notify(self, **kwargs):
        SENT.append(kwargs)
        if len(SENT) == 1:
            raise ConnectionError("the mail server is down")


@pytest.fixture
def captured(django_capture_on_commit_callbacks):
    """Run what was queued after the commit, as a worker would, and give back the e-mails sent."""

    def run(action):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks() as queued:
            action()
        assert mail.outbox == [], "nothing may be sent inside the transaction"
        for callback in queued:
            callback()
        return list(mail.outbox)

    return run


@pytest.mark.django_db
def test_a_notice_is_queued_after_commit_and_sent_through_the_adapter(people, captured):
    contact = PoliceContactFactory(email="feoa@police.example")
    sent = captured(lambda: notifications.notify(
        event="police_referral_made", recipients=[people.police, contact, people.police, people.nobody],
        subject="Councillor safety referral SW-2026-0001", message="Sign in to see the referral.",
        context={"case": "SW-2026-0001"}))
    # One notification per recipient (each told on their own: nobody sees who else was told), each recorded.
    assert sorted(m.to for m in sent) == [["feoa@police.example"], ["nobody@council.example"],
                                          ["police@police.example"]]
    assert {m.subject for m in sent} == {"Councillor safety referral SW-2026-0001"}
    from safety_workflow.models import Notification

    assert sorted(Notification.objects.values_list("address", "channel", "status", "attempts")) == [
        ("feoa@police.example", "email", "sent", 1), ("nobody@council.example", "email", "sent", 1),
        ("police@police.example", "email", "sent", 1)]


@pytest.mark.django_db
def test_a_rolled_back_change_tells_nobody(people, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            notifications.notify(event="x", recipients=[people.police], subject="s", message="m")
            raise RuntimeError("the change failed")
    assert mail.outbox == []


@pytest.mark.django_db
def test_recipients_travel_as_references_and_inactive_users_are_left_out(people):
    contact = PoliceContactFactory(email="feoa@police.example")
    outsider = type("Someone", (), {"email": "clerk@parish.example"})()
    refs = [notifications.recipient_ref(r) for r in (people.legal, contact, outsider, object())]
    assert refs == [f"user:{people.legal.pk}", f"police_contact:{contact.pk}", "email:clerk@parish.example", None]
    people.legal.is_active = False
    people.legal.save()
    resolved = notifications.recipients_resolve([r for r in refs if r] + ["user:999999", "nonsense"])
    assert [getattr(r, "email", "") for r in resolved] == ["feoa@police.example", "clerk@parish.example"]


@pytest.mark.django_db
def test_a_failed_delivery_is_tried_again_later_on_a_backend_that_can_wait(people, settings):
    SENT.clear()
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "ADAPTER": "tests.test_background_tasks.FlakyAdapter",
                                "TASK_BACKEND": "database"}
    from django_tasks_db.models import DBTaskResult

    result = background.send_notification.call(event="task_overdue", recipients=[f"user:{people.members.pk}"],
                                               subject="Overdue", message="m", context={"task": 1})
    assert result == {"event": "task_overdue", "recipients": 1, "sent": False, "retry": 2}
    again = DBTaskResult.objects.get()
    assert again.args_kwargs["kwargs"]["attempt"] == 2
    assert 50 <= (again.run_after - timezone.now()).total_seconds() <= 61  # in a minute
    assert background.send_notification.call(**again.args_kwargs["kwargs"])["sent"] is True
    assert len(SENT) == 2 and [u.pk for u in SENT[1]["recipients"]] == [people.members.pk]


@pytest.mark.django_db
def test_a_failed_delivery_fails_the_task_when_the_backend_cannot_wait(people, settings):
    SENT.clear()
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "ADAPTER": "tests.test_background_tasks.FlakyAdapter"}
    result = background.send_notification.enqueue(event="e", recipients=[f"user:{people.members.pk}"], subject="s",
                                                  message="m")
    assert result.status == "FAILED" and "ConnectionError" in result.errors[0].traceback


@pytest.mark.django_db
def test_the_scheduled_work_runs_as_tasks(people, settings):
    from safety_workflow.models import RegisterEntry

    assert background.requeue_stale_bundles.enqueue().return_value == {"requeued": 0, "failed": 0, "waiting": 0}
    assert background.notify_overdue_tasks.enqueue().return_value == {"overdue": 0, "notified": 0}
    assert background.open_register_reviews.enqueue().return_value == {"opened": []}
    assert background.dispose_expired_records.enqueue().return_value == {
        "disposed": {}, "held": {}, "files_deleted": 0, "files_failed": 0}
    assert not RegisterEntry.objects.exists()
    assert set(background.SCHEDULED) == set(DEFAULTS["SCHEDULE"])  # every scheduled task has a default interval


@pytest.mark.django_db
def test_the_scheduler_queues_each_scheduled_task(settings, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "TASK_BACKEND": "database",
                                "SCHEDULE": {"requeue_stale_bundles": 60, "notify_overdue_tasks": 900,
                                             "open_register_reviews": 0, "dispose_expired_records": None,
                                             "retry_deliveries": 0}}
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("safety_workflow_scheduler", "--once", stdout=out)
    assert sorted(DBTaskResult.objects.values_list("task_path", flat=True)) == [
        "safety_workflow.background.notify_overdue_tasks", "safety_workflow.background.requeue_stale_bundles"]
    assert "queued requeue_stale_bundles" in out.getvalue()


@pytest.mark.django_db
def test_the_scheduler_runs_until_it_is_stopped(settings, monkeypatch):
    """Every task at once on start, then each on its interval, until SIGTERM."""
    import signal

    from safety_workflow.management.commands import safety_workflow_scheduler as command

    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "SCHEDULE": {
        "requeue_stale_bundles": 0.2, "notify_overdue_tasks": 3600,
        "open_register_reviews": None, "dispose_expired_records": None,
            "retry_deliveries": None}}  # SCHEDULE merges over its defaults
    queued, handlers = [], {}
    monkeypatch.setattr(command, "enqueue_after_commit", lambda task: queued.append(task.name))
    monkeypatch.setattr(command.signal, "signal", lambda sig, handler: handlers.__setitem__(sig, handler))
    clock = iter(range(10_000))
    monkeypatch.setattr(command.time, "monotonic", lambda: next(clock) * 0.1)

    def sleep(seconds):
        if len(queued) >= 5:
            handlers[signal.SIGTERM](signal.SIGTERM, None)

    monkeypatch.setattr(command.time, "sleep", sleep)
    out = StringIO()
    call_command("safety_workflow_scheduler", "--tick", "0.1", stdout=out)
    assert queued[:2] == ["requeue_stale_bundles", "notify_overdue_tasks"]
    assert queued[2:] == ["requeue_stale_bundles"] * (len(queued) - 2) and len(queued) >= 5
    assert out.getvalue().rstrip().endswith("Scheduler stopped.")


@pytest.mark.django_db
def test_requesting_a_bundle_only_queues_it(people, client_for, settings, decision_table):
    """On a real queue the request answers 202 "queued" at once; the build is a task row for a worker."""
    pytest.importorskip("weasyprint")
    from django_tasks_db.models import DBTaskResult

    from .bundles_helpers import injunction_case

    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "TASK_BACKEND": "database",
                                "BUNDLE_TASK_QUEUE": "bundles"}
    case = injunction_case(people, decision_table, count=3)
    started = time.perf_counter()
    response = client_for(people.legal).post("/api/safety/bundles/", {"kind": "injunction",
                                                                      "scope": {"case": case.pk}}, format="json")
    assert time.perf_counter() - started < 1.0
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["progress"], body["step"], body["download_url"]) == ("queued", 0, "", None)
    # Queued only once the request's transaction commits (pytest-django's test transaction never does).
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_an_unreachable_queue_is_logged_and_the_bundle_waits_for_the_requeue(people, client_for, settings,
                                                                              django_capture_on_commit_callbacks,
                                                                              caplog, decision_table):
    pytest.importorskip("weasyprint")
    from safety_workflow.models import Bundle

    from .bundles_helpers import injunction_case

    case = injunction_case(people, decision_table, count=2)

    def broken(*args, **kwargs):
        raise ConnectionError("the queue is down")

    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "TASK_BACKEND": "database"}
    backend = background.get_backend()
    original = type(backend).enqueue
    type(backend).enqueue = broken
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(people.legal).post("/api/safety/bundles/", {"kind": "injunction",
                                                                              "scope": {"case": case.pk}},
                                                     format="json")
    finally:
        type(backend).enqueue = original
    assert response.status_code == 202
    row = Bundle.objects.get()
    assert (row.status, row.task_id) == ("queued", "")
    assert "could not queue the task build_bundle" in caplog.text
    Bundle.objects.update(heartbeat_at=timezone.now() - dt.timedelta(seconds=901))
    with django_capture_on_commit_callbacks(execute=True):
        assert background.requeue_stale_bundles.call() == {"requeued": 1, "failed": 0, "waiting": 0}
    assert Bundle.objects.get().task_id  # queued this time


def test_the_tasks_framework_is_djangos_own_on_django_6_and_the_backport_on_5_2():
    import django

    expected = "django.tasks" if django.VERSION >= (6, 0) else "django_tasks"
    assert background.task.__module__.split(".base")[0] == expected
    assert type(background.build_bundle).__module__ == f"{expected}.base"
    assert background.build_bundle.module_path == "safety_workflow.background.build_bundle"
