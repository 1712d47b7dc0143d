"""Recording the people the process protects: who may record whom, what each kind of person needs, and a
candidate's election.

Rules (docs/people.md):

- case officers (members services, health and safety, the monitoring officer) record anyone;
- electoral services record candidates, and the household members and supporters of someone standing;
- a councillor or candidate records the members of their own household and their own supporters;
- a councillor's own record is made when they first report (linked to their account);
- a candidate stands in at least one election; a household member or supporter is linked to the councillor or
  candidate they live with or support; anyone without an account has a name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from ..errors import Conflict, Forbidden, InvalidInput
from ..models import (
    AdviceGiven,
    Candidacy,
    CourseOfConductFlag,
    ElectionPeriod,
    EmployeeAssistanceOffer,
    HomeSecurityAssessment,
    Incident,
    InductionTraining,
    PriorityAddressFlag,
    ProtectedPerson,
)
from ..roles import CASE_OFFICER_ROLES, SELF_REPORTING_ROLES, Role, has_role, roles_for

Kind = ProtectedPerson.Kind

#: The fields of a person that may be corrected after they are recorded (kind, account and link are not:
#: a candidate becomes a councillor through :func:`protected_person_elected`).
EDITABLE = ("full_name", "relationship", "share_with_linked", "job_title", "workplace", "email", "phone", "address",
            "postcode", "preferred_contact", "language")


def _invalid(errors: dict[str, list[str]], message: str = _("These details do not describe someone the process "
             "can protect.")) -> InvalidInput:
    return InvalidInput(message, code="protected_person_invalid", errors=errors)


def own_person(user: Any) -> ProtectedPerson | None:
    """The user's own record, if they have one."""
    return ProtectedPerson.objects.filter(user=user).select_related("user").first()


def protected_person_for_user(user: Any) -> ProtectedPerson:
    """The reporter's own record: a councillor's is made on first use; a candidate's is recorded by electoral
    services (with their election) before they can report."""
    person = own_person(user)
    if person is not None:
        return person
    if not has_role(user, Role.COUNCILLOR):
        raise _invalid({"protected_person": [_("You are not recorded as a candidate yet: electoral services record "
                                             "your candidacy. Or say whom the incident was aimed at.")]})
    try:
        with transaction.atomic():
            return ProtectedPerson.objects.create(kind=Kind.COUNCILLOR, user=user, created_by=user)
    except IntegrityError:  # made by a request at the same moment
        return ProtectedPerson.objects.select_related("user").get(user=user)


def _standing(person: ProtectedPerson | None) -> bool:
    return person is not None and Candidacy.objects.filter(person=person).exists()


def may_act_for(user: Any, person: ProtectedPerson) -> bool:
    """Whether ``user`` may report for ``person`` (and record their household and supporters): case officers for
    anyone; electoral services for someone standing in an election, and for the people linked to them; a
    councillor or candidate for themselves and the people linked to them."""
    roles = roles_for(user)
    if roles & CASE_OFFICER_ROLES:
        return True
    if Role.ELECTORAL_SERVICES in roles and (_standing(person) or _standing(person.linked_to)):
        return True
    if roles & SELF_REPORTING_ROLES:
        return user.pk is not None and user.pk in (person.user_id, getattr(person.linked_to, "user_id", None))
    return False


def protected_person_check_may_record(*, actor: Any, kind: str, linked_to: ProtectedPerson | None = None) -> None:
    """Refuse (403 ``cannot_record_person``) a writer who may not record this kind of person."""
    roles = roles_for(actor)
    if roles & CASE_OFFICER_ROLES:
        return
    if Role.ELECTORAL_SERVICES in roles:
        if kind == Kind.CANDIDATE or (kind in ProtectedPerson.LINKED_KINDS and linked_to is not None
                                      and _standing(linked_to)):
            return
        raise Forbidden(_("Electoral services record candidates, and the household members and supporters of "
                        "someone standing in an election."), code="cannot_record_person")
    if roles & SELF_REPORTING_ROLES:
        if kind in ProtectedPerson.LINKED_KINDS and (linked_to is None or linked_to.user_id == actor.pk):
            return
        raise Forbidden(_("You may record the members of your household and your supporters."),
                        code="cannot_record_person")
    raise Forbidden(_("Your role does not record the people the process protects."), code="cannot_record_person")


def _check_user(user: Any, kind: str, errors: dict[str, list[str]]) -> None:
    if user is None:
        return
    if kind == Kind.COUNCILLOR and not has_role(user, Role.COUNCILLOR):
        errors["user"] = [_("This account does not hold the councillor role.")]
    elif kind == Kind.CANDIDATE and not has_role(user, Role.CANDIDATE, Role.COUNCILLOR):
        errors["user"] = [_("This account holds neither the candidate nor the councillor role.")]


