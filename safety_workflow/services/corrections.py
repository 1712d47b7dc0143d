"""Putting a case right: unlinking an incident from the wrong subject, and splitting incidents out of a case.

People make mistakes under pressure. A correction is made by members services or health and safety, with
a reason, and nothing is deleted: the timeline shows the correction and who made it, and everything
derived from the mistake is worked out again:

- course-of-conduct flags and escalation signals that rested on it are withdrawn (kept, with why) and
  what the log now shows is raised on the case that now holds the incidents (``services.patterns``);
- the subject's register entry review date no longer counts the incident, and an entry resting on it
  is reviewed (``services.register``);
- the case's assessment is re-opened, since its level may change (``services.cases``);
- incidents that leave an open police referral are taken out of it, and follow into a referral of
  their new case; the police contact is told each time (``services.police``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from .. import signals
from ..errors import Conflict, Forbidden, InvalidInput
from ..models import Case, Incident, PoliceReferral, RegisterEntry, Subject
from ..roles import Role, has_role
from .audit import timeline_record
from .patterns import ConductCorrection, conduct_flags_correct, conduct_snapshot

#: Who may correct a case: the officers who triage and assess it.
CORRECTION_ROLES = (Role.MEMBERS_SERVICES, Role.HEALTH_AND_SAFETY)


def may_correct_cases(user: Any) -> bool:
    return has_role(user, *CORRECTION_ROLES)


@dataclass
class CorrectionResult:
    """What a correction changed besides the incidents themselves."""

    case: Case
    incidents: list[Incident] = field(default_factory=list)
    new_case: Case | None = None
    conduct: list[ConductCorrection] = field(default_factory=list)
    register_entries: list[RegisterEntry] = field(default_factory=list)
    referrals: list[PoliceReferral] = field(default_factory=list)
    reassessment: Task | None = None

    @property
    def assessment_reopened(self) -> bool:
        return self.reassessment is not None

    @property
    def withdrawn(self) -> list[Any]:
        return [item for c in self.conduct for item in (*c.withdrawn_flags, *c.withdrawn_signals)]

    @property
    def raised(self) -> list[Any]:
        return [item for c in self.conduct for item in (*c.raised.flags, *c.raised.signals)]


def correction_check_permitted(actor: Any) -> None:
    """Refuse (403 ``correction_not_permitted``) anyone but members services and health and safety.

    Call only once the caller is known to see the record (a record they may not see is a 404 first).
    """
    if not may_correct_cases(actor):
        raise Forbidden(_("Members services or health and safety correct cases."), code="correction_not_permitted")


def _check(actor: Any, reason: str) -> str:
    correction_check_permitted(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(errors={"reason": [_("Say why: the correction is part of the case's record.")]},
                           code="reason_required")
    return reason


def _case_subject_follow(case: Case, *, actor: Any, reason: str) -> None:
    """A case is about the subject of its incidents: follow them when a correction changes who that is.

    Kept while any incident is still about the case's subject; otherwise the one subject the incidents
    are about, or none.
    """
    subjects = set(case.incidents.values_list("subject_id", flat=True)) - {None}
    if case.subject_id in subjects:
        return
    new = Subject.objects.get(pk=next(iter(subjects))) if len(subjects) == 1 else None
    if new is None and case.subject_id is None:
        return
    case.subject = new
    case.save(update_fields=["subject"])
    timeline_record(case=case, actor=actor, action="case_subject_changed",
                    summary=f"The case is now about {new}." if new else "The case has no subject linked now.",
                    reason=reason, data={"subject": str(new.pk) if new else None})


def _merge_into_subjects_open_case(case: Case, *, actor: Any, reason: str) -> Task | None:
    """A correction made an open case about a subject who has another open case: merge it there, as triage
    would (a subject has one open case). The work open on it stops (the other case's assessment is
    re-opened and sees every incident); an open police referral and its steps go along. Returns the other
    case's re-opened assessment task, if one was made."""
    from .cases import case_merge_into

    if case.state != Case.State.OPEN or case.subject_id is None:
        return None
    target = (Case.objects.filter(subject_id=case.subject_id, state=Case.State.OPEN).exclude(pk=case.pk)
              .order_by("created").first())
    if target is None:
        return None
    reassessment = case_merge_into(case=case, target=target, actor=actor)  # the referral and police steps go too
    tasks = list(Task.objects.filter(process=case, status__in=(STATUS.NEW, STATUS.ASSIGNED)))
    for task in tasks:
        task.flow_task.activation_class(task).cancel()
    if tasks:
        timeline_record(case=case, actor=actor, action="tasks_cancelled",
                        summary=f"Merged into case {target.reference}: the work open here continues there.",
                        reason=reason, data={"cancelled_tasks": sorted(t.flow_task.name for t in tasks)})
    case.status, case.finished = STATUS.DONE, timezone.now()
    case.save(update_fields=["status", "finished"])
    return reassessment


