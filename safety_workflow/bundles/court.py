"""The injunction bundle (judiciary's guidance on electronic bundles; CPR PD32) and the police referral pack."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..conf import app_settings
from ..models import Bundle, CouncilAction, CourtDocument, Incident
from ..selectors.cases import case_get, incidents_visible_to
from ..services.court import PARTY_ROLES, PARTY_ROLES_PLURAL, court_title
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


def witness_short_name(name: str) -> str:
    """The witness as a statement's heading names them: initials and surname ("P. Shah"; "Ahmed" for "Cllr
    Ahmed")."""
    words = [w for w in name.split() if w.lower().strip(".") not in HONORIFICS] or name.split() or ["Witness"]
    return " ".join([*(f"{w[0].upper()}." for w in words[:-1]), words[-1]])


def _injunction_incidents(bundle: Bundle) -> tuple[list[Incident], str, Any]:
    user = bundle.requested_by
    scope = bundle.scope
    try:
        if "case" in scope:
            case = case_get(user, scope["case"])
            incidents = incidents_for_bundle(incidents_visible_to(user).filter(case=case))
            return incidents, _("Case %(case)s") % {"case": case.reference}, case
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(dt.date.fromisoformat(scope["date_from"]), dt.time.min, tzinfo=tz)
        end = dt.datetime.combine(dt.date.fromisoformat(scope["date_to"]) + dt.timedelta(days=1), dt.time.min,
                                  tzinfo=tz)
        incidents = incidents_for_bundle(incidents_visible_to(user).filter(
            subject_id=scope["subject"], occurred_at__gte=start, occurred_at__lt=end))
        return incidents, _("Incidents from %(start)s to %(end)s") % {
            "start": fmt_date(start), "end": fmt_date(end - dt.timedelta(days=1))}, None
    except Exception as exc:
        raise CompositionError(_("The requester can no longer see what this bundle covers.")) from exc


#: The sections of the injunction bundle, in the order of CPR PD32 para 27 and the judiciary's guidance.
SECTION_A = gettext_lazy("A. Statements of case, claim form, application notice and draft order")
SECTION_B = gettext_lazy("B. Witness statements and their exhibits")
SECTION_C = gettext_lazy("C. Notices")
SECTION_D = gettext_lazy("D. Contemporaneous documents, in date order")
SECTION_E = gettext_lazy("E. Chronology")
SUPPLEMENT = gettext_lazy("Supplementary section")
SECTION_OF = {
    CourtDocument.Section.STATEMENT_OF_CASE: SECTION_A, CourtDocument.Section.CLAIM_FORM: SECTION_A,
    CourtDocument.Section.APPLICATION_NOTICE: SECTION_A, CourtDocument.Section.DRAFT_ORDER: SECTION_A,
    CourtDocument.Section.WITNESS_STATEMENT: SECTION_B, CourtDocument.Section.NOTICE: SECTION_C,
    CourtDocument.Section.CONTEMPORANEOUS: SECTION_D,
}
SECTION_ORDER = list(CourtDocument.Section.values)
#: Words that can open a recorded place as it stands ("outside my home", "at the library").
PLACE_PREPOSITIONS = {"at", "in", "on", "outside", "near", "by", "opposite", "inside", "behind", "beside", "from",
                      "within", "along", "across"}
CHANNEL_SENTENCES = {
    "in_person": gettext_lazy("{subject} approached me in person"),
    "phone": gettext_lazy("{subject} telephoned me"),
    "email": gettext_lazy("I received an e-mail from {subject}"),
    "letter": gettext_lazy("I received a letter from {subject}"),
    "social_media": gettext_lazy("{subject} posted about me, or sent me messages, on social media"),
    "at_home": gettext_lazy("{subject} came to my home"),
    "surgery": gettext_lazy("{subject} came to my surgery"),
    "online_meeting": gettext_lazy("{subject} spoke to me in an online meeting"),
}
#: How a statement introduces an exhibit, by what it is; the template adds the page and the mark.
EXHIBIT_SENTENCES = {
    "email": gettext_lazy("A copy of the e-mail is at page"),
    "screenshot": gettext_lazy("A copy of the screenshot is at page"),
    "photograph": gettext_lazy("A copy of the photograph is at page"),
    "recording": gettext_lazy("A copy of the recording is at page"),
    "video": gettext_lazy("A copy of the video is at page"),
    "message": gettext_lazy("A copy of the message is at page"),
    "letter": gettext_lazy("A copy of the letter is at page"),
    "document": gettext_lazy("A copy of the document is at page"),
}


