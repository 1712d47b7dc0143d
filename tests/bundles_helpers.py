"""Helpers for the bundle tests: evidence files, small PDFs and images made on the fly, case history."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re

from django.core.files.base import ContentFile
from django.utils import timezone

from safety_workflow.models import (
    Assessment,
    Case,
    CouncilAction,
    DecisionTable,
    EvidenceFile,
    Incident,
    PoliceReferral,
    Route,
)

from .factories import make_case_with_incidents


def pdf_bytes(pages: list[tuple[float, float, int, str]]) -> bytes:
    """A small valid PDF: one page per (width, height, rotation, text), the text in Helvetica."""
    objects: list[bytes] = []
    kids = []
    font = 3
    first_page = 4
    for n, (width, height, rotate, text) in enumerate(pages):
        page_num = first_page + 2 * n
        kids.append(page_num)
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 14 Tf 60 {height / 2:.0f} Td ({escaped}) Tj ET".encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Rotate {rotate} "
            f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {page_num + 1} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    head = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    body = head + objects
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for num, obj in enumerate(body, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (num, obj))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(body) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(body) + 1, xref))
    return out.getvalue()


def image_bytes(width: int, height: int, fmt: str = "PNG", colour: str = "#3366aa") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, fmt)
    return out.getvalue()


def add_evidence(incident: Incident, *, name: str, content: bytes, content_type: str, uploaded_by,
                 description: str = "") -> EvidenceFile:
    item = EvidenceFile(incident=incident, original_name=name, content_type=content_type, size=len(content),
                        sha256=hashlib.sha256(content).hexdigest(), description=description,
                        uploaded_by=uploaded_by)
    item.file.save(name, ContentFile(content), save=False)
    item.save()
    return item


def route_to_council_action(case: Case, *, assessor, table: DecisionTable, level: str = "medium") -> Assessment:
    assessment = Assessment.objects.create(
        case=case, decision_table=table, answers={}, computed_level=level, level=level,
        route=Route.COUNCIL_ACTION, assessed_by=assessor,
    )
    assessment.incidents.set(case.incidents.all())
    case.level, case.route = level, Route.COUNCIL_ACTION
    case.save(update_fields=["level", "route"])
    return assessment


def injunction_case(people, table, *, count: int = 3, subject=None, start=None) -> Case:
    case = make_case_with_incidents(councillor=people.councillor, subject=subject, count=count, level="medium",
                                    start=start or timezone.now() - dt.timedelta(days=60))
    route_to_council_action(case, assessor=people.safety, table=table)
    CouncilAction.objects.create(case=case, kind=CouncilAction.Kind.INJUNCTION, reason="Repeated abuse",
                                 decided_by=people.legal, basis=CouncilAction.Basis.PHA_1997)
    return case


def refer_to_police(case: Case, *, contact, incidents=None, crime_reference: str = "") -> PoliceReferral:
    referral = PoliceReferral.objects.create(case=case, contact=contact, reason="Assessed as serious.",
                                             crime_reference=crime_reference)
    referral.incidents.set(incidents if incidents is not None else case.incidents.all())
    return referral


def page_texts(reader) -> list[str]:
    return [page.extract_text() or "" for page in reader.pages]


STAMP = re.compile(r"Page (\d+) of (\d+)")


BOOKMARK_PAGE = re.compile(r"^(.*) \(p\. (\d+)\)$", re.S)


def outline_entries(reader) -> list[tuple[str, int, int]]:
    """(title, 1-based page, depth) of every bookmark, in order; each bookmark's "(p. N)" is checked against the
    page it points at, and left out of the title."""
    found = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                page = reader.get_destination_page_number(item) + 1
                match = BOOKMARK_PAGE.match(item.title)
                assert match and int(match[2]) == page, (item.title, page)
                found.append((match[1], page, depth))

    walk(reader.outline, 0)
    return found


def link_targets(reader, page_index: int) -> list[int]:
    """The 1-based pages that the link annotations of a page point to."""
    targets = []
    for annot in reader.pages[page_index].get("/Annots", []) or []:
        annot = annot.get_object()
        if annot.get("/Subtype") == "/Link":
            dest = annot["/Dest"]
            targets.append(reader.get_page_number(dest[0].get_object()) + 1)
    return targets