def _reopen(case: Case, *, actor: Any, because: Incident | None, summary: str, reason: str) -> Task | None:
    from .cases import case_reopen_assessment

    if case.state != Case.State.OPEN:
        return None
    return case_reopen_assessment(case=case, actor=actor, because=because, summary=summary, reason=reason)


# Unlinking -----------------------------------------------------------------------------------------
def incident_unlink_subject(
    *,
    incident: Incident,
    actor: Any,
    reason: str,
    subject: Subject | None = None,
    new_subject: dict[str, Any] | None = None,
) -> CorrectionResult:
    """The incident is not about the subject it was linked to: unlink it, and link the right person
    (``subject``, or ``new_subject`` details to record one) when known.

    The incident stays in its case (split it out with :func:`case_split` when it belongs elsewhere);
    the case follows its incidents' subject when none of them is about the old one any more.
    """
    from ..flows import IncidentFlow
    from .cases import subject_incidents_linked
    from .police import police_referral_incidents_corrected
    from .register import register_review_correct_for_subject
    from .subjects import subject_create

    reason = _check(actor, reason)
    if incident.subject_id is None:
        raise Conflict(_("This incident is not linked to a subject."), code="no_subject_linked")
    if subject is not None and new_subject:
        raise InvalidInput(errors={"subject": [_("Give an existing subject or a new one, not both.")]})
    if subject is not None and subject.pk == incident.subject_id:
        raise InvalidInput(errors={"subject": [_("The incident is already linked to this subject.")]})

    case = incident.case
    with transaction.atomic(), IncidentFlow.lock(case.pk):
        incident = Incident.objects.select_related("subject", "case").get(pk=incident.pk)
        case = incident.case
        wrong = incident.subject
        if wrong is None:
            raise Conflict(_("This incident is not linked to a subject."), code="no_subject_linked")
        before = conduct_snapshot(wrong)
        if new_subject:
            subject = subject_create(actor=actor, **new_subject)
        incident.subject = subject
        incident.save(update_fields=["subject"])
        timeline_record(
            case=case, incident=incident, actor=actor, action="subject_unlinked",
            summary=f"Incident {incident.reference} is not about {wrong}: unlinked"
                    + (f" and linked to {subject}." if subject else "."),
            reason=reason, data={"from": str(wrong.pk), "to": str(subject.pk) if subject else None},
        )
        _case_subject_follow(case, actor=actor, reason=reason)
        merged_reassessment = _merge_into_subjects_open_case(case, actor=actor, reason=reason)
        result = CorrectionResult(case=case, incidents=[incident])
        result.conduct.append(conduct_flags_correct(subject=wrong, before=before, actor=actor, reason=reason,
                                                    left=[incident]))
        result.register_entries += register_review_correct_for_subject(subject=wrong, left=[incident], actor=actor,
                                                                       reason=reason)
        if subject is not None:
            raised = subject_incidents_linked(subject=subject, incidents=[incident], actor=actor)
            result.conduct.append(ConductCorrection(raised=raised))
        result.referrals += police_referral_incidents_corrected(incident=incident, actor=actor, reason=reason)
        result.reassessment = merged_reassessment or _reopen(
            case, actor=actor, because=incident, reason=reason,
            summary=f"A correction re-opened the assessment: incident {incident.reference} is not about {wrong}.",
        )
        signals.send_on_commit(signals.case_corrected, case=case, correction="subject_unlinked",
                               incidents=[incident], actor=actor)
    return result


