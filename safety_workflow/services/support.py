"""Support for the people the process protects, outside (or beside) a case: advice, home security, police
priority-response flags, employee assistance and induction training. Each write checks the writer's role."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import Forbidden, InvalidInput
from ..i18n import document_language
from ..models import (
    AdviceGiven,
    AdviceTemplate,
    Case,
    EmployeeAssistanceOffer,
    HomeSecurityAssessment,
    InductionTraining,
    PriorityAddressFlag,
    ProtectedPerson,
    SecurityMeasure,
)
from ..roles import Role, has_role
from .audit import timeline_record

#: Who may record each kind of support.
WRITERS: dict[str, tuple[str, ...]] = {
    "advice": (Role.MEMBERS_SERVICES, Role.HEALTH_AND_SAFETY),
    "home_security": (Role.HEALTH_AND_SAFETY,),
    "priority_flag": (Role.HEALTH_AND_SAFETY, Role.MEMBERS_SERVICES),
    "employee_assistance": (Role.MEMBERS_SERVICES, Role.HEALTH_AND_SAFETY),
    "induction_training": (Role.MEMBERS_SERVICES, Role.HEALTH_AND_SAFETY),
}


def support_check_writer(*, kind: str, actor: Any) -> None:
    if not has_role(actor, *WRITERS[kind]):
        raise Forbidden(_("Your role does not record this."), code="cannot_record_support")


def _check_case(case: Case | None, person: ProtectedPerson) -> None:
    """A record that belongs to a case is about someone harmed in it."""
    if case is not None and not case.incidents.filter(protected_person=person).exists():
        raise InvalidInput(errors={"case": [_("This person is not harmed in any incident of this case.")]})


def _note_on_case(case: Case | None, actor: Any, action: str, summary: str) -> None:
    if case is not None:
        timeline_record(case=case, actor=actor, action=action, summary=summary, shared_with_councillor=True)


def advice_give(*, actor: Any, protected_person: ProtectedPerson, method: str,
                template: AdviceTemplate | None = None,
                title: str = "", text: str = "", case: Case | None = None) -> AdviceGiven:
    support_check_writer(kind="advice", actor=actor)
    _check_case(case, protected_person)
    if template is None and not (title and text):
        raise InvalidInput(_("Choose a template, or write a title and the advice."), code="advice_needs_text")
    written = template.text_in(document_language(person=protected_person)) if template else ("", "")
    with transaction.atomic():
        advice = AdviceGiven.objects.create(
            case=case, protected_person=protected_person, template=template, title=title or written[0],
            text=text or written[1], method=method, given_by=actor,
        )
        _note_on_case(case, actor, "advice_given", f"Advice given: {advice.title}.")
    return advice


def home_security_record(*, actor: Any, protected_person: ProtectedPerson, assessed_on: dt.date,
                         findings: str,
                         measures: list[dict[str, Any]] | None = None, case: Case | None = None
                         ) -> HomeSecurityAssessment:
    support_check_writer(kind="home_security", actor=actor)
    _check_case(case, protected_person)
    with transaction.atomic():
        item = HomeSecurityAssessment.objects.create(protected_person=protected_person, case=case,
                                                     assessed_on=assessed_on, assessed_by=actor, findings=findings)
        SecurityMeasure.objects.bulk_create(SecurityMeasure(assessment=item, **m) for m in measures or [])
        _note_on_case(case, actor, "home_security", "Home security assessment recorded.")
    return item


def priority_flag_create(*, actor: Any, protected_person: ProtectedPerson, address: str, flagged_on: dt.date,
                         review_due: dt.date,
                         postcode: str = "", police_reference: str = "", case: Case | None = None
                         ) -> PriorityAddressFlag:
    support_check_writer(kind="priority_flag", actor=actor)
    _check_case(case, protected_person)
    if review_due <= flagged_on:
        raise InvalidInput(errors={"review_due": [_("The review must fall after the flag date.")]})
    return PriorityAddressFlag.objects.create(
        protected_person=protected_person, case=case, address=address, postcode=postcode.upper().strip(),
        police_reference=police_reference, flagged_on=flagged_on, review_due=review_due, recorded_by=actor,
    )


def priority_flag_review(*, actor: Any, flag: PriorityAddressFlag, review_due: dt.date | None = None,
                         remove: bool = False) -> PriorityAddressFlag:
    """Renew the flag to a new review date, or remove it (the police have lifted it)."""
    support_check_writer(kind="priority_flag", actor=actor)
    if not flag.active:
        raise InvalidInput(_("This flag has been removed."), code="flag_removed")
    if remove:
        flag.active = False
        flag.removed_on = timezone.localdate()
    else:
        if review_due is None or review_due <= timezone.localdate():
            raise InvalidInput(errors={"review_due": [_("Give a review date in the future.")]})
        flag.review_due = review_due
    flag.save(update_fields=["active", "removed_on", "review_due"])
    return flag


def employee_assistance_offer(*, actor: Any, protected_person: ProtectedPerson, offered_on: dt.date,
                              accepted: bool | None = None,
                              notes: str = "", case: Case | None = None) -> EmployeeAssistanceOffer:
    support_check_writer(kind="employee_assistance", actor=actor)
    _check_case(case, protected_person)
    with transaction.atomic():
        offer = EmployeeAssistanceOffer.objects.create(protected_person=protected_person, case=case,
                                                       offered_on=offered_on, offered_by=actor, accepted=accepted,
                                                       notes=notes)
        _note_on_case(case, actor, "employee_assistance", "Employee assistance offered.")
    return offer


def induction_training_record(*, actor: Any, protected_person: ProtectedPerson, course: str,
                              completed_on: dt.date,
                              delivered_by: str = "", notes: str = "") -> InductionTraining:
    support_check_writer(kind="induction_training", actor=actor)
    if completed_on > timezone.localdate():
        raise InvalidInput(errors={"completed_on": [_("This is in the future.")]})
    return InductionTraining.objects.create(protected_person=protected_person, course=course,
                                            completed_on=completed_on, delivered_by=delivered_by, notes=notes,
                                            recorded_by=actor)
