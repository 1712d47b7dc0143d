"""Reporting incidents: idempotent, linked to the subject's open case when there is one."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import signals
from ..conf import app_settings
from ..errors import Conflict, Forbidden, InvalidInput
from ..models import Case, IdempotencyRecord, Incident, Subject
from ..roles import Role, has_role, roles_for
from .audit import timeline_record

#: Roles that may report on a councillor's behalf (a councillor reports only for themselves).
REPORT_ON_BEHALF_ROLES = (Role.MEMBERS_SERVICES, Role.MONITORING_OFFICER, Role.HEALTH_AND_SAFETY)
CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class ReportResult:
    incident: Incident
    created: bool
    linked_to_open_case: bool


def request_fingerprint(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def incident_report(
    *,
    reporter: Any,
    councillor: Any,
    occurred_at: dt.datetime,
    channel: str,
    account: str,
    location: str = "",
    ward: str = "",
    words_used: str = "",
    hate_element: bool = False,
    hate_categories: list[str] | None = None,
    immediate_danger: bool = False,
    injury: bool = False,
    witnesses: str = "",
    police_already_informed: bool = False,
    police_reference: str = "",
    subject: Subject | None = None,
    subject_details: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    fingerprint: str = "",
) -> ReportResult:
    """Log an incident. Starts a case, or joins the subject's open case and re-opens its assessment."""
    if idempotency_key:
        replay = _replayed(reporter, idempotency_key, fingerprint)
        if replay is not None:
            return replay

    reporter_roles = roles_for(reporter)
    if not reporter_roles & {Role.COUNCILLOR, *REPORT_ON_BEHALF_ROLES}:
        raise Forbidden("Your role cannot report incidents.", code="cannot_report")
    if councillor.pk != reporter.pk and not reporter_roles & set(REPORT_ON_BEHALF_ROLES):
        raise Forbidden("Councillors report incidents aimed at themselves.", code="cannot_report_for_others")
    if not has_role(councillor, Role.COUNCILLOR):
        raise InvalidInput(errors={"councillor": ["This person is not a councillor."]}, code="not_a_councillor")
    if occurred_at > timezone.now() + CLOCK_SKEW:
        raise InvalidInput(errors={"occurred_at": ["This is in the future."]})
    if subject is not None and not reporter_roles & set(REPORT_ON_BEHALF_ROLES):
        raise InvalidInput(errors={"subject": ["Describe the person in subject_details instead."]})

    try:
        with transaction.atomic():
            incident = Incident(
                reported_by=reporter,
                councillor=councillor,
                occurred_at=occurred_at,
                channel=channel,
                account=account,
                location=location,
                ward=ward,
                words_used=words_used,
                hate_element=hate_element or bool(hate_categories),
                hate_categories=list(hate_categories or []),
                immediate_danger=immediate_danger,
                injury=injury,
                witnesses=witnesses,
                police_already_informed=police_already_informed,
                police_reference=police_reference,
                subject=subject,
                subject_details=subject_details or {},
            )
            open_case = _open_case_for(subject)
            if open_case is not None:
                from .cases import case_add_incident

                case_add_incident(case=open_case, incident=incident, actor=reporter)
            else:
                from ..flows import IncidentFlow

                IncidentFlow.start.run(incident=incident)
            if subject is not None:
                from .cases import subject_incidents_linked

                subject_incidents_linked(subject=subject, incidents=[incident], actor=reporter)
            if idempotency_key:
                IdempotencyRecord.objects.create(
                    user=reporter, key=idempotency_key, fingerprint=fingerprint, incident=incident
                )
            signals.send_on_commit(
                signals.incident_reported, incident=incident, case=incident.case,
                linked_to_open_case=open_case is not None,
            )
    except IntegrityError:
        # Another request with the same Idempotency-Key won the race: answer with its incident.
        if idempotency_key:
            replay = _replayed(reporter, idempotency_key, fingerprint)
            if replay is not None:
                return replay
        raise
    return ReportResult(incident=incident, created=True, linked_to_open_case=open_case is not None)


def _replayed(reporter: Any, key: str, fingerprint: str) -> ReportResult | None:
    record = (
        IdempotencyRecord.objects.select_related("incident")
        .filter(user=reporter, key=key)
        .first()
    )
    if record is None:
        return None
    if record.created_at < timezone.now() - dt.timedelta(hours=app_settings.IDEMPOTENCY_KEY_TTL_HOURS):
        record.delete()  # an expired key may be used again
        return None
    if record.fingerprint != fingerprint:
        raise Conflict("This Idempotency-Key was used for a different report.", code="idempotency_key_reused")
    return ReportResult(incident=record.incident, created=False, linked_to_open_case=False)


def _open_case_for(subject: Subject | None) -> Case | None:
    if subject is None:
        return None
    return (
        Case.objects.filter(subject=subject, state=Case.State.OPEN)
        .order_by("created")
        .first()
    )


def incident_record_reported(*, incident: Incident) -> None:
    timeline_record(
        case=incident.case,
        incident=incident,
        actor=incident.reported_by,
        action="reported",
        summary=f"Incident {incident.reference} reported ({incident.get_channel_display()}).",
        data={"immediate_danger": incident.immediate_danger},
        shared_with_councillor=True,
    )
