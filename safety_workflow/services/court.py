"""The court and claim details of a case's injunction, and the documents the legal team adds to its bundle."""

from __future__ import annotations

import hashlib
import re
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..conf import app_settings
from ..errors import Conflict, InvalidInput, PayloadTooLarge
from ..models import Case, CouncilAction, CourtDocument
from .audit import timeline_record

PARTY_ROLES = {
    "claimant": gettext_lazy("Claimant"), "defendant": gettext_lazy("Defendant"),
    "applicant": gettext_lazy("Applicant"), "respondent": gettext_lazy("Respondent"),
    "interested_party": gettext_lazy("Interested party"),
}
#: Each role's label for two or more parties.
PARTY_ROLES_PLURAL = {
    "claimant": gettext_lazy("Claimants"), "defendant": gettext_lazy("Defendants"),
    "applicant": gettext_lazy("Applicants"), "respondent": gettext_lazy("Respondents"),
    "interested_party": gettext_lazy("Interested parties"),
}
#: A County Court claim number ("K00NT123", "J2QZ1A7B"): letters and digits, at least one of each.
COUNTY_CLAIM = re.compile(r"^(?=[A-Z0-9]*[A-Z])(?=[A-Z0-9]*\d)[A-Z0-9]{6,10}$")
#: A High Court claim number: "KB-2026-001234" (since 2022; "QB-2021-..." before), or the older "HQ21X01234".
HIGH_COURT_CLAIM = re.compile(r"^(?:(?:KB|QB)-\d{4}-\d{6}|[A-Z]{2}\d{2}[A-Z]\d{5})$")
#: A hearing centre typed with the court's own words in front ("County Court at Northshire"): the cover prints
#: those words itself.
COURT_PREFIX = re.compile(r"^\s*(?:in\s+)?(?:the\s+)?(?:county\s+court|high\s+court(?:\s+of\s+justice)?)\s+"
                          r"(?:at|in|sitting\s+at)\s+", re.I)


def current_injunction(case: Case) -> CouncilAction:
    """The injunction decided on the case (the latest); ``no_injunction`` (409) when there is none."""
    action = (case.council_actions.filter(kind=CouncilAction.Kind.INJUNCTION).order_by("-decided_at").first())
    if action is None:
        raise Conflict(_("No injunction has been decided on this case: record the council action first."),
                       code="no_injunction")
    return action


def clean_hearing_centre(value: str) -> str:
    return " ".join(COURT_PREFIX.sub("", value or "").split())


def court_claim_update(*, case: Case, user: Any, data: dict[str, Any]) -> CouncilAction:
    """Set the court, hearing centre, claim number, parties and the Act relied on; validated together."""
    with transaction.atomic():
        action = current_injunction(case)
        action = CouncilAction.objects.select_for_update().get(pk=action.pk)
        errors: dict[str, list[str]] = {}
        court = data["court"]
        centre = clean_hearing_centre(data.get("hearing_centre", ""))
        if len(centre) < 2:
            errors["hearing_centre"] = [_("Name the hearing centre (\"Northshire\"), or for the High Court the "
                                          "district registry or \"Royal Courts of Justice\".")]
        claim = "".join((data.get("claim_number") or "").upper().split())
        if claim:
            pattern = HIGH_COURT_CLAIM if court == CouncilAction.Court.HIGH_COURT_KB else COUNTY_CLAIM
            if not pattern.match(claim):
                errors["claim_number"] = [
                    _("A High Court claim number looks like KB-2026-001234.")
                    if court == CouncilAction.Court.HIGH_COURT_KB
                    else _("A County Court claim number is 6 to 10 letters and digits, like K00NT123.")]
        parties = []
        for n, party in enumerate(data.get("parties") or []):
            name = " ".join(str(party.get("name", "")).split())
            if not name:
                errors.setdefault("parties", []).append(_("Party %(number)s has no name.") % {"number": n + 1})
            parties.append({"name": name, "role": party["role"]})
        if parties:
            roles = {p["role"] for p in parties}
            if not roles & {"claimant", "applicant"} or not roles & {"defendant", "respondent"}:
                errors.setdefault("parties", []).append(
                    _("Name at least one claimant (or applicant) and one defendant (or respondent)."))
        if errors:
            raise InvalidInput(errors=errors)
        action.court_kind = court
        action.hearing_centre = centre
        action.claim_number = claim
        action.parties = parties
        if data.get("act"):
            action.basis = data["act"]
        action.save(update_fields=["court_kind", "hearing_centre", "claim_number", "parties", "basis"])
        timeline_record(case=case, actor=user, action="court_details",
                        summary=f"Court details: {court_title(action)}, claim no. {claim or 'not yet issued'}.",
                        data={"claim_number": claim, "court": court})
    return action