# Splitting -----------------------------------------------------------------------------------------
def case_split(*, case: Case, incidents: Iterable[Any], actor: Any, reason: str) -> CorrectionResult:
    """Move some of the case's incidents into a new case of their own (IncidentFlow's ``start_split``).

    The incidents keep their references (they are evidence). The new case starts at the assessment
    when its incidents' subject is known (at triage when not), beside a police referral when they
    were in an open one; when that subject has another open case, the new case is merged into it at
    once. The case they leave is re-assessed, since its level may change.
    """
    from ..flows import IncidentFlow

    reason = _check(actor, reason)
    ids = list(dict.fromkeys(str(i.pk if isinstance(i, Incident) else i) for i in incidents))
    if not ids:
        raise InvalidInput(errors={"incidents": [_("Choose the incidents to split out.")]})
    with transaction.atomic(), IncidentFlow.lock(case.pk):
        case = Case.objects.select_related("subject").get(pk=case.pk)
        if case.state != Case.State.OPEN:
            raise Conflict(_("Only an open case can be split."), code="case_not_open")
        moving = list(case.incidents.filter(pk__in=ids).select_related("subject").order_by("occurred_at"))
        if len(moving) != len(ids):
            raise InvalidInput(errors={"incidents": [_("Every incident must be one of this case's.")]},
                               code="incident_not_in_case")
        if case.incidents.exclude(pk__in=ids).count() == 0:
            raise InvalidInput(errors={"incidents": [_("At least one incident must stay in the case.")]},
                               code="split_leaves_case_empty")
        if len({i.subject_id for i in moving}) > 1:
            raise InvalidInput(errors={"incidents": [_("The incidents split out together must be about one "
                                                     "subject: split them one subject at a time.")]},
                               code="split_mixed_subjects")
        subjects = {s for s in (case.subject, moving[0].subject) if s is not None}
        before = {s.pk: conduct_snapshot(s) for s in subjects}
        referrals = list(case.referrals.filter(status__in=PoliceReferral.OPEN_STATUSES, incidents__in=ids).distinct())

        new_case = IncidentFlow.start_split.run(source=case, incidents=moving, actor=actor, reason=reason)

        result = CorrectionResult(case=case, incidents=moving, new_case=new_case)
        result.referrals += [PoliceReferral.objects.get(pk=r.pk) for r in referrals]
        result.referrals += list(new_case.referrals.all())
        _case_subject_follow(case, actor=actor, reason=reason)
        if any(i.immediate_danger for i in moving) and not case.incidents.filter(immediate_danger=True).exists():
            case.immediate_danger = False
            case.save(update_fields=["immediate_danger"])
        for subject in subjects:
            result.conduct.append(conduct_flags_correct(subject=subject, before=before[subject.pk], actor=actor,
                                                        reason=reason))
        result.reassessment = _reopen(
            case, actor=actor, because=None, reason=reason,
            summary=f"A correction re-opened the assessment: incident(s) "
                    f"{', '.join(i.reference for i in moving)} were split out into case {new_case.reference}.",
        )
        signals.send_on_commit(signals.case_corrected, case=case, correction="split", incidents=moving, actor=actor)
    return result


def case_open_from_split(*, case: Case, source: Case, incidents: list[Incident], actor: Any, reason: str) -> Case:
    """IncidentFlow's ``start_split`` node: open ``case`` with ``incidents`` taken out of ``source``.

    Runs under ``source``'s flow lock (``case_split``). Incidents in an open police referral of
    ``source`` leave it (the police are told) and are referred again with the new case.
    """
    from .cases import case_merge_into
    from .police import police_referral_incidents_leave
    from .references import case_reference_next

    refs = ", ".join(i.reference for i in incidents)
    case.reference = case_reference_next()
    case.subject = incidents[0].subject
    case.immediate_danger = any(i.immediate_danger for i in incidents)
    case.data = {"split_from": source.reference, "opened_by": getattr(actor, "pk", None)}
    case.save()
    Incident.objects.filter(pk__in=[i.pk for i in incidents]).update(case=case)
    timeline_record(case=case, actor=actor, action="case_opened",
                    summary=f"Case {case.reference} opened: incident(s) {refs} split out of case {source.reference}.",
                    reason=reason, data={"split_from": source.reference, "incidents": [i.reference for i in incidents]})
    timeline_record(case=source, actor=actor, action="split",
                    summary=f"Incident(s) {refs} split out into case {case.reference}.", reason=reason,
                    data={"new_case": case.reference, "incidents": [i.reference for i in incidents]})

    for referral in source.referrals.filter(status__in=PoliceReferral.OPEN_STATUSES,
                                            incidents__in=[i.pk for i in incidents]).distinct():
        leaving = [i for i in incidents if referral.incidents.filter(pk=i.pk).exists()]
        police_referral_incidents_leave(referral=referral, incidents=leaving, actor=actor, reason=reason,
                                        moved_to=case)
        case.data["carried_referral"] = {"case": source.reference, "reason": reason,
                                         "referral": f"made on {referral.referred_at:%d %B %Y}"}
        if referral.status == PoliceReferral.Status.WITHDRAWN:
            _cancel_police_steps(source, actor=actor, reason=reason)
    case.save(update_fields=["data"])

    other = None
    if case.subject_id is not None:
        other = (Case.objects.filter(subject_id=case.subject_id, state=Case.State.OPEN)
                 .exclude(pk__in=[case.pk, source.pk]).order_by("created").first())
    if other is not None:
        case_merge_into(case=case, target=other, actor=actor)
    return case


def _cancel_police_steps(case: Case, *, actor: Any, reason: str) -> None:
    """The case's referral was withdrawn (its incidents all left): its police steps have nothing to do."""
    from ..flows.incident import POLICE_NODES

    tasks = [t for t in Task.objects.filter(process=case, status__in=(STATUS.NEW, STATUS.ASSIGNED))
             if t.flow_task is not None and t.flow_task.name in POLICE_NODES]
    for task in tasks:
        task.flow_task.activation_class(task).cancel()
    if tasks:
        timeline_record(case=case, actor=actor, action="tasks_cancelled",
                        summary="The police steps were cancelled: the referral was withdrawn.", reason=reason,
                        data={"cancelled_tasks": sorted(t.flow_task.name for t in tasks)})
