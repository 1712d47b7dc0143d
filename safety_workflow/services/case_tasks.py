"""What completing each IncidentFlow task does. Each handler runs under the case's flow lock,
inside the transaction that completes the task: if it raises, nothing it or the task wrote is kept.

Handlers take ``activation`` (viewflow's), ``user`` and ``data`` (validated by the node's
input serializer in ``api/task_forms.py``).
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from django.utils.translation import gettext as _

from .. import assessment as decision
from .. import signals
from ..errors import Conflict, InvalidInput
from ..i18n import document_language
from ..models import (
    AdviceGiven,
    Assessment,
    Bundle,
    Case,
    CouncilAction,
    DecisionTable,
    EmployeeAssistanceOffer,
    HomeSecurityAssessment,
    PriorityAddressFlag,
    ProtectedPerson,
    SecurityMeasure,
)
from .audit import timeline_record
from .cases import case_close, case_link_subject
from .police import police_referral_acknowledge, police_referral_record_outcome
from .subjects import subject_create

#: The questions and rules of published versions, by (id, version, published_at): a published version is frozen
#: (the admin and the API edit drafts only; a change is a new version), so they are read once per process.
_FROZEN: dict[tuple[Any, ...], tuple[list[Any], list[Any]]] = {}
_FROZEN_LOCK = threading.Lock()


def decision_table_current() -> DecisionTable:
    """The published version, with its questions and rules (read from the database once per process and
    version: one statement a call after the first)."""
    table = DecisionTable.objects.filter(status=DecisionTable.Status.PUBLISHED).order_by("-version").first()
    if table is None:
        raise Conflict(_("No decision table has been published."), code="no_decision_table")
    key = (table.pk, table.version, table.published_at)
    frozen = _FROZEN.get(key)
    if frozen is None:
        frozen = (list(table.questions.all()), list(table.rules.all()))
        with _FROZEN_LOCK:
            _FROZEN.clear()  # only the version in use is kept
            _FROZEN[key] = frozen
    cache = table._prefetched_objects_cache = {}
    for name, rows in zip(("questions", "rules"), frozen, strict=True):
        related = getattr(table, name).all()
        related._result_cache = [copy.copy(row) for row in rows]  # each caller its own objects
        related._prefetch_done = True
        cache[name] = related
    return table


def triage(*, activation: Any, user: Any, data: dict[str, Any]) -> None:
    case: Case = activation.process
    corrected = case_correct_ward(case=case, ward=data.get("ward", ""))
    if corrected:  # a by-election's period covers its wards: the flag may change with the ward
        from .elections import election_periods_reflag

        election_periods_reflag(incidents=case.incidents.all())
    already_referred = case.referrals.filter(urgent=True).exists()
    if data.get("immediate_danger") and not case.immediate_danger:
        case.immediate_danger = True
        case.save(update_fields=["immediate_danger"])
    if already_referred:
        summary = "Report triaged; already referred to the police as an immediate danger."
    elif case.immediate_danger:
        summary = "Report triaged; immediate danger: referred to the police."
    else:
        summary = "Report triaged."
    if corrected:
        summary = summary[:-1] + f"; ward set to {data['ward']}."
    timeline_record(
        case=case, actor=user, action="triaged", summary=summary, reason=data.get("notes", ""),
        data={"ward": corrected} if corrected else None, shared_with_councillor=True,
    )
    subject = data.get("subject")
    if subject is None and data.get("new_subject"):
        details = data["new_subject"]
        subject = subject_create(
            actor=user,
            full_name=details.get("full_name", ""),
            description=details.get("description", ""),
            date_of_birth=details.get("date_of_birth"),
            aliases=details.get("aliases"),
            handles=details.get("handles"),
        )
    if subject is not None:
        case_link_subject(case=case, subject=subject, actor=user)


def case_correct_ward(*, case: Case, ward: str) -> dict[str, list[str]]:
    """Triage sets the ward of the case's incidents, correcting the one the reporter gave.

    Returns ``{incident reference: [ward before, ward after]}`` for the incidents it changed (the
    timeline keeps what was there before: nothing is lost).
    """
    ward = (ward or "").strip()
    if not ward:
        return {}
    changed = {i.reference: [i.ward, ward] for i in case.incidents.exclude(ward=ward).order_by("occurred_at")}
    case.incidents.filter(reference__in=list(changed)).update(ward=ward)
    return changed


def assess(*, activation: Any, user: Any, data: dict[str, Any]) -> None:
    case: Case = activation.process
    table = decision_table_current()
    spec = decision.table_spec_from_model(table)
    answers = data["answers"]
    errors = decision.validate_answers(spec, answers)
    if errors:
        raise InvalidInput(_("Some answers are missing or not valid."), errors={"answers": errors},
                           code="invalid_answers")
    result = decision.evaluate(spec, answers)
    override = data.get("override_level") or ""
    reason = (data.get("override_reason") or "").strip()
    if override and not reason:
        raise InvalidInput(errors={"override_reason": [_("Give the reason for changing the level.")]},
                           code="override_needs_reason")
    if override == result.level:
        override, reason = "", ""
    level = override or result.level
    route = spec.routes[level]
    item = Assessment.objects.create(
        case=case,
        decision_table=table,
        answers=answers,
        computed_level=result.level,
        matched_rules=result.explanation(),
        override_level=override,
        override_reason=reason,
        level=level,
        route=route,
        propose_register=data.get("propose_register", False),
        home_security=data.get("home_security", False),
        employee_assistance=data.get("employee_assistance", False),
        notes=data.get("notes", ""),
        assessed_by=user,
    )
    # The incidents it covers, by id in one insert (``set()`` would read the incidents and the links first).
    through = Assessment.incidents.through
    through.objects.bulk_create(through(assessment_id=item.pk, incident_id=pk)
                                for pk in case.incidents.values_list("pk", flat=True))
    case._latest_assessment = item  # the flow's split reads it next, in this transaction
    case.level = level
    case.route = route
    case.save(update_fields=["level", "route"])
    timeline_record(
        case=case, actor=user, action="assessed",
        summary=f"Assessed as {item.get_level_display()} with decision table v{table.version}.",
        decision=f"{level} -> {route}",
        reason=reason if override else "; ".join(r["description"] for r in item.matched_rules),
        data={"computed_level": result.level, "override_level": override, "assessment": str(item.pk)},
        shared_with_councillor=True,
    )
    if case.subject_id:  # levels feed "severity rising"
        from .patterns import conduct_flags_update

        conduct_flags_update(subject=case.subject, actor=user)
    signals.send_on_commit(signals.case_routed, case=case, assessment=item)


def case_people(case: Case) -> list[ProtectedPerson]:
    """The people harmed in the case's incidents, in the order of their first incident."""
    people: dict[Any, ProtectedPerson] = {}
    for incident in case.incidents.select_related("protected_person__user").order_by("occurred_at", "reference"):
        people.setdefault(incident.protected_person_id, incident.protected_person)
    return list(people.values())


