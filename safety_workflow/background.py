"""Background work: every piece of it is a Django task (``django.tasks``), queued after the transaction commits.

Django 6 ships ``django.tasks``; on Django 5.2 the ``django-tasks`` backport gives the same API. Which
engine runs the tasks is the host's ``TASKS`` setting (docs/background.md): the database queue of
``django-tasks-db`` and its ``db_worker`` by default, RQ on Redis (``django-tasks-rq``) for councils with
several machines, the immediate backend (the task runs in the request) only for tests and development.

The tasks, all keyword-only, with JSON arguments:

- :func:`build_bundle` ``(bundle_id, attempt)``: build one bundle (``bundles/build.py``);
- :func:`deliver_notification` ``(notification_id)``: send one recorded notification (Django e-mail through the
  adapter's ``notify()``, or GOV.UK Notify), with retries (``notifications.py`` records and queues it);
- :func:`deliver_webhook` ``(delivery_id)``: POST one signed event to a webhook subscription, with retries
  (``webhooks.py`` records and queues it);
- :func:`send_notification` ``(event, recipients, subject, message, context)``: the notice task of earlier
  versions (still run for tasks already queued): the adapter's ``notify()`` with no record;
- :func:`extract_evidence_text` ``(evidence_id)``: read the text of one evidence file (OCR, PDF text, e-mail);
- :func:`requeue_stale_bundles`, :func:`notify_overdue_tasks`, :func:`open_register_reviews`,
  :func:`dispose_expired_records`, :func:`retry_deliveries`: the scheduled work, also run by the management
  commands of the same purpose.

Every task is enqueued on the backend ``SAFETY_WORKFLOW["TASK_BACKEND"]`` (an alias of ``TASKS``) and on the queue
``TASK_QUEUE``, or ``BUNDLE_TASK_QUEUE`` for bundle builds and ``EVIDENCE_TEXT_TASK_QUEUE`` for reading
evidence, so long work can have workers of its own.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

try:  # Django 6.0 and later
    from django.tasks import TaskResultStatus, task, task_backends
    from django.tasks.exceptions import InvalidTaskBackend as InvalidTaskBackendError
    from django.tasks.exceptions import TaskResultDoesNotExist
except ImportError:  # Django 5.2: the django-tasks backport of the same API
    from django_tasks import TaskResultStatus, task, task_backends
    from django_tasks.exceptions import InvalidTaskBackendError, TaskResultDoesNotExist

from .conf import app_settings

logger = logging.getLogger("safety_workflow")

__all__ = [
    "InvalidTaskBackendError", "TaskResultDoesNotExist", "TaskResultStatus", "build_bundle", "deliver_notification",
    "deliver_webhook", "enqueue_after_commit", "enqueue_later", "extract_evidence_text", "retry_deliveries",
    "dispose_expired_records", "get_backend", "notify_overdue_tasks", "open_register_reviews",
    "requeue_stale_bundles", "send_notification", "task_still_waiting",
]

#: A notification whose delivery raised is tried again after these delays (when the backend can defer).
NOTIFY_RETRY_DELAYS = (60, 300)


def get_backend() -> Any:
    """The task backend safety_workflow queues on (``SAFETY_WORKFLOW["TASK_BACKEND"]``, an alias of ``TASKS``)."""
    return task_backends[app_settings.TASK_BACKEND]


def _bound(task_obj: Any, queue_name: str | None, run_after: dt.datetime | None = None) -> Any:
    options: dict[str, Any] = {"backend": app_settings.TASK_BACKEND,
                               "queue_name": queue_name or app_settings.TASK_QUEUE}
    if run_after is not None:
        options["run_after"] = run_after
    return task_obj.using(**options)


def enqueue_after_commit(task_obj: Any, *, queue_name: str | None = None,
                         on_enqueued: Callable[[Any], None] | None = None, **kwargs: Any) -> None:
    """Queue ``task_obj(**kwargs)`` once the current transaction commits (at once outside a transaction).

    A worker therefore never sees a task for rows it cannot read yet, and a rolled-back request
    queues nothing. If the queue cannot be reached the error is logged: the work is then picked up
    by the scheduled job that looks for it (a bundle is queued again once it is stale).
    ``on_enqueued(result)`` gets the backend's task result (its ``id`` identifies the task).
    """
    bound = _bound(task_obj, queue_name)

    def send() -> None:
        try:
            result = bound.enqueue(**kwargs)
        except Exception:
            logger.exception("safety_workflow: could not queue the task %s", task_obj.name)
            return
        if on_enqueued is not None:
            on_enqueued(result)

    transaction.on_commit(send, robust=True)


def enqueue_later(task_obj: Any, *, run_after: dt.datetime | None, **kwargs: Any) -> bool:
    """Queue ``task_obj(**kwargs)`` to run at ``run_after`` if the backend can wait (after the commit). Returns
    False when it cannot: the scheduled ``retry_deliveries`` task then picks the work up when it is due."""
    try:
        if not get_backend().supports_defer:
            return False
    except Exception:  # noqa: BLE001 - no backend: the scheduled pick-up will do
        return False
    bound = _bound(task_obj, None, run_after=run_after)

    def send() -> None:
        try:
            bound.enqueue(**kwargs)
        except Exception:
            logger.exception("safety_workflow: could not queue the task %s for later", task_obj.name)

    transaction.on_commit(send, robust=True)
    return True


def task_still_waiting(task_id: str) -> bool:
    """True if the backend says this task is queued and not started yet; False if unknown or unanswerable."""
    if not task_id:
        return False
    try:
        backend = get_backend()
        if not backend.supports_get_result:
            return False
        return backend.get_result(task_id).status == TaskResultStatus.READY
    except Exception:  # not found, pruned, another backend's id, the queue down: we cannot tell
        return False


# Bundles ------------------------------------------------------------------------------------------


@task
def build_bundle(*, bundle_id: str, attempt: int) -> str:
    """Build one attempt of a bundle. Returns ready, failed, skipped (not queued for this attempt) or superseded."""
    from .bundles.build import bundle_build_job

    return bundle_build_job(bundle_id=bundle_id, attempt=attempt)


@task
def requeue_stale_bundles() -> dict[str, int]:
    """Queue again the builds that died (a killed worker), or mark them failed after ``BUNDLE_MAX_ATTEMPTS``."""
    from .services.bundles import bundles_requeue_stale

    return bundles_requeue_stale()


# Evidence -----------------------------------------------------------------------------------------


@task
def extract_evidence_text(*, evidence_id: str) -> str:
    """Read the text of one evidence file and store it. Returns its status (done, unavailable, failed), or
    "missing" if the evidence was deleted meanwhile."""
    from .services.evidence_text import evidence_text_extract

    result = evidence_text_extract(evidence_id=evidence_id)
    return result.status if result is not None else "missing"


# Notifications ------------------------------------------------------------------------------------


@task
def send_notification(*, event: str, recipients: list[str], subject: str, message: str,
                      context: dict[str, Any] | None = None, attempt: int = 1) -> dict[str, Any]:
    """Tell people something through the adapter's ``notify()``; see ``notifications.notify`` for the arguments.

    If ``notify()`` raises, the notice is queued again after 1 and then 5 minutes (when the backend can
    run a task later); after that the task fails, and the backend's result keeps the traceback.
    """
    from .adapter import get_adapter
    from .notifications import recipients_resolve

    people = recipients_resolve(recipients)
    try:
        get_adapter().notify(event=event, recipients=people, subject=subject, message=message,
                             context=context or {})
    except Exception:
        backend = get_backend()
        if attempt > len(NOTIFY_RETRY_DELAYS) or not backend.supports_defer:
            raise
        delay = NOTIFY_RETRY_DELAYS[attempt - 1]
        logger.warning("safety_workflow: notifying %s failed (attempt %d); trying again in %d s", event, attempt,
                       delay, exc_info=True)
        _bound(send_notification, None, run_after=timezone.now() + dt.timedelta(seconds=delay)).enqueue(
            event=event, recipients=recipients, subject=subject, message=message, context=context,
            attempt=attempt + 1)
        return {"event": event, "recipients": len(people), "sent": False, "retry": attempt + 1}
    return {"event": event, "recipients": len(people), "sent": True}


@task
def deliver_notification(*, notification_id: str) -> str:
    """Send one recorded notification; returns its status (sent, sending, retrying, failed...)."""
    from .notifications import notification_deliver

    return notification_deliver(notification_id=notification_id)


# Webhooks -----------------------------------------------------------------------------------------


@task
def deliver_webhook(*, delivery_id: str) -> str:
    """POST one event to its subscription's URL, signed; returns the delivery's status."""
    from .webhooks import webhook_deliver

    return webhook_deliver(delivery_id=delivery_id)


# Scheduled work -----------------------------------------------------------------------------------


@task
def notify_overdue_tasks() -> dict[str, int]:
    """Tell the owner, or the role, of each human task that is newly overdue (once per task)."""
    from .selectors.tasks import tasks_overdue
    from .services.tasks import tasks_overdue_notify

    now = timezone.now()
    overdue = list(tasks_overdue(now=now))
    return {"overdue": len(overdue), "notified": tasks_overdue_notify(tasks=overdue, now=now)}


@task
def open_register_reviews() -> dict[str, Any]:
    """Open the review of every register entry whose review date has come."""
    from .services.register import register_reviews_open

    opened = register_reviews_open(today=timezone.localdate())
    return {"opened": [entry.reference for entry in opened]}


@task
def dispose_expired_records() -> dict[str, Any]:
    """Dispose of every record whose retention period has ended (``RETENTION``), except what a legal hold
    keeps: deleted or anonymised in batches, files removed, each disposal in the disposal log."""
    from .services.retention import retention_dispose

    report = retention_dispose()
    return {"disposed": {kind: len(refs) for kind, refs in report.disposed.items()}, "held": report.held,
            "files_deleted": report.files_deleted, "files_failed": report.files_failed}


@task
def retry_deliveries() -> dict[str, int]:
    """Queue again the notifications and webhook deliveries whose retry time has come (a backend that cannot
    run a task later, or a queue that lost the deferred task)."""
    from .notifications import notifications_retry_due
    from .webhooks import webhooks_retry_due

    return {"notifications": notifications_retry_due(), "webhooks": webhooks_retry_due()}


#: The scheduled tasks by the name ``SAFETY_WORKFLOW["SCHEDULE"]`` and the scheduler command use.
SCHEDULED = {
    "requeue_stale_bundles": requeue_stale_bundles,
    "notify_overdue_tasks": notify_overdue_tasks,
    "open_register_reviews": open_register_reviews,
    "dispose_expired_records": dispose_expired_records,
    "retry_deliveries": retry_deliveries,
}