def protected_person_create(
    *,
    actor: Any,
    kind: str,
    full_name: str = "",
    user: Any = None,
    linked_to: ProtectedPerson | None = None,
    relationship: str = "",
    share_with_linked: bool = False,
    job_title: str = "",
    workplace: str = "",
    email: str = "",
    phone: str = "",
    address: str = "",
    postcode: str = "",
    preferred_contact: str = "",
    language: str = "",
    candidacies: Iterable[dict[str, Any]] = (),
) -> ProtectedPerson:
    """Record a person. A councillor or candidate recording someone linked to nobody links them to themselves."""
    candidacies = list(candidacies)
    if (kind in ProtectedPerson.LINKED_KINDS and linked_to is None and has_role(actor, *SELF_REPORTING_ROLES)
            and not has_role(actor, *CASE_OFFICER_ROLES, Role.ELECTORAL_SERVICES)):
        linked_to = protected_person_for_user(actor)
    protected_person_check_may_record(actor=actor, kind=kind, linked_to=linked_to)
    errors: dict[str, list[str]] = {}
    full_name = " ".join(full_name.split())
    if user is None and not full_name:
        errors["full_name"] = [_("Give the person's name.")]
    if kind == Kind.COUNCILLOR and user is None:
        errors["user"] = [_("A councillor is recorded with their account.")]
    _check_user(user, kind, errors)
    if kind in ProtectedPerson.LINKED_KINDS:
        if linked_to is None:
            errors["linked_to"] = [_("Say which councillor or candidate they live with or support.")]
        elif linked_to.kind not in ProtectedPerson.LINKABLE_KINDS:
            errors["linked_to"] = [_("Link them to a councillor or a candidate.")]
        if not relationship.strip():
            errors["relationship"] = [_("Say how they are related (partner, son, ward assistant, agent...).")]
    elif linked_to is not None:
        errors["linked_to"] = [_("Only a household member or supporter is linked to someone.")]
    if kind == Kind.CANDIDATE and not candidacies:
        errors["candidacies"] = [_("A candidate stands in an election: give the election and the ward or division.")]
    elif candidacies and kind not in (Kind.CANDIDATE, Kind.COUNCILLOR):
        errors["candidacies"] = [_("Only a candidate or a councillor stands in an election.")]
    elections = [c["election"] for c in candidacies]
    if len({e.pk for e in elections}) != len(elections):
        errors["candidacies"] = [_("Each election once.")]
    if errors:
        raise _invalid(errors)
    exists = Conflict(_("This account already has a record as a protected person."), code="protected_person_exists")
    if user is not None and ProtectedPerson.objects.filter(user=user).exists():
        raise exists
    try:
        with transaction.atomic():
            person = ProtectedPerson.objects.create(
                kind=kind, full_name=full_name, user=user, linked_to=linked_to, relationship=relationship.strip(),
                share_with_linked=share_with_linked and linked_to is not None, job_title=job_title.strip(),
                workplace=workplace.strip(), email=email.strip(), phone=phone.strip(), address=address.strip(),
                postcode=postcode.upper().strip(), preferred_contact=preferred_contact, language=language,
                created_by=actor,
            )
            for item in candidacies:
                Candidacy.objects.create(person=person, election=item["election"], ward=item["ward"].strip(),
                                         recorded_by=actor)
    except IntegrityError:  # the same account recorded by a request at the same moment
        raise exists from None
    return person


def protected_person_check_may_change(*, actor: Any, person: ProtectedPerson) -> None:
    """Case officers correct anyone's details; electoral services those of people standing (and linked to them)."""
    roles = roles_for(actor)
    if roles & CASE_OFFICER_ROLES:
        return
    if Role.ELECTORAL_SERVICES in roles and (_standing(person) or _standing(person.linked_to)):
        return
    raise Forbidden(_("Your role does not change this person's details."), code="cannot_record_person")