def act_label(action: CouncilAction | None) -> str:
    """The Act relied on, as a heading names it ("Protection from Harassment Act 1997")."""
    if action is None or not action.basis:
        return ""
    return re.sub(r"\s*\(CPR [^)]*\)$", "", str(action.get_basis_display()))


def claim_context(action: CouncilAction | None, council: str, defendant: str) -> dict[str, Any]:
    """The title of the proceedings: court, claim number, the parties by side and the Act, for every heading."""
    parties = list(action.parties) if action is not None and action.parties else [
        {"name": council, "role": "claimant"}, {"name": defendant, "role": "defendant"}]
    sides = []
    for roles in (("claimant", "applicant"), ("defendant", "respondent"), ("interested_party",)):
        for role in roles:
            names = [p["name"] for p in parties if p.get("role") == role]
            if names:
                label = str(PARTY_ROLES_PLURAL[role] if len(names) > 1 else PARTY_ROLES[role])
                sides.append({"label": label, "names": names, "role": role})
    claimant = next((s for s in sides if s["role"] in ("claimant", "applicant")), None)
    return {
        "court_title": court_title(action),
        "claim_number": Verbatim(action.claim_number) if action is not None and action.claim_number else "",
        "act": act_label(action),
        "sides": sides,
        "claimant_label": claimant["label"] if claimant else str(PARTY_ROLES["claimant"]),
    }


def _place(location: str) -> str:
    location = " ".join((location or "").split()).rstrip(".")
    if not location:
        return ""
    first = location.split()[0].lower()
    if first in PLACE_PREPOSITIONS:
        return _("This happened %(place)s.") % {"place": f"{location[0].lower()}{location[1:]}"}
    return _("This happened at %(place)s.") % {"place": location}


def _exhibit_noun(exhibit: Exhibit) -> str:
    """What the exhibit is, as a key of :data:`EXHIBIT_SENTENCES`."""
    kind = str(exhibit.content_type)
    text = f"{exhibit.description} {exhibit.original_name}".lower()
    if kind == "message/rfc822":
        return "email"
    if kind.startswith("image/"):
        return "screenshot" if "screenshot" in text or "screen shot" in text else "photograph"
    if kind.startswith("audio/"):
        return "recording"
    if kind.startswith("video/"):
        return "video"
    if kind == "text/plain":
        return "message"
    if "letter" in text:
        return "letter"
    return "document"


