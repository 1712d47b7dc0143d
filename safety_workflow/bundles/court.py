"""The injunction bundle (judiciary's guidance on electronic bundles; CPR PD32) and the police referral pack."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Bundle, CouncilAction, Incident
from ..selectors.cases import case_get, incidents_visible_to
from .compose import (
    TEMPLATE_DIR,
    Composition,
    CompositionError,
    Document,
    Exhibit,
    council_name,
    election_label,
    exhibit_documents,
    fmt_date,
    fmt_datetime,
    incident_context,
    incidents_for_bundle,
    level_label,
    make_exhibit,
    person,
    protected_description,
    protected_name,
    requested_redactions,
    subject_name,
    with_index,
)
from .redact import Verbatim

#: The statement of truth for a witness statement, in its wording since 6 April 2020 (CPR PD22 para 2.1).
STATEMENT_OF_TRUTH = gettext_lazy(
    "I believe that the facts stated in this witness statement are true. I understand that proceedings for "
    "contempt of court may be brought against anyone who makes, or causes to be made, a false statement in a "
    "document verified by a statement of truth without an honest belief in its truth."
)
HONORIFICS = {"cllr", "councillor", "mr", "mrs", "ms", "miss", "dr", "prof", "sir", "dame", "rev"}


def witness_initials(name: str, taken: set[str]) -> str:
    """Initials that mark a witness's exhibits (e.g. "CA/1"), unique within the bundle."""
    words = [w for w in re.findall(r"[A-Za-z]+", name) if w.lower() not in HONORIFICS] or ["W"]
    base = (words[0][0] + (words[-1][0] if len(words) > 1 else "")).upper()
    initials, n = base, 1
    while initials in taken:
        n += 1
        initials = f"{base}{n}"
    taken.add(initials)
    return initials


def _injunction_incidents(bundle: Bundle) -> tuple[list[Incident], str]:
    user = bundle.requested_by
    scope = bundle.scope
    try:
        if "case" in scope:
            case = case_get(user, scope["case"])
            incidents = incidents_for_bundle(incidents_visible_to(user).filter(case=case))
            return incidents, _("Case %(case)s") % {"case": case.reference}
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(dt.date.fromisoformat(scope["date_from"]), dt.time.min, tzinfo=tz)
        end = dt.datetime.combine(dt.date.fromisoformat(scope["date_to"]) + dt.timedelta(days=1), dt.time.min,
                                  tzinfo=tz)
        incidents = incidents_for_bundle(incidents_visible_to(user).filter(
            subject_id=scope["subject"], occurred_at__gte=start, occurred_at__lt=end))
        return incidents, _("Incidents from %(start)s to %(end)s") % {
            "start": fmt_date(start), "end": fmt_date(end - dt.timedelta(days=1))}
    except Exception as exc:
        raise CompositionError(_("The requester can no longer see what this bundle covers.")) from exc