def court_title(action: CouncilAction | None) -> str:
    """"In the County Court at Northshire", "In the High Court of Justice, King's Bench Division, Leeds District
    Registry"; from the free text of an older record if that is all there is."""
    if action is None:
        return ""
    centre = action.hearing_centre or clean_hearing_centre(action.court)
    if action.court_kind == CouncilAction.Court.HIGH_COURT_KB:
        return (_("In the High Court of Justice, King’s Bench Division, %(centre)s") % {"centre": centre} if centre
                else _("In the High Court of Justice, King’s Bench Division"))
    return _("In the County Court at %(centre)s") % {"centre": centre} if centre else ""


def court_document_add(*, case: Case, user: Any, section: str, title: str, document_date: Any = None,
                       text: str = "", upload: IO[bytes] | None = None, size: int = 0) -> CourtDocument:
    """Add a document to the case's injunction bundle: an uploaded PDF (checked to be one pypdf reads), or,
    without a file, one generated from the section's template with ``text`` as its body."""
    current_injunction(case)
    errors: dict[str, list[str]] = {}
    if section == CourtDocument.Section.CONTEMPORANEOUS and document_date is None:
        errors["document_date"] = [
            _("A contemporaneous document needs its date: the bundle puts them in date order.")]
    if upload is None and section in (CourtDocument.Section.WITNESS_STATEMENT,
                                      CourtDocument.Section.CONTEMPORANEOUS) :
        errors["file"] = [_("Upload the document as a PDF (only court forms and orders are generated).")]
    if errors:
        raise InvalidInput(errors=errors)
    document = CourtDocument(case=case, section=section, title=" ".join(title.split()), document_date=document_date,
                             text=text, added_by=user)
    if upload is not None:
        if size > app_settings.EVIDENCE_MAX_BYTES:
            raise PayloadTooLarge(_("Files may be up to %(size)s MB.")
                                  % {"size": app_settings.EVIDENCE_MAX_BYTES // (1024 * 1024)})
        pages = _pdf_pages(upload)
        digest = hashlib.sha256()
        upload.seek(0)
        for chunk in iter(lambda: upload.read(1024 * 1024), b""):
            digest.update(chunk)
        upload.seek(0)
        document.sha256, document.size, document.page_count = digest.hexdigest(), size, pages
    with transaction.atomic():
        if upload is not None:
            from django.core.files import File

            document.file.save(f"{document.id}.pdf", File(upload), save=False)
        document.save()
        timeline_record(case=case, actor=user, action="court_document_added",
                        summary=f"{document.get_section_display()} added to the court bundle: {document.title}.",
                        data={"court_document": str(document.pk), "sha256": document.sha256})
    return document


def _pdf_pages(upload: IO[bytes]) -> int:
    from ..bundles.assemble import AssemblyError, count_pages

    upload.seek(0)
    if upload.read(5) != b"%PDF-":
        raise InvalidInput(_("The file is not a PDF."), code="unreadable_pdf", errors={"file": [_("Upload a PDF.")]})
    upload.seek(0)
    try:
        pages = len(count_pages(upload))
    except AssemblyError as exc:
        raise InvalidInput(_("The PDF cannot be read (%(why)s).") % {"why": exc}, code="unreadable_pdf",
                           errors={"file": [_("The PDF cannot be read: save it again as a PDF and upload that.")]}
                           ) from exc
    upload.seek(0)
    return pages