def _statement_paragraphs(witness: dict[str, Any], subject: str, basis: str, incidents: list[Incident],
                          exhibits_by_incident: dict[Any, list[Exhibit]], *, address: str,
                          further: bool = False) -> list[dict[str, Any]]:
    """The draft statement, one fact a paragraph, in the first person and the past tense.

    Each paragraph is ``{"text": str}`` or, introducing an exhibit, ``{"text", "exhibit": {"mark", "anchor"}}``:
    the template prints the page the exhibit starts on ("A copy of the e-mail is at page 12, exhibit AP/1")."""
    council = council_name()
    they = subject if subject and subject != _("Persons unknown") else _("the person responsible")
    values = {"name": witness["name"], "description": witness["description"], "council": council,
              "address": address, "subject": subject, "basis": basis}
    where = (_("I give the address of %(council)s, %(address)s, as my address for this statement.") if address else
             _("I give the address of %(council)s as my address for this statement.")) % values
    if further:
        support = (_("I make this further statement in support of %(council)s’s application for an injunction "
                     "against %(subject)s under the %(basis)s. It is about what has happened, or come to light, since "
                     "my statement in the bundle as served. I am not a party to the claim.") if basis else
                   _("I make this further statement in support of %(council)s’s application for an injunction "
                     "against %(subject)s. It is about what has happened, or come to light, since my statement in "
                     "the bundle as served. I am not a party to the claim.")) % values
    else:
        support = (_("I make this statement in support of %(council)s’s application for an injunction against "
                     "%(subject)s under the %(basis)s. I am not a party to the claim.") if basis else
                   _("I make this statement in support of %(council)s’s application for an injunction against "
                     "%(subject)s. I am not a party to the claim.")) % values
    paragraphs = [
        {"text": _("I am %(name)s, %(description)s.") % values + " " + where},
        {"text": support},
        {"text": _("The facts in this statement are within my own knowledge unless I say otherwise. Where they are "
                   "not, I say where they come from, and I believe them to be true.")},
    ]
    for incident in incidents:
        local = timezone.localtime(incident.occurred_at)
        sentence = str(CHANNEL_SENTENCES.get(incident.channel, gettext_lazy("{subject} contacted me"))).format(
            subject=they)
        paragraphs.append({"text": _("On %(weekday)s %(date)s at %(time)s, %(sentence)s.") % {
            "weekday": formats.date_format(local, "l"), "date": fmt_date(local), "time": f"{local:%H:%M}",
            "sentence": sentence}})
        place = _place(incident.location)
        if place:
            paragraphs.append({"text": place})
        account = " ".join(incident.account.split())
        own_report = (incident.reported_by_id is not None and incident.protected_person.user_id is not None
                      and incident.reported_by_id == incident.protected_person.user_id)
        if account:
            reported = {"date": fmt_date(incident.reported_at), "account": account, "council": council,
                        "officer": person(incident.reported_by) or _("a council officer")}
            if own_report:
                paragraphs.append({"text": _("When I reported it on %(date)s, I said: “%(account)s”") % reported})
            else:
                paragraphs.append({"text": _("It was reported to %(council)s on %(date)s by %(officer)s, who recorded "
                                             "this account: “%(account)s”") % reported})
        if incident.words_used:
            paragraphs.append({"text": _("The exact words used were: “%(words)s”") % {
                "words": " ".join(incident.words_used.split())}})
        if incident.witnesses:
            paragraphs.append({"text": _("Others saw or heard what happened: %(witnesses)s.") % {
                "witnesses": " ".join(incident.witnesses.split()).rstrip(".")}})
        if incident.immediate_danger:
            paragraphs.append({"text": _("I felt that I was in immediate danger.")})
        if incident.injury:
            paragraphs.append({"text": _("I was injured.")})
        if incident.police_already_informed:
            paragraphs.append({"text": _("I reported it to the police (reference %(reference)s).") % {
                "reference": incident.police_reference} if incident.police_reference else
                _("I reported it to the police.")})
        for exhibit in exhibits_by_incident.get(incident.pk, []):
            paragraphs.append({"text": str(EXHIBIT_SENTENCES[_exhibit_noun(exhibit)]), "exhibit": {
                "mark": exhibit.mark, "anchor": exhibit.anchor or f"exhibit-{exhibit.number}"}})
    paragraphs.append({"text": _("I support %(council)s’s application so that this conduct towards me stops.")
                       % values})
    return paragraphs


@dataclass
class Insert:
    """An uploaded PDF laid into the bundle page for page (a court document): one placeholder page each."""

    number: int
    document_id: str
    title: str
    pages: int
    sha256: str
    storage_name: str
    path: str = ""

    def page_anchor(self, index: int) -> str:
        return f"insert-{self.number}-page-{index}"


def _court_documents(case_ids: set[Any], *, exclude: set[str]) -> list[CourtDocument]:
    documents = CourtDocument.objects.filter(case_id__in=case_ids, withdrawn_at__isnull=True).select_related(
        "added_by").order_by("added_at", "id")
    return [d for d in documents if str(d.pk) not in exclude]


def _court_document_docs(documents: list[CourtDocument], inserts: list[Insert], claim: dict[str, Any],
                         council: str, subject: str, *, anchor_start: int, group_of: Any) -> list[Document]:
    docs = []
    for n, item in enumerate(documents, anchor_start):
        anchor = f"court-document-{n}"
        title = item.title + (f" ({fmt_date(item.document_date)})" if item.document_date else "")
        if item.file:
            insert = Insert(number=len(inserts) + 1, document_id=str(item.pk), title=item.title,
                            pages=item.page_count or 1, sha256=item.sha256, storage_name=item.file.name)
            inserts.append(insert)
            docs.append(Document(anchor=anchor, title=title, group=group_of(item),
                                 template=f"{TEMPLATE_DIR}/injunction/court/uploaded.html",
                                 context={"page_anchors": [insert.page_anchor(i) for i in range(insert.pages)]}))
        else:
            docs.append(Document(
                anchor=anchor, title=title, group=group_of(item),
                template=[f"{TEMPLATE_DIR}/injunction/court/{item.section}.html",
                          f"{TEMPLATE_DIR}/injunction/court/document.html"],
                context={"claim": claim, "council": council, "subject": subject, "title": item.title,
                         "section": str(item.get_section_display()), "date": fmt_date(item.document_date),
                         "paragraphs": [line.strip() for line in item.text.splitlines() if line.strip()]}))
    return docs


