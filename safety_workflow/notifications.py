"""Telling people things: each notice a :class:`~safety_workflow.models.Notification`, delivered by a worker.

Services call :func:`notify`; nothing is sent inside the request. It records one notification per recipient
and channel and queues ``background.deliver_notification`` for each once the transaction commits. Channels:
Django e-mail through the adapter's ``notify()`` (the default: a host still customises delivery in one place,
``DefaultAdapter.notify``), and GOV.UK Notify e-mail and text messages for the events that have Notify
templates (``SAFETY_WORKFLOW["NOTIFY_TEMPLATES"]``). Notify's delivery receipts come back through
:func:`notify_receipt_record` (the callback view ``api/callbacks.py``). A delivery that fails is tried again
with exponential backoff; the scheduled ``retry_deliveries`` task picks up any whose time has come.

What travels through the queue is small and stable: the event name, the recipients as references
(``"user:<pk>"``, ``"police_contact:<pk>"``, or ``"email:<address>"`` for anything else with an e-mail
address), the subject, the message and the context (identifiers only, never case detail).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .conf import app_settings

logger = logging.getLogger("safety_workflow")


def recipient_ref(recipient: Any) -> str | None:
    """The queue's reference for one recipient, or None if it cannot be reached (no e-mail, no account)."""
    from .models import PoliceContact

    if isinstance(recipient, PoliceContact):
        return f"police_contact:{recipient.pk}"
    if isinstance(recipient, get_user_model()):
        return f"user:{recipient.pk}"
    email = getattr(recipient, "email", "")
    return f"email:{email}" if email else None


def recipients_resolve(refs: Iterable[str]) -> list[Any]:
    """The references back as objects, in order, without duplicates; users no longer active are left out."""
    from .models import PoliceContact

    refs = list(dict.fromkeys(refs))
    keys: dict[str, list[str]] = {"user": [], "police_contact": []}
    for ref in refs:
        kind, _, key = ref.partition(":")
        if kind in keys:
            keys[kind].append(key)
    User = get_user_model()
    users = {str(u.pk): u for u in User._default_manager.filter(pk__in=keys["user"])
             if getattr(u, "is_active", True)} if keys["user"] else {}
    contacts = ({str(c.pk): c for c in PoliceContact.objects.filter(pk__in=keys["police_contact"])}
                if keys["police_contact"] else {})
    people: list[Any] = []
    for ref in refs:
        kind, _, key = ref.partition(":")
        found = {"user": users, "police_contact": contacts}.get(kind, {}).get(key)
        if kind == "email" and key:
            found = SimpleNamespace(email=key, pk=None)
        if found is not None:
            people.append(found)
    return people


def _channels(event: str, recipient: Any) -> list[tuple[str, str]]:
    """(channel, Notify template id) for one recipient of ``event``: Notify e-mail when the event has an e-mail
    template (Django e-mail otherwise), and a Notify text message too when it has an SMS template and the
    recipient has a phone number."""
    from .adapter import get_adapter
    from .models import Notification

    templates = app_settings.NOTIFY_TEMPLATES.get(event) or app_settings.NOTIFY_TEMPLATES.get("*") or {}
    channels: list[tuple[str, str]] = []
    if getattr(recipient, "email", ""):
        if templates.get("email"):
            channels.append((Notification.Channel.NOTIFY_EMAIL, templates["email"]))
        else:
            channels.append((Notification.Channel.EMAIL, ""))
    if templates.get("sms") and get_adapter().phone_number(recipient):
        channels.append((Notification.Channel.NOTIFY_SMS, templates["sms"]))
    return channels


def _case_of(context: dict[str, Any]) -> Any:
    from .models import Case

    reference = context.get("case")
    if isinstance(reference, str) and reference:
        return Case.objects.filter(reference=reference).first()
    if isinstance(reference, int):
        return Case.objects.filter(pk=reference).first()
    return None