def _person_in_case(case: Case, person: ProtectedPerson | None, field: str) -> list[ProtectedPerson]:
    """``[person]`` when given (it must be harmed in the case), else everyone harmed in the case."""
    people = case_people(case)
    if person is None:
        return people
    if person.pk not in {p.pk for p in people}:
        raise InvalidInput(errors={field: [_("This person is not harmed in any incident of this case.")]})
    return [person]


def advise(*, activation: Any, user: Any, data: dict[str, Any]) -> None:
    """Each piece of advice goes to the person it names, or to everyone in the case it is written for (a
    template for candidates goes to the candidates; written advice and general templates to everyone)."""
    case: Case = activation.process
    people = case_people(case)
    given = []
    for n, item in enumerate(data["advice"]):
        template = item.get("template")
        to = _person_in_case(case, item.get("protected_person"), "advice") if item.get("protected_person") else [
            p for p in people if not (template and template.for_kinds) or p.kind in template.for_kinds]
        if not to:
            raise InvalidInput(errors={"advice": [
                _("Item %(number)s is written for %(kinds)s: nobody harmed in this case is one. "
                  "Choose other advice, or name the person it is for.")
                % {"number": n + 1, "kinds": ", ".join(template.for_kinds)}]})
        for person in to:  # a template in the person's language (docs/language.md)
            title, text = template.text_in(document_language(person=person)) if template else ("", "")
            given.append(AdviceGiven(case=case, protected_person=person, template=template,
                                     title=item.get("title") or title, text=item.get("text") or text,
                                     method=data["method"], given_by=user))
    AdviceGiven.objects.bulk_create(given)
    timeline_record(case=case, actor=user, action="advice_given",
                    summary=f"Advice given: {', '.join(sorted({a.title for a in given}))}.",
                    reason=data.get("notes", ""), shared_with_councillor=True)


