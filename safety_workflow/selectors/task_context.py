"""What a person needs in front of them to do a task: the case, and the node's own material."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from viewflow.workflow.models import Task

from ..errors import Conflict
from ..models import AdviceTemplate, Bundle, Case, PoliceReferral
from ..services.case_tasks import decision_table_current
from .cases import incidents_visible_to, referral_election_period
from .linking import triage_context
from .patterns import assess_context


def _incidents(case: Case, user: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": str(i.pk),
            "reference": i.reference,
            "occurred_at": i.occurred_at,
            "channel": i.channel,
            "protected_person": {"id": str(i.protected_person_id), "name": i.protected_person.name,
                                 "kind": i.protected_person.kind},
            "person_kind": i.person_kind,
            "election_period": ({"id": i.election_period_id, "name": i.election_period.name,
                                 "poll_date": i.election_period.poll_date} if i.election_period_id else None),
            "immediate_danger": i.immediate_danger,
            "hate_element": i.hate_element,
            "subject_details": i.subject_details,
        }
        for i in incidents_visible_to(user).filter(case=case).select_related(
            "protected_person__user", "election_period").order_by("occurred_at")
    ]


def _assess(task: Task, case: Case) -> dict[str, Any]:
    try:
        table = decision_table_current()
    except Conflict:
        return {"decision_table": None}
    return {
        "decision_table": {
            "version": table.version,
            "title": table.title,
            "questions": [
                {"key": q.key, **dict(zip(("text", "help_text"), q.text_in(), strict=True)), "kind": q.kind,
                 "choices": q.choices}
                for q in table.questions.all()  # in the API's language (Accept-Language)
            ],
        }
    }


def _advise(task: Task, case: Case) -> dict[str, Any]:
    """The advice templates, those written for the kinds of people harmed in the case first (a candidate's
    case: campaigning safely; a member of staff's: lone working and the employee assistance programme)."""
    kinds = set(case.incidents.values_list("protected_person__kind", flat=True))
    templates = list(AdviceTemplate.objects.filter(active=True))
    templates.sort(key=lambda t: (not (set(t.for_kinds or ()) & kinds), t.topic, t.title))
    return {
        "templates": [
            {"code": t.code, "title": t.title, "topic": t.topic, "body": t.body, "for_kinds": t.for_kinds,
             "suggested": bool(set(t.for_kinds or ()) & kinds)}
            for t in templates
        ]
    }


def _police(task: Task, case: Case) -> dict[str, Any]:
    referral = case.referrals.filter(status__in=PoliceReferral.OPEN_STATUSES).order_by("-referred_at").first()
    if referral is None:
        return {"referral": None}
    return {
        "referral": {
            "id": str(referral.pk),
            "urgent": referral.urgent,
            "status": referral.status,
            "crime_reference": referral.crime_reference,
            "referred_at": referral.referred_at,
            "incidents": list(referral.incidents.values_list("reference", flat=True)),
            "election_period": _election(referral_election_period(referral)),
        }
    }


def _election(period: Any) -> dict[str, Any] | None:
    return {"id": period.pk, "name": period.name, "poll_date": period.poll_date} if period else None


def _bundles(task: Task, case: Case) -> dict[str, Any]:
    """Injunction bundles built for this case, newest first: the one to file is chosen from these."""
    bundles = Bundle.objects.filter(case=case, kind=Bundle.Kind.INJUNCTION).order_by("-requested_at")
    return {
        "bundles": [
            {"id": str(b.pk), "status": b.status, "requested_at": b.requested_at, "page_count": b.page_count,
             "sha256": b.sha256}
            for b in bundles
        ]
    }


#: Node name -> extra context. Other modules add their own entries (e.g. linking suggestions).
CONTEXT_BUILDERS: dict[str, list[Callable[[Task, Case], dict[str, Any]]]] = {
    "triage": [triage_context],
    "assess": [_assess, assess_context],
    "advise": [_advise],
    "prepare_bundle": [_bundles],
    "police_acknowledge": [_police],
    "police_outcome": [_police],
}


def register_task_context(task: Task, user: Any) -> dict[str, Any]:
    """A register task (approve, notify, review) has an entry, not a case: its summary, read in full at
    ``register/entries/{id}/``."""
    from .register import register_entries_visible_to

    process = getattr(task.process, "registerprocess", None)
    entry = register_entries_visible_to(user).filter(pk=process.entry_id).first() if process else None
    return {"register_entry": ({"id": str(entry.pk), "reference": entry.reference, "state": entry.state}
                               if entry else None)}


def task_context(task: Task, user: Any) -> dict[str, Any]:
    case = getattr(task.process, "case", None)
    if case is None:
        return register_task_context(task, user)
    context: dict[str, Any] = {
        "case": {
            "id": case.pk,
            "reference": case.reference,
            "state": case.state,
            "level": case.level,
            "route": case.route,
            "immediate_danger": case.immediate_danger,
            "subject": {"id": str(case.subject_id), "name": str(case.subject)} if case.subject_id else None,
        },
        "incidents": _incidents(case, user),
    }
    for builder in CONTEXT_BUILDERS.get(task.flow_task.name, []):
        context.update(builder(task, case))
    return context