def notify(*, event: str, recipients: Iterable[Any], subject: str, message: str,
           context: dict[str, Any] | None = None, case: Any = None) -> list[Any]:
    """Record and queue a notice to ``recipients`` (users, police contacts, or objects with an ``email``).

    One :class:`~safety_workflow.models.Notification` per recipient and channel, sent by a worker once the
    current transaction commits; a rolled-back change tells nobody. ``context`` carries identifiers only (JSON);
    ``case`` (or ``context["case"]``, a case reference) is the case the notice is about, which decides who may
    read it through the API. Returns the notifications recorded.
    """
    from .background import deliver_notification, enqueue_after_commit
    from .models import Notification

    context = context or {}
    seen: dict[str, Any] = {}
    for recipient in recipients:
        ref = recipient_ref(recipient)
        if ref and ref not in seen:
            seen[ref] = recipient
    if not seen:
        logger.info("safety_workflow: %s has no recipient who can be told", event)
        return []
    case = case if case is not None else _case_of(context)
    made = []
    from .adapter import get_adapter

    told: set[tuple[str, str]] = set()  # one notice per address and channel (a contact who is also a user)
    for ref, recipient in seen.items():
        for channel, template in _channels(event, recipient):
            address = (get_adapter().phone_number(recipient) if channel == Notification.Channel.NOTIFY_SMS
                       else getattr(recipient, "email", "")).strip().lower()
            if (channel, address) in told:
                continue
            told.add((channel, address))
            made.append(Notification.objects.create(
                event=event, channel=channel, recipient=ref, subject=subject[:300], message=message,
                context=context, template_id=template, case=case))
    for item in made:
        enqueue_after_commit(deliver_notification, notification_id=str(item.pk))
    if not made:
        logger.info("safety_workflow: %s has no recipient with an address", event)
    return made


# Delivery (in the worker) ------------------------------------------------------------------------------


class PermanentFailure(Exception):
    """A delivery that trying again cannot mend (no address any more, a template Notify refuses)."""


def backoff(base: int, attempts: int) -> dt.timedelta:
    """The wait before the next attempt: ``base`` seconds after the first failure, doubling, at most a day."""
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 86400))


def notify_client() -> Any:
    """The GOV.UK Notify client (``notifications-python-client``, the ``notify`` extra)."""
    from notifications_python_client.notifications import NotificationsAPIClient

    return NotificationsAPIClient(app_settings.NOTIFY_API_KEY, base_url=app_settings.NOTIFY_BASE_URL,
                                  timeout=app_settings.NOTIFY_TIMEOUT_SECONDS)


def _claim(model: Any, pk: Any, statuses: Iterable[str]) -> Any:
    """The row, with one more attempt counted, if it is waiting to be sent and no other worker took it."""
    try:
        row = model.objects.filter(pk=pk).first()
    except (ValueError, TypeError):
        return None
    if row is None or row.status not in set(statuses):
        return None
    if row.next_attempt_at is not None and row.next_attempt_at > timezone.now() + dt.timedelta(seconds=1):
        return None  # not due yet: a retry queued for later, or the scheduled pick-up, will send it
    taken = model.objects.filter(pk=pk, status=row.status, attempts=row.attempts).update(
        attempts=row.attempts + 1, next_attempt_at=None)
    if not taken:
        return None
    row.attempts += 1
    row.next_attempt_at = None
    return row


def notification_deliver(*, notification_id: str) -> str:
    """Send one notification (safe to run twice: a sent one is left alone). Returns its status afterwards."""
    from .adapter import get_adapter
    from .models import Notification

    item = _claim(Notification, notification_id, (Notification.Status.QUEUED, Notification.Status.RETRYING))
    if item is None:
        row = Notification.objects.filter(pk=notification_id).values_list("status", flat=True).first()
        return row or "missing"
    now = timezone.now()
    try:
        people = recipients_resolve([item.recipient])
        if not people:
            raise PermanentFailure(_("The recipient can no longer be reached (no account, or inactive)."))
        person = people[0]
        if item.channel == Notification.Channel.EMAIL:
            item.address = person.email
            get_adapter().notify(event=item.event, recipients=[person], subject=item.subject, message=item.message,
                                 context=item.context)
            item.status = Notification.Status.SENT
        else:
            item.address, response = _notify_send(item, person)
            item.provider_reference = str(response.get("id", ""))[:100]
            item.status = Notification.Status.SENDING
        item.sent_at = now
        item.last_error = ""
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the notification
        item.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        permanent = isinstance(exc, PermanentFailure) or _refused_by_notify(exc)
        if permanent or item.attempts >= app_settings.NOTIFICATION_MAX_ATTEMPTS:
            item.status = Notification.Status.FAILED
        else:
            item.status = Notification.Status.RETRYING
            item.next_attempt_at = now + backoff(app_settings.NOTIFICATION_RETRY_BASE_SECONDS, item.attempts)
        logger.warning("safety_workflow: notification %s (%s) failed, attempt %d: %s", item.pk, item.event,
                       item.attempts, item.last_error)
    item.status_at = now
    item.save(update_fields=["status", "status_at", "address", "provider_reference", "sent_at", "last_error",
                             "next_attempt_at"])
    if item.status == Notification.Status.RETRYING:
        from .background import deliver_notification, enqueue_later

        enqueue_later(deliver_notification, run_after=item.next_attempt_at, notification_id=str(item.pk))
    return item.status