def protected_person_update(*, actor: Any, person: ProtectedPerson, **changes: Any) -> ProtectedPerson:
    protected_person_check_may_change(actor=actor, person=person)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:  # the API's input serializer refuses these first: a bug if it gets here
        raise ValueError(f"Not editable: {unknown}")
    if not changes:
        raise InvalidInput(_("Nothing to update."), code="nothing_to_update")
    errors: dict[str, list[str]] = {}
    if "full_name" in changes:
        changes["full_name"] = " ".join(changes["full_name"].split())
        if person.user_id is None and not changes["full_name"]:
            errors["full_name"] = [_("Give the person's name.")]
    if "relationship" in changes and person.kind in ProtectedPerson.LINKED_KINDS and not changes[
            "relationship"].strip():
        errors["relationship"] = [_("Say how they are related (partner, son, ward assistant, agent...).")]
    if changes.get("share_with_linked") and person.linked_to_id is None:
        errors["share_with_linked"] = [_("Only a household member or supporter is linked to someone.")]
    if errors:
        raise _invalid(errors)
    if "postcode" in changes:
        changes["postcode"] = changes["postcode"].upper().strip()
    for name, value in changes.items():
        setattr(person, name, value.strip() if isinstance(value, str) and name != "full_name" else value)
    person.save(update_fields=list(changes))
    return person


def protected_person_check_may_stand(*, actor: Any) -> None:
    if not has_role(actor, Role.MEMBERS_SERVICES, Role.MONITORING_OFFICER, Role.ELECTORAL_SERVICES):
        raise Forbidden(_("Electoral services (or members services, the monitoring officer) record candidacies and "
                        "election results."), code="cannot_record_person")


def candidacy_add(*, actor: Any, person: ProtectedPerson, election: ElectionPeriod, ward: str) -> Candidacy:
    """A candidate (or a councillor standing again) stands in ``election``. Their incidents in its period are
    flagged."""
    from .elections import election_periods_reflag

    protected_person_check_may_stand(actor=actor)
    if person.kind not in (Kind.CANDIDATE, Kind.COUNCILLOR):
        raise _invalid({"kind": [_("Only a candidate or a councillor stands in an election.")]})
    if not ward.strip():
        raise _invalid({"ward": [_("Give the ward or division.")]})
    standing = Conflict(_("This person already stands in this election."), code="candidacy_exists")
    if Candidacy.objects.filter(person=person, election=election).exists():
        raise standing
    try:
        with transaction.atomic():
            candidacy = Candidacy.objects.create(person=person, election=election, ward=ward.strip(),
                                                 recorded_by=actor)
            election_periods_reflag(incidents=Incident.objects.filter(protected_person=person))
    except IntegrityError:  # recorded by a request at the same moment
        raise standing from None
    return candidacy


def _has_records(person: ProtectedPerson) -> bool:
    rule = Exists(Incident.objects.filter(protected_person=OuterRef("pk")))
    for model in (AdviceGiven, HomeSecurityAssessment, PriorityAddressFlag, EmployeeAssistanceOffer,
                  InductionTraining, CourseOfConductFlag):
        rule = rule | Exists(model.objects.filter(protected_person=OuterRef("pk")))
    rule = rule | Exists(ProtectedPerson.objects.filter(linked_to=OuterRef("pk")))
    return ProtectedPerson.objects.filter(Q(rule), pk=person.pk).exists()


def protected_person_elected(*, actor: Any, person: ProtectedPerson, user: Any, election: ElectionPeriod
                             ) -> ProtectedPerson:
    """The candidate won ``election``: they become a councillor, linked to their councillor account, and keep
    their history (their incidents as a candidate stay recorded as a candidate's, in the election period).

    An empty record the account already has (made when they first signed in and reported nothing) gives way;
    one with records of its own is refused (409 ``protected_person_exists``): two histories are not merged here.
    """
    protected_person_check_may_stand(actor=actor)
    errors: dict[str, list[str]] = {}
    if person.kind != Kind.CANDIDATE:
        errors["kind"] = [_("Only a candidate is elected.")]
    if not has_role(user, Role.COUNCILLOR):
        errors["user"] = [_("This account does not hold the councillor role.")]
    if person.user_id is not None and person.user_id != user.pk:
        errors["user"] = [_("This person already has another account.")]
    candidacy = Candidacy.objects.filter(person=person, election=election).first()
    if candidacy is None:
        errors["election"] = [_("They did not stand in this election.")]
    if errors:
        raise _invalid(errors)
    taken = Conflict(_("This account already has a record as a protected person, with its own history."),
                     code="protected_person_exists")
    try:
        with transaction.atomic():
            other = ProtectedPerson.objects.select_for_update().filter(user=user).exclude(pk=person.pk).first()
            if other is not None:
                if _has_records(other):
                    raise taken
                Candidacy.objects.filter(person=other).delete()
                other.delete()
            person.kind = Kind.COUNCILLOR
            person.user = user
            person.save(update_fields=["kind", "user"])
            candidacy.elected = True
            candidacy.save(update_fields=["elected"])
    except IntegrityError:  # the account given a record by a request at the same moment
        raise taken from None
    return person