def _sort_key(item: CourtDocument) -> tuple[int, Any, str]:
    return (SECTION_ORDER.index(item.section), item.added_at, str(item.pk))


def _witnesses(incidents: list[Incident], election: Any, known: dict[str, Any], taken: set[str]
               ) -> dict[Any, dict[str, Any]]:
    """The people protected are the witnesses, in order of their first incident; their initials mark their
    exhibits. ``known``: witnesses of a served bundle (initials and exhibits so far), continued."""
    council = council_name()
    witnesses: dict[Any, dict[str, Any]] = {}
    for incident in incidents:
        key = incident.protected_person_id
        if key not in witnesses:
            protected = incident.protected_person
            before = known.get(str(key), {})
            witnesses[key] = {
                "name": protected.name,
                "initials": before.get("initials") or witness_initials(protected.name, taken),
                "exhibits_before": before.get("exhibits", 0), "statements_before": before.get("statements", 0),
                "incidents": [],
                "description": protected_description(protected, council=council, election=election)}
        witnesses[key]["incidents"].append(incident)
    return witnesses


def compose_injunction(bundle: Bundle) -> Composition:
    if bundle.supplement_of_id:
        return compose_supplement(bundle)
    incidents, scope_label, case = _injunction_incidents(bundle)
    if not incidents:
        raise CompositionError(_("There are no incidents in this bundle's scope."))
    subjects = {i.subject for i in incidents if i.subject_id}
    subject = subject_name(next(iter(subjects))) if len(subjects) == 1 else (
        "; ".join(sorted(subject_name(s) for s in subjects)) or _("Persons unknown"))
    cases = sorted({i.case.reference for i in incidents if i.case_id})
    case_ids = {i.case_id for i in incidents if i.case_id}
    action = (CouncilAction.objects.filter(case_id__in=case_ids, kind=CouncilAction.Kind.INJUNCTION)
              .order_by("-decided_at").first())
    basis = act_label(action)
    council = council_name()
    claim = claim_context(action, council, subject)
    election = next((i.election_period for i in reversed(incidents) if i.election_period_id), None)
    taken: set[str] = set()
    witnesses = _witnesses(incidents, election, {}, taken)
    exhibits, evidence, by_incident = _number_exhibits(witnesses, start=0)
    for witness in witnesses.values():
        witness["exhibits"] = [e for e in exhibits if e.witness == witness["name"]]
    exhibit_docs = exhibit_documents(exhibits, SECTION_B)

    court_documents = sorted(_court_documents(case_ids, exclude=set()), key=_sort_key)
    inserts: list[Insert] = []
    court_docs = _court_document_docs(court_documents, inserts, claim, council, subject, anchor_start=1,
                                      group_of=lambda d: SECTION_OF[d.section])
    today = fmt_date(bundle.requested_at)
    docs = [Document(
        anchor="cover", title=_("Cover sheet"), template=f"{TEMPLATE_DIR}/injunction/cover.html",
        context={"council": council, "subject": subject, "claim": claim,
                 "scope": scope_label if case is not None or not cases else
                 ngettext("%(scope)s (case %(cases)s)", "%(scope)s (cases %(cases)s)", len(cases)) % {
                     "scope": scope_label, "cases": ", ".join(cases)},
                 "prepared_by": person(bundle.requested_by), "prepared_on": today,
                 "incident_count": len(incidents), "exhibit_count": len(exhibits),
                 "witnesses": [w["name"] for w in witnesses.values()],
                 "protected": [{"name": w["name"], "description": w["description"]} for w in witnesses.values()],
                 "election": election_label(election)},
    )]
    docs += [d for d in court_docs if d.group == SECTION_A]
    docs += [d for d in court_docs if d.group == SECTION_B]
    docs += _statement_docs(witnesses, subject, basis, claim, by_incident, number_from=1, group=SECTION_B)
    docs += exhibit_docs
    docs += [d for d in court_docs if d.group == SECTION_C]
    docs += _contemporaneous(incidents, by_incident, [d for d in court_docs if d.group == SECTION_D],
                             court_documents, group=SECTION_D)
    docs.append(_chronology(incidents, by_incident, group=SECTION_E))
    docs.append(Document(anchor="manifest", title=_("Exhibit manifest (SHA-256)"),
                         template=f"{TEMPLATE_DIR}/manifest.html", context={"exhibits": exhibits}))
    composition = Composition(
        kind=bundle.kind,
        title=_("Injunction bundle: %(subject)s") % {"subject": subject} if len(cases) != 1 else
        _("Injunction bundle %(case)s") % {"case": cases[0]},
        documents=with_index(docs),
        exhibits=exhibits,
        evidence=evidence,
        redactions=requested_redactions(bundle, {i.protected_person_id for i in incidents}),
    )
    composition.inserts = inserts
    composition.contents = {
        "incidents": [str(i.pk) for i in incidents], "evidence": list(evidence),
        "court_documents": [str(d.pk) for d in court_documents],
        "witnesses": {str(k): {"initials": w["initials"], "exhibits": len(w["exhibits"]), "statements": 1}
                      for k, w in witnesses.items()},
        "initials": sorted(taken), "exhibits": len(exhibits), "incident_records": len(incidents),
        "statements": len(witnesses), "statement_docs": len(witnesses), "court_document_count": len(court_documents),
    }
    return composition


