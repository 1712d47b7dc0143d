"""Case life: opening, linking incidents, re-opening the assessment, merging, and closing."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from .. import signals
from ..errors import Conflict
from ..models import Case, Incident, Subject
from .audit import timeline_entry, timeline_record, timeline_record_many
from .references import case_reference_next, incident_reference_next

OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED)


def subject_incidents_linked(*, subject: Subject, incidents: list[Incident], actor: Any) -> Any:
    """Incidents have just been tied to ``subject``: what that changes elsewhere.

    The subject's register entry is reviewed a full interval after the newest incident (Durham:
    12 months, reset by a new incident), and the subject's course of conduct and escalation are
    looked at again (the assessor is told of a new flag once).
    Returns what the conduct update noticed (``services.patterns.ConductUpdate``).
    """
    from .patterns import ConductUpdate, conduct_flags_update
    from .register import register_review_reset_for_subject

    for incident in sorted(incidents, key=lambda i: i.occurred_at):
        register_review_reset_for_subject(subject=subject, incident=incident)
    if incidents:
        return conduct_flags_update(subject=subject, actor=actor)
    return ConductUpdate()


def case_open(*, case: Case, incident: Incident) -> Case:
    """Called by IncidentFlow's start node with the unsaved case and incident."""
    from .incidents import incident_reported_entry

    case.reference = case_reference_next()
    case.subject = incident.subject
    case.immediate_danger = incident.immediate_danger
    case.save()
    incident.case = case
    incident.reference = incident_reference_next(case=case)
    incident.save()
    timeline_record_many([
        timeline_entry(case=case, action="case_opened", summary=f"Case {case.reference} opened.",
                       actor=incident.reported_by),
        incident_reported_entry(incident=incident),
    ])
    return case


def case_add_incident(*, case: Case, incident: Incident, actor: Any) -> Incident:
    """A new incident about a subject with an open case joins it and re-opens the assessment."""
    from ..flows import IncidentFlow
    from .incidents import incident_record_reported

    with transaction.atomic(), IncidentFlow.lock(case.pk):
        incident.case = case
        incident.reference = incident_reference_next(case=case)
        incident.save()
        incident_record_reported(incident=incident)
        timeline_record(case=case, incident=incident, actor=actor, action="incident_linked",
                        summary=f"Incident {incident.reference} linked to the open case about this subject.")
        if incident.immediate_danger and not case.immediate_danger:
            case.immediate_danger = True
            case.save(update_fields=["immediate_danger"])
        case_reopen_assessment(case=case, actor=actor, because=incident)
    return incident


def case_reopen_assessment(*, case: Case, actor: Any, because: Incident | None,
                           summary: str = "A new incident re-opened the assessment.",
                           reason: str = "") -> Task | None:
    """Send the case back to assessment: cancel open main-line tasks after it and create a new one.

    Nothing to do while the case is still waiting for triage or assessment: the assessor
    sees every incident in the case. The police steps of an open referral carry on beside the
    new assessment. Returns the new assessment task, if one was made. Call under the case's flow lock.
    """
    from ..flows import REASSESSABLE_NODES, IncidentFlow

    tasks = list(Task.objects.filter(process=case, status__in=OPEN_TASK_STATUSES).select_related("process"))
    names = {t.flow_task.name for t in tasks}
    if names & {"triage", "assess"}:
        return None
    to_cancel = [t for t in tasks if t.flow_task.name in REASSESSABLE_NODES]
    previous = to_cancel[0] if to_cancel else (
        Task.objects.filter(process=case, status=STATUS.DONE).order_by("-finished", "-pk").first()
    )
    if previous is None:  # a case without workflow history (e.g. imported): nothing to re-open
        return None
    for task in to_cancel:
        task.flow_task.activation_class(task).cancel()
    prev_activation = previous.flow_task.activation_class(previous)
    new_task = IncidentFlow.instance.assess._create(prev_activation, previous.token).task
    if case.route:
        case.route = ""
        case.save(update_fields=["route"])
    timeline_record(
        case=case, incident=because, actor=actor, action="assessment_reopened", summary=summary, reason=reason,
        data={"cancelled_tasks": sorted(t.flow_task.name for t in to_cancel)},
    )
    return new_task


def case_merge_into(*, case: Case, target: Case, actor: Any) -> Task | None:
    """Move every incident of ``case`` into ``target`` (the subject's open case) and re-assess it.

    Called by :func:`case_link_subject` once the incidents carry the subject and before what linking
    changes elsewhere (register review, course of conduct) is worked out, so that a new flag or signal
    lands on the case that now holds the incidents. Returns the target's re-opened assessment task, if any.
    """
    from ..flows import IncidentFlow

    moved = list(case.incidents.all())
    case.state = Case.State.MERGED
    case.merged_into = target
    case.closed_at = timezone.now()
    case.save(update_fields=["state", "merged_into", "closed_at"])
    Incident.objects.filter(case=case).update(case=target)
    refs = ", ".join(i.reference for i in moved)
    timeline_record(case=case, actor=actor, action="merged",
                    summary=f"Merged into case {target.reference}: same subject.",
                    data={"target": target.reference})
    with IncidentFlow.lock(target.pk):
        timeline_record(case=target, actor=actor, action="incidents_merged",
                        summary=f"Incident(s) {refs} joined from case {case.reference}.")
        if any(i.immediate_danger for i in moved) and not target.immediate_danger:
            target.immediate_danger = True
            target.save(update_fields=["immediate_danger"])
        _police_steps_follow(source=case, target=target, actor=actor)
        return case_reopen_assessment(case=target, actor=actor, because=moved[0] if moved else None)


