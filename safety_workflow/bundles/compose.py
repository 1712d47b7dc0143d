"""What goes into each kind of bundle: documents, in order, as plain data for the templates.

``compose(bundle)`` reads the records through the selectors, as the person who requested the
bundle may see them, and returns a :class:`Composition`: the documents (each with a template,
a bookmark title and a context of plain strings and lists), the exhibits, and the redactions to
apply. Nothing here renders or writes.

The liaison meeting pack takes its escalations from the patterns module and its register
changes from the register (:func:`liaison_escalations`, :func:`liaison_register_changes`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..adapter import get_adapter
from ..conf import app_settings
from ..i18n import BILINGUAL, BILINGUAL_SEPARATOR, ENGLISH, WELSH
from ..models import (
    Bundle,
    EvidenceFile,
    Incident,
    Level,
    PoliceReferral,
    PriorityAddressFlag,
    ProtectedPerson,
    Subject,
)
from .redact import Redaction, Verbatim, address_forms

TEMPLATE_DIR = "safety_workflow/bundles"


class CompositionError(Exception):
    """The bundle cannot be composed (e.g. the requester can no longer see its scope)."""


@dataclass
class Exhibit:
    evidence_id: str
    mark: str
    number: int
    witness: str
    incident_reference: str
    description: str
    original_name: str
    content_type: str
    size: int
    sha256: Verbatim
    uploaded_at: str
    #: Set when the exhibit is prepared: "image" (embedded), "pdf" (merged), "listed" (hash only),
    #: or "withheld" (it holds text a redaction covers).
    kind: str = "listed"
    note: str = ""
    pages: int = 0
    landscape: bool = False
    path: str = ""
    anchor: str = ""
    placeholder: str = ""
    #: What was read from it (``exhibits.ExhibitText``): words for a text layer, an e-mail or text to print.
    text: Any = None


@dataclass
class Document:
    anchor: str
    title: str
    #: A template name, or a list of them (the first that exists: a council's override, then ours).
    template: str | list[str]
    context: dict[str, Any] = field(default_factory=dict)
    group: str = ""
    exhibit: Exhibit | None = None
    #: The language it is written in ("en" or "cy"); set by :func:`compose_in_language`.
    language: str = ""


@dataclass
class Composition:
    kind: str
    title: str
    documents: list[Document]
    exhibits: list[Exhibit] = field(default_factory=list)
    evidence: dict[str, EvidenceFile] = field(default_factory=dict)
    redactions: list[Redaction] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: "en", "cy" or "bilingual" (each written document in Welsh, then in English; the exhibits once).
    language: str = "en"
    #: A bilingual bundle's redactions for its English documents (the same phrases, English replacements).
    redactions_en: list[Redaction] | None = None
    #: Uploaded PDFs laid in page for page (court documents: ``court.Insert``).
    inserts: list[Any] = field(default_factory=list)
    #: What the bundle holds, stored on a ready injunction bundle (``Bundle.contents``) for its supplements.
    contents: dict[str, Any] = field(default_factory=dict)
    #: Pages before the first (a supplementary section continues the served bundle's numbering).
    page_offset: int = 0


# Formatting ---------------------------------------------------------------------------------

def fmt_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value), "l j F Y, H:i")


def fmt_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return formats.date_format(value, "j F Y")


def person(user: Any) -> str:
    return get_adapter().display_name(user) if user is not None else ""


def council_name() -> str:
    """The council's name in the language being written (``COUNCIL_NAME_CY`` in Welsh, if set)."""
    if translation.get_language() == WELSH and app_settings.COUNCIL_NAME_CY:
        return app_settings.COUNCIL_NAME_CY
    return app_settings.COUNCIL_NAME or _("the Council")


def protected_name(incident: Incident) -> str:
    """The person harmed, as a bundle names them: their name, and what they were when it happened."""
    return _("%(name)s (%(kind)s)") % {"name": incident.protected_person.name,
                                       "kind": person_kind_label(incident.person_kind)}