def _number_exhibits(witnesses: dict[Any, dict[str, Any]], *, start: int, only: set[str] | None = None
                     ) -> tuple[list[Exhibit], dict[str, Any], dict[Any, list[Exhibit]]]:
    """Exhibits numbered consecutively per witness ("CA/1", "CA/2"), continuing from a served bundle's."""
    exhibits: list[Exhibit] = []
    evidence = {}
    by_incident: dict[Any, list[Exhibit]] = {}
    for witness in witnesses.values():
        count = witness["exhibits_before"]
        for incident in witness["incidents"]:
            for item in sorted(incident.evidence.all(), key=lambda e: (e.uploaded_at, str(e.pk))):
                if only is not None and str(item.pk) not in only:
                    continue
                count += 1
                exhibit = make_exhibit(item, mark=f"{witness['initials']}/{count}", number=start + len(exhibits) + 1,
                                       witness=witness["name"], incident=incident)
                exhibits.append(exhibit)
                evidence[exhibit.evidence_id] = item
                by_incident.setdefault(incident.pk, []).append(exhibit)
        witness["exhibits_after"] = count
    return exhibits, evidence, by_incident


def _statement_docs(witnesses: dict[Any, dict[str, Any]], subject: str, basis: str, claim: dict[str, Any],
                    by_incident: dict[Any, list[Exhibit]], *, number_from: int, group: str,
                    further: dict[Any, list[Incident]] | None = None) -> list[Document]:
    """A draft statement per witness; ``further``: a supplement's, about each witness's new incidents (and the
    old incidents with new exhibits), numbered on from their first."""
    docs = []
    address = " ".join((app_settings.COUNCIL_ADDRESS or "").split())
    for n, (key, witness) in enumerate(witnesses.items(), number_from):
        incidents = further[key] if further is not None else witness["incidents"]
        marks = [e.mark for i in witness["incidents"] for e in by_incident.get(i.pk, [])]
        number = witness.get("statements_before", 0) + 1
        title = (_("Draft witness statement of %(name)s") % {"name": witness["name"]} if number == 1 else
                 _("Draft witness statement no. %(number)s of %(name)s") % {"number": number, "name": witness["name"]})
        docs.append(Document(
            anchor=f"statement-{n}", group=group, title=title,
            template=f"{TEMPLATE_DIR}/injunction/statement.html",
            context={"witness": witness["name"], "short_name": witness_short_name(witness["name"]),
                     "initials": witness["initials"], "council": council_name(), "subject": subject,
                     "claim": claim, "statement_number": number,
                     "exhibit_range": _("%(first)s to %(last)s") % {"first": marks[0], "last": marks[-1]}
                     if len(marks) > 1 else (marks[0] if marks else _("None")),
                     "paragraphs": _statement_paragraphs(witness, subject, basis, incidents, by_incident,
                                                         address=address, further=number > 1),
                     "statement_of_truth": str(STATEMENT_OF_TRUTH)},
        ))
    return docs