def council_action(*, activation: Any, user: Any, data: dict[str, Any]) -> None:
    case: Case = activation.process
    kind = data["kind"]
    if kind == CouncilAction.Kind.INJUNCTION and not data.get("basis"):
        raise InvalidInput(errors={"basis": [_("Say which Act the injunction is sought under.")]})
    if kind == CouncilAction.Kind.WARNING_LETTER and not data.get("letter_sent_on"):
        raise InvalidInput(errors={"letter_sent_on": [_("Give the date the letter was sent.")]})
    action = CouncilAction.objects.create(
        case=case, kind=kind, reason=data["reason"], decided_by=user,
        letter_sent_on=data.get("letter_sent_on"), letter_reference=data.get("letter_reference", ""),
        basis=data.get("basis", "") if kind == CouncilAction.Kind.INJUNCTION else "",
    )
    timeline_record(case=case, actor=user, action="council_action",
                    summary=f"Council action: {action.get_kind_display()}.",
                    decision=kind, reason=data["reason"], shared_with_councillor=True)


def _current_injunction(case: Case) -> CouncilAction:
    """The injunction the bundle and court tasks are about: the flow creates them only after one is decided."""
    action = case.council_actions.filter(kind=CouncilAction.Kind.INJUNCTION).order_by("-decided_at").first()
    if action is None:  # the flow's own guarantee broken: a bug, not a request to refuse
        raise RuntimeError(f"Case {case.reference} has an injunction task but no injunction.")
    return action


def prepare_bundle(*, activation: Any, user: Any, data: dict[str, Any]) -> None:
    case: Case = activation.process
    action = _current_injunction(case)
    bundle: Bundle = data["bundle"]
    if bundle.kind != Bundle.Kind.INJUNCTION or bundle.status != Bundle.Status.READY:
        raise InvalidInput(errors={"bundle": [_("Choose a ready injunction bundle.")]}, code="invalid_bundle")
    if bundle.case_id != case.pk:
        raise InvalidInput(errors={"bundle": [_("This bundle was built for another case.")]})
    action.bundle = bundle
    action.claim_number = data.get("claim_number", "")
    action.court = data.get("court", "")
    action.save(update_fields=["bundle", "claim_number", "court"])
    timeline_record(case=case, actor=user, action="bundle_filed",
                    summary=f"Injunction bundle prepared (SHA-256 {bundle.sha256[:12]}...).",
                    data={"bundle": str(bundle.pk), "claim_number": action.claim_number})


def injunction_outcome(*, activation: Any, user: Any, data: dict[str, Any]) -> None:
    case: Case = activation.process
    action = _current_injunction(case)
    action.outcome = data["outcome"]
    action.outcome_on = data["outcome_on"]
    action.expires_on = data.get("expires_on")
    action.outcome_notes = data.get("notes", "")
    action.save(update_fields=["outcome", "outcome_on", "expires_on", "outcome_notes"])
    timeline_record(case=case, actor=user, action="injunction_outcome",
                    summary=f"Court decision: {action.get_outcome_display()}.",
                    decision=action.outcome, reason=action.outcome_notes, shared_with_councillor=True)