def _notify_send(item: Any, person: Any) -> tuple[str, dict[str, Any]]:
    from .adapter import get_adapter
    from .models import Notification

    personalisation = {"subject": item.subject, "message": item.message,
                       "reference": str((item.context or {}).get("case", ""))}
    client = notify_client()
    if item.channel == Notification.Channel.NOTIFY_SMS:
        phone = get_adapter().phone_number(person)
        if not phone:
            raise PermanentFailure(_("The recipient has no phone number."))
        return phone, client.send_sms_notification(phone_number=phone, template_id=item.template_id,
                                                   personalisation=personalisation, reference=str(item.pk))
    if not getattr(person, "email", ""):
        raise PermanentFailure(_("The recipient has no e-mail address."))
    return person.email, client.send_email_notification(email_address=person.email, template_id=item.template_id,
                                                        personalisation=personalisation, reference=str(item.pk))


def _refused_by_notify(exc: Exception) -> bool:
    """Notify answered 400 or 403 (a bad template, number or key): trying again gives the same answer."""
    status = getattr(exc, "status_code", None)
    return isinstance(status, int) and status in (400, 403)


#: Notify's statuses in a delivery receipt, and ours.
NOTIFY_RECEIPT_STATUSES = ("delivered", "permanent-failure", "temporary-failure", "technical-failure", "sending",
                           "created", "pending", "sent")


def notify_receipt_record(receipt: dict[str, Any]) -> Any:
    """Record a GOV.UK Notify delivery receipt (the callback's JSON body) on its notification.

    The notification is found by Notify's id or by our reference (its own id, sent as ``reference``).
    Returns it, or None if the receipt is for nothing we sent.
    """
    from .models import Notification

    status = receipt.get("status")
    if status not in NOTIFY_RECEIPT_STATUSES:
        return None
    with transaction.atomic():
        found = Notification.objects.select_for_update().filter(
            provider_reference=str(receipt.get("id", ""))[:100]).exclude(provider_reference="").first()
        if found is None:
            try:
                found = Notification.objects.select_for_update().filter(pk=receipt.get("reference")).first()
            except Exception:  # noqa: BLE001 - a reference that is not one of our ids
                found = None
        if found is None:
            return None
        if status in ("created", "pending", "sending", "sent"):
            status = Notification.Status.SENDING
        if found.status in (Notification.Status.SENDING, Notification.Status.QUEUED, Notification.Status.RETRYING,
                            Notification.Status.TEMPORARY_FAILURE) or status != Notification.Status.SENDING:
            found.status = status
            found.status_at = timezone.now()
            if not found.provider_reference and receipt.get("id"):
                found.provider_reference = str(receipt["id"])[:100]
            found.save(update_fields=["status", "status_at", "provider_reference"])
    return found


def notifications_retry_due(*, now: dt.datetime | None = None) -> int:
    """Queue every notification whose retry time has come (the backend may not run a task later)."""
    from .background import deliver_notification, enqueue_after_commit
    from .models import Notification

    now = now or timezone.now()
    due = list(Notification.objects.filter(status=Notification.Status.RETRYING, next_attempt_at__lte=now)
               .values_list("pk", flat=True)[:500])
    for pk in due:
        enqueue_after_commit(deliver_notification, notification_id=str(pk))
    return len(due)
