"""Reporting incidents: idempotent, linked to the subject's open case when there is one."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import signals
from ..adapter import get_adapter
from ..conf import app_settings
from ..errors import Conflict, Forbidden, InvalidInput
from ..i18n import notice_text
from ..models import Case, IdempotencyRecord, Incident, ProtectedPerson, Subject
from ..notifications import notify
from ..roles import CASE_OFFICER_ROLES, REPORT_ON_BEHALF_ROLES, SELF_REPORTING_ROLES, Role, roles_for
from .audit import timeline_entry, timeline_record_many
from .elections import election_period_of

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
    protected_person: ProtectedPerson | None = None,
    new_protected_person: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    fingerprint: str = "",
) -> ReportResult:
    """Log an incident aimed at ``protected_person`` (an existing record), or at someone recorded now from
    ``new_protected_person`` (the details ``people.protected_person_create`` takes), or, when neither is given,
    at the reporter themselves (a councillor or candidate). Starts a case, or joins the subject's open case and
    re-opens its assessment."""
    if idempotency_key:
        replay = _replayed(reporter, idempotency_key, fingerprint)
        if replay is not None:
            return replay

    reporter_roles = roles_for(reporter)
    if not reporter_roles & (SELF_REPORTING_ROLES | REPORT_ON_BEHALF_ROLES):
        raise Forbidden(_("Your role cannot report incidents."), code="cannot_report")
    if protected_person is not None and new_protected_person:
        raise InvalidInput(errors={"new_protected_person": [_("Name an existing person or a new one, not both.")]})
    if occurred_at > timezone.now() + CLOCK_SKEW:
        raise InvalidInput(errors={"occurred_at": [_("This is in the future.")]})
    if subject is not None and not reporter_roles & CASE_OFFICER_ROLES:
        raise InvalidInput(errors={"subject": [_("Describe the person in subject_details instead.")]})

    try:
        with transaction.atomic():
            person = _person_harmed(reporter, reporter_roles, protected_person, new_protected_person)
            incident = Incident(
                reported_by=reporter,
                protected_person=person,
                person_kind=person.kind,
                election_period=election_period_of(occurred_at=occurred_at, ward=ward, person=person),
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
            if person.kind == ProtectedPerson.Kind.STAFF:
                _tell_health_and_safety(incident)
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


def _person_harmed(reporter: Any, roles: frozenset[str], existing: ProtectedPerson | None,
                   details: dict[str, Any] | None) -> ProtectedPerson:
    """Whom the incident was aimed at, and whether the reporter may report for them."""
    from .people import may_act_for, protected_person_create, protected_person_for_user

    if details:
        person = protected_person_create(actor=reporter, **details)
    elif existing is not None:
        person = existing
    elif roles & SELF_REPORTING_ROLES:
        person = protected_person_for_user(reporter)
    else:
        raise InvalidInput(errors={"protected_person": [_("Say whom the incident was aimed at: a protected person, "
                                                        "or new_protected_person.")]})
    if not may_act_for(reporter, person):
        if roles & REPORT_ON_BEHALF_ROLES:
            raise Forbidden(_("Electoral services report for people standing in an election, and the people "
                            "linked to them."), code="cannot_report_for_others")
        raise Forbidden(_("You report incidents aimed at yourself, your household and your supporters."),
                        code="cannot_report_for_others")
    return person


def _tell_health_and_safety(incident: Incident) -> None:
    """An incident aimed at a member of staff reaches health and safety at once (the employer's duty to
    record, report and review violence at work): identifiers only, the detail is behind sign-in."""
    values = {"incident": incident.reference, "case": incident.case.reference}
    subject, message = notice_text(lambda: (
        _("Staff safety: incident %(incident)s reported") % values,
        _("An incident aimed at a member of staff has been reported (%(incident)s, case %(case)s). Sign in to see "
          "it.") % values))
    notify(event="staff_incident_reported", recipients=get_adapter().users_with_role(Role.HEALTH_AND_SAFETY),
           subject=subject, message=message,
           context={"incident": str(incident.pk), "case": incident.case.reference})


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
        raise Conflict(_("This Idempotency-Key was used for a different report."), code="idempotency_key_reused")
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
    timeline_record_many([incident_reported_entry(incident=incident)])


def incident_reported_entry(*, incident: Incident) -> Any:
    """The timeline row of a report, not saved yet."""
    return timeline_entry(
        case=incident.case,
        incident=incident,
        actor=incident.reported_by,
        action="reported",
        summary=f"Incident {incident.reference} reported ({incident.get_channel_display()}).",
        data={"immediate_danger": incident.immediate_danger},
        shared_with_councillor=True,
    )