def _statement_paragraphs(witness_name: str, description: str, subject: str, basis: str, incidents: list[Incident],
                          exhibits_by_incident: dict[Any, list[Exhibit]]) -> list[str]:
    council = council_name()
    values = {"name": witness_name, "description": description, "council": council, "subject": subject,
              "basis": basis}
    paragraphs = [
        (_("I am %(name)s, %(description)s. I make this statement in support of %(council)s’s application for "
           "an injunction against %(subject)s under the %(basis)s.") if basis else
         _("I am %(name)s, %(description)s. I make this statement in support of %(council)s’s application for "
           "an injunction against %(subject)s.")) % values,
        _("The facts in this statement are within my own knowledge unless I say otherwise. Where they are not, "
          "I say where they come from, and I believe them to be true."),
        _("I reported each incident below to %(council)s at the time. The references in brackets are to the "
          "council’s log of incidents.") % values,
    ]
    for incident in incidents:
        happened = {"when": fmt_datetime(incident.occurred_at), "how": str(incident.get_channel_display()).lower(),
                    "where": incident.location, "reference": incident.reference, "account": incident.account}
        paragraphs.append((
            _("On %(when)s (%(how)s at %(where)s) [%(reference)s], the following happened. I reported it in these "
              "words: “%(account)s”") if incident.location else
            _("On %(when)s (%(how)s) [%(reference)s], the following happened. I reported it in these words: "
              "“%(account)s”")) % happened)
        if incident.words_used:
            paragraphs.append(_("The words used were: “%(words)s”") % {"words": incident.words_used})
        if incident.witnesses:
            paragraphs.append(_("Others who saw or heard it: %(witnesses)s") % {"witnesses": incident.witnesses})
        if incident.immediate_danger and incident.injury:
            paragraphs.append(_("On that occasion I felt I was in immediate danger and I was injured."))
        elif incident.immediate_danger:
            paragraphs.append(_("On that occasion I felt I was in immediate danger."))
        elif incident.injury:
            paragraphs.append(_("On that occasion I was injured."))
        for exhibit in exhibits_by_incident.get(incident.pk, []):
            paragraphs.append(_("I produce a copy of %(description)s, marked “%(mark)s”.")
                              % {"description": exhibit.description, "mark": exhibit.mark})
    paragraphs.append(_("I support %(council)s’s application so that this conduct towards me stops.") % values)
    return paragraphs


def compose_injunction(bundle: Bundle) -> Composition:
    incidents, scope_label = _injunction_incidents(bundle)
    if not incidents:
        raise CompositionError(_("There are no incidents in this bundle's scope."))
    subjects = {i.subject for i in incidents if i.subject_id}
    subject = subject_name(next(iter(subjects))) if len(subjects) == 1 else (
        "; ".join(sorted(subject_name(s) for s in subjects)) or _("Persons unknown"))
    cases = sorted({i.case.reference for i in incidents if i.case_id})
    action = (CouncilAction.objects.filter(case_id__in={i.case_id for i in incidents},
                                           kind=CouncilAction.Kind.INJUNCTION)
              .order_by("-decided_at").first())
    basis = str(action.get_basis_display()) if action and action.basis else ""

    # The people protected are the witnesses, in order of their first incident; exhibits numbered consecutively
    # per witness.
    council = council_name()
    election = next((i.election_period for i in reversed(incidents) if i.election_period_id), None)
    witnesses: dict[Any, dict[str, Any]] = {}
    taken: set[str] = set()
    for incident in incidents:
        if incident.protected_person_id not in witnesses:
            protected = incident.protected_person
            name = protected.name
            witnesses[incident.protected_person_id] = {
                "name": name, "initials": witness_initials(name, taken), "incidents": [],
                "description": protected_description(protected, council=council, election=election)}
        witnesses[incident.protected_person_id]["incidents"].append(incident)
    exhibits: list[Exhibit] = []
    evidence = {}
    by_incident: dict[Any, list[Exhibit]] = {}
    for witness in witnesses.values():
        count = 0
        for incident in witness["incidents"]:
            for item in sorted(incident.evidence.all(), key=lambda e: (e.uploaded_at, str(e.pk))):
                count += 1
                exhibit = make_exhibit(item, mark=f"{witness['initials']}/{count}", number=len(exhibits) + 1,
                                       witness=witness["name"], incident=incident)
                exhibits.append(exhibit)
                evidence[exhibit.evidence_id] = item
                by_incident.setdefault(incident.pk, []).append(exhibit)
        witness["exhibits"] = [e for e in exhibits if e.witness == witness["name"]]

    today = fmt_date(bundle.requested_at)
    docs = [Document(
        anchor="cover", title=_("Cover sheet"), template=f"{TEMPLATE_DIR}/injunction/cover.html",
        context={"council": council_name(), "subject": subject, "basis": basis, "cases": [Verbatim(c) for c in cases],
                 "scope": scope_label, "prepared_by": person(bundle.requested_by), "prepared_on": today,
                 "incident_count": len(incidents), "exhibit_count": len(exhibits),
                 "witnesses": [w["name"] for w in witnesses.values()],
                 "protected": [{"name": w["name"], "description": w["description"]} for w in witnesses.values()],
                 "election": election_label(election),
                 "claim_number": action.claim_number if action else "", "court": action.court if action else ""},
    )]
    docs.append(Document(
        anchor="chronology", title=_("Chronology of incidents"), template=f"{TEMPLATE_DIR}/injunction/chronology.html",
        context={"rows": [{
            "occurred_at": fmt_datetime(i.occurred_at), "reference": Verbatim(i.reference),
            "anchor": f"incident-{n}", "protected_person": protected_name(i), "channel": str(i.get_channel_display()),
            "summary": i.account if len(i.account) <= 300 else i.account[:297].rstrip() + "...",
            "exhibits": [e.mark for e in by_incident.get(i.pk, [])],
        } for n, i in enumerate(incidents, 1)]},
    ))
    for n, witness in enumerate(witnesses.values(), 1):
        marks = [e.mark for e in witness["exhibits"]]
        docs.append(Document(
            anchor=f"statement-{n}", group=_("Witness statements"),
            title=_("Draft witness statement of %(name)s") % {"name": witness["name"]},
            template=f"{TEMPLATE_DIR}/injunction/statement.html",
            context={"witness": witness["name"], "initials": witness["initials"], "council": council_name(),
                     "subject": subject,
                     "exhibit_range": _("%(first)s to %(last)s") % {"first": marks[0], "last": marks[-1]}
                     if marks else _("None"),
                     "paragraphs": _statement_paragraphs(witness["name"], witness["description"], subject, basis,
                                                         witness["incidents"], by_incident),
                     "statement_of_truth": str(STATEMENT_OF_TRUTH)},
        ))
    for n, incident in enumerate(incidents, 1):
        docs.append(Document(
            anchor=f"incident-{n}", group=_("Incident records"),
            title=_("Incident record %(reference)s") % {"reference": incident.reference},
            template=f"{TEMPLATE_DIR}/incident.html",
            context={"incident": incident_context(incident, [e.mark for e in by_incident.get(incident.pk, [])])},
        ))
    docs.extend(exhibit_documents(exhibits, _("Exhibits")))
    docs.append(Document(anchor="manifest", title=_("Exhibit manifest (SHA-256)"),
                         template=f"{TEMPLATE_DIR}/manifest.html", context={"exhibits": exhibits}))
    return Composition(
        kind=bundle.kind,
        title=_("Injunction bundle: %(subject)s") % {"subject": subject} if len(cases) != 1 else
        _("Injunction bundle %(case)s") % {"case": cases[0]},
        documents=with_index(docs),
        exhibits=exhibits,
        evidence=evidence,
        redactions=requested_redactions(bundle, {i.protected_person_id for i in incidents}),
    )