def person_kind_label(kind: str) -> str:
    return str(ProtectedPerson.Kind(kind).label) if kind in ProtectedPerson.Kind.values else kind


def election_label(period: Any) -> str:
    """An election period, as the police and the court read it."""
    if period is None:
        return ""
    return _("%(election)s, poll on %(date)s") % {"election": period.name, "date": fmt_date(period.poll_date)}


def protected_description(person: ProtectedPerson, *, council: str, election: Any = None) -> str:
    """Who the person protected is, in a sentence's words: "an elected member of the Council", "a candidate for
    Riverside ward in the Northshire elections (polling day 6 May 2027)", "the partner of Cllr Ahmed, an elected
    member of the Council", "employed by the Council as Customer Services Adviser"."""
    kind = person.kind
    if kind == ProtectedPerson.Kind.COUNCILLOR:
        return _("an elected member of %(council)s") % {"council": council}
    if kind == ProtectedPerson.Kind.CANDIDATE:
        candidacies = sorted(person.candidacies.all(), key=lambda c: c.election.poll_date)
        stood = next((c for c in candidacies if election is not None and c.election_id == election.pk),
                     candidacies[-1] if candidacies else None)
        if stood is None:
            return _("a candidate for election to %(council)s") % {"council": council}
        return _("a candidate for %(ward)s in the %(election)s (polling day %(date)s)") % {
            "ward": stood.ward, "election": stood.election.name, "date": fmt_date(stood.election.poll_date)}
    if kind == ProtectedPerson.Kind.STAFF:
        values = {"council": council, "job": person.job_title, "workplace": person.workplace}
        if person.job_title and person.workplace:
            return _("employed by %(council)s as %(job)s (%(workplace)s)") % values
        if person.job_title:
            return _("employed by %(council)s as %(job)s") % values
        if person.workplace:
            return _("employed by %(council)s (%(workplace)s)") % values
        return _("employed by %(council)s") % values
    linked = person.linked_to
    relation = person.relationship or (_("a member of the household") if kind == ProtectedPerson.Kind.HOUSEHOLD
                                       else _("a supporter"))
    if linked is None:
        return relation
    return _("%(relation)s of %(name)s, %(description)s") % {
        "relation": relation, "name": linked.name,
        "description": protected_description(linked, council=council, election=election)}


def subject_name(subject: Subject | None) -> str:
    if subject is None:
        return _("Persons unknown")
    return subject.full_name or _("Unidentified person (%(description)s)") % {
        "description": subject.description[:80] or _("no description")}


def incident_level(incident: Incident) -> str:
    """The level of the latest assessment that covered the incident ("" if never assessed)."""
    assessed = sorted(incident.assessments.all(), key=lambda a: a.assessed_at)
    return assessed[-1].level if assessed else ""


def level_label(level: str) -> str:
    return str(Level(level).label) if level in Level.values else _("Not assessed")


def incident_context(incident: Incident, marks: list[str] | None = None) -> dict[str, Any]:
    """Every recorded field of an incident, formatted for the incident record template."""
    level = incident_level(incident)
    return {
        "reference": Verbatim(incident.reference),
        "case_reference": Verbatim(incident.case.reference if incident.case else ""),
        "occurred_at": fmt_datetime(incident.occurred_at),
        "reported_at": fmt_datetime(incident.reported_at),
        "reported_by": person(incident.reported_by),
        "protected_person": protected_name(incident),
        "election_period": election_label(incident.election_period),
        "channel": str(incident.get_channel_display()),
        "location": incident.location,
        "ward": incident.ward,
        "account": incident.account,
        "words_used": incident.words_used,
        "hate_element": incident.hate_element,
        "hate_categories": [str(Incident.HateCategory(c).label) for c in incident.hate_categories
                            if c in Incident.HateCategory.values],
        "immediate_danger": incident.immediate_danger,
        "injury": incident.injury,
        "witnesses": incident.witnesses,
        "police_already_informed": incident.police_already_informed,
        "police_reference": incident.police_reference,
        "subject": subject_name(incident.subject) if incident.subject_id else "",
        "subject_details": subject_details(incident),
        "level": level_label(level) if level else _("Not assessed"),
        "exhibits": marks or [],
    }