def _contemporaneous(incidents: list[Incident], by_incident: dict[Any, list[Exhibit]], uploaded: list[Document],
                     documents: list[CourtDocument], *, group: str, number_from: int = 1) -> list[Document]:
    """The incident records and the uploaded contemporaneous documents, together in date order."""
    dated: list[tuple[Any, int, Document]] = []
    for n, incident in enumerate(incidents, number_from):
        dated.append((timezone.localtime(incident.occurred_at).date(), 0, Document(
            anchor=f"incident-{n}", group=group, title=_("Incident record %(reference)s (%(date)s)") % {
                "reference": incident.reference, "date": fmt_date(incident.occurred_at)},
            template=f"{TEMPLATE_DIR}/incident.html",
            context={"incident": incident_context(incident, [e.mark for e in by_incident.get(incident.pk, [])])})))
    by_title = {d.anchor: d for d in uploaded}
    contemporaneous = [d for d in documents if d.section == CourtDocument.Section.CONTEMPORANEOUS]
    for doc, item in zip(by_title.values(), contemporaneous, strict=False):
        dated.append((item.document_date or dt.date.min, 1, doc))
    return [doc for _, _, doc in sorted(dated, key=lambda row: (row[0], row[1]))]


def _chronology(incidents: list[Incident], by_incident: dict[Any, list[Exhibit]], *, group: str,
                number_from: int = 1, title: str = "") -> Document:
    title = title or _("Chronology of incidents")
    return Document(
        anchor="chronology" if number_from == 1 else f"chronology-{number_from}", group=group, title=title,
        template=f"{TEMPLATE_DIR}/injunction/chronology.html",
        context={"title": title, "rows": [{
            "occurred_at": fmt_datetime(i.occurred_at), "reference": Verbatim(i.reference),
            "anchor": f"incident-{n}", "protected_person": protected_name(i), "channel": str(i.get_channel_display()),
            "summary": i.account if len(i.account) <= 300 else i.account[:297].rstrip() + "...",
            "exhibits": [e.mark for e in by_incident.get(i.pk, [])],
        } for n, i in enumerate(incidents, number_from)]},
    )


def supplement_news(bundle: Bundle, user: Any) -> tuple[list[Incident], list[str], list[CourtDocument]]:
    """What a supplement to ``bundle`` (a served injunction bundle) would add: incidents, evidence and court
    documents in its scope that it does not hold."""
    contents = bundle.contents or {}
    incidents = incidents_for_bundle(incidents_visible_to(user).filter(case_id=bundle.case_id))
    held_incidents = set(contents.get("incidents", []))
    held_evidence = set(contents.get("evidence", []))
    new_incidents = [i for i in incidents if str(i.pk) not in held_incidents]
    new_evidence = [str(e.pk) for i in incidents for e in i.evidence.all() if str(e.pk) not in held_evidence]
    documents = sorted(_court_documents({bundle.case_id}, exclude=set(contents.get("court_documents", []))),
                       key=_sort_key)
    return new_incidents, new_evidence, documents