def compose_police_referral(bundle: Bundle) -> Composition:
    user = bundle.requested_by
    try:
        case = case_get(user, bundle.scope["case"])
    except Exception as exc:
        raise CompositionError(_("The requester can no longer see this case.")) from exc
    referrals = list(case.referrals.select_related("contact", "referred_by").order_by("referred_at"))
    if not referrals:
        raise CompositionError(_("This case has not been referred to the police."))
    latest = referrals[-1]
    referred = incidents_visible_to(user).filter(case=case, referrals__case=case).distinct()
    incidents = incidents_for_bundle(incidents_visible_to(user).filter(pk__in=referred.values("pk")))
    subject = case.subject
    assessments = list(case.assessments.select_related("assessed_by", "decision_table").order_by("assessed_at"))

    exhibits: list[Exhibit] = []
    evidence = {}
    marks: dict[Any, list[str]] = {}
    for incident in incidents:
        for item in sorted(incident.evidence.all(), key=lambda e: (e.uploaded_at, str(e.pk))):
            exhibit = make_exhibit(item, mark=f"EX/{len(exhibits) + 1}", number=len(exhibits) + 1,
                                   witness=incident.protected_person.name, incident=incident)
            exhibits.append(exhibit)
            evidence[exhibit.evidence_id] = item
            marks.setdefault(incident.pk, []).append(exhibit.mark)

    contact = latest.contact
    council = council_name()
    election = next((i.election_period for i in reversed(incidents) if i.election_period_id), None)
    harmed = {i.protected_person_id: i for i in incidents}
    docs = [
        Document(anchor="cover", title=_("Cover sheet"), template=f"{TEMPLATE_DIR}/police/cover.html", context={
            "council": council_name(), "case": Verbatim(case.reference), "subject": subject_name(subject),
            "urgent": latest.urgent, "referred_at": fmt_datetime(latest.referred_at),
            "election": election_label(election),
            "candidates": any(i.person_kind == "candidate" for i in incidents),
            "protected": [_("%(name)s, %(description)s") % {
                "name": i.protected_person.name,
                "description": protected_description(i.protected_person, council=council, election=election)}
                for i in harmed.values()],
            "status": str(latest.get_status_display()), "reason": latest.reason,
            "level": level_label(case.level) if case.level else _("Not assessed"),
            "prepared_by": person(user), "prepared_on": fmt_date(bundle.requested_at),
            "incident_count": len(incidents), "exhibit_count": len(exhibits),
        }),
        Document(anchor="contact", title=_("Named police contact and crime reference"),
                 template=f"{TEMPLATE_DIR}/police/contact.html", context={
                     "contact": {"name": contact.name, "force": contact.force, "role": contact.role_title,
                                 "email": contact.email, "phone": contact.phone} if contact else None,
                     "crime_reference": latest.crime_reference,
                     "referrals": [{"referred_at": fmt_datetime(r.referred_at), "status": str(r.get_status_display()),
                                    "crime_reference": r.crime_reference, "urgent": r.urgent,
                                    "outcome_notes": r.outcome_notes} for r in referrals],
                 }),
        Document(anchor="subject", title=_("The subject"), template=f"{TEMPLATE_DIR}/police/subject.html", context={
            "subject": _subject_context(subject),
        }),
        Document(anchor="assessment", title=_("Threat assessment"), template=f"{TEMPLATE_DIR}/police/assessment.html",
                 context={"assessments": [{
                     "assessed_at": fmt_datetime(a.assessed_at), "level": level_label(a.level),
                     "computed_level": level_label(a.computed_level), "override_reason": a.override_reason,
                     "route": str(a.get_route_display()), "table": f"v{a.decision_table.version}",
                     "rules": [r.get("description", "") for r in (a.matched_rules or []) if isinstance(r, dict)],
                     "assessed_by": person(a.assessed_by), "notes": a.notes,
                 } for a in assessments]}),
    ]
    for n, incident in enumerate(incidents, 1):
        docs.append(Document(anchor=f"incident-{n}", group=_("Incidents, in order"),
                             title=_("Incident %(reference)s") % {"reference": incident.reference},
                             template=f"{TEMPLATE_DIR}/incident.html",
                             context={"incident": incident_context(incident, marks.get(incident.pk, []))}))
    docs.extend(exhibit_documents(exhibits, _("Evidence")))
    docs.append(Document(anchor="manifest", title=_("Evidence manifest (SHA-256)"),
                         template=f"{TEMPLATE_DIR}/manifest.html", context={"exhibits": exhibits}))
    return Composition(
        kind=bundle.kind,
        title=_("Police referral pack %(case)s") % {"case": case.reference},
        documents=with_index(docs),
        exhibits=exhibits,
        evidence=evidence,
        redactions=requested_redactions(bundle, {i.protected_person_id for i in incidents}),
    )


def _subject_context(subject: Any) -> dict[str, Any] | None:
    if subject is None:
        return None
    return {
        "name": subject_name(subject),
        "date_of_birth": fmt_date(subject.date_of_birth),
        "description": subject.description,
        "aliases": [a.name for a in subject.aliases.all()],
        "handles": [{"kind": str(h.get_kind_display()), "platform": h.platform, "value": h.value}
                    for h in subject.handles.all()],
    }