def subject_details(incident: Incident) -> list[tuple[str, str]]:
    """What the reporter said about the subject, as "As reported, name", ...; a reported name that is the linked
    subject's own is left out (it would print the subject twice)."""
    linked = " ".join(subject_name(incident.subject).lower().split()) if incident.subject_id else ""
    rows = []
    for key, value in sorted((incident.subject_details or {}).items()):
        if not isinstance(value, (str, int, float)) or not str(value).strip():
            continue
        if linked and " ".join(str(value).lower().split()) == linked:
            continue
        label = str(key).replace("_", " ")
        rows.append((_("as reported, %(label)s") % {"label": label} if incident.subject_id else label.capitalize(),
                     str(value)))
    return rows


def incidents_for_bundle(queryset: Any) -> list[Incident]:
    return list(
        queryset.select_related("case", "subject", "protected_person__user", "protected_person__linked_to__user",
                                "election_period", "reported_by")
        .prefetch_related("assessments", "evidence", "protected_person__candidacies__election",
                          "protected_person__linked_to__candidacies__election")
        .order_by("occurred_at", "reported_at", "reference")
    )


def make_exhibit(evidence: EvidenceFile, *, mark: str, number: int, witness: str, incident: Incident) -> Exhibit:
    return Exhibit(
        evidence_id=str(evidence.pk),
        mark=mark,
        number=number,
        witness=witness,
        incident_reference=Verbatim(incident.reference),
        description=evidence.description or evidence.original_name,
        original_name=evidence.original_name,
        content_type=Verbatim(evidence.content_type),
        size=evidence.size,
        sha256=Verbatim(evidence.sha256),
        uploaded_at=fmt_datetime(evidence.uploaded_at),
    )


def exhibit_documents(exhibits: list[Exhibit], group: str) -> list[Document]:
    docs = []
    for exhibit in exhibits:
        exhibit.anchor = f"exhibit-{exhibit.number}"
        exhibit.placeholder = f"exhibit-pages-{exhibit.number}"
        docs.append(Document(anchor=exhibit.anchor, title=_("Exhibit %(mark)s: %(description)s") % {
                                 "mark": exhibit.mark, "description": exhibit.description},
                             template=f"{TEMPLATE_DIR}/exhibit.html", group=group, exhibit=exhibit))
    return docs


def with_index(documents: list[Document], *, position: int = 1) -> list[Document]:
    """Insert the index (every entry a link to its document) at ``position``."""
    index = Document(anchor="index", title=_("Index"), template=f"{TEMPLATE_DIR}/index.html")
    documents = [*documents[:position], index, *documents[position:]]
    entries: list[dict[str, Any]] = []
    for doc in documents:
        entries.append({"anchor": doc.anchor, "title": doc.title, "group": doc.group})
    index.context = {"entries": entries}
    return documents


def home_address_redactions(person_ids: set[Any], source: str) -> list[Redaction]:
    """The home addresses of the people harmed: their priority-response flags and their own contact address."""
    flags = PriorityAddressFlag.objects.filter(protected_person_id__in=person_ids)
    addresses = [(f.address, f.postcode) for f in flags]
    addresses += list(ProtectedPerson.objects.filter(pk__in=person_ids).exclude(address="", postcode="")
                      .values_list("address", "postcode"))
    items: list[Redaction] = []
    for address, postcode in addresses:
        for text in (address, postcode):
            text = " ".join((text or "").split())
            if len(text) >= 3:
                items.append(Redaction(text=text, replacement=_("[redacted: home address]"),
                                       reason=_("Home address of a person harmed"), source=source))
        # Each line of a multi-line address, and its identifying parts ("27 Larch Avenue" of
        # "27 Larch Avenue, Riverside"), in case it is quoted in part.
        for line in address_forms(address):
            items.append(Redaction(text=line, replacement=_("[redacted: home address]"),
                                   reason=_("Home address of a person harmed"), source=source))
    return items


