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

from ..models import (
    AccessLogEntry,
    AdviceGiven,
    Assessment,
    Bundle,
    CouncilAction,
    DisposalRecord,
    Incident,
    PoliceReferral,
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
            notified = f"Yes, {fmt_date(entry.notified_on)}"
        elif entry.not_notified_reason:
            notified = "No: telling you was judged to create a risk"
        else:
            notified = "Not yet"
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
    """Labels for everyone other than the subject, and the redactions that hide their names."""

    def __init__(self) -> None:
        self.labels: dict[Any, str] = {}
        self.councillors = 0
        self.users: dict[Any, Any] = {}

    def label(self, user: Any) -> str:
        if user is None:
            return ""
        if user.pk not in self.labels:
            if Role.COUNCILLOR in roles_for(user):
                self.councillors += 1
                self.labels[user.pk] = f"Councillor {_letters(self.councillors)}"
            else:
                self.labels[user.pk] = "a council officer"
            self.users[user.pk] = user
        return self.labels[user.pk]

    def redactions(self) -> list[Redaction]:
        items = []
        for pk, user in self.users.items():
            label = f"[{self.labels[pk]}]"
            names = {person(user), getattr(user, "email", "") or "", user.get_username()}
            full = getattr(user, "get_full_name", lambda: "")() or ""
            names.add(full)
            names.update(part for part in full.split() if len(part) >= 4 and part.lower() not in {"cllr"})
            for name in names:
                if len(" ".join(name.split())) >= 3:
                    items.append(Redaction(text=name, replacement=label, reason="Another person's name or e-mail",
                                           source="automatic"))
        return items


def _letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


CHECK_RESULTS = {"match": "On the register: a match", "possible_match": "A possible match, to be confirmed",
                 "no_match": "Not found on the register", "refused": "Not answered (the officer's role)",
                 "rate_limited": "Not answered (too many checks)"}
READ_ACTIONS = (AccessLogEntry.Action.VIEW, AccessLogEntry.Action.DOWNLOAD, AccessLogEntry.Action.EXPORT,
                AccessLogEntry.Action.CHANGE, AccessLogEntry.Action.ERASE, AccessLogEntry.Action.GRANT,
                AccessLogEntry.Action.REVOKE, AccessLogEntry.Action.HOLD, AccessLogEntry.Action.HOLD_REVIEW,
                AccessLogEntry.Action.HOLD_RELEASE)
RECORD_LABELS = {"incident": "Incident", "case": "Case", "register_entry": "Register entry", "evidence": "Evidence",
                 "bundle": "Bundle", "subject": "Your details", "register_check": "Register check"}


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
        rows.append({"at": fmt_datetime(check.at), "by": people.label(check.actor) or "a council officer",
                     "purpose": check.purpose, "meeting_date": fmt_date(dt.date.fromisoformat(meeting))
                     if meeting else "", "result": CHECK_RESULTS.get(check.result, check.result),
                     "reference": Verbatim(check.reference)})
    return rows


def subject_access_reads(subject: Subject, people: _People) -> list[dict[str, Any]]:
    """Every logged read, download, export or change of a record about the subject (the access log)."""
    rows = []
    for row in (AccessLogEntry.objects.filter(subject_ref=subject.pk, action__in=READ_ACTIONS)
                .select_related("actor").order_by("at", "id")):
        record = RECORD_LABELS.get(row.object_type, row.object_type.replace("_", " ").capitalize())
        if row.object_type in ("incident", "case", "register_entry"):
            record = f"{record} {row.object_repr}"
        rows.append({"at": fmt_datetime(row.at), "by": people.label(row.actor) or "a council officer",
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
        Document(anchor="cover", title="About this export", template=f"{TEMPLATE_DIR}/access/cover.html", context={
            "council": council_name(), "subject": name, "prepared_on": fmt_date(timezone.now()),
            "prepared_by": person(bundle.requested_by), "purpose": bundle.purpose,
        }),
        Document(anchor="details", title="Personal details held", template=f"{TEMPLATE_DIR}/access/details.html",
                 context={"subject": {"name": "", "description": "No record is held about you as the subject of "
                                      "an incident, and you are not on the register."}}),
        Document(anchor="checks", title="Register checks of your name", template=f"{TEMPLATE_DIR}/access/checks.html",
                 context={"checks": checks, "names": name}),
    ]
    docs.append(Document(anchor="redactions", title="What was redacted and why",
                         template=f"{TEMPLATE_DIR}/access/redactions.html",
                         context={"withheld_witnesses": False, "people": len(people.users),
                                  "requested": len(bundle.redactions or [])}))
    return Composition(kind=bundle.kind, title="Subject-access export", documents=with_index(docs),
                       redactions=[*people.redactions(), *requested_redactions(bundle, set())])


def compose_subject_access(bundle: Bundle) -> Composition:
    if "subject" not in bundle.scope:
        return compose_person_access(bundle)
    try:
        subject = Subject.objects.prefetch_related("aliases", "handles").get(pk=bundle.scope["subject"])
    except (Subject.DoesNotExist, KeyError, ValueError) as exc:
        raise CompositionError("The subject no longer exists.") from exc
    people = _People()
    names = _names_of(subject)
    incidents = list(Incident.objects.filter(subject=subject)
                     .select_related("case", "councillor", "reported_by")
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
            "councillor": people.label(incident.councillor),
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
                                   witness=people.label(incident.councillor), incident=incident)
            exhibits.append(exhibit)
            evidence[exhibit.evidence_id] = item
            evidence_rows.append({
                "incident": Verbatim(incident.reference), "description": item.description or "(no description)",
                "content_type": Verbatim(item.content_type), "size": item.size,
                "uploaded_at": fmt_datetime(item.uploaded_at), "sha256": Verbatim(item.sha256),
                "mark": exhibit.mark,
            })
    councillor_ids = {i.councillor_id for i in incidents}
    docs = [
        Document(anchor="cover", title="About this export", template=f"{TEMPLATE_DIR}/access/cover.html", context={
            "council": council_name(), "subject": subject_name(subject), "prepared_on": fmt_date(bundle.requested_at),
            "prepared_by": person(bundle.requested_by), "purpose": bundle.purpose,
        }),
        Document(anchor="details", title="Personal details held", template=f"{TEMPLATE_DIR}/access/details.html",
                 context={"subject": {
                     "name": subject.full_name, "date_of_birth": fmt_date(subject.date_of_birth),
                     "description": subject.description, "recorded_on": fmt_date(subject.created_at),
                     "aliases": [a.name for a in subject.aliases.all()],
                     "handles": [{"kind": str(h.get_kind_display()), "platform": h.platform, "value": h.value}
                                 for h in subject.handles.all()],
                 }}),
        Document(anchor="incidents", title="Incidents recorded", template=f"{TEMPLATE_DIR}/access/incidents.html",
                 context={"incidents": incident_rows}),
        Document(anchor="decisions", title="Assessments and decisions",
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
        Document(anchor="evidence", title="Evidence held", template=f"{TEMPLATE_DIR}/access/evidence.html",
                 context={"evidence": evidence_rows}),
        # Each file itself follows, other people's data covered on its pixels and in its text.
        *exhibit_documents(exhibits, "Evidence"),
        Document(anchor="register", title="Potentially Violent Persons Register",
                 template=f"{TEMPLATE_DIR}/access/register.html",
                 context={"entries": subject_access_register_entries(subject)}),
        Document(anchor="checks", title="Register checks of your name", template=f"{TEMPLATE_DIR}/access/checks.html",
                 context={"checks": subject_access_checks(names, subject.date_of_birth, people),
                          "names": ", ".join(names),
                     "erased": DisposalRecord.objects.filter(subject_ref=subject.pk, kind="check_query").count()}),
        Document(anchor="reads", title="Who looked at your records", template=f"{TEMPLATE_DIR}/access/reads.html",
                 context={"reads": subject_access_reads(subject, people)}),
        Document(anchor="disposals", title="Records disposed of", template=f"{TEMPLATE_DIR}/access/disposals.html",
                 context={"disposals": subject_access_disposals(subject)}),
    ]
    redactions = [
        *people.redactions(),
        *home_address_redactions(councillor_ids, "automatic"),
        *requested_redactions(bundle, councillor_ids),
    ]
    docs.append(Document(anchor="redactions", title="What was redacted and why",
                         template=f"{TEMPLATE_DIR}/access/redactions.html",
                         context={"withheld_witnesses": any(r["witnesses"] for r in incident_rows),
                                  "people": len(people.users), "requested": len(bundle.redactions or [])}))
    return Composition(
        kind=bundle.kind,
        title="Subject-access export",
        documents=with_index(docs),
        exhibits=exhibits,
        evidence=evidence,
        redactions=redactions,
    )
