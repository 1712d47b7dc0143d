"""The subject-access export: everything held about one person, other people's personal data redacted.

Nothing is withheld by category (UK GDPR; the ICO's position on warning markers): every record
about the subject is listed. Other people are named only by a label ("Councillor A", "a council
officer"); their names, e-mail addresses and home addresses are redacted wherever they appear in
the text, and the witnesses recorded on an incident are withheld. Information governance adds
anything else to redact (e.g. a third party named in an account) when requesting the export.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import (
    AccessLogEntry,
    AdviceGiven,
    Assessment,
    Bundle,
    CouncilAction,
    DisposalRecord,
    Incident,
    PoliceReferral,
    ProtectedPerson,
    Subject,
)
from ..roles import Role, roles_for
from .compose import (
    TEMPLATE_DIR,
    Composition,
    CompositionError,
    Document,
    Exhibit,
    council_name,
    exhibit_documents,
    fmt_date,
    fmt_datetime,
    home_address_redactions,
    incident_level,
    level_label,
    make_exhibit,
    person,
    requested_redactions,
    subject_name,
    with_index,
)
from .redact import Redaction, Verbatim

WITHHELD = "[withheld: other people's personal data]"


def subject_access_register_entries(subject: Subject) -> list[dict[str, Any]]:
    """The subject's entries on the Potentially Violent Persons Register, as plain rows: the status, the
    reasons and the mitigations, and whether they were told in writing (ICO: the person is normally told)."""
    from ..models import RegisterEntry

    entries = (RegisterEntry.objects.filter(subject=subject).exclude(state=RegisterEntry.State.ERASED)
               .prefetch_related("mitigations").order_by("proposed_at"))
    rows = []
    for entry in entries:
        if entry.notification and entry.notified_on:
            notified = _("Yes, %(date)s") % {"date": fmt_date(entry.notified_on)}
        elif entry.not_notified_reason:
            notified = _("No: telling you was judged to create a risk")
        else:
            notified = _("Not yet")
        rows.append({
            "status": str(entry.get_state_display()),
            "since": fmt_date(entry.decided_at or entry.proposed_at),
            "reason": entry.reasons,
            "review_due": fmt_date(entry.review_due_on),
            "mitigations": "; ".join(str(m) for m in entry.mitigations.all()),
            "notified": notified,
        })
    return rows


class _People:
    """Labels for everyone other than the person the export is for, and the redactions that hide their names.

    A person the process protects is labelled by kind ("Councillor A", "Candidate B", "Household member A",
    "Staff member A"); an officer is "a council officer"."""

    KIND_LABELS = {"councillor": gettext_lazy("Councillor"), "candidate": gettext_lazy("Candidate"),
                   "household": gettext_lazy("Household member"), "supporter": gettext_lazy("Supporter"),
                   "staff": gettext_lazy("Staff member")}

    def __init__(self) -> None:
        self.labels: dict[Any, str] = {}
        self.counts: dict[str, int] = {}
        self.names: dict[Any, set[str]] = {}

    @property
    def count(self) -> int:
        return len(self.names)

    def _next(self, kind: str) -> str:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return _("%(kind)s %(letter)s") % {"kind": kind, "letter": _letters(self.counts[kind])}

    def label(self, user: Any) -> str:
        if user is None:
            return ""
        key = ("user", user.pk)
        if key not in self.labels:
            protected = ProtectedPerson.objects.filter(user=user).first()
            if protected is not None:
                return self.label_person(protected)
            self.labels[key] = (self._next(str(self.KIND_LABELS["councillor"])) if Role.COUNCILLOR in roles_for(user)
                                else _("a council officer"))
            self.names[key] = _user_names(user)
        return self.labels[key]

    def label_person(self, protected: Any) -> str:
        key = ("person", protected.pk)
        if key not in self.labels:
            self.labels[key] = self._next(str(self.KIND_LABELS.get(protected.kind, _("Person"))))
            names = {protected.full_name, protected.email}
            names.update(part for part in protected.full_name.split() if len(part) >= 4)
            if protected.user_id is not None:
                names |= _user_names(protected.user)
                self.labels[("user", protected.user_id)] = self.labels[key]
            self.names[key] = names
        return self.labels[key]

    def redactions(self) -> list[Redaction]:
        items = []
        for key, names in self.names.items():
            label = f"[{self.labels[key]}]"
            for name in names:
                if len(" ".join((name or "").split())) >= 3:
                    items.append(Redaction(text=name, replacement=label, reason=_("Another person's name or e-mail"),
                                           source="automatic"))
        return items


def _user_names(user: Any) -> set[str]:
    full = getattr(user, "get_full_name", lambda: "")() or ""
    names = {person(user), getattr(user, "email", "") or "", user.get_username(), full}
    names.update(part for part in full.split() if len(part) >= 4 and part.lower() not in {"cllr"})
    return names


def _letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


CHECK_RESULTS = {"match": gettext_lazy("On the register: a match"),
                 "possible_match": gettext_lazy("A possible match, to be confirmed"),
                 "no_match": gettext_lazy("Not found on the register"),
                 "refused": gettext_lazy("Not answered (the officer's role)"),
                 "rate_limited": gettext_lazy("Not answered (too many checks)")}
READ_ACTIONS = (AccessLogEntry.Action.VIEW, AccessLogEntry.Action.DOWNLOAD, AccessLogEntry.Action.EXPORT,
                AccessLogEntry.Action.CHANGE, AccessLogEntry.Action.ERASE, AccessLogEntry.Action.GRANT,
                AccessLogEntry.Action.REVOKE, AccessLogEntry.Action.HOLD, AccessLogEntry.Action.HOLD_REVIEW,
                AccessLogEntry.Action.HOLD_RELEASE)
RECORD_LABELS = {"incident": gettext_lazy("Incident"), "case": gettext_lazy("Case"),
                 "register_entry": gettext_lazy("Register entry"), "evidence": gettext_lazy("Evidence"),
                 "bundle": gettext_lazy("Bundle"), "subject": gettext_lazy("Your details"),
                 "register_check": gettext_lazy("Register check")}


def subject_access_checks(names: list[str], date_of_birth: dt.date | None,
                          people: _People) -> list[dict[str, Any]]:
    """The register checks in which one of ``names`` was typed, normalised as the check reads names
    (``checked_name_normalised``). A check that gave another date of birth was of someone else."""
    from ..services.audit import checked_name_normalised

    normalised = sorted({n for n in (checked_name_normalised(name) for name in names) if n})
    rows = []
    checks = (AccessLogEntry.objects.filter(action=AccessLogEntry.Action.CHECK, checked_name__in=normalised)
              .select_related("actor").order_by("at", "id"))
    for check in checks:
        typed = (check.data or {}).get("date_of_birth")
        if typed and date_of_birth and typed != date_of_birth.isoformat():
            continue
        meeting = (check.data or {}).get("meeting_date")
        rows.append({"at": fmt_datetime(check.at), "by": people.label(check.actor) or _("a council officer"),
                     "purpose": check.purpose, "meeting_date": fmt_date(dt.date.fromisoformat(meeting))
                     if meeting else "", "result": str(CHECK_RESULTS.get(check.result, check.result)),
                     "reference": Verbatim(check.reference)})
    return rows


def subject_access_reads(subject: Subject, people: _People) -> list[dict[str, Any]]:
    """Every logged read, download, export or change of a record about the subject (the access log)."""
    rows = []
    for row in (AccessLogEntry.objects.filter(subject_ref=subject.pk, action__in=READ_ACTIONS)
                .select_related("actor").order_by("at", "id")):
        record = str(RECORD_LABELS.get(row.object_type, row.object_type.replace("_", " ").capitalize()))
        if row.object_type in ("incident", "case", "register_entry"):
            record = f"{record} {row.object_repr}"
        rows.append({"at": fmt_datetime(row.at), "by": people.label(row.actor) or _("a council officer"),
                     "action": str(row.get_action_display()), "record": Verbatim(record), "purpose": row.purpose,
                     "outcome": str(row.get_outcome_display()).split(" (")[0]})
    return rows


def subject_access_disposals(subject: Subject) -> list[dict[str, Any]]:
    return [{"at": fmt_date(d.disposed_at), "kind": d.kind.replace("_", " "), "reference": Verbatim(d.reference),
             "action": str(d.get_action_display()), "rule": d.rule}
            for d in DisposalRecord.objects.filter(subject_ref=subject.pk).order_by("disposed_at", "id")]


def _names_of(subject: Subject) -> list[str]:
    """Every name held for the subject: their name, their aliases and the aliases on their register entries."""
    from ..models import RegisterAlias

    names = [subject.full_name, *(a.name for a in subject.aliases.all()),
             *RegisterAlias.objects.filter(entry__subject=subject).values_list("name", flat=True)]
    return list(dict.fromkeys(n for n in names if n))


def compose_person_access(bundle: Bundle) -> Composition:
    """A request from someone who is not a subject (never reported, only checked, perhaps): what the
    access log holds about their name."""
    name = bundle.scope["name"]
    dob = bundle.scope.get("date_of_birth")
    date_of_birth = dt.date.fromisoformat(dob) if dob else None
    people = _People()
    checks = subject_access_checks([name], date_of_birth, people)
    docs = [
        Document(anchor="cover", title=_("About this export"), template=f"{TEMPLATE_DIR}/access/cover.html", context={
            "council": council_name(), "subject": name, "prepared_on": fmt_date(timezone.now()),
            "prepared_by": person(bundle.requested_by), "purpose": bundle.purpose,
        }),
        Document(anchor="details", title=_("Personal details held"), template=f"{TEMPLATE_DIR}/access/details.html",
                 context={"subject": {"name": "", "description": _(
                     "No record is held about you as the subject of an incident, and you are not on the register.")}}),
        Document(anchor="checks", title=_("Register checks of your name"),
                 template=f"{TEMPLATE_DIR}/access/checks.html",
                 context={"checks": checks, "names": name}),
    ]
    docs.append(Document(anchor="redactions", title=_("What was redacted and why"),
                         template=f"{TEMPLATE_DIR}/access/redactions.html",
                         context={"withheld_witnesses": False, "people": people.count,
                                  "requested": len(bundle.redactions or [])}))
    return Composition(kind=bundle.kind, title=_("Subject-access export"), documents=with_index(docs),
                       redactions=[*people.redactions(), *requested_redactions(bundle, set())])


def _support_rows(protected: ProtectedPerson) -> dict[str, list[dict[str, Any]]]:
    from ..models import (
        AdviceGiven,
        EmployeeAssistanceOffer,
        HomeSecurityAssessment,
        InductionTraining,
        PriorityAddressFlag,
    )

    return {
        "advice": [{"given_at": fmt_date(a.given_at), "title": a.title, "text": a.text,
                    "method": str(a.get_method_display())}
                   for a in AdviceGiven.objects.filter(protected_person=protected).order_by("given_at")],
        "home_security": [{"assessed_on": fmt_date(h.assessed_on), "findings": h.findings,
                           "measures": "; ".join(f"{m.description} ({m.get_status_display().lower()})"
                                                 for m in h.measures.all())}
                          for h in HomeSecurityAssessment.objects.filter(protected_person=protected)
                          .prefetch_related("measures").order_by("assessed_on")],
        "priority_flags": [{"address": f.address, "postcode": f.postcode, "flagged_on": fmt_date(f.flagged_on),
                            "review_due": fmt_date(f.review_due), "active": f.active}
                           for f in PriorityAddressFlag.objects.filter(protected_person=protected)
                           .order_by("flagged_on")],
        "employee_assistance": [{"offered_on": fmt_date(o.offered_on), "accepted": o.accepted}
                                for o in EmployeeAssistanceOffer.objects.filter(protected_person=protected)
                                .order_by("offered_on")],
        "training": [{"course": str(t.get_course_display()), "completed_on": fmt_date(t.completed_on)}
                     for t in InductionTraining.objects.filter(protected_person=protected).order_by("completed_on")],
    }


def compose_protected_person_access(bundle: Bundle) -> Composition:
    """The export for a person the process protects (a candidate, a councillor, a household member, a supporter,
    a member of staff): their details and candidacies, the incidents aimed at them, the support given to them,
    the outcomes they were told, and who read their record. Other people are labelled, and the person each
    incident is about is withheld (a third party's identity: DPA 2018 Sch. 2 para. 16)."""
    try:
        protected = (ProtectedPerson.objects.select_related("user", "linked_to__user")
                     .prefetch_related("candidacies__election").get(pk=bundle.scope["protected_person"]))
    except (ProtectedPerson.DoesNotExist, KeyError, ValueError) as exc:
        raise CompositionError(_("The person no longer exists.")) from exc
    people = _People()
    own = {protected.full_name, protected.email, *(_user_names(protected.user) if protected.user_id else set())}
    incidents = list(Incident.objects.filter(protected_person=protected)
                     .select_related("case", "reported_by", "subject", "election_period")
                     .prefetch_related("assessments", "subject__aliases").order_by("occurred_at"))
    subjects: dict[Any, Subject] = {i.subject_id: i.subject for i in incidents if i.subject_id}
    withheld = []
    for subject in subjects.values():
        for name in {subject.full_name, *(a.name for a in subject.aliases.all())}:
            if len(" ".join((name or "").split())) >= 3:
                withheld.append(Redaction(text=name, replacement=_("[the person it is about]"),
                                          reason=_("The identity of the person an incident is about"),
                                          source="automatic"))
    rows = [{
        "reference": Verbatim(i.reference), "occurred_at": fmt_datetime(i.occurred_at),
        "reported_at": fmt_datetime(i.reported_at),
        "reported_by": _("you") if i.reported_by_id == protected.user_id else people.label(i.reported_by),
        "as": str(people.KIND_LABELS.get(i.person_kind, i.person_kind)).lower(),
        "election": f"{i.election_period.name}" if i.election_period_id else "",
        "channel": str(i.get_channel_display()), "location": i.location, "ward": i.ward,
        "account": i.account, "words_used": i.words_used, "level": level_label(incident_level(i)),
        "about": _("[the person it is about]") if i.subject_id else _("Not identified"),
    } for i in incidents]
    cases = {i.case_id: i.case for i in incidents if i.case_id}
    outcomes = [{"case": Verbatim(c.reference), "state": str(c.get_state_display()),
                 "closed_at": fmt_date(c.closed_at), "outcome": c.outcome_summary}
                for c in sorted(cases.values(), key=lambda c: c.created)]
    linked = people.label_person(protected.linked_to) if protected.linked_to_id else ""
    reads = [{"at": fmt_datetime(r.at), "by": people.label(r.actor) or _("a council officer"),
              "action": str(r.get_action_display()), "record": Verbatim(_("Your record")), "purpose": r.purpose,
              "outcome": str(r.get_outcome_display()).split(" (")[0]}
             for r in AccessLogEntry.objects.filter(object_type="protected_person", object_id=str(protected.pk),
                                                    action__in=READ_ACTIONS).select_related("actor")
             .order_by("at", "id")]
    docs = [
        Document(anchor="cover", title=_("About this export"), template=f"{TEMPLATE_DIR}/access/cover.html", context={
            "council": council_name(), "subject": protected.name, "prepared_on": fmt_date(bundle.requested_at),
            "prepared_by": person(bundle.requested_by), "purpose": bundle.purpose,
        }),
        Document(anchor="details", title=_("Your details"), template=f"{TEMPLATE_DIR}/access/person.html", context={
            "person": {
                "name": protected.name, "kind": str(protected.get_kind_display()), "linked_to": linked,
                "relationship": protected.relationship, "share_with_linked": protected.share_with_linked,
                "job_title": protected.job_title, "workplace": protected.workplace, "email": protected.email,
                "phone": protected.phone, "address": protected.address, "postcode": protected.postcode,
                "preferred_contact": str(protected.get_preferred_contact_display()),
                "recorded_on": fmt_date(protected.created_at),
                "candidacies": [{"election": c.election.name, "poll_date": fmt_date(c.election.poll_date),
                                 "ward": c.ward,
                                 "elected": {True: _("Yes"), False: _("No")}.get(c.elected, _("Not recorded"))}
                                for c in protected.candidacies.all()],
            }}),
        Document(anchor="incidents", title=_("Incidents aimed at you"), template=f"{TEMPLATE_DIR}/access/harmed.html",
                 context={"incidents": rows, "outcomes": outcomes}),
        Document(anchor="support", title=_("Support given to you"), template=f"{TEMPLATE_DIR}/access/support.html",
                 context=_support_rows(protected)),
        Document(anchor="reads", title=_("Who looked at your record"), template=f"{TEMPLATE_DIR}/access/reads.html",
                 context={"reads": reads}),
    ]
    redactions = [r for r in people.redactions() if r.text not in own]
    docs.append(Document(anchor="redactions", title=_("What was redacted and why"),
                         template=f"{TEMPLATE_DIR}/access/redactions.html",
                         context={"withheld_witnesses": False, "people": people.count,
                                  "withheld_subjects": bool(subjects), "own_export": True,
                                  "requested": len(bundle.redactions or [])}))
    return Composition(kind=bundle.kind, title=_("Subject-access export"), documents=with_index(docs),
                       redactions=[*redactions, *withheld, *requested_redactions(bundle, set())])


def compose_subject_access(bundle: Bundle) -> Composition:
    if "protected_person" in bundle.scope:
        return compose_protected_person_access(bundle)
    if "subject" not in bundle.scope:
        return compose_person_access(bundle)
    try:
        subject = Subject.objects.prefetch_related("aliases", "handles").get(pk=bundle.scope["subject"])
    except (Subject.DoesNotExist, KeyError, ValueError) as exc:
        raise CompositionError(_("The subject no longer exists.")) from exc
    people = _People()
    names = _names_of(subject)
    incidents = list(Incident.objects.filter(subject=subject)
                     .select_related("case", "protected_person__user", "reported_by")
                     .prefetch_related("assessments", "evidence").order_by("occurred_at"))
    case_ids = {i.case_id for i in incidents if i.case_id} | set(subject.cases.values_list("pk", flat=True))
    assessments = list(Assessment.objects.filter(case_id__in=case_ids).select_related("case").order_by("assessed_at"))
    actions = list(CouncilAction.objects.filter(case_id__in=case_ids).select_related("case").order_by("decided_at"))
    referrals = list(PoliceReferral.objects.filter(case_id__in=case_ids).select_related("case")
                     .order_by("referred_at"))
    advice = AdviceGiven.objects.filter(case_id__in=case_ids).count()

    incident_rows = []
    evidence_rows = []
    exhibits: list[Exhibit] = []
    evidence: dict[str, Any] = {}
    for incident in incidents:
        incident_rows.append({
            "reference": Verbatim(incident.reference),
            "occurred_at": fmt_datetime(incident.occurred_at),
            "reported_at": fmt_datetime(incident.reported_at),
            "protected_person": people.label_person(incident.protected_person),
            "reported_by": people.label(incident.reported_by),
            "channel": str(incident.get_channel_display()),
            "location": incident.location,
            "ward": incident.ward,
            "account": incident.account,
            "words_used": incident.words_used,
            "hate_element": incident.hate_element,
            "immediate_danger": incident.immediate_danger,
            "witnesses": WITHHELD if incident.witnesses.strip() else "",
            "police_reference": incident.police_reference,
            "level": level_label(incident_level(incident)),
            "subject_details": [(str(k).replace("_", " "), str(v))
                                for k, v in sorted(incident.subject_details.items())
                                if isinstance(v, (str, int, float)) and str(v).strip()],
        })
        for item in sorted(incident.evidence.all(), key=lambda e: (e.uploaded_at, str(e.pk))):
            exhibit = make_exhibit(item, mark=f"EV/{len(exhibits) + 1}", number=len(exhibits) + 1,
                                   witness=people.label_person(incident.protected_person), incident=incident)
            exhibits.append(exhibit)
            evidence[exhibit.evidence_id] = item
            evidence_rows.append({
                "incident": Verbatim(incident.reference), "description": item.description or "(no description)",
                "content_type": Verbatim(item.content_type), "size": item.size,
                "uploaded_at": fmt_datetime(item.uploaded_at), "sha256": Verbatim(item.sha256),
                "mark": exhibit.mark,
            })
    person_ids = {i.protected_person_id for i in incidents}
    docs = [
        Document(anchor="cover", title=_("About this export"), template=f"{TEMPLATE_DIR}/access/cover.html", context={
            "council": council_name(), "subject": subject_name(subject), "prepared_on": fmt_date(bundle.requested_at),
            "prepared_by": person(bundle.requested_by), "purpose": bundle.purpose,
        }),
        Document(anchor="details", title=_("Personal details held"), template=f"{TEMPLATE_DIR}/access/details.html",
                 context={"subject": {
                     "name": subject.full_name, "date_of_birth": fmt_date(subject.date_of_birth),
                     "description": subject.description, "recorded_on": fmt_date(subject.created_at),
                     "aliases": [a.name for a in subject.aliases.all()],
                     "handles": [{"kind": str(h.get_kind_display()), "platform": h.platform, "value": h.value}
                                 for h in subject.handles.all()],
                 }}),
        Document(anchor="incidents", title=_("Incidents recorded"), template=f"{TEMPLATE_DIR}/access/incidents.html",
                 context={"incidents": incident_rows}),
        Document(anchor="decisions", title=_("Assessments and decisions"),
                 template=f"{TEMPLATE_DIR}/access/decisions.html", context={
                     "assessments": [{"case": Verbatim(a.case.reference), "assessed_at": fmt_date(a.assessed_at),
                                      "level": level_label(a.level), "route": str(a.get_route_display()),
                                      "override_reason": a.override_reason} for a in assessments],
                     "actions": [{"case": Verbatim(a.case.reference), "decided_at": fmt_date(a.decided_at),
                                  "kind": str(a.get_kind_display()), "reason": a.reason,
                                  "letter_sent_on": fmt_date(a.letter_sent_on),
                                  "outcome": str(a.get_outcome_display()) if a.outcome else ""} for a in actions],
                     "referrals": [{"case": Verbatim(r.case.reference), "referred_at": fmt_date(r.referred_at),
                                    "status": str(r.get_status_display()), "crime_reference": r.crime_reference,
                                    "reason": r.reason} for r in referrals],
                     "advice_count": advice,
                 }),
        Document(anchor="evidence", title=_("Evidence held"), template=f"{TEMPLATE_DIR}/access/evidence.html",
                 context={"evidence": evidence_rows}),
        # Each file itself follows, other people's data covered on its pixels and in its text.
        *exhibit_documents(exhibits, _("Evidence")),
        Document(anchor="register", title=_("Potentially Violent Persons Register"),
                 template=f"{TEMPLATE_DIR}/access/register.html",
                 context={"entries": subject_access_register_entries(subject)}),
        Document(anchor="checks", title=_("Register checks of your name"),
                 template=f"{TEMPLATE_DIR}/access/checks.html",
                 context={"checks": subject_access_checks(names, subject.date_of_birth, people),
                          "names": ", ".join(names),
                     "erased": DisposalRecord.objects.filter(subject_ref=subject.pk, kind="check_query").count()}),
        Document(anchor="reads", title=_("Who looked at your records"), template=f"{TEMPLATE_DIR}/access/reads.html",
                 context={"reads": subject_access_reads(subject, people)}),
        Document(anchor="disposals", title=_("Records disposed of"), template=f"{TEMPLATE_DIR}/access/disposals.html",
                 context={"disposals": subject_access_disposals(subject)}),
    ]
    redactions = [
        *people.redactions(),
        *home_address_redactions(person_ids, "automatic"),
        *requested_redactions(bundle, person_ids),
    ]
    docs.append(Document(anchor="redactions", title=_("What was redacted and why"),
                         template=f"{TEMPLATE_DIR}/access/redactions.html",
                         context={"withheld_witnesses": any(r["witnesses"] for r in incident_rows),
                                  "people": people.count, "requested": len(bundle.redactions or [])}))
    return Composition(
        kind=bundle.kind,
        title=_("Subject-access export"),
        documents=with_index(docs),
        exhibits=exhibits,
        evidence=evidence,
        redactions=redactions,
    )