def requested_redactions(bundle: Bundle, person_ids: set[Any]) -> list[Redaction]:
    items: list[Redaction] = []
    for item in bundle.redactions or []:
        if item.get("preset") == "home_addresses":
            items.extend(home_address_redactions(person_ids, "home_addresses"))
        elif item.get("text"):
            reason = item.get("reason") or ""
            if reason in ("", "Redacted at the requester's instruction"):  # the default, stored in English
                reason = _("Redacted at the requester's instruction")
            items.append(Redaction(text=item["text"], replacement=_("[redacted: %(reason)s]") % {"reason": reason},
                                   reason=reason,
                                   source="requested"))
    return items


# Dispatch -------------------------------------------------------------------------------------

def _words(composition: Composition) -> Composition:
    """Titles and groups as text in the language being written (a section name may be a lazy translation)."""
    composition.title = str(composition.title)
    for doc in composition.documents:
        doc.title, doc.group = str(doc.title), str(doc.group or "")
        for entry in doc.context.get("entries", []) if isinstance(doc.context.get("entries"), list) else []:
            if isinstance(entry, dict):
                entry.update({key: str(entry[key]) for key in ("title", "group") if entry.get(key) is not None})
    return composition


def compose_in_language(bundle: Bundle) -> Composition:
    """The bundle composed in its language (``bundle.language``).

    A bilingual bundle is composed in Welsh and in English, and its documents interleaved: each document the
    package writes in Welsh, followed by the same in English (its anchor ending ``-en``); the exhibits, which are
    evidence as it was given, once, with a bilingual slip; one index in each language at the front.
    """
    language = bundle.language or ENGLISH
    if language != BILINGUAL:
        with translation.override(language):
            composition = _words(compose(bundle))
        for doc in composition.documents:
            doc.language = language
        composition.language = language
        return composition
    with translation.override(WELSH):
        welsh = _words(compose(bundle))
    with translation.override(ENGLISH):
        english = _words(compose(bundle))
    if [d.anchor for d in welsh.documents] != [d.anchor for d in english.documents]:
        raise CompositionError("The Welsh and English compositions differ.")  # a bug: the records are the same
    documents: list[Document] = []
    index_position = next((n for n, d in enumerate(welsh.documents) if d.anchor == "index"), None)
    for cy, en in zip(welsh.documents, english.documents, strict=True):
        if cy.anchor == "index":
            continue
        group = BILINGUAL_SEPARATOR.join(dict.fromkeys(g for g in (cy.group, en.group) if g))
        cy.group, en.group = group, group
        if cy.exhibit is not None or "page_anchors" in cy.context:  # evidence, an uploaded PDF: once
            cy.language = BILINGUAL
            if cy.exhibit is not None and en.exhibit is not None:  # its slip's English half dates in English
                cy.context["exhibit_english"] = {"uploaded_at": en.exhibit.uploaded_at}
            cy.title = BILINGUAL_SEPARATOR.join(dict.fromkeys((cy.title, en.title)))
            documents.append(cy)
            continue
        cy.language, en.language = WELSH, ENGLISH
        en.anchor = f"{en.anchor}-en"
        documents.extend((cy, en))
    if index_position is not None:
        after = welsh.documents[index_position + 1].anchor if index_position + 1 < len(welsh.documents) else None
        position = next((n for n, d in enumerate(documents) if d.anchor == after), len(documents))
        # ... after the English twin of the document before it (the cover), so the covers stay together.
        indexes = []
        for language_part in (WELSH, ENGLISH):
            with translation.override(language_part):
                [index] = [d for d in with_index(documents, position=0) if d.anchor == "index"]
            index.anchor = "index" if language_part == WELSH else "index-en"
            index.language = language_part
            indexes.append(index)
        for index in indexes:  # each index lists both
            index.context["entries"] = [{"anchor": i.anchor, "title": i.title, "group": ""} for i in indexes] + [
                e for e in index.context["entries"] if e["anchor"] != "index"]
        documents = [*documents[:position], *indexes, *documents[position:]]
    welsh.documents = documents
    welsh.title = BILINGUAL_SEPARATOR.join(dict.fromkeys((welsh.title, english.title)))
    welsh.language = BILINGUAL
    # The English documents are redacted with the English replacement words ("[redacted: ...]").
    welsh.redactions_en = english.redactions
    return welsh


