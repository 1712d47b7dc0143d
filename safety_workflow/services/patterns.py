"""Noticing patterns: raise course-of-conduct flags and escalation signals once, and tell people.

Call :func:`conduct_flags_update` whenever an incident gains a subject and after every assessment
(see docs/patterns.md). It is idempotent: what has already been noticed is not noticed again.
After a correction (an incident unlinked from a subject, incidents split into another case), call
:func:`conduct_flags_correct`: it withdraws what rested on the mistake, with the reason, and notices
again what the log now shows, on the case that now holds the incidents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import patterns, signals
from ..adapter import get_adapter
from ..i18n import notice_text
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

    For each new course-of-conduct flag (two or more incidents against one person) and each new
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

        flagged = set(CourseOfConductFlag.objects.filter(subject=subject, withdrawn_at__isnull=True)
                      .values_list("protected_person_id", flat=True))
        for group in patterns.course_of_conduct(records, subject_name=subject.full_name):
            case = _latest_case(group.incidents, cases)
            if not group.reaches_threshold or group.person_id in flagged or case is None:
                continue
            flag = CourseOfConductFlag.objects.create(
                subject=subject, protected_person_id=group.person_id, case=case, incident_count=group.count,
                reason=group.explanation, raised_by=_user(actor),
            )
            flag.incidents.set([r.id for r in group.incidents])
            timeline_record(
                case=case, actor=actor, action="course_of_conduct_flagged",
                summary=f"Course of conduct: {group.count} incidents by the same person against "
                        f"{group.person_name}.",
                reason=group.explanation,
                data={"flag": str(flag.pk), "subject": str(subject.pk),
                      "incidents": [r.reference for r in group.incidents]},
            )
            result.flags.append(flag)

        noticed = set(EscalationSignal.objects.filter(subject=subject, withdrawn_at__isnull=True)
                      .values_list("key", flat=True))
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


@dataclass(frozen=True)
class ConductSnapshot:
    """What a subject's log showed before a correction: the people a course of conduct was against,
    and the escalation signals' keys. A finding the log showed before and no longer shows was caused by
    the correction; one that had already faded is left alone (flags and signals are otherwise kept)."""

    people: frozenset[Any]
    signal_keys: frozenset[str]


def conduct_snapshot(subject: Subject) -> ConductSnapshot:
    records = subject_incident_records(subject)
    groups = patterns.course_of_conduct(records, subject_name=subject.full_name)
    found = patterns.escalation_signals(records, subject_name=subject.full_name, **escalation_options())
    return ConductSnapshot(people=frozenset(g.person_id for g in groups if g.reaches_threshold),
                           signal_keys=frozenset(s.key for s in found))


@dataclass
class ConductCorrection:
    """What a correction withdrew, and what it noticed again (on the right case)."""

    withdrawn_flags: list[CourseOfConductFlag] = field(default_factory=list)
    withdrawn_signals: list[EscalationSignal] = field(default_factory=list)
    raised: ConductUpdate = field(default_factory=ConductUpdate)


def conduct_flags_correct(*, subject: Subject, before: ConductSnapshot, actor: Any, reason: str,
                          left: Sequence[Any] = ()) -> ConductCorrection:
    """A correction changed ``subject``'s incidents (``left``: found not to be about them) or the cases
    holding them. Withdraw each flag and signal in force that

    - rested on an incident that left the subject;
    - the log showed before the correction (``before``, from :func:`conduct_snapshot`) and no longer shows;
    - sits on a case that no longer holds the latest incident behind it (it was split out);

    each with a timeline entry on its case giving why and who; then raise what the log now shows, where
    it now is (:func:`conduct_flags_update`). Withdrawn rows are kept: nothing is deleted.
    """
    result = ConductCorrection()
    with transaction.atomic():
        subject = Subject.objects.select_for_update().get(pk=subject.pk)
        records = subject_incident_records(subject)
        case_of = {r.id: r.case_id for r in records}
        order = {r.id: n for n, r in enumerate(records)}
        left_ids = {i.pk for i in left}
        live_people = {g.person_id for g in patterns.course_of_conduct(records, subject_name=subject.full_name)
                       if g.reaches_threshold}
        live_keys = {s.key for s in patterns.escalation_signals(records, subject_name=subject.full_name,
                                                                **escalation_options())}
        cases = {c.pk: c for c in Case.objects.filter(pk__in={r.case_id for r in records if r.case_id})}
        now = timezone.now()

        def why(item: Any, *, shown_before: bool, shown_now: bool, what: str) -> str:
            incidents = list(item.incidents.all())
            wrong = sorted(i.reference for i in incidents if i.pk in left_ids)
            if wrong:
                return (f"It rested on {', '.join(wrong)}, found not to be about {subject}. {reason}")
            if shown_before and not shown_now:
                return f"{subject}'s incidents no longer show {what} after the correction. {reason}"
            behind = [i for i in incidents if i.pk in order]
            latest = max(behind, key=lambda i: order[i.pk]) if behind else None
            if latest is not None and case_of.get(latest.pk) not in (None, item.case_id):
                moved_to = cases.get(case_of[latest.pk])
                return (f"The latest incident behind it, {latest.reference}, is now in case "
                        f"{moved_to.reference if moved_to else '?'}: it is raised again there. {reason}")
            return ""

        flags = (CourseOfConductFlag.objects.filter(subject=subject, withdrawn_at__isnull=True)
                 .select_related("case", "protected_person__user").prefetch_related("incidents"))
        for flag in flags:
            because = why(flag, shown_before=flag.protected_person_id in before.people,
                          shown_now=flag.protected_person_id in live_people, what="a course of conduct")
            if not because:
                continue
            _withdraw(flag, actor=actor, at=now, reason=because)
            timeline_record(
                case=flag.case, actor=actor, action="course_of_conduct_withdrawn",
                summary=f"Course-of-conduct flag withdrawn: {subject} against {flag.protected_person.name}.",
                reason=because, data={"flag": str(flag.pk), "subject": str(subject.pk)},
            )
            result.withdrawn_flags.append(flag)

        for item in EscalationSignal.objects.filter(subject=subject, withdrawn_at__isnull=True).select_related(
                "case").prefetch_related("incidents"):
            because = why(item, shown_before=item.key in before.signal_keys, shown_now=item.key in live_keys,
                          what=f'"{item.get_kind_display().lower()}"')
            if not because:
                continue
            _withdraw(item, actor=actor, at=now, reason=because)
            timeline_record(
                case=item.case, actor=actor, action="escalation_withdrawn",
                summary=f"Escalation signal withdrawn: {item.get_kind_display()}.", reason=because,
                data={"signal": str(item.pk), "kind": item.kind, "subject": str(subject.pk)},
            )
            result.withdrawn_signals.append(item)

        if result.withdrawn_flags or result.withdrawn_signals:
            _tell_assessors_withdrawn(result)
        for flag in result.withdrawn_flags:
            signals.send_on_commit(signals.course_of_conduct_withdrawn, flag=flag)
        for item in result.withdrawn_signals:
            signals.send_on_commit(signals.escalation_signal_withdrawn, escalation=item)
        result.raised = conduct_flags_update(subject=subject, actor=actor)
    return result


def _withdraw(item: Any, *, actor: Any, at: Any, reason: str) -> None:
    item.withdrawn_at, item.withdrawn_by, item.withdrawal_reason = at, _user(actor), reason
    item.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])


def _tell_assessors_withdrawn(result: ConductCorrection) -> None:
    """One message to health and safety: identifiers only, the reasons are on the cases."""
    items = [*result.withdrawn_flags, *result.withdrawn_signals]
    references = sorted({item.case.reference for item in items})
    flags, signals_ = len(result.withdrawn_flags), len(result.withdrawn_signals)
    subject, message = notice_text(lambda: (
        _("Councillor safety: a pattern withdrawn in case %(cases)s") % {"cases": ", ".join(references)},
        _("A correction withdrew course-of-conduct flags (%(flags)s) and escalation signals (%(signals)s).")
        % {"flags": flags, "signals": signals_} + "\n" + _("Sign in to see why on the case.")))
    notify(
        event="conduct_withdrawn",
        recipients=get_adapter().users_with_role(Role.HEALTH_AND_SAFETY),
        subject=subject,
        message=message,
        context={"cases": references, "flags": [str(f.pk) for f in result.withdrawn_flags],
                 "signals": [str(s.pk) for s in result.withdrawn_signals]},
    )


def _latest_case(records: tuple[patterns.IncidentRecord, ...], cases: dict[Any, Case]) -> Case | None:
    """The case holding the latest of these incidents (every reported incident has one)."""
    return next((cases[r.case_id] for r in reversed(records) if r.case_id in cases), None)


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _tell_assessors(result: ConductUpdate) -> None:
    """One message to health and safety, with identifiers only (the adapter's rule): the detail is in the case."""
    references = sorted({item.case.reference for item in [*result.flags, *result.signals]})

    def text() -> tuple[str, str]:
        lines = []
        if result.flags:
            lines.append(ngettext(
                "%(count)s new course-of-conduct flag: two or more incidents by the same person against the same "
                "person harmed.",
                "%(count)s new course-of-conduct flags: two or more incidents by the same person against the same "
                "person harmed.", len(result.flags)) % {"count": len(result.flags)})
        if result.signals:
            kinds = ", ".join(sorted({str(s.get_kind_display()).lower() for s in result.signals}))
            lines.append(ngettext("New escalation signal: %(kinds)s.", "New escalation signals: %(kinds)s.",
                                  len(result.signals)) % {"kinds": kinds})
        lines.append(_("Sign in to see the reasons on the case before assessing it."))
        return (_("Councillor safety: a pattern in case %(cases)s") % {"cases": ", ".join(references)},
                "\n".join(lines))

    subject, message = notice_text(text)
    notify(
        event="course_of_conduct_flagged" if result.flags else "escalation_signal_noticed",
        recipients=get_adapter().users_with_role(Role.HEALTH_AND_SAFETY),
        subject=subject,
        message=message,
        context={"cases": references, "flags": [str(f.pk) for f in result.flags],
                 "signals": [str(s.pk) for s in result.signals]},
    )
