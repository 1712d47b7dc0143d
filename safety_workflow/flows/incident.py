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

    Immediate danger at report or triage goes straight to the police referral. Support tasks
    (register proposal, home security, employee assistance) run beside the main line when the
    assessment asks for them.
    """

    process_class = Case
    lock_impl = process_row_lock
    process_title = _("Councillor safety case")

    start = nodes.StartHandle(this.start_case).Next(this.danger_at_report)
    danger_at_report = nodes.If(this.is_immediate_danger).Then(this.refer_police).Else(this.triage)

    triage = HumanTask(
        roles=MEMBERS_SERVICES,
        title=_("Triage the report"),
        description=_("Check the report, identify the subject and link earlier incidents."),
    ).Next(this.after_triage)
    after_triage = (
        nodes.Switch()
        .Case(this.end_merged, this.is_merged)
        .Case(this.refer_police, this.is_immediate_danger)
        .Default(this.assess)
    )

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
        description=_("Give the councillor advice and record what was given."),
    ).Next(this.close)

    council_action = HumanTask(
        roles=LEGAL,
        title=_("Decide the council's action"),
        description=_("A letter to the individual, an injunction, or no further action."),
    ).Next(this.after_council_action)
    after_council_action = (
        nodes.If(this.is_injunction).Then(this.prepare_bundle).Else(this.close)
    )
    prepare_bundle = HumanTask(
        roles=LEGAL,
        title=_("Prepare the injunction bundle"),
        description=_("Build the court bundle and record the claim."),
    ).Next(this.injunction_outcome)
    injunction_outcome = HumanTask(
        roles=LEGAL,
        title=_("Record the court's decision"),
    ).Next(this.close)

    refer_police = nodes.Function(this.make_police_referral).Next(this.police_acknowledge)
    police_acknowledge = HumanTask(
        roles=POLICE,
        title=_("Acknowledge the police referral"),
        description=_("Confirm the police have the referral, with the crime reference if there is one."),
    ).Next(this.police_outcome)
    police_outcome = HumanTask(
        roles=POLICE,
        title=_("Record the police outcome"),
    ).Next(this.close)

    close = HumanTask(
        roles=MEMBERS_SERVICES,
        title=_("Close the case"),
        description=_("Tell the councillor the outcome and close the case."),
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

    # Node functions: orchestration only.
    def start_case(self, activation: Any, *, incident: Any) -> Case:
        from ..services.cases import case_open

        return case_open(case=activation.process, incident=incident)

    def make_police_referral(self, activation: Any) -> None:
        from ..services.police import police_referral_make

        police_referral_make(case=activation.process)

    # Conditions.
    def is_immediate_danger(self, activation: Any) -> bool:
        return activation.process.immediate_danger

    def is_merged(self, activation: Any) -> bool:
        return activation.process.state == Case.State.MERGED

    def is_routed_to_police(self, activation: Any) -> bool:
        return activation.process.route == Route.POLICE

    def is_routed_to_council_action(self, activation: Any) -> bool:
        return activation.process.route == Route.COUNCIL_ACTION

    def _latest_assessment(self, activation: Any) -> Any:
        return activation.process.assessments.order_by("-assessed_at").first()

    def wants_register_proposal(self, activation: Any) -> bool:
        return self._latest_assessment(activation).propose_register

    def wants_home_security(self, activation: Any) -> bool:
        return self._latest_assessment(activation).home_security

    def wants_employee_assistance(self, activation: Any) -> bool:
        return self._latest_assessment(activation).employee_assistance

    def is_injunction(self, activation: Any) -> bool:
        action = activation.process.council_actions.order_by("-decided_at").first()
        return action is not None and action.kind == action.Kind.INJUNCTION


#: Main-line tasks after the assessment; a new incident cancels them and re-opens the assessment.
REASSESSABLE_NODES = (
    "advise", "council_action", "prepare_bundle", "injunction_outcome",
    "police_acknowledge", "police_outcome", "close",
)
