"""Noticing patterns: raise course-of-conduct flags and escalation signals once, and tell people.

Call :func:`conduct_flags_update` whenever an incident gains a subject and after every assessment
(see docs/patterns.md). It is idempotent: what has already been noticed is not noticed again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from .. import patterns, signals
from ..adapter import get_adapter
from ..models import Case, CourseOfConductFlag, EscalationSignal, Subject
from ..notifications import notify
from ..roles import Role
from ..selectors.patterns import escalation_options, subject_incident_records
from .audit import timeline_record


@dataclass
class ConductUpdate:
    """What one update noticed for the first time."""

    flags: list[CourseOfConductFlag] = field(default_factory=list)
    signals: list[EscalationSignal] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.flags or self.signals)


def conduct_flags_update(*, subject: Subject, actor: Any = None) -> ConductUpdate:
    """Recompute the subject's course of conduct and escalation signals; record and announce what is new.

    For each new course-of-conduct flag (two or more incidents against one councillor) and each new
    escalation signal: a row with its reason, a timeline entry on the case holding the latest incident
    behind it, one notification to health and safety (the assessors), and, once the transaction
    commits, ``course_of_conduct_flagged(flag)`` / ``escalation_signal_noticed(escalation)``.
    """
    with transaction.atomic():
        # Serialise updates for one subject, so two at once cannot both raise the same flag.
        subject = Subject.objects.select_for_update().get(pk=subject.pk)
        records = subject_incident_records(subject)
        result = ConductUpdate()
        if not records:
            return result
        cases = {c.pk: c for c in Case.objects.filter(pk__in={r.case_id for r in records if r.case_id})}

        flagged = set(CourseOfConductFlag.objects.filter(subject=subject).values_list("councillor_id", flat=True))
        for group in patterns.course_of_conduct(records, subject_name=subject.full_name):
            case = _latest_case(group.incidents, cases)
            if not group.reaches_threshold or group.councillor_id in flagged or case is None:
                continue
            flag = CourseOfConductFlag.objects.create(
                subject=subject, councillor_id=group.councillor_id, case=case, incident_count=group.count,
                reason=group.explanation, raised_by=_user(actor),
            )
            flag.incidents.set([r.id for r in group.incidents])
            timeline_record(
                case=case, actor=actor, action="course_of_conduct_flagged",
                summary=f"Course of conduct: {group.count} incidents by the same person against "
                        f"{group.councillor_name}.",
                reason=group.explanation,
                data={"flag": str(flag.pk), "subject": str(subject.pk),
                      "incidents": [r.reference for r in group.incidents]},
            )
            result.flags.append(flag)

        noticed = set(EscalationSignal.objects.filter(subject=subject).values_list("key", flat=True))
        for found in patterns.escalation_signals(records, subject_name=subject.full_name, **escalation_options()):
            case = _latest_case(found.incidents, cases)
            if found.key in noticed or case is None:
                continue
            item = EscalationSignal.objects.create(
                subject=subject, kind=found.kind, key=found.key, case=case, explanation=found.explanation,
                noticed_by=_user(actor),
            )
            item.incidents.set([r.id for r in found.incidents])
            timeline_record(
                case=case, actor=actor, action="escalation_noticed", summary=f"Escalation: {found.title}.",
                reason=found.explanation,
                data={"signal": str(item.pk), "kind": found.kind, "subject": str(subject.pk),
                      "incidents": [r.reference for r in found.incidents]},
            )
            result.signals.append(item)

        if result:
            _tell_assessors(result)
        for flag in result.flags:
            signals.send_on_commit(signals.course_of_conduct_flagged, flag=flag)
        for item in result.signals:
            signals.send_on_commit(signals.escalation_signal_noticed, escalation=item)
    return result


def _latest_case(records: tuple[patterns.IncidentRecord, ...], cases: dict[Any, Case]) -> Case | None:
    """The case holding the latest of these incidents (every reported incident has one)."""
    return next((cases[r.case_id] for r in reversed(records) if r.case_id in cases), None)


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _tell_assessors(result: ConductUpdate) -> None:
    """One message to health and safety, with identifiers only (the adapter's rule): the detail is in the case."""
    references = sorted({item.case.reference for item in [*result.flags, *result.signals]})
    lines = []
    if result.flags:
        lines.append(f"{len(result.flags)} new course-of-conduct flag(s): two or more incidents by the same "
                     "person against the same councillor.")
    if result.signals:
        kinds = ", ".join(sorted({s.get_kind_display().lower() for s in result.signals}))
        lines.append(f"New escalation signal(s): {kinds}.")
    notify(
        event="course_of_conduct_flagged" if result.flags else "escalation_signal_noticed",
        recipients=get_adapter().users_with_role(Role.HEALTH_AND_SAFETY),
        subject=f"Councillor safety: a pattern in case {', '.join(references)}",
        message="\n".join(lines) + "\nSign in to see the reasons on the case before assessing it.",
        context={"cases": references, "flags": [str(f.pk) for f in result.flags],
                 "signals": [str(s.pk) for s in result.signals]},
    )