def compose_supplement(bundle: Bundle) -> Composition:
    """The supplementary section: what was added since ``bundle.supplement_of`` was served, paginated on from its
    last page, opening with the index of the whole bundle (the served part's pages, then the new ones)."""
    served = bundle.supplement_of
    contents = served.contents or {}
    try:
        case = case_get(bundle.requested_by, bundle.scope["case"])
    except Exception as exc:
        raise CompositionError(_("The requester can no longer see what this bundle covers.")) from exc
    new_incidents, new_evidence, documents = supplement_news(served, bundle.requested_by)
    if not (new_incidents or new_evidence or documents):
        raise CompositionError(_("Nothing has been added since the bundle was served."))
    all_incidents = incidents_for_bundle(incidents_visible_to(bundle.requested_by).filter(case=case))
    subjects = {i.subject for i in all_incidents if i.subject_id}
    subject = subject_name(next(iter(subjects))) if len(subjects) == 1 else (
        "; ".join(sorted(subject_name(s) for s in subjects)) or _("Persons unknown"))
    action = (CouncilAction.objects.filter(case=case, kind=CouncilAction.Kind.INJUNCTION)
              .order_by("-decided_at").first())
    council = council_name()
    claim = claim_context(action, council, subject)
    election = next((i.election_period for i in reversed(all_incidents) if i.election_period_id), None)
    taken = set(contents.get("initials", []))
    # Witnesses with something new: a new incident, or new evidence on an old one.
    with_new = [i for i in all_incidents if i in new_incidents or any(str(e.pk) in new_evidence
                                                                        for e in i.evidence.all())]
    witnesses = _witnesses(with_new, election, contents.get("witnesses", {}), taken)
    exhibits, evidence, by_incident = _number_exhibits(witnesses, start=contents.get("exhibits", 0),
                                                       only=set(new_evidence))
    group = SUPPLEMENT
    inserts: list[Insert] = []
    court_docs = _court_document_docs(documents, inserts, claim, council, subject,
                                      anchor_start=contents.get("court_document_count", 0) + 1,
                                      group_of=lambda d: group)
    docs: list[Document] = []
    docs += [d for d, item in zip(court_docs, documents, strict=True)
             if item.section != CourtDocument.Section.CONTEMPORANEOUS]
    exhibit_docs = exhibit_documents(exhibits, group)
    statements_before = contents.get("statement_docs", len(contents.get("witnesses", {})))
    docs += _statement_docs(witnesses, subject, act_label(action), claim, by_incident,
                            number_from=statements_before + 1, group=group,
                            further={k: w["incidents"] for k, w in witnesses.items()})
    docs += exhibit_docs
    number_from = contents.get("incident_records", 0) + 1
    docs += _contemporaneous(new_incidents, by_incident,
                             [d for d, item in zip(court_docs, documents, strict=True)
                              if item.section == CourtDocument.Section.CONTEMPORANEOUS],
                             documents, group=group, number_from=number_from)
    if new_incidents:
        docs.append(_chronology(new_incidents, by_incident, group=group, number_from=number_from,
                                title=_("Chronology: incidents added")))
    served_pages = contents.get("pages", served.page_count or 0)
    index = Document(anchor="supplement-index", group="", title=_("Index, with the supplementary section"),
                     template=f"{TEMPLATE_DIR}/injunction/supplement_index.html",
                     context={"served": contents.get("index", []), "served_pages": served_pages,
                              "served_sha256": Verbatim(served.sha256), "served_id": Verbatim(str(served.pk)),
                              "entries": [{"anchor": d.anchor, "title": d.title} for d in docs]})
    for doc in docs:  # the supplement's documents, one group in the bookmarks and the index
        doc.group = group
    composition = Composition(
        kind=bundle.kind, title=_("Injunction bundle %(case)s: supplementary section") % {"case": case.reference},
        documents=[index, *docs], exhibits=exhibits, evidence=evidence,
        redactions=requested_redactions(bundle, {i.protected_person_id for i in all_incidents}),
    )
    composition.inserts = inserts
    composition.page_offset = served_pages
    merged_witnesses = dict(contents.get("witnesses", {}))
    for key, witness in witnesses.items():
        merged_witnesses[str(key)] = {"initials": witness["initials"], "exhibits": witness["exhibits_after"],
                                      "statements": witness["statements_before"] + 1}
    composition.contents = {
        "incidents": [*contents.get("incidents", []), *(str(i.pk) for i in new_incidents)],
        "evidence": [*contents.get("evidence", []), *evidence],
        "court_documents": [*contents.get("court_documents", []), *(str(d.pk) for d in documents)],
        "witnesses": merged_witnesses, "initials": sorted(taken),
        "exhibits": contents.get("exhibits", 0) + len(exhibits),
        "incident_records": contents.get("incident_records", 0) + len(new_incidents),
        "statements": contents.get("statements", 0),
        "statement_docs": statements_before + len(witnesses),
        "court_document_count": contents.get("court_document_count", 0) + len(documents),
    }
    return composition


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
        Document(anchor="assessment", title=_("Threat assessment"),
                 template=f"{TEMPLATE_DIR}/police/assessment.html",
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
