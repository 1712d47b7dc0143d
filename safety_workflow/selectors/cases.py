"""What each role may see of cases and incidents (DOMAIN.md: each role sees only what it needs).

- members services, health and safety, the monitoring officer: every case (they run or own the process);
- legal: cases that an assessment has routed to council action;
- police liaison: cases referred to the police, and within them only the referred incidents;
- councillors: their own incidents (aimed at them or reported by them) and the cases holding them;
- frontline staff and information governance: no cases (the register check and the audit log are theirs).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from ..models import Assessment, Case, Incident, PoliceReferral, Route, TimelineEntry
from ..roles import CASE_OFFICER_ROLES, Role, roles_for
from .common import get_or_not_found


def _legal_cases() -> QuerySet:
    return Assessment.objects.filter(case=OuterRef("pk"), route=Route.COUNCIL_ACTION)


def incidents_visible_to(user: Any) -> QuerySet[Incident]:
    roles = roles_for(user)
    incidents = Incident.objects.all()
    if roles & CASE_OFFICER_ROLES:
        return incidents
    rule = Q(pk__in=[])
    if Role.LEGAL in roles:
        rule |= Q(Exists(Assessment.objects.filter(case=OuterRef("case"), route=Route.COUNCIL_ACTION)))
    if Role.POLICE_LIAISON in roles:
        rule |= Q(Exists(PoliceReferral.incidents.through.objects.filter(incident=OuterRef("pk"))))
    if Role.COUNCILLOR in roles:
        rule |= Q(councillor=user) | Q(reported_by=user)
    return incidents.filter(rule)


def cases_visible_to(user: Any) -> QuerySet[Case]:
    roles = roles_for(user)
    cases = Case.objects.all()
    if roles & CASE_OFFICER_ROLES:
        return cases
    rule = Q(pk__in=[])
    if Role.LEGAL in roles:
        rule |= Q(Exists(_legal_cases()))
    if Role.POLICE_LIAISON in roles:
        rule |= Q(Exists(PoliceReferral.objects.filter(case=OuterRef("pk"))))
    if Role.COUNCILLOR in roles:
        rule |= Q(Exists(Incident.objects.filter(Q(councillor=user) | Q(reported_by=user), case=OuterRef("pk"))))
    return cases.filter(rule)


def sees_whole_case(user: Any, case: Case) -> bool:
    """Officers and legal see the whole case file; councillors and police see part of it."""
    roles = roles_for(user)
    return bool(roles & CASE_OFFICER_ROLES) or (
        Role.LEGAL in roles and Assessment.objects.filter(case=case, route=Route.COUNCIL_ACTION).exists()
    )


def incident_get(user: Any, incident_id: Any) -> Incident:
    return get_or_not_found(incidents_visible_to(user).select_related("case", "subject"), incident_id,
                            log_as="incident")


def case_get(user: Any, case_id: Any) -> Case:
    return get_or_not_found(cases_visible_to(user).select_related("subject"), case_id, log_as="case")


def evidence_get(user: Any, incident: Incident, evidence_id: Any) -> Any:
    """An evidence file of an incident the user may see (``incident_get``); otherwise ``NotFound``, logged."""
    return get_or_not_found(incident.evidence.all(), evidence_id, log_as="evidence")


def timeline_visible_to(user: Any, case: Case) -> QuerySet[TimelineEntry]:
    """The case's timeline as this user may see it. Call only with a case from ``case_get``."""
    entries = TimelineEntry.objects.filter(case=case).select_related("actor", "incident")
    if sees_whole_case(user, case):
        return entries
    visible = incidents_visible_to(user).filter(case=case)
    roles = roles_for(user)
    entries = entries.filter(Q(incident__isnull=True) | Q(incident__in=visible))
    if Role.POLICE_LIAISON in roles:
        return entries
    return entries.filter(shared_with_councillor=True)
