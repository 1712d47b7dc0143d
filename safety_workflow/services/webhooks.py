"""Webhook subscriptions: made, changed and removed by the monitoring officer or information governance (or in
the admin); replayed deliveries. The events themselves are published by ``webhooks.py``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import InvalidInput
from ..models import AccessLogEntry, WebhookDelivery, WebhookSubscription
from ..roles import KNOWN_ROLES
from ..webhooks import EVENT_TYPES, publish, secret_new, url_problem
from .audit import access_log_record

MIN_SECRET_LENGTH = 24


def _checked(*, url: str | None = None, events: list[str] | None = None, role: str | None = None,
             secret: str | None = None) -> None:
    if url is not None:
        problem = url_problem(url)
        if problem:
            raise InvalidInput(problem, code="webhook_url_refused", errors={"url": [problem]})
    if events is not None:
        unknown = sorted(set(events) - set(EVENT_TYPES))
        if unknown:
            message = _("Unknown event types: %(types)s.") % {"types": ", ".join(unknown)}
            raise InvalidInput(errors={"events": [message]})
    if role is not None and role not in KNOWN_ROLES:
        raise InvalidInput(errors={"role": [_("Not a role.")]})
    if secret is not None and len(secret) < MIN_SECRET_LENGTH:
        message = _("A secret needs at least %(n)d characters.") % {"n": MIN_SECRET_LENGTH}
        raise InvalidInput(errors={"secret": [message]})


def _log(actor: Any, sub: WebhookSubscription, what: str, request: Any = None) -> None:
    access_log_record(actor=actor, action=AccessLogEntry.Action.CHANGE, object_type="webhook_subscription",
                      object_id=sub.pk, object_repr=sub.name[:200], request=request,
                      purpose=f"Webhook subscription {what}",
                      data={"url": sub.url, "role": sub.role, "events": sub.events, "active": sub.active})


@transaction.atomic
def webhook_subscription_create(*, actor: Any, name: str, url: str, role: str, events: list[str] | None = None,
                                secret: str = "", active: bool = True, request: Any = None) -> WebhookSubscription:
    """A new subscription; its secret is made here unless one is given (it is shown once)."""
    _checked(url=url, events=events or [], role=role, secret=secret or None)
    sub = WebhookSubscription.objects.create(name=name, url=url, role=role, events=sorted(set(events or [])),
                                             secret=secret or secret_new(), active=active,
                                             created_by=actor if getattr(actor, "pk", None) else None)
    _log(actor, sub, "created", request)
    return sub


@transaction.atomic
def webhook_subscription_update(*, actor: Any, subscription: WebhookSubscription, request: Any = None,
                                **changes: Any) -> WebhookSubscription:
    changes = {k: v for k, v in changes.items() if v is not None}
    _checked(url=changes.get("url"), events=changes.get("events"), role=changes.get("role"),
             secret=changes.get("secret"))
    if "events" in changes:
        changes["events"] = sorted(set(changes["events"]))
    for name, value in changes.items():
        setattr(subscription, name, value)
    subscription.save()
    _log(actor, subscription, "changed", request)
    return subscription


@transaction.atomic
def webhook_subscription_delete(*, actor: Any, subscription: WebhookSubscription, request: Any = None) -> None:
    _log(actor, subscription, "deleted", request)
    subscription.delete()


def webhook_replay(*, subscription: WebhookSubscription, delivery: WebhookDelivery | None = None,
                   since: dt.datetime | None = None, failed_only: bool = True) -> list[WebhookDelivery]:
    """Send again one delivery, or every delivery since a moment (the failed ones only, unless told otherwise),
    with the same event id (receivers dedupe on it) and a fresh signature. Attempts start again from one."""
    from ..background import deliver_webhook, enqueue_after_commit

    if delivery is not None:
        chosen = [delivery]
    else:
        found = subscription.deliveries.all()
        if since is not None:
            found = found.filter(created_at__gte=since)
        if failed_only:
            found = found.filter(status__in=(WebhookDelivery.Status.FAILED, WebhookDelivery.Status.RETRYING))
        chosen = list(found.order_by("created_at", "id")[:1000])
    with transaction.atomic():
        for item in chosen:
            WebhookDelivery.objects.filter(pk=item.pk).update(status=WebhookDelivery.Status.PENDING, attempts=0,
                                                               next_attempt_at=None)
            enqueue_after_commit(deliver_webhook, delivery_id=str(item.pk))
    for item in chosen:
        item.refresh_from_db()
    return chosen


def webhook_ping(*, subscription: WebhookSubscription) -> WebhookDelivery:
    """A ``ping`` event to this subscription only (to try a receiver's signature check)."""
    made = publish("ping", data_for=lambda role: {"subscription": str(subscription.pk),
                                                  "at": timezone.now().isoformat()},
                   subscriptions=[subscription])
    return made[0]
