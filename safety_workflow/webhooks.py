"""Outbound webhooks: each event of a case's life as a signed JSON document, POSTed to the host platforms.

A :class:`~safety_workflow.models.WebhookSubscription` names a URL, the event types it wants, a signing secret
and a role: it receives an event only when that role may see the record the event is about, and the event
carries identifiers and references only (never a name, an account or an address). Each event for each
subscription is a :class:`~safety_workflow.models.WebhookDelivery`, sent by ``background.deliver_webhook`` once
the change commits, tried again with exponential backoff while the receiver is down, logged attempt by attempt,
and replayable (``webhook_replay``).

The envelope follows CloudEvents 1.0 (structured mode, ``application/cloudevents+json``)::

    {"specversion": "1.0", "id": "<uuid>", "source": "urn:safety-workflow:SW", "type": "case.closed",
     "time": "2026-11-29T10:00:00Z", "subject": "cases/12", "datacontenttype": "application/json",
     "dataversion": "1", "data": {"case": {"id": 12, "reference": "SW-2026-0012"}}}

and is signed as Stripe and GitHub sign theirs: the header ``Safety-Workflow-Signature: t=<unix time>,v1=<hex>``
where the hex is HMAC-SHA256 with the subscription's secret over ``"<t>." + body``. docs/integration.md shows
a receiver in Python and in C#.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import signals
from .conf import app_settings
from .roles import CASE_OFFICER_ROLES, Role

logger = logging.getLogger("safety_workflow")

#: The version of the envelope and of every event's ``data`` (the ``dataversion`` attribute). Fields may be
#: added within a version; a field removed or changed in meaning makes the next version.
ENVELOPE_VERSION = "1"
SIGNATURE_HEADER = "Safety-Workflow-Signature"
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"

#: Every event type, and what its ``data`` carries (docs/integration.md lists them the same way).
EVENT_TYPES: dict[str, str] = {
    "incident.reported": "incident {id, reference}, case {id, reference}, linked_to_open_case",
    "case.step": "case, step {id, action, at}: a step recorded on the case's timeline",
    "case.routed": "case, assessment {id}, level, route",
    "police_referral.made": "case, referral {id}, urgent",
    "case.closed": "case",
    "case.corrected": "case, correction (subject_unlinked or split), incidents [{id, reference}]",
    "task.overdue": "task {id, name}, case (or null), deadline",
    "bundle.ready": "bundle {id, kind}, case (or null)",
    "course_of_conduct.flagged": "flag {id}, case",
    "course_of_conduct.withdrawn": "flag {id}, case",
    "escalation_signal.noticed": "signal {id, kind}, case",
    "escalation_signal.withdrawn": "signal {id, kind}, case",
    "register_entry.changed": "register_entry {id, reference}, change",
    "ping": "nothing: sent by the test operation",
}


class UrlRefused(ValueError):
    """The URL may not be used for a webhook (scheme, or an address inside the council's network)."""


# Where a webhook may go ----------------------------------------------------------------------------
def url_problem(url: str) -> str:
    """Why ``url`` may not receive webhooks ("" if it may): not http(s), no host, or (unless
    ``WEBHOOK_ALLOW_PRIVATE_ADDRESSES``) a host that resolves to a private, loopback, link-local, multicast
    or reserved address (a subscription must not reach into the council's own network)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return _("This is not a URL.")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("Only http and https URLs can receive webhooks.")
    if parts.username or parts.password:
        return _("A webhook URL may not carry a user name or password: the signature authenticates the sender.")
    if app_settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return ""
    try:
        infos = socket.getaddrinfo(parts.hostname, port or (443 if parts.scheme == "https" else 80),
                                   type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return _("The host name does not resolve.")
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            return _("The host is a private, loopback or reserved address; webhooks go to the outside only.")
    return ""


def secret_new() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


# Signing -----------------------------------------------------------------------------------------
def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header value: ``t=<timestamp>,v1=<HMAC-SHA256(secret, "<timestamp>." + body) in hex>``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signature_verify(secret: str, header: str, body: bytes, *, tolerance: int = 300, now: float | None = None) -> bool:
    """What a receiver does (docs/integration.md has it in Python and C#): the timestamp is recent and one of
    the ``v1`` signatures matches, compared in constant time."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _sep, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


# What a role may see through a subscription -------------------------------------------------------
def _sees_case(role: str, case: Any) -> bool:
    from .models import Incident, PoliceReferral, ProtectedPerson, Route

    if case is None:
        return False
    if role in CASE_OFFICER_ROLES:
        return True
    if role == Role.LEGAL:
        return case.assessments.filter(route=Route.COUNCIL_ACTION).exists()
    if role == Role.POLICE_LIAISON:
        return PoliceReferral.objects.filter(case=case).exists()
    if role == Role.ELECTORAL_SERVICES:
        return Incident.objects.filter(case=case, person_kind=ProtectedPerson.Kind.CANDIDATE).exists()
    return False  # councillors and candidates see their own records: a subscription is nobody's own


def _sees_whole_case(role: str, case: Any) -> bool:
    """Steps and corrections: the roles that see every incident of the case (not the police, who see the
    referred incidents only, nor electoral services, who see the candidates' only)."""
    from .models import Route

    return case is not None and (role in CASE_OFFICER_ROLES or (
        role == Role.LEGAL and case.assessments.filter(route=Route.COUNCIL_ACTION).exists()))


def _sees_incident(role: str, incident: Any) -> bool:
    from .models import ProtectedPerson

    if role in CASE_OFFICER_ROLES:
        return True
    if role == Role.POLICE_LIAISON:
        return incident.referrals.exists()
    if role == Role.ELECTORAL_SERVICES:
        return incident.person_kind == ProtectedPerson.Kind.CANDIDATE
    return role == Role.LEGAL and _sees_case(role, incident.case)


def _case_ref(case: Any) -> dict[str, Any] | None:
    return {"id": case.pk, "reference": case.reference} if case is not None else None


# Publishing ------------------------------------------------------------------------------------------
def envelope(event_type: str, data: dict[str, Any], *, subject: str = "", event_id: Any = None,
             at: dt.datetime | None = None) -> dict[str, Any]:
    source = app_settings.WEBHOOK_SOURCE or f"urn:safety-workflow:{app_settings.REFERENCE_PREFIX}"
    document = {
        "specversion": "1.0",
        "id": str(event_id or uuid.uuid4()),
        "source": source,
        "type": event_type,
        "time": (at or timezone.now()).astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "dataversion": ENVELOPE_VERSION,
        "data": data,
    }
    if subject:
        document["subject"] = subject
    return document


#: The statement that reads the active subscriptions, compiled once per database alias: it runs after every commit
#: that records a step, and compiling it is most of its cost when no subscription is active.
_ACTIVE_SQL: dict[str, tuple[str, tuple[Any, ...]]] = {}


def active_subscriptions() -> list[Any]:
    """The active webhook subscriptions (``WebhookSubscription.objects.filter(active=True)``, compiled once)."""
    from django.db import router

    from .models import WebhookSubscription

    alias = router.db_for_read(WebhookSubscription)
    compiled = _ACTIVE_SQL.get(alias)
    if compiled is None:
        query = WebhookSubscription.objects.using(alias).filter(active=True).order_by("pk").query
        compiled = _ACTIVE_SQL[alias] = query.get_compiler(using=alias).as_sql()
    sql, params = compiled
    return list(WebhookSubscription.objects.raw(sql, params, using=alias))


def publish(event_type: str, *, data_for: Any, case: Any = None,
            subscriptions: Iterable[Any] | None = None) -> list[Any]:
    """Record the event for every active subscription that wants it and whose role may see it, and queue its
    delivery. ``data_for(role)`` gives the event's data as that role may see it, or None (not for that role).
    Call it once the change has committed (the signals are sent then)."""
    from .background import deliver_webhook, enqueue_after_commit
    from .models import WebhookDelivery

    if subscriptions is not None:
        subs = list(subscriptions)
    else:
        memo = signals.round_memo()  # one look-up for all the events of one commit
        subs = memo.get("webhook_subscriptions") if memo is not None else None
        if subs is None:
            subs = active_subscriptions()
            if memo is not None:
                memo["webhook_subscriptions"] = subs
    wanted = [s for s in subs if s.wants(event_type) or event_type == "ping"]
    if not wanted:
        return []
    event_id, at = uuid.uuid4(), timezone.now()
    subject = f"cases/{case.pk}" if case is not None else ""
    made = []
    with transaction.atomic():
        for sub in wanted:
            try:
                data = data_for(sub.role)
            except Exception:  # noqa: BLE001 - an event that cannot be described must not stop the others
                logger.exception("safety_workflow: could not describe the event %s", event_type)
                data = None
            if data is None:
                continue
            made.append(WebhookDelivery.objects.create(
                subscription=sub, event_id=event_id, event_type=event_type, case=case,
                payload=envelope(event_type, data, subject=subject, event_id=event_id, at=at)))
        for delivery in made:
            enqueue_after_commit(deliver_webhook, delivery_id=str(delivery.pk))
    return made


def publish_on_commit(event_type: str, *, data_for: Any, case: Any = None) -> None:
    signals.on_commit_in_round(lambda: publish(event_type, data_for=data_for, case=case))


def _case_event(event_type: str, case: Any, extra: dict[str, Any] | None = None, *, whole: bool = False) -> None:
    def data_for(role: str) -> dict[str, Any] | None:
        if not (_sees_whole_case(role, case) if whole else _sees_case(role, case)):
            return None
        return {"case": _case_ref(case), **(extra or {})}

    publish(event_type, data_for=data_for, case=case)


# The public signals, as events ------------------------------------------------------------------------
def _on_incident_reported(*, incident: Any, case: Any, linked_to_open_case: bool, **_kw: Any) -> None:
    def data_for(role: str) -> dict[str, Any] | None:
        if not (_sees_case(role, case) and _sees_incident(role, incident)):
            return None
        return {"incident": {"id": str(incident.pk), "reference": incident.reference}, "case": _case_ref(case),
                "linked_to_open_case": bool(linked_to_open_case)}

    publish("incident.reported", data_for=data_for, case=case)


def _on_case_routed(*, case: Any, assessment: Any, **_kw: Any) -> None:
    _case_event("case.routed", case, {"assessment": {"id": str(assessment.pk)}, "level": case.level,
                                      "route": getattr(assessment, "route", "")})


def _on_police_referral_made(*, referral: Any, urgent: bool, **_kw: Any) -> None:
    _case_event("police_referral.made", referral.case, {"referral": {"id": str(referral.pk)}, "urgent": bool(urgent)})


def _on_case_closed(*, case: Any, **_kw: Any) -> None:
    _case_event("case.closed", case)


def _on_case_corrected(*, case: Any, correction: str, incidents: list, **_kw: Any) -> None:
    _case_event("case.corrected", case, {"correction": correction, "incidents": [
        {"id": str(i.pk), "reference": i.reference} for i in incidents]}, whole=True)


def _on_task_overdue(*, task: Any, deadline: Any, **_kw: Any) -> None:
    from .models import Case

    case = Case.objects.filter(pk=task.process_id).first()

    def data_for(role: str) -> dict[str, Any] | None:
        flow_task = getattr(task, "flow_task", None)
        if role not in getattr(flow_task, "roles", ()) or (case is not None and not _sees_case(role, case)):
            return None
        due = getattr(deadline, "due_at", deadline)  # the task's TaskDeadline, or a datetime
        return {"task": {"id": task.pk, "name": getattr(flow_task, "name", "")}, "case": _case_ref(case),
                "deadline": due.isoformat() if hasattr(due, "isoformat") else None}

    publish("task.overdue", data_for=data_for, case=case)


def _on_bundle_ready(*, bundle: Any, **_kw: Any) -> None:
    from .selectors.bundles import KIND_ROLES

    def data_for(role: str) -> dict[str, Any] | None:
        if role not in KIND_ROLES.get(bundle.kind, ()) or (bundle.case_id and not _sees_case(role, bundle.case)):
            return None
        return {"bundle": {"id": str(bundle.pk), "kind": bundle.kind}, "case": _case_ref(bundle.case)}

    publish("bundle.ready", data_for=data_for, case=bundle.case)


def _pattern_event(event_type: str, key: str, item: Any, extra: dict[str, Any]) -> None:
    case = item.case

    def data_for(role: str) -> dict[str, Any] | None:
        if role not in CASE_OFFICER_ROLES:  # patterns across a subject's incidents are the case officers' own
            return None
        return {key: {"id": str(item.pk), **extra}, "case": _case_ref(case)}

    publish(event_type, data_for=data_for, case=case)


def _on_flagged(*, flag: Any, **_kw: Any) -> None:
    _pattern_event("course_of_conduct.flagged", "flag", flag, {})


def _on_flag_withdrawn(*, flag: Any, **_kw: Any) -> None:
    _pattern_event("course_of_conduct.withdrawn", "flag", flag, {})


def _on_signal_noticed(*, escalation: Any, **_kw: Any) -> None:
    _pattern_event("escalation_signal.noticed", "signal", escalation, {"kind": escalation.kind})


def _on_signal_withdrawn(*, escalation: Any, **_kw: Any) -> None:
    _pattern_event("escalation_signal.withdrawn", "signal", escalation, {"kind": escalation.kind})


def _on_register_entry_changed(*, entry: Any, change: str, **_kw: Any) -> None:
    def data_for(role: str) -> dict[str, Any] | None:
        if role not in (Role.HEALTH_AND_SAFETY, Role.MONITORING_OFFICER):  # others see the entries granted them
            return None
        return {"register_entry": {"id": str(entry.pk), "reference": entry.reference}, "change": change}

    publish("register_entry.changed", data_for=data_for)


def timeline_step_published(entry: Any) -> None:
    """A step recorded on a case's timeline, as a ``case.step`` event once the transaction commits."""
    case = entry.case

    def data_for(role: str) -> dict[str, Any] | None:
        if not _sees_whole_case(role, case):
            return None
        return {"case": _case_ref(case), "step": {"id": entry.pk, "action": entry.action,
                                                  "at": entry.at.isoformat() if getattr(entry, "at", None) else None}}

    publish_on_commit("case.step", data_for=data_for, case=case)


RECEIVERS = [
    (signals.incident_reported, _on_incident_reported),
    (signals.case_routed, _on_case_routed),
    (signals.police_referral_made, _on_police_referral_made),
    (signals.case_closed, _on_case_closed),
    (signals.case_corrected, _on_case_corrected),
    (signals.task_overdue, _on_task_overdue),
    (signals.bundle_ready, _on_bundle_ready),
    (signals.course_of_conduct_flagged, _on_flagged),
    (signals.course_of_conduct_withdrawn, _on_flag_withdrawn),
    (signals.escalation_signal_noticed, _on_signal_noticed),
    (signals.escalation_signal_withdrawn, _on_signal_withdrawn),
    (signals.register_entry_changed, _on_register_entry_changed),
]


def connect() -> None:
    """Connect the event publishers to the public signals (``apps.ready``)."""
    for signal, receiver in RECEIVERS:
        signal.connect(receiver, dispatch_uid=f"safety_workflow.webhooks.{receiver.__name__}")


# Delivering ------------------------------------------------------------------------------------------
class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer like any other (not 2xx): it is not followed


_opener = urllib.request.build_opener(_NoRedirects)


def webhook_deliver(*, delivery_id: str) -> str:
    """POST one delivery's event, signed, and log the attempt. Safe to run twice (a delivered one is left alone).
    Returns the delivery's status afterwards."""
    from .models import WebhookDelivery
    from .notifications import _claim, backoff

    delivery = _claim(WebhookDelivery, delivery_id, (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING))
    if delivery is None:
        row = WebhookDelivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first()
        return row or "missing"
    sub = delivery.subscription
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    started = time.monotonic()
    status_code: int | None = None
    error = ""
    problem = url_problem(sub.url)  # again at each attempt: a name may have come to point inside
    if problem:
        error = problem
    else:
        timestamp = int(time.time())
        request = urllib.request.Request(sub.url, data=body, method="POST", headers={
            "Content-Type": CONTENT_TYPE, "User-Agent": "safety-workflow-webhooks/1",
            SIGNATURE_HEADER: signature(sub.secret, timestamp, body), "Webhook-Id": str(delivery.event_id),
            "Ce-Id": str(delivery.event_id), "Ce-Type": delivery.event_type})
        try:
            with _opener.open(request, timeout=app_settings.WEBHOOK_TIMEOUT_SECONDS) as response:
                status_code = response.status
                response.read(1024)
        except urllib.error.HTTPError as exc:
            status_code = exc.code
            error = f"HTTP {exc.code}"
        except Exception as exc:  # noqa: BLE001 - refused, timed out, TLS: all a failed attempt
            error = f"{type(exc).__name__}: {exc}"[:500]
    now = timezone.now()
    ok = status_code is not None and 200 <= status_code < 300
    delivery.log = [*delivery.log, {"at": now.isoformat(), "status_code": status_code, "error": error,
                                    "ms": int((time.monotonic() - started) * 1000)}][-50:]
    if ok:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
    elif delivery.attempts >= app_settings.WEBHOOK_MAX_ATTEMPTS or problem:
        delivery.status = WebhookDelivery.Status.FAILED
    else:
        delivery.status = WebhookDelivery.Status.RETRYING
        delivery.next_attempt_at = now + backoff(app_settings.WEBHOOK_RETRY_BASE_SECONDS, delivery.attempts)
    delivery.save(update_fields=["status", "delivered_at", "next_attempt_at", "log"])
    if delivery.status == WebhookDelivery.Status.RETRYING:
        from .background import deliver_webhook, enqueue_later

        enqueue_later(deliver_webhook, run_after=delivery.next_attempt_at, delivery_id=str(delivery.pk))
    return delivery.status


def webhooks_retry_due(*, now: dt.datetime | None = None) -> int:
    """Queue every delivery whose retry time has come."""
    from .background import deliver_webhook, enqueue_after_commit
    from .models import WebhookDelivery

    now = now or timezone.now()
    due = list(WebhookDelivery.objects.filter(status=WebhookDelivery.Status.RETRYING, next_attempt_at__lte=now)
               .order_by("created_at").values_list("pk", flat=True)[:500])
    for pk in due:
        enqueue_after_commit(deliver_webhook, delivery_id=str(pk))
    return len(due)