def police_acknowledge(*, activation: Any, user: Any, data: dict[str, Any]) -> None:
    police_referral_acknowledge(case=activation.process, actor=user,
                                crime_reference=data.get("crime_reference", ""), notes=data.get("notes", ""))


def police_outcome(*, activation: Any, user: Any, data: dict[str, Any]) -> None:
    police_referral_record_outcome(case=activation.process, actor=user, status=data["status"],
                                   crime_reference=data.get("crime_reference", ""), notes=data.get("notes", ""))


def close(*, activation: Any, user: Any, data: dict[str, Any]) -> None:
    if not data.get("person_informed"):
        raise InvalidInput(errors={"person_informed": [_("Tell the people harmed the outcome before closing.")]},
                           code="person_not_informed")
    case_close(case=activation.process, actor=user, outcome_summary=data["outcome_summary"],
               informed_by=data["informed_by"])


def register_proposal(*, activation: Any, user: Any, data: dict[str, Any]) -> None:
    from ..selectors.register import register_entries_for_case_proposal

    case: Case = activation.process
    entry = None
    if data.get("register_entry") is not None:
        entry = register_entries_for_case_proposal(user, case).filter(pk=data["register_entry"]).first()
        if entry is None:
            raise InvalidInput(errors={"register_entry": [_("Propose the entry for this case's subject first.")]},
                               code="register_entry_not_for_case")
    if entry is not None:
        timeline_record(case=case, actor=user, action="register_proposed",
                        summary="Register entry proposed.", data={"register_entry": str(entry.pk)})
    else:
        timeline_record(case=case, actor=user, action="register_not_proposed",
                        summary="Register entry considered and not proposed.", reason=data["reason"])


def home_security(*, activation: Any, user: Any, data: dict[str, Any]) -> None:
    case: Case = activation.process
    person = _person_in_case(case, data.get("protected_person"), "protected_person")[0]
    item = HomeSecurityAssessment.objects.create(
        protected_person=person, case=case, assessed_on=data["assessed_on"], assessed_by=user,
        findings=data["findings"],
    )
    SecurityMeasure.objects.bulk_create(
        SecurityMeasure(assessment=item, **measure) for measure in data.get("measures", [])
    )
    flag = data.get("priority_flag")
    if flag:
        PriorityAddressFlag.objects.create(protected_person=person, case=case, recorded_by=user, **flag)
    timeline_record(case=case, actor=user, action="home_security",
                    summary="Home security assessment recorded"
                    + (" with a police priority-response flag." if flag else "."),
                    shared_with_councillor=True)


def employee_assistance(*, activation: Any, user: Any, data: dict[str, Any]) -> None:
    case: Case = activation.process
    people = _person_in_case(case, data.get("protected_person"), "protected_person")
    EmployeeAssistanceOffer.objects.bulk_create(
        EmployeeAssistanceOffer(protected_person=p, case=case, offered_on=data["offered_on"], offered_by=user,
                                accepted=data.get("accepted"), notes=data.get("notes", ""))
        for p in people
    )
    timeline_record(case=case, actor=user, action="employee_assistance",
                    summary="Employee assistance offered.", shared_with_councillor=True)


HANDLERS = {
    "triage": triage,
    "assess": assess,
    "advise": advise,
    "council_action": council_action,
    "prepare_bundle": prepare_bundle,
    "injunction_outcome": injunction_outcome,
    "police_acknowledge": police_acknowledge,
    "police_outcome": police_outcome,
    "close": close,
    "register_proposal": register_proposal,
    "home_security": home_security,
    "employee_assistance": employee_assistance,
}

