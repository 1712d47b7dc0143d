"""What each role may see of cases and incidents (DOMAIN.md: each role sees only what it needs).

- members services, health and safety, the monitoring officer: every case (they run or own the process);
- legal: cases that an assessment has routed to council action;
- police liaison: cases referred to the police, and within them only the referred incidents;
- councillors and candidates: their own incidents (aimed at them, or reported by them), the incidents aimed at
  the members of their household and their supporters who agreed to share them, and the cases holding those;
- electoral services: the incidents aimed at candidates (what the person was when it happened), those they
  reported, and the cases holding them;
- frontline staff and information governance: no cases (the register check and the audit log are theirs).

A household member's or supporter's incidents are theirs: the councillor or candidate they are linked to sees
those reported by someone else only if the person agreed (``ProtectedPerson.share_with_linked``); the ones the
councillor or candidate reported themselves they see anyway (docs/people.md).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from ..models import (
    Assessment,
    Case,
    CouncilAction,
    ElectionPeriod,
    EvidenceFile,
    Incident,
    PoliceReferral,
    ProtectedPerson,
    Route,
    TimelineEntry,
)
from ..roles import CASE_OFFICER_ROLES, SELF_REPORTING_ROLES, Role, roles_for
from .common import get_or_not_found


def _legal_cases() -> QuerySet:
    return Assessment.objects.filter(case=OuterRef("pk"), route=Route.COUNCIL_ACTION)


def own_incidents_rule(user: Any, roles: frozenset[str]) -> Q:
    """The incidents a councillor, candidate or electoral services see as their own (see the module's doc)."""
    rule = Q(pk__in=[])
    if roles & SELF_REPORTING_ROLES:
        rule |= (Q(protected_person__user=user) | Q(reported_by=user)
                 | Q(protected_person__linked_to__user=user, protected_person__share_with_linked=True))
    if Role.ELECTORAL_SERVICES in roles:
        rule |= Q(person_kind=ProtectedPerson.Kind.CANDIDATE) | Q(reported_by=user)
    return rule


def incidents_visible_to(user: Any) -> QuerySet[Incident]:
    roles = roles_for(user)
    incidents = Incident.objects.all()
    if roles & CASE_OFFICER_ROLES:
        return incidents
    rule = own_incidents_rule(user, roles)
    if Role.LEGAL in roles:
        rule |= Q(Exists(Assessment.objects.filter(case=OuterRef("case"), route=Route.COUNCIL_ACTION)))
    if Role.POLICE_LIAISON in roles:
        rule |= Q(Exists(PoliceReferral.incidents.through.objects.filter(incident=OuterRef("pk"))))
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
    if roles & (SELF_REPORTING_ROLES | {Role.ELECTORAL_SERVICES}):
        rule |= Q(Exists(Incident.objects.filter(own_incidents_rule(user, roles), case=OuterRef("pk"))))
    return cases.filter(rule)


def referral_election_period(referral: PoliceReferral) -> ElectionPeriod | None:
    """The election period the referral's incidents fall in (the latest poll, if several), or None."""
    return (ElectionPeriod.objects.filter(incidents__referrals=referral).distinct()
            .order_by("-poll_date", "-pk").first())


def sees_whole_case(user: Any, case: Case) -> bool:
    """Officers and legal see the whole case file; councillors and police see part of it."""
    roles = roles_for(user)
    return bool(roles & CASE_OFFICER_ROLES) or (
        Role.LEGAL in roles and Assessment.objects.filter(case=case, route=Route.COUNCIL_ACTION).exists()
    )


def incident_get(user: Any, incident_id: Any) -> Incident:
    return get_or_not_found(incidents_visible_to(user).select_related(
        "case", "subject", "protected_person__user", "election_period"), incident_id, log_as="incident")


def case_get(user: Any, case_id: Any, **annotations: Any) -> Case:
    """The case, if the user sees it (``NotFound``, logged, if not); ``annotations`` are read with it."""
    cases = cases_visible_to(user).select_related("subject")
    return get_or_not_found(cases.annotate(**annotations) if annotations else cases, case_id, log_as="case")


def case_parts_present() -> dict[str, Exists]:
    """For a case's detail, read with the case (``case_get(user, pk, **case_parts_present())``): whether it has
    any council action, any police referral, any open human task. A part it has none of is not looked up."""
    from viewflow.workflow.models import Task

    from .tasks import OPEN

    return {
        "has_council_actions": Exists(CouncilAction.objects.filter(case=OuterRef("pk"))),
        "has_referrals": Exists(PoliceReferral.objects.filter(case=OuterRef("pk"))),
        "has_open_tasks": Exists(Task.objects.filter(process_id=OuterRef("pk"), flow_task_type="HUMAN",
                                                     status__in=OPEN)),
    }


def evidence_get(user: Any, incident: Incident, evidence_id: Any) -> Any:
    """An evidence file of an incident the user may see (``incident_get``); otherwise ``NotFound``, logged."""
    return get_or_not_found(evidence_of(incident), evidence_id, log_as="evidence")


def may_see_evidence(user: Any) -> bool:
    """Evidence files are for the person harmed (a councillor, a candidate), electoral services (who take
    candidates' reports), the case officers and legal; the police liaison gets the police referral pack (a
    bundle), not the files one by one."""
    roles = roles_for(user)
    return bool(roles & (CASE_OFFICER_ROLES | SELF_REPORTING_ROLES | {Role.LEGAL, Role.ELECTORAL_SERVICES}))


def evidence_of(incident: Incident) -> QuerySet[EvidenceFile]:
    """The evidence of an incident from ``incident_get``, for a user who ``may_see_evidence``."""
    # The text's summary comes with each file; the text and word boxes themselves only when read.
    return (incident.evidence.select_related("uploaded_by", "extraction")
            .defer("extraction__text", "extraction__pages", "extraction__fields").order_by("uploaded_at", "pk"))


def _references_in(entry: TimelineEntry) -> set[str]:
    data = entry.data if isinstance(entry.data, dict) else {}
    found = {str(data["target"])} if data.get("target") else set()
    if isinstance(data.get("incidents"), list):
        found |= {str(reference) for reference in data["incidents"]}
    return found


def _names_any(entry: TimelineEntry, references: set[str]) -> bool:
    texts = (entry.summary, entry.decision, entry.reason)
    return bool(_references_in(entry) & references) or any(
        reference in text for text in texts for reference in references)


def timeline_visible_to(user: Any, case: Case) -> list[TimelineEntry] | QuerySet[TimelineEntry]:
    """The case's timeline as this user may see it. Call only with a case from ``case_get``.

    Those who see part of a case (councillors, candidates, electoral services, the police liaison) see the steps
    about the incidents they see, and the case-wide steps that name no incident or case they may not see (a
    merge, a course of conduct across other incidents). All but the police see only the steps shared with the
    people harmed. Five queries.
    """
    entries = TimelineEntry.objects.filter(case=case).select_related("actor", "incident").order_by("at", "pk")
    if sees_whole_case(user, case):
        return entries
    visible = incidents_visible_to(user).filter(case=case)
    entries = entries.filter(Q(incident__isnull=True) | Q(incident__in=visible))
    if Role.POLICE_LIAISON not in roles_for(user):
        entries = entries.filter(shared_with_councillor=True)
    entries = list(entries)
    related_cases = Q(merged_into=case) | (Q(pk=case.merged_into_id) if case.merged_into_id else Q(pk__in=[]))
    candidates = set().union(*(_references_in(e) for e in entries if e.incident_id is None))
    candidates |= set(Incident.objects.filter(Q(case=case) | Q(case__in=Case.objects.filter(related_cases)))
                      .values_list("reference", flat=True))
    candidates |= set(Case.objects.filter(related_cases).values_list("reference", flat=True))
    seen = set(incidents_visible_to(user).filter(reference__in=candidates).values_list("reference", flat=True))
    seen |= set(cases_visible_to(user).filter(reference__in=candidates).values_list("reference", flat=True))
    hidden = candidates - seen
    return [e for e in entries if e.incident_id is not None or not _names_any(e, hidden)]
