"""The court bundle a lawyer files without retyping it (issue 14), through the API and opened with pypdf.

Court and claim details as validated fields, the court's documents uploaded or generated, the bundle in the order
of CPR PD32 para 27, bookmarks that give their page, a natural draft witness statement, a supplementary section
appended to the served file (its bytes unchanged), and layout no content can break: every bundle kind rendered with
hostile and long content (a 50,000-character unbroken string, a 300-row chronology), every page's text extracting,
nothing outside the page box, and bookmarks, index and printed page numbers agreeing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re

import pytest
from django.utils import timezone

from safety_workflow.models import Bundle, CouncilAction, CourtDocument, Incident, PriorityAddressFlag

from .bundles_helpers import STAMP, add_evidence, image_bytes, injunction_case, pdf_bytes, refer_to_police
from .factories import SubjectFactory, person_for

pytest.importorskip("weasyprint")
from pypdf import PdfReader  # noqa: E402

LONG = "X" * 50_000
HOSTILE = ('<script>alert(1)</script> <img src="file:///etc/passwd"> {{ secret }} {% now "Y" %} '
           "\u202eevil\u202c \u200b & < > \" ' " + "W" * 400)
BOOKMARK = re.compile(r"^(?P<title>.*) \(p\. (?P<page>\d+)\)$", re.S)


def _request(client, capture, body, url="/api/safety/bundles/"):
    with capture(execute=True):
        response = client.post(url, body, format="json")
    assert response.status_code == 202, response.content
    bundle = Bundle.objects.get(pk=response.json()["id"])
    assert bundle.status == Bundle.Status.READY, (bundle.error, bundle.log[-3:])
    return bundle


def _download(client, bundle) -> bytes:
    response = client.get(f"/api/safety/bundles/{bundle.pk}/download/")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    if os.environ.get("SW_KEEP_PDF"):  # to look at the pages: SW_KEEP_PDF=/tmp/folder
        name = f"{bundle.kind}{'-supplement' if bundle.supplement_of_id else ''}-{bundle.page_count}.pdf"
        with open(os.path.join(os.environ["SW_KEEP_PDF"], name), "wb") as out:
            out.write(data)
    return data


def _outline(reader) -> list[tuple[str, int, int]]:
    found = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((item.title, reader.get_destination_page_number(item) + 1, depth))

    walk(reader.outline, 0)
    return found


def _flat(text: str) -> str:
    return " ".join(text.split())


def check_pages(data: bytes, served: int = 0) -> tuple[PdfReader, list[str]]:
    """Every page's text extracts and carries its stamp; no text is placed outside its page; the bookmarks give
    the page they point at ("Title (p. N)"), which is the page stamped N. Returns the reader and the texts."""
    reader = PdfReader(io.BytesIO(data), strict=True)
    texts = []
    total = len(reader.pages)
    for number, page in enumerate(reader.pages, 1):
        box = page.mediabox
        width, height = float(box.width), float(box.height)
        outside = []

        def visit(text, cm, tm, font, size, outside=outside, width=width, height=height):
            if not text.strip():
                return
            if list(cm) == [1, 0, 0, 1, 0, 0] and not STAMP.search(text):
                # Text of a form XObject (an inline SVG chart): pypdf gives it in the form's own space, not the
                # page's. The chart's numbers are also in the table under it, which is checked.
                return
            # Where the run starts, in user space; and a lower bound of where it ends (0.4 em a character).
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            scale = abs(tm[0] * cm[0] + tm[1] * cm[2]) or 1
            end = x + len(text.strip()) * size * 0.4 * scale
            if not (-2 <= x <= width + 2 and -2 <= y <= height + 2) or end > width + 40:
                outside.append((text[:40], round(x), round(y), round(end)))

        text = page.extract_text(visitor_text=visit) or ""
        assert text.strip(), f"page {number} has no text"
        # The pages of a served bundle keep their stamps ("of <served>"): a supplement's say "of <total>".
        of = served if number <= served else total
        assert STAMP.findall(text)[-1] == (str(number), str(of)), (number, text[-80:])
        assert not outside, (number, outside[:3])
        texts.append(text)
    for title, page, _ in _outline(reader):
        match = BOOKMARK.match(title)
        assert match, title
        assert int(match["page"]) == page, title
    return reader, texts


def check_index(reader, texts: list[str], index_title: str = "Index") -> dict[str, int]:
    """The index prints, for every document, the page its bookmark gives; each entry links to that page."""
    outline = _outline(reader)
    marks = {BOOKMARK.match(t)["title"]: p for t, p, depth in outline}
    groups = {BOOKMARK.match(t)["title"] for n, (t, p, depth) in enumerate(outline[:-1]) if outline[n + 1][2] > depth}
    index_page = marks[index_title]
    following = min((p for p in marks.values() if p > index_page), default=len(texts) + 1)
    pages = list(range(index_page, following))
    index_text = _flat(" ".join(texts[p - 1] for p in pages))
    linked = set()
    for p in pages:
        for annot in reader.pages[p - 1].get("/Annots", []) or []:
            annot = annot.get_object()
            if annot.get("/Subtype") == "/Link":
                linked.add(reader.get_page_number(annot["/Dest"][0].get_object()) + 1)
    for title, page in marks.items():
        if len(title) < 120 and title not in groups:
            assert re.search(re.escape(_flat(title)) + r"\s+" + str(page) + r"\b", index_text), (title, page)
    return marks


@pytest.fixture
def claim(people, decision_table):
    subject = SubjectFactory(full_name="Gary Hostile")
    case = injunction_case(people, decision_table, count=3, subject=subject)
    first, second, third = case.incidents.order_by("occurred_at")
    first.location = "Outside my home"
    first.channel = Incident.Channel.AT_HOME
    first.words_used = "You'll regret this"
    first.immediate_danger = True
    first.subject_details = {"name": "Gary Hostile", "description": "Tall, grey coat"}
    first.save()
    add_evidence(second, name="message.eml", content_type="message/rfc822", uploaded_by=people.members,
                 content=b"From: gary@example.com\r\nTo: cllr@council.example\r\nSubject: vote\r\n\r\n"
                         b"You will pay.\r\n",
                 description="E-mail of 3 March")
    add_evidence(third, name="post.png", content=image_bytes(800, 500), content_type="image/png",
                 uploaded_by=people.members, description="Screenshot of the post")
    return case


@pytest.mark.django_db
def test_court_details_are_validated_fields_and_the_high_court_is_possible(people, claim, client_for):
    client = client_for(people.legal)
    url = f"/api/safety/cases/{claim.pk}/court-claim/"
    assert client.get(url).json()["court"] == ""
    refused = client.put(url, {"court": "high_court_kb", "hearing_centre": "Leeds District Registry",
                               "claim_number": "K00NT123", "parties": [{"name": "Northshire Council",
                                                                        "role": "claimant"}]}, format="json")
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"claim_number", "parties"}
    response = client.put(url, {"court": "county_court", "hearing_centre": "County Court at Northshire",
                                "claim_number": "k00nt123", "act": "asb_2014",
                                "parties": [{"name": "Northshire Council", "role": "claimant"},
                                            {"name": "Gary Hostile", "role": "defendant"}]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["hearing_centre"] == "Northshire"
    assert response.json()["claim_number"] == "K00NT123"
    assert response.json()["act"] == "asb_2014"
    high = client.put(url, {"court": "high_court_kb", "hearing_centre": "Royal Courts of Justice",
                            "claim_number": "KB-2026-001234"}, format="json")
    assert high.status_code == 200
    action = CouncilAction.objects.get(case=claim)
    assert (action.court_kind, action.claim_number, action.parties) == ("high_court_kb", "KB-2026-001234", [])
    # Only the legal team and the monitoring officer; a case without an injunction has no claim.
    assert client_for(people.members).get(url).status_code == 403
    action.kind = CouncilAction.Kind.WARNING_LETTER
    action.save()
    assert client.get(url).json()["code"] == "no_injunction"


@pytest.mark.django_db
def test_court_documents_uploaded_or_generated_and_an_unreadable_pdf_refused(people, claim, client_for):
    client = client_for(people.legal)
    url = f"/api/safety/cases/{claim.pk}/court-documents/"
    bad = client.post(url, {"section": "claim_form", "title": "Claim form",
                            "file": io.BytesIO(b"%PDF-1.4 nothing here")}, format="multipart")
    assert (bad.status_code, bad.json()["code"]) == (400, "unreadable_pdf")
    not_pdf = client.post(url, {"section": "claim_form", "title": "Claim form",
                                "file": io.BytesIO(b"just words")}, format="multipart")
    assert not_pdf.json()["code"] == "unreadable_pdf"
    undated = client.post(url, {"section": "contemporaneous", "title": "Letter",
                                "file": io.BytesIO(pdf_bytes([(595, 842, 0, "x")]))}, format="multipart")
    assert undated.status_code == 400 and "document_date" in undated.json()["errors"]
    upload = io.BytesIO(pdf_bytes([(595, 842, 0, "CLAIM FORM N1"), (595, 842, 0, "Particulars")]))
    upload.name = "claim.pdf"
    added = client.post(url, {"section": "claim_form", "title": "Claim form", "file": upload}, format="multipart")
    assert added.status_code == 201, added.content
    assert (added.json()["page_count"], added.json()["generated"]) == (2, False)
    generated = client.post(url, {"section": "draft_order", "title": "Draft order",
                                  "text": "The Defendant must not contact the Claimant's councillors."},
                            format="multipart")
    assert generated.json()["generated"] is True
    listed = client.get(url).json()["results"]
    assert [d["title"] for d in listed] == ["Claim form", "Draft order"]
    assert client_for(people.members).get(url).status_code == 403


def _claim_details(client, case):
    response = client.put(f"/api/safety/cases/{case.pk}/court-claim/", {
        "court": "county_court", "hearing_centre": "Northshire", "claim_number": "K00NT123",
        "parties": [{"name": "Northshire District Council", "role": "claimant"},
                    {"name": "Gary Hostile", "role": "defendant"}]}, format="json")
    assert response.status_code == 200, response.content


def _upload(client, case, section, title, pages, date=None):
    upload = io.BytesIO(pdf_bytes([(595, 842, 0, text) for text in pages]))
    upload.name = "doc.pdf"
    body = {"section": section, "title": title, "file": upload}
    if date:
        body["document_date"] = date
    response = client.post(f"/api/safety/cases/{case.pk}/court-documents/", body, format="multipart")
    assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_injunction_bundle_in_pd32_order_with_pages_in_bookmarks_and_a_natural_statement(
        people, claim, client_for, django_capture_on_commit_callbacks, settings):
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "COUNCIL_NAME": "Northshire District Council",
                                "COUNCIL_ADDRESS": "Council Offices, 1 Market Street, Northtown NT1 1AA"}
    client = client_for(people.legal)
    _claim_details(client, claim)
    _upload(client, claim, "application_notice", "Application notice (N16A)", ["APPLICATION NOTICE N16A"])
    _upload(client, claim, "claim_form", "Claim form (N1)", ["CLAIM FORM N1", "Particulars of claim"])
    client.post(f"/api/safety/cases/{claim.pk}/court-documents/", {
        "section": "draft_order", "title": "Draft order", "text": "The Defendant must not contact the councillor."},
        format="multipart")
    _upload(client, claim, "notice", "Hearsay notice", ["NOTICE OF HEARSAY EVIDENCE"])
    first_date = timezone.localtime(claim.incidents.order_by("occurred_at").first().occurred_at).date()
    _upload(client, claim, "contemporaneous", "Letter from the defendant", ["LETTER FROM THE DEFENDANT"],
            date=(first_date + dt.timedelta(days=1)).isoformat())
    bundle = _request(client, django_capture_on_commit_callbacks, {"kind": "injunction", "scope": {"case": claim.pk}})
    reader, texts = check_pages(_download(client, bundle))
    marks = check_index(reader, texts)

    outline = [(BOOKMARK.match(t)["title"], p, depth) for t, p, depth in _outline(reader)]
    top = [t for t, _, depth in outline if depth == 0]
    assert top == ["Cover sheet", "Index",
                   "A. Statements of case, claim form, application notice and draft order",
                   "B. Witness statements and their exhibits", "C. Notices",
                   "D. Contemporaneous documents, in date order", "E. Chronology", "Exhibit manifest (SHA-256)"]
    order = [t for t, _, depth in outline if depth == 1]
    # Statements of case and the claim form before the application notice and the draft order (PD32 27).
    assert order[:3] == ["Claim form (N1)", "Application notice (N16A)", "Draft order"]
    assert order[3] == "Draft witness statement of Cllr Ahmed"
    # Contemporaneous documents in date order: the letter (a day after the first incident) comes second.
    section_d = [t for t in order if t.startswith(("Incident record", "Letter"))]
    assert section_d[1].startswith("Letter from the defendant")
    # The uploaded PDFs' own pages are the bundle's pages, numbered on.
    assert "CLAIM FORM N1" in texts[marks["Claim form (N1)"] - 1]
    assert "Particulars of claim" in texts[marks["Claim form (N1)"]]
    assert "LETTER FROM THE DEFENDANT" in texts[marks[section_d[1]] - 1]
    assert "must not contact the councillor" in texts[marks["Draft order"] - 1]

    cover = _flat(texts[0])
    assert "IN THE COUNTY COURT AT NORTHSHIRE" in cover
    assert "COUNTY COURT AT COUNTY COURT" not in cover.upper()
    assert "Claim No. K00NT123" in cover
    assert "NORTHSHIRE DISTRICT COUNCIL Claimant" in cover and "GARY HOSTILE Defendant" in cover
    assert "IN THE MATTER OF THE PROTECTION FROM HARASSMENT ACT 1997" in cover
    assert cover.count(claim.reference) == 1  # not "Case X: case X"

    statement_page = marks["Draft witness statement of Cllr Ahmed"]
    statement = _flat(" ".join(texts[statement_page - 1:statement_page + 2]))
    assert "Council Offices, 1 Market Street, Northtown NT1 1AA" in statement  # the work address (PD32 18.1)
    assert "an elected member of Northshire District Council" in statement
    assert re.search(r"On \w+day \d+ \w+ 20\d\d at \d\d:\d\d, Gary Hostile came to my home\.", statement)
    assert "This happened outside my home." in statement
    assert "at the councillor's home" not in statement and "in these words" not in statement
    assert "I felt that I was in immediate danger." in statement
    email_page = marks["Exhibit A/1: E-mail of 3 March"]
    assert f"A copy of the e-mail is at page {email_page}, exhibit A/1." in statement
    assert "A copy of the screenshot is at page" in statement
    assert "proceedings for contempt of court may be brought against anyone who makes" in statement
    assert "On behalf of: Claimant" in statement and "Witness: Ahmed" in statement
    incident_page = marks[next(t for t in marks if t.startswith("Incident record"))]
    record = _flat(texts[incident_page - 1])
    assert record.count("Subject") == 1 and "Gary Hostile" in record and "Tall, grey coat" in record


@pytest.mark.django_db
def test_a_supplement_continues_the_pages_and_leaves_the_served_bytes_unchanged(
        people, claim, client_for, django_capture_on_commit_callbacks):
    client = client_for(people.legal)
    _claim_details(client, claim)
    served = _request(client, django_capture_on_commit_callbacks, {"kind": "injunction", "scope": {"case": claim.pk}})
    served_bytes = _download(client, served)
    nothing = client.post(f"/api/safety/bundles/{served.pk}/supplement/", {}, format="json")
    assert (nothing.status_code, nothing.json()["code"]) == (409, "nothing_to_supplement")

    # After it was served: a notice, a new incident with its evidence, and more evidence on an old incident.
    _upload(client, claim, "notice", "Notice to admit facts", ["NOTICE TO ADMIT FACTS"])
    last = claim.incidents.order_by("occurred_at").last()
    new = Incident.objects.create(reference=f"{claim.reference}-9", case=claim, reported_by=people.councillor,
                                  protected_person=person_for(people.councillor), person_kind="councillor",
                                  occurred_at=last.occurred_at + dt.timedelta(days=2), channel="letter",
                                  account="He put a letter through my door.", subject=claim.subject)
    add_evidence(new, name="letter.pdf", content_type="application/pdf", uploaded_by=people.members,
                 content=pdf_bytes([(595, 842, 0, "THE LETTER PAGE ONE"), (595, 842, 0, "THE LETTER PAGE TWO")]),
                 description="The letter")
    supplement = _request(client, django_capture_on_commit_callbacks, {},
                          url=f"/api/safety/bundles/{served.pk}/supplement/")
    data = _download(client, supplement)
    assert data[:len(served_bytes)] == served_bytes
    assert hashlib.sha256(data[:served.size]).hexdigest() == served.sha256
    assert supplement.page_count > served.page_count
    reader, texts = check_pages_supplement(data, served.page_count)
    marks = {BOOKMARK.match(t)["title"]: p for t, p, _ in _outline(reader)}
    # The served bookmarks are all still there, at their pages; the supplement's continue the numbering.
    served_reader = PdfReader(io.BytesIO(served_bytes))
    for title, page, _ in _outline(served_reader):
        assert marks[BOOKMARK.match(title)["title"]] == page
    index_page = marks["Index, with the supplementary section"]
    assert index_page == served.page_count + 1
    assert marks["Notice to admit facts"] > served.page_count
    assert "NOTICE TO ADMIT FACTS" in texts[marks["Notice to admit facts"] - 1]
    letter = next(t for t in marks if t.startswith("Exhibit A/3"))  # the witness's exhibits numbered on
    # A further draft statement (no. 2) about what happened since, introducing the new exhibit at its page.
    further = marks["Draft witness statement no. 2 of Cllr Ahmed"]
    further_text = _flat(" ".join(texts[further - 1:further + 1]))
    assert "Statement no: 2" in further_text and "I make this further statement" in further_text
    assert f"A copy of the letter is at page {marks[letter]}, exhibit A/3." in further_text
    assert "He put a letter through my door." in further_text
    assert "THE LETTER PAGE ONE" in texts[marks[letter]]
    index = _flat(" ".join(texts[index_page - 1:index_page + 1]))
    for title, page in marks.items():
        if title in ("Supplementary section",) or re.match(r"^[A-E]\. ", title):
            continue
        assert re.search(re.escape(_flat(title)) + r"\s+" + str(page) + r"\b", index), (title, page)
    # A supplement's own supplement is refused when nothing is new; a police pack cannot be supplemented.
    again = client.post(f"/api/safety/bundles/{supplement.pk}/supplement/", {}, format="json")
    assert again.json()["code"] == "nothing_to_supplement"


def check_pages_supplement(data: bytes, served_pages: int):
    return check_pages(data, served=served_pages)


@pytest.mark.django_db
def test_police_packs_cannot_be_supplemented(people, claim, client_for, django_capture_on_commit_callbacks,
                                             police_contact):
    refer_to_police(claim, contact=police_contact)
    client = client_for(people.monitoring)
    pack = _request(client, django_capture_on_commit_callbacks,
                    {"kind": "police_referral", "scope": {"case": claim.pk}})
    refused = client.post(f"/api/safety/bundles/{pack.pk}/supplement/", {}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "bundle_not_supplementable")


def make_hostile_case(people, table, *, count: int, name: str):
    """``count`` incidents; the first account a 50,000-character unbroken string; hostile text in every field a
    person types, long words everywhere."""
    subject = SubjectFactory(full_name=name + " " + "H" * 150)
    case = injunction_case(people, table, count=count, subject=subject, start=timezone.now() - dt.timedelta(days=320))
    incidents = list(case.incidents.order_by("occurred_at"))
    first = incidents[0]
    first.account = LONG
    first.words_used = HOSTILE + LONG[:5000]
    first.location = "L" * 290
    first.ward = "W" * 100
    first.witnesses = HOSTILE
    first.subject_details = {"name": "N" * 300, "note": HOSTILE}
    first.save()
    for incident in incidents[1:40]:
        incident.account = HOSTILE
        incident.save(update_fields=["account"])
    add_evidence(incidents[1], name=("n" * 200) + ".png", content=image_bytes(300, 200),
                 content_type="image/png", uploaded_by=people.members, description="D" * 500)
    return case


@pytest.mark.django_db
def test_an_injunction_bundle_and_a_liaison_pack_survive_300_incidents_and_a_50000_character_string(
        people, decision_table, client_for, django_capture_on_commit_callbacks):
    case = make_hostile_case(people, decision_table, count=300, name="Gary")
    PriorityAddressFlag.objects.create(protected_person=person_for(people.councillor), case=case,
                                       address="1 " + "A" * 300, postcode="NT4 9QQ", flagged_on=dt.date.today(),
                                       review_due=dt.date.today(), recorded_by=people.safety)
    legal = client_for(people.legal)
    _claim_details(legal, case)
    injunction = _request(legal, django_capture_on_commit_callbacks,
                          {"kind": "injunction", "scope": {"case": case.pk}})
    reader, texts = check_pages(_download(legal, injunction))
    marks = check_index(reader, texts)
    chronology = marks["Chronology of incidents"]
    manifest = marks["Exhibit manifest (SHA-256)"]
    rows = "".join("".join(texts[chronology - 1:manifest - 1]).split())
    assert all(i.reference in rows for i in case.incidents.all())  # the 300-row chronology, every row
    # The header row is repeated on every page of the chronology.
    chronology_pages = texts[chronology - 1:manifest - 1]
    assert len(chronology_pages) > 3
    assert all("What happened" in t for t in chronology_pages)
    # The 50,000 characters are all printed (wrapped, nothing cut off), and hostile text is printed as text.
    record = marks[next(t for t in marks if t.startswith("Incident record"))]
    printed = "".join("".join(t.split()) for t in texts[record - 1:record + 40])
    assert printed.count("X") >= 50_000
    assert "<script>alert(1)</script>" in printed

    mo = client_for(people.monitoring)
    today = timezone.localdate()
    liaison = _request(mo, django_capture_on_commit_callbacks, {
        "kind": "liaison_meeting", "scope": {"since": (today - dt.timedelta(days=330)).isoformat(),
                                             "until": today.isoformat()}})
    reader, texts = check_pages(_download(mo, liaison))
    check_index(reader, texts)
    marks = {BOOKMARK.match(t)["title"]: p for t, p, _ in _outline(reader)}
    table_pages = texts[marks["Incidents since the last meeting"] - 1:marks["Open police referrals"] - 1]
    assert len(table_pages) > 2
    assert all(re.search(r"When\s+Reference", t) and "Flags" in t for t in table_pages)  # the header row on every page


@pytest.mark.django_db
def test_a_police_pack_and_a_subject_access_export_survive_hostile_and_long_content(
        people, decision_table, client_for, police_contact, django_capture_on_commit_callbacks):
    case = make_hostile_case(people, decision_table, count=6, name="Gail")
    refer_to_police(case, contact=police_contact)
    mo = client_for(people.monitoring)
    police = _request(mo, django_capture_on_commit_callbacks, {"kind": "police_referral", "scope": {"case": case.pk}})
    check_index(*check_pages(_download(mo, police)))
    ig = client_for(people.governance)
    access = _request(ig, django_capture_on_commit_callbacks,
                      {"kind": "subject_access", "scope": {"subject": str(case.subject_id)}})
    check_pages(_download(ig, access))


@pytest.mark.django_db
def test_a_court_document_changed_in_storage_stops_the_build(people, claim, client_for,
                                                             django_capture_on_commit_callbacks):
    client = client_for(people.legal)
    _upload(client, claim, "claim_form", "Claim form", ["CLAIM"])
    document = CourtDocument.objects.get(case=claim)
    with document.file.open("wb") as handle:
        handle.write(pdf_bytes([(595, 842, 0, "FORGED")]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/safety/bundles/", {"kind": "injunction", "scope": {"case": claim.pk}},
                               format="json")
    bundle = Bundle.objects.get(pk=response.json()["id"])
    assert bundle.status == Bundle.Status.FAILED
    assert "no longer matches" in bundle.error


@pytest.mark.django_db
def test_court_documents_and_supplements_go_with_their_case(people, claim, client_for,
                                                           django_capture_on_commit_callbacks):
    import time_machine
    from django.core.files.storage import default_storage

    from safety_workflow.models import Case, DisposalRecord
    from safety_workflow.services.retention import retention_dispose

    client = client_for(people.legal)
    served = _request(client, django_capture_on_commit_callbacks, {"kind": "injunction", "scope": {"case": claim.pk}})
    _upload(client, claim, "claim_form", "Claim form", ["CLAIM"])
    supplement = _request(client, django_capture_on_commit_callbacks, {},
                          url=f"/api/safety/bundles/{served.pk}/supplement/")
    document = CourtDocument.objects.get(case=claim)
    names = [document.file.name, served.file.name, supplement.file.name]
    assert all(default_storage.exists(name) for name in names)
    Case.objects.filter(pk=claim.pk).update(state=Case.State.CLOSED, closed_at=timezone.now())
    later = timezone.now()
    with time_machine.travel(later.replace(year=later.year + 6) + dt.timedelta(days=2), tick=False):
        retention_dispose(kinds=["case"])
    assert not CourtDocument.objects.exists() and not Bundle.objects.exists()
    assert not any(default_storage.exists(name) for name in names)
    assert f"court_document:{document.pk}" in DisposalRecord.objects.values_list("reference", flat=True)