def _police_steps_follow(*, source: Case, target: Case, actor: Any) -> None:
    """A merged case's open police referral (an urgent one, made before triage linked the subject) goes with
    its incidents: it becomes the target's referral, or its incidents join the target's open one; the police
    steps carry on in the target, and the police contact is told."""
    from ..flows import IncidentFlow
    from ..flows.incident import POLICE_NODES
    from ..models import PoliceReferral
    from .police import police_referral_merged

    referral = source.referrals.filter(status__in=PoliceReferral.OPEN_STATUSES).order_by("-referred_at").first()
    if referral is None:
        return
    tasks = [t for t in Task.objects.filter(process=source, status__in=OPEN_TASK_STATUSES)
             if t.flow_task is not None and t.flow_task.name in POLICE_NODES]
    for task in tasks:
        task.flow_task.activation_class(task).cancel()
    kept = police_referral_merged(referral=referral, target=target, actor=actor)
    open_here = {t.flow_task.name for t in Task.objects.filter(process=target, status__in=OPEN_TASK_STATUSES)
                 if t.flow_task is not None}
    if open_here & set(POLICE_NODES):
        return
    previous = Task.objects.filter(process=target).order_by("-pk").first()
    if previous is None:
        return
    node = IncidentFlow.instance.police_acknowledge if kept.status == PoliceReferral.Status.REFERRED \
        else IncidentFlow.instance.police_outcome
    node._create(previous.flow_task.activation_class(previous), previous.token)


def case_link_subject(*, case: Case, subject: Subject, actor: Any) -> Case | None:
    """Link the case's incidents to ``subject``. Returns the open case it was merged into, if any."""
    other = (
        Case.objects.filter(subject=subject, state=Case.State.OPEN)
        .exclude(pk=case.pk)
        .order_by("created")
        .first()
    )
    case.subject = subject
    case.save(update_fields=["subject"])
    newly_linked = list(case.incidents.filter(subject__isnull=True))
    case.incidents.filter(pk__in=[i.pk for i in newly_linked]).update(subject=subject)
    for incident in newly_linked:
        incident.subject = subject
    timeline_record(case=case, actor=actor, action="subject_linked",
                    summary=f"Subject linked: {subject}.", data={"subject": str(subject.pk)})
    if other is not None:
        # Merge first: a course-of-conduct flag or escalation signal the link raises belongs to the case
        # that now holds the incidents, not to the one merged away.
        case_merge_into(case=case, target=other, actor=actor)
        for incident in newly_linked:
            incident.case = other
    subject_incidents_linked(subject=subject, incidents=newly_linked, actor=actor)
    return other


def case_close(*, case: Case, actor: Any, outcome_summary: str, informed_by: str) -> Case:
    """Close the case once the people harmed have been told the outcome.

    Not while the employee-assistance offer the assessment asked for is still to be made: it is members
    services' own task, and closing would leave it in their queue for a closed case.
    """
    if case.state != Case.State.OPEN:
        raise Conflict(_("This case is not open."), code="case_not_open")
    open_support = Task.objects.filter(process=case, status__in=OPEN_TASK_STATUSES)
    if any(t.flow_task is not None and t.flow_task.name == "employee_assistance" for t in open_support):
        raise Conflict(_("Record the employee-assistance offer before closing the case."),
                       code="employee_assistance_open")
    now = timezone.now()
    case.state = Case.State.CLOSED
    case.closed_at = now
    case.closed_by = actor
    case.outcome_summary = outcome_summary
    case.person_informed_at = now
    case.person_informed_by = informed_by
    case.save(update_fields=["state", "closed_at", "closed_by", "outcome_summary",
                             "person_informed_at", "person_informed_by"])
    timeline_record(case=case, actor=actor, action="closed",
                    summary="Case closed; the people harmed were told the outcome.",
                    decision=outcome_summary[:200], shared_with_councillor=True)
    _tell_case_closed(case)
    signals.send_on_commit(signals.case_closed, case=case)
    return case


def _tell_case_closed(case: Case) -> None:
    """The councillors and candidates the case is about (or who reported it) are told it is closed: the
    reference only, the outcome is behind sign-in (and was told them in person)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q, Value
    from django.db.models.functions import Coalesce
    from django.utils.translation import gettext as _

    from ..adapter import get_adapter
    from ..notifications import notify
    from ..roles import SELF_REPORTING_ROLES

    User = get_user_model()
    incidents = case.incidents.all()
    adapter = get_adapter()
    holds_a_role = Q()
    for role in sorted(SELF_REPORTING_ROLES):  # one statement, not a roles look-up per person
        holds_a_role |= Q(pk__in=adapter.users_with_role(role).values("pk"))
    # Each one's language comes with them (their protected-person record's; "" for the notice language).
    recipients = list(User._default_manager.filter(
        Q(pk__in=incidents.values("protected_person__user")) | Q(pk__in=incidents.values("reported_by")),
        holds_a_role, is_active=True).annotate(notice_language=Coalesce(
            "safety_protected_person__language", Value(""))).order_by("pk"))
    from ..i18n import notice_text

    groups: dict[str, list[Any]] = {}
    for user in recipients:
        groups.setdefault(user.notice_language, []).append(user)
    values = {"reference": case.reference}
    for language, group in sorted(groups.items()):  # each person in their own language
        subject, message = notice_text(lambda: (
            _("Your councillor safety case %(reference)s is closed") % values,
            _("Case %(reference)s has been closed. Sign in to see its outcome.") % values), language=language)
        notify(event="case_closed", recipients=group, case=case, context={"case": case.reference},
               subject=subject, message=message)
