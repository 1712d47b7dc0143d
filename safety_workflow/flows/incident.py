"""IncidentFlow: the case from report to closure. Orchestration only: node functions call services.

Node and flow names are stored in the database as strings: renaming one is a data migration.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import nodes
from viewflow.workflow.base import Flow

from ..models import Case, Route
from ..roles import Role
from .base import HumanTask
from .lock import process_row_lock

MEMBERS_SERVICES = (Role.MEMBERS_SERVICES,)
HEALTH_AND_SAFETY = (Role.HEALTH_AND_SAFETY,)
LEGAL = (Role.LEGAL,)
# The named contact records police steps; members services may record them on the contact's behalf.
POLICE = (Role.POLICE_LIAISON, Role.MEMBERS_SERVICES)


class IncidentFlow(Flow):
    """Report -> triage -> assess -> advice | council action | police referral -> close.

    Immediate danger at report or triage refers the case to the police at once; triage and the
    assessment still happen beside the police steps, so every case ends with a level and, where one is
    known, a subject. The police steps and the assessed route are two lines of one case: whichever
    finishes last goes on to close. Support tasks (register proposal, home security, employee
    assistance) run beside the main line when the assessment asks for them. A case split out of
    another (``start_split``) starts at triage, or at the assessment when its subject is known.
    """

    process_class = Case
    lock_impl = process_row_lock
    process_title = _("Councillor safety case")

    start = nodes.StartHandle(this.start_case).Next(this.danger_at_report)
    danger_at_report = nodes.If(this.is_immediate_danger).Then(this.refer_and_triage).Else(this.triage)
    refer_and_triage = nodes.Split().Always(this.refer_police).Always(this.triage)

    start_split = nodes.StartHandle(this.start_split_case).Next(this.after_split)
    after_split = (
        nodes.Switch()
        .Case(this.end_merged, this.is_merged)
        .Case(this.refer_and_assess, this.needs_carried_referral_with_subject)
        .Case(this.refer_and_triage, this.needs_carried_referral)
        .Case(this.assess, this.has_subject)
        .Default(this.triage)
    )

    triage = HumanTask(
        roles=MEMBERS_SERVICES,
        title=_("Triage the report"),
        description=_("Check the report, identify the subject and link earlier incidents."),
    ).Next(this.after_triage)
    after_triage = (
        nodes.Switch()
        .Case(this.end_merged, this.is_merged)
        .Case(this.refer_and_assess, this.needs_urgent_referral)
        .Default(this.assess)
    )
    refer_and_assess = nodes.Split().Always(this.refer_police).Always(this.assess)

    assess = HumanTask(
        roles=HEALTH_AND_SAFETY,
        title=_("Assess the threat"),
        description=_("Answer the predetermined questions; the decision table gives the level."),
    ).Next(this.after_assess)
    after_assess = (
        nodes.Split()
        .Always(this.route)
        .Next(this.register_proposal, case=this.wants_register_proposal)
        .Next(this.home_security, case=this.wants_home_security)
        .Next(this.employee_assistance, case=this.wants_employee_assistance)
    )
    route = (
        nodes.Switch()
        .Case(this.refer_police, this.is_routed_to_police)
        .Case(this.council_action, this.is_routed_to_council_action)
        .Default(this.advise)
    )

    advise = HumanTask(
        roles=MEMBERS_SERVICES,
        title=_("Give advice"),
        description=_("Give the people harmed advice and record what was given."),
    ).Next(this.after_main_line)

    council_action = HumanTask(
        roles=LEGAL,
        title=_("Decide the council's action"),
        description=_("A letter to the individual, an injunction, or no further action."),
    ).Next(this.after_council_action)
    after_council_action = (
        nodes.If(this.is_injunction).Then(this.prepare_bundle).Else(this.after_main_line)
    )
    prepare_bundle = HumanTask(
        roles=LEGAL,
        title=_("Prepare the injunction bundle"),
        description=_("Build the court bundle and record the claim."),
    ).Next(this.injunction_outcome)
    injunction_outcome = HumanTask(
        roles=LEGAL,
        title=_("Record the court's decision"),
    ).Next(this.after_main_line)
    # The assessed route is done: close, unless the police steps of an earlier referral are still running.
    after_main_line = nodes.If(this.police_steps_open).Then(this.end_line).Else(this.close)

    refer_police = nodes.Function(this.make_police_referral).Next(this.after_referral)
    # A referral made while the police steps are already running (an urgent referral, then a serious
    # assessment) adds its incidents to them: one acknowledgement, one outcome.
    after_referral = nodes.If(this.police_steps_open).Then(this.end_line).Else(this.police_acknowledge)
    police_acknowledge = HumanTask(
        roles=POLICE,
        title=_("Acknowledge the police referral"),
        description=_("Confirm the police have the referral, with the crime reference if there is one."),
    ).Next(this.police_outcome)
    police_outcome = HumanTask(
        roles=POLICE,
        title=_("Record the police outcome"),
    ).Next(this.after_police_outcome)
    # The police are done: close, unless triage, the assessment or its route is still running beside them.
    after_police_outcome = nodes.If(this.main_line_open).Then(this.end_line).Else(this.close)

    close = HumanTask(
        roles=MEMBERS_SERVICES,
        title=_("Close the case"),
        description=_("Tell the people harmed the outcome and close the case."),
    ).Next(this.end)

    register_proposal = HumanTask(
        roles=HEALTH_AND_SAFETY,
        title=_("Consider a register entry"),
        description=_("Propose an entry on the Potentially Violent Persons Register, or record why not."),
    ).Next(this.end_support)
    home_security = HumanTask(
        roles=HEALTH_AND_SAFETY,
        title=_("Home security assessment"),
    ).Next(this.end_support)
    employee_assistance = HumanTask(
        roles=MEMBERS_SERVICES,
        title=_("Offer employee assistance"),
    ).Next(this.end_support)

    end = nodes.End()
    end_support = nodes.End()
    end_merged = nodes.End()
    end_line = nodes.End()

    # Node functions: orchestration only.
    def start_case(self, activation: Any, *, incident: Any) -> Case:
        from ..services.cases import case_open

        return case_open(case=activation.process, incident=incident)

    def start_split_case(self, activation: Any, *, source: Case, incidents: list[Any], actor: Any,
                         reason: str) -> Case:
        from ..services.corrections import case_open_from_split

        return case_open_from_split(case=activation.process, source=source, incidents=incidents, actor=actor,
                                    reason=reason)

    def make_police_referral(self, activation: Any) -> None:
        from ..services.police import police_referral_make

        police_referral_make(case=activation.process, actor=_person_behind(activation))

    # Conditions.
    def is_immediate_danger(self, activation: Any) -> bool:
        return activation.process.immediate_danger

    def needs_urgent_referral(self, activation: Any) -> bool:
        """Immediate danger said at triage, and its incidents not referred yet (a report in immediate danger
        already was, and so were incidents split out of a referred case)."""
        from ..models import PoliceReferral

        case = activation.process
        return case.immediate_danger and not PoliceReferral.objects.filter(incidents__case=case).exists()

    def needs_carried_referral(self, activation: Any) -> bool:
        """A split case whose incidents were in an open police referral of the case they left."""
        return bool((activation.process.data or {}).get("carried_referral"))

    def needs_carried_referral_with_subject(self, activation: Any) -> bool:
        return self.needs_carried_referral(activation) and self.has_subject(activation)

    def has_subject(self, activation: Any) -> bool:
        return activation.process.subject_id is not None

    def is_merged(self, activation: Any) -> bool:
        return activation.process.state == Case.State.MERGED

    def is_routed_to_police(self, activation: Any) -> bool:
        return activation.process.route == Route.POLICE

    def is_routed_to_council_action(self, activation: Any) -> bool:
        return activation.process.route == Route.COUNCIL_ACTION

    def police_steps_open(self, activation: Any) -> bool:
        return _open_nodes(activation.process) & set(POLICE_NODES) != set()

    def main_line_open(self, activation: Any) -> bool:
        return _open_nodes(activation.process) & set(MAIN_LINE_NODES) != set()

    def _latest_assessment(self, activation: Any) -> Any:
        """The assessment just made: the assess handler leaves it on the case it completed (one look-up for the
        three conditions of the split, none when the handler ran in this transaction)."""
        case = activation.process
        latest = getattr(case, "_latest_assessment", None)
        if latest is None:
            latest = case._latest_assessment = case.assessments.order_by("-assessed_at").first()
        return latest

    def wants_register_proposal(self, activation: Any) -> bool:
        latest = self._latest_assessment(activation)
        return latest is not None and latest.propose_register

    def wants_home_security(self, activation: Any) -> bool:
        latest = self._latest_assessment(activation)
        return latest is not None and latest.home_security

    def wants_employee_assistance(self, activation: Any) -> bool:
        latest = self._latest_assessment(activation)
        return latest is not None and latest.employee_assistance

    def is_injunction(self, activation: Any) -> bool:
        action = activation.process.council_actions.order_by("-decided_at").first()
        return action is not None and action.kind == action.Kind.INJUNCTION


def _open_nodes(case: Case) -> set[str]:
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    tasks = Task.objects.filter(process=case, status__in=(STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED),
                                flow_task_type="HUMAN")
    return {task.flow_task.name for task in tasks if task.flow_task is not None}


def _person_behind(activation: Any) -> Any:
    """Who caused an automatic step: the owner of the human task that led to it, or whoever started the
    case (the reporter, or the officer who split it out of another)."""
    task = activation.task
    for _hop in range(10):
        previous = task.previous.order_by("-pk").first()
        if previous is None:
            break
        if previous.owner_id is not None:
            return previous.owner
        task = previous
    case = activation.process
    opened_by = (case.data or {}).get("opened_by")
    if opened_by is not None:
        from django.contrib.auth import get_user_model

        return get_user_model()._default_manager.filter(pk=opened_by).first()
    first = case.incidents.order_by("reported_at").select_related("reported_by").first()
    return first.reported_by if first else None


#: The police steps of a referral: they run until the police outcome is recorded, whatever else happens.
POLICE_NODES = ("police_acknowledge", "police_outcome")

#: Triage, the assessment and the route it gives: the case's main line beside the police steps.
MAIN_LINE_NODES = ("triage", "assess", "advise", "council_action", "prepare_bundle", "injunction_outcome")

#: Tasks after the assessment that a new assessment replaces: a new incident (or a correction) cancels
#: them and re-opens the assessment. The police steps carry on while their referral is open.
REASSESSABLE_NODES = ("advise", "council_action", "prepare_bundle", "injunction_outcome", "close")