def compose(bundle: Bundle) -> Composition:
    from . import access, court

    builders = {
        Bundle.Kind.INJUNCTION: court.compose_injunction,
        Bundle.Kind.POLICE_REFERRAL: court.compose_police_referral,
        Bundle.Kind.LIAISON_MEETING: compose_liaison_meeting,
        Bundle.Kind.SUBJECT_ACCESS: access.compose_subject_access,
    }
    return builders[bundle.kind](bundle)


# Liaison meeting pack ------------------------------------------------------------------------

def _period(since: dt.date, until: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(since, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def liaison_escalations(since: dt.date, until: dt.date) -> list[dict[str, Any]]:
    """Subjects whose conduct is escalating, as the patterns module noticed it in the period.

    Course-of-conduct flags raised (two or more incidents against the same person: the
    Protection from Harassment Act threshold) and escalation signals noticed (frequency or
    severity rising, a move to in person or to the home, several people targeted), each with the
    explanation the monitoring officer can repeat in the meeting.
    """
    from ..models import CourseOfConductFlag, EscalationSignal

    start, end = _period(since, until)
    rows: list[dict[str, Any]] = []
    flags = (CourseOfConductFlag.objects.filter(raised_at__gte=start, raised_at__lt=end)
             .select_related("subject", "protected_person__user").order_by("raised_at"))
    for flag in flags:
        rows.append({"subject": subject_name(flag.subject), "subject_id": Verbatim(str(flag.subject_id)),
                     "reason": _withdrawn_note(flag) + flag.reason,
                     "protected_person": _("%(name)s (%(kind)s)") % {
                         "name": flag.protected_person.name, "kind": person_kind_label(flag.protected_person.kind)},
                     "incidents": flag.incident_count, "levels": ""})
    signals = (EscalationSignal.objects.filter(noticed_at__gte=start, noticed_at__lt=end)
               .select_related("subject").annotate(incident_count=Count("incidents")).order_by("noticed_at"))
    for signal in signals:
        rows.append({"subject": subject_name(signal.subject), "subject_id": Verbatim(str(signal.subject_id)),
                     "reason": f"{_withdrawn_note(signal)}{signal.get_kind_display()}. {signal.explanation}",
                     "protected_person": "", "incidents": signal.incident_count, "levels": ""})
    return sorted(rows, key=lambda r: (r["subject"], r["reason"]))


def _withdrawn_note(item: Any) -> str:
    """A flag or signal a correction withdrew is shown as withdrawn, with why, before what it said."""
    if item.withdrawn_at is None:
        return ""
    return _("WITHDRAWN %(date)s: %(reason)s Originally: ") % {"date": fmt_date(item.withdrawn_at),
                                                                "reason": item.withdrawal_reason}


#: Register events shown in the liaison pack, and how they are described.
REGISTER_CHANGES = {
    "proposed": gettext_lazy("Proposed"), "approved": gettext_lazy("Approved"), "refused": gettext_lazy("Refused"),
    "notified": gettext_lazy("Individual told in writing"),
    "not_notified": gettext_lazy("Not told (reason recorded)"), "renewed": gettext_lazy("Renewed on review"),
    "removed": gettext_lazy("Removed"), "review_reset": gettext_lazy("Review date reset by a new incident"),
    "erased": gettext_lazy("Erased after the retention period"),
    "review_corrected": gettext_lazy("Review date corrected (an incident was found not to be about the person)"),
    "basis_questioned": gettext_lazy("An incident behind the entry was found not to be about the person"),
}


def liaison_register_changes(since: dt.date, until: dt.date, *, user: Any) -> list[dict[str, Any]]:
    """Changes to the register in the period, for the entries the requester may see."""
    from ..models import RegisterEntryEvent
    from ..selectors.register import register_entries_visible_to

    start, end = _period(since, until)
    events = (RegisterEntryEvent.objects.filter(at__gte=start, at__lt=end, action__in=list(REGISTER_CHANGES),
                                                entry__in=register_entries_visible_to(user).values("pk"))
              .select_related("entry__subject", "actor").order_by("at", "id"))
    return [{"date": fmt_date(e.at), "subject": subject_name(e.entry.subject), "entry": Verbatim(e.entry.reference),
             "change": str(REGISTER_CHANGES[e.action]), "by": person(e.actor)} for e in events]


def incidents_by_month_and_level(incidents: list[Incident]) -> dict[str, Any]:
    """Counts per month and level, and the geometry of a stacked bar chart (inline SVG)."""
    levels = [*Level.values, ""]
    months: dict[str, dict[str, int]] = {}
    for incident in incidents:
        local = timezone.localtime(incident.occurred_at)
        key = f"{local.year:04d}-{local.month:02d}"
        months.setdefault(key, dict.fromkeys(levels, 0))
        months[key][incident_level(incident)] += 1
    rows = []
    for key in sorted(months):
        year, month = (int(p) for p in key.split("-"))
        counts = months[key]
        rows.append({"month": formats.date_format(dt.date(year, month, 1), "M Y"),
                     "counts": [counts[level] for level in levels], "total": sum(counts.values())})
    peak = max((r["total"] for r in rows), default=0) or 1
    width, height, left, bottom = 640, 240, 40, 30
    bar = max(8, min(48, (width - left) // max(len(rows), 1) - 8))
    colours = {"low": "#8fbf8f", "medium": "#e0b050", "serious": "#c05050", "": "#a0a0a0"}
    bars = []
    for n, row in enumerate(rows):
        x = left + 8 + n * (bar + 8)
        y = height - bottom
        for level, count in zip(levels, row["counts"], strict=True):
            if not count:
                continue
            h = round(count * (height - bottom - 20) / peak, 1)
            y -= h
            bars.append({"x": x, "y": round(y, 1), "w": bar, "h": h, "fill": colours[level],
                         "label": f"{row['month']}: {count} {level_label(level).lower()}"})
    ticks = [{"x": left + 8 + n * (bar + 8) + bar / 2, "label": row["month"]} for n, row in enumerate(rows)]
    return {
        "levels": [level_label(level) for level in levels],
        "colours": [colours[level] for level in levels],
        "rows": rows,
        "svg": {"width": width, "height": height, "bars": bars, "ticks": ticks, "peak": peak,
                "axis_y": height - bottom, "left": left},
    }


def liaison_people_and_elections(incidents: list[Incident], since: dt.date, until: dt.date) -> dict[str, Any]:
    """The period's incidents by kind of person harmed (what they were when it happened), and each election
    period touching it: its incidents, and its weeks against the rest of its year (``reports.election_comparison``)."""
    from ..selectors.reports import Period, election_comparison, election_periods_overlapping

    counts: dict[str, int] = {}
    for incident in incidents:
        counts[incident.person_kind] = counts.get(incident.person_kind, 0) + 1
    elections = []
    for election in election_periods_overlapping(Period(start=since, end=until)):
        compared = election_comparison(election=election)
        elections.append({
            "name": election.name, "poll_date": fmt_date(election.poll_date),
            "dates": f"{fmt_date(election.starts_on)} to {fmt_date(election.ends_on)}",
            "in_pack": sum(1 for i in incidents if i.election_period_id == election.pk),
            "in_period": compared["in_period"], "per_week_in_period": compared["per_week_in_period"],
            "per_week_rest_of_year": compared["per_week_rest_of_year"], "ratio": compared["ratio"],
            "candidates": next((k["in_period"] for k in compared["by_kind"] if k["kind"] == "candidate"), 0),
        })
    return {"by_kind": [{"label": str(label), "count": counts.get(kind, 0)}
                        for kind, label in ProtectedPerson.Kind.choices],
            "elections": elections}


def compose_liaison_meeting(bundle: Bundle) -> Composition:
    since = dt.date.fromisoformat(bundle.scope["since"])
    until = dt.date.fromisoformat(bundle.scope["until"])
    start, end = _period(since, until)
    from ..selectors.cases import incidents_visible_to

    incidents = incidents_for_bundle(incidents_visible_to(bundle.requested_by)
                                     .filter(occurred_at__gte=start, occurred_at__lt=end))
    referrals = (PoliceReferral.objects.filter(status__in=PoliceReferral.OPEN_STATUSES)
                 .select_related("case__subject", "contact").order_by("referred_at"))
    period = _("%(start)s to %(end)s") % {"start": fmt_date(since), "end": fmt_date(until)}
    docs = [
        Document(anchor="cover", title=_("Cover sheet"), template=f"{TEMPLATE_DIR}/liaison/cover.html",
                 context={"period": period, "council": council_name(), "prepared_by": person(bundle.requested_by),
                          "prepared_on": fmt_date(bundle.requested_at), "incident_count": len(incidents),
                          "referral_count": len(referrals)}),
        Document(anchor="incidents", title=_("Incidents since the last meeting"),
                 template=f"{TEMPLATE_DIR}/liaison/incidents.html",
                 context={"period": period, "incidents": [
                     {"occurred_at": fmt_datetime(i.occurred_at), "reference": Verbatim(i.reference),
                      "protected_person": protected_name(i),
                      "election": election_label(i.election_period),
                      "subject": subject_name(i.subject) if i.subject_id else "",
                      "channel": str(i.get_channel_display()), "level": level_label(incident_level(i)),
                      "ward": i.ward, "hate": i.hate_element, "danger": i.immediate_danger}
                     for i in incidents]}),
        Document(anchor="referrals", title=_("Open police referrals"),
                 template=f"{TEMPLATE_DIR}/liaison/referrals.html",
                 context={"referrals": [
                     {"case": Verbatim(r.case.reference), "subject": subject_name(r.case.subject),
                      "referred_at": fmt_date(r.referred_at), "status": str(r.get_status_display()),
                      "crime_reference": r.crime_reference, "urgent": r.urgent,
                      "contact": str(r.contact) if r.contact_id else "",
                      "days_open": (bundle.requested_at - r.referred_at).days}
                     for r in referrals]}),
        Document(anchor="escalations", title=_("Subjects whose conduct is escalating"),
                 template=f"{TEMPLATE_DIR}/liaison/escalations.html",
                 context={"rows": liaison_escalations(since, until)}),
        Document(anchor="register", title=_("Register changes"), template=f"{TEMPLATE_DIR}/liaison/register.html",
                 context={"rows": liaison_register_changes(since, until, user=bundle.requested_by)}),
        Document(anchor="chart", title=_("Incidents by month and level"), template=f"{TEMPLATE_DIR}/liaison/chart.html",
                 context={"chart": incidents_by_month_and_level(incidents), "period": period}),
        Document(anchor="people", title=_("People harmed, and election periods"),
                 template=f"{TEMPLATE_DIR}/liaison/people.html",
                 context={"period": period, **liaison_people_and_elections(incidents, since, until)}),
    ]
    people = {i.protected_person_id for i in incidents}
    return Composition(
        kind=bundle.kind,
        title=_("Liaison meeting pack, %(period)s") % {"period": period},
        documents=with_index(docs),
        redactions=requested_redactions(bundle, people),
    )
