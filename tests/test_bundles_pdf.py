"""The PDFs themselves, opened with pypdf: index links, bookmarks, page numbers, text, hashes, redactions."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils import timezone

from safety_workflow.models import AccessLogEntry, Bundle, PriorityAddressFlag

from .bundles_helpers import (
    STAMP,
    add_evidence,
    image_bytes,
    injunction_case,
    link_targets,
    outline_entries,
    page_texts,
    pdf_bytes,
    refer_to_police,
)
from .factories import SubjectFactory, make_case_with_incidents, person_for

pytest.importorskip("weasyprint")
from pypdf import PdfReader  # noqa: E402

HOME = "14 Laburnum Grove, Northtown NT4 9QQ"


def request_bundle(client, capture, body):
    with capture(execute=True):
        response = client.post("/api/safety/bundles/", body, format="json")
    assert response.status_code == 202, response.content
    return response.json()["id"]


def download(client, bundle_id) -> bytes:
    response = client.get(f"/api/safety/bundles/{bundle_id}/download/")
    assert response.status_code == 200, getattr(response, "content", b"")
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


@pytest.fixture
def court_case(people, decision_table):
    """A case routed to council action: three incidents, an image, a two-page PDF (landscape and
    rotated pages), an audio file; the councillor's home address is in one account."""
    subject = SubjectFactory(full_name="Gary Hostile")
    case = injunction_case(people, decision_table, count=3, subject=subject)
    first, second, third = case.incidents.order_by("occurred_at")
    second.account = f"He stood outside my house at {HOME} and shouted."
    second.words_used = "You'll regret this"
    second.save()
    evidence = [
        add_evidence(first, name="screenshot.png", content=image_bytes(1200, 600), content_type="image/png",
                     uploaded_by=people.members, description="Screenshot of the post"),
        add_evidence(second, name="emails.pdf", content_type="application/pdf", uploaded_by=people.members,
                     content=pdf_bytes([(842, 595, 0, "Landscape exhibit page"),
                                        (595, 842, 90, "Rotated exhibit page")]),
                     description="The e-mails"),
        add_evidence(third, name="voicemail.mp3", content=b"ID3 not really audio", content_type="audio/mpeg",
                     uploaded_by=people.members, description="Voicemail"),
    ]
    PriorityAddressFlag.objects.create(protected_person=person_for(people.councillor), case=case, address=HOME,
                                       postcode="NT4 9QQ", flagged_on=dt.date.today(), review_due=dt.date.today(),
                                       recorded_by=people.safety)
    return case, evidence


@pytest.mark.django_db
def test_injunction_bundle_meets_the_electronic_bundle_guidance(people, court_case, client_for,
                                                                 django_capture_on_commit_callbacks):
    case, evidence = court_case
    client = client_for(people.legal)
    bundle_id = request_bundle(client, django_capture_on_commit_callbacks, {
        "kind": "injunction", "scope": {"case": case.pk}, "redactions": [{"preset": "home_addresses"}],
        "purpose": "Injunction application",
    })
    bundle = Bundle.objects.get(pk=bundle_id)
    assert bundle.status == Bundle.Status.READY, bundle.error
    data = download(client, bundle_id)
    reader = PdfReader(io.BytesIO(data), strict=True)
    texts = page_texts(reader)
    assert bundle.page_count == len(reader.pages) == len(texts)

    # Computer-generated page numbers on every page, exhibits included: page N says "Page N of M".
    for number, text in enumerate(texts, 1):
        stamps = STAMP.findall(text)
        assert stamps == [(str(number), str(len(texts)))], (number, text[-60:])

    # One bookmark per document, each pointing at the page where that document starts.
    outline = outline_entries(reader)
    documents = [(title, page) for title, page, depth in outline if depth == 1 or title in {
        "Cover sheet", "Index", "Chronology of incidents", "Exhibit manifest (SHA-256)"}]
    titles = [title for title, _ in documents]
    # CPR PD32 27 order: statements of case (none here), the statements and their exhibits, the records, the
    # chronology.
    assert titles[:3] == ["Cover sheet", "Index", "Draft witness statement of Cllr Ahmed"]
    assert titles[-2:] == ["Chronology of incidents", "Exhibit manifest (SHA-256)"]
    assert sum(t.startswith("Incident record") for t in titles) == 3
    assert sum(t.startswith("Exhibit ") and "manifest" not in t for t in titles) == 3
    for title, page in documents:
        heading = title.split(":")[0].split(" (")[0].replace("Draft witness", "Witness").replace(
            "Cover sheet", "Hearing bundle")
        assert heading in texts[page - 1], (title, page)

    # The index: every entry is a link to its document's page, and prints that page number.
    index_page = dict(documents)["Index"]
    targets = link_targets(reader, index_page - 1)
    assert set(targets) == {page for _, page in documents}
    index_text = texts[index_page - 1]
    for title, page in documents:
        assert re.search(re.escape(title) + r"\s+" + str(page) + r"\b", index_text), (title, page)
    # The bookmarks of the sections (groups) give the page of their first document.
    for title, page, depth in outline:
        if depth == 0 and title[:2] in ("B.", "D.", "E."):
            assert page == min(p for t, p, d in outline[outline.index((title, page, depth)) + 1:] if d == 1)

    # Exhibits: the image is embedded, the PDF's pages are merged keeping their orientation.
    exhibit_pages = {title: page for title, page in documents if title.startswith("Exhibit A/")}
    merged_from = exhibit_pages["Exhibit A/2: The e-mails"] + 1
    assert "Landscape exhibit page" in texts[merged_from - 1]
    landscape = reader.pages[merged_from - 1]
    assert (float(landscape.mediabox.width), float(landscape.mediabox.height)) == (842, 595)
    assert landscape.rotation == 0
    rotated = reader.pages[merged_from]
    assert "Rotated exhibit page" in texts[merged_from]
    assert rotated.rotation == 90
    image_page = reader.pages[exhibit_pages["Exhibit A/1: Screenshot of the post"] - 1]
    from safety_workflow.ocr import engine_or_none

    if engine_or_none()[0] is not None:
        xobjects = image_page["/Resources"]["/XObject"]
        assert any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values())
        assert float(image_page.mediabox.width) > float(image_page.mediabox.height)  # landscape stays landscape
    else:  # the bundle redacts, and an image that cannot be read cannot be redacted: withheld, and said so
        assert "Withheld from this bundle: its words could not be read here (no OCR engine)" in \
            re.sub(r"\s+", " ", texts[exhibit_pages["Exhibit A/1: Screenshot of the post"] - 1])

    # The manifest gives every exhibit's SHA-256, equal to the stored evidence's.
    manifest = texts[dict(documents)["Exhibit manifest (SHA-256)"] - 1]
    for item in evidence:
        assert f"SHA-256 {item.sha256}" in manifest
    assert "voicemail.mp3" in manifest and "Listed only" in manifest

    # Witness statement: first person, numbered paragraphs, exhibits marked, the statement of truth.
    first = dict(documents)["Draft witness statement of Cllr Ahmed"]
    statement = re.sub(r"\s+", " ", " ".join(texts[first - 1:first + 1]))
    assert "1. I am Cllr Ahmed" in statement
    assert f"A copy of the screenshot is at page {exhibit_pages['Exhibit A/1: Screenshot of the post']}, exhibit A/1" \
        in statement
    assert f"A copy of the document is at page {exhibit_pages['Exhibit A/2: The e-mails']}, exhibit A/2" in statement
    assert "proceedings for contempt of court may be brought" in re.sub(r"\s+", " ", statement)

    # Opens at 100% on page 1, with the bookmarks shown; page labels equal page numbers.
    root = reader.trailer["/Root"]
    action = root["/OpenAction"]
    assert action[0].get_object() == reader.pages[0] and action[1] == "/XYZ" and action[4] == 1
    assert root["/PageMode"] == "/UseOutlines"
    assert reader.page_labels == [str(n) for n in range(1, len(texts) + 1)]

    # The councillor's home address is redacted in the text, not drawn over, and the redaction is logged.
    everything = "\n".join(texts)
    assert "Laburnum" not in everything and "NT4 9QQ" not in everything
    assert b"Laburnum" not in data and b"NT4 9QQ" not in data
    assert "[redacted: home address]" in everything
    logged = [e for e in bundle.log if e["event"] == "redaction"]
    assert logged and sum(e["occurrences"] for e in logged) >= 1
    assert all(HOME not in str(e) for e in bundle.log)

    # Requested and downloaded: both in the access log.
    actions = set(AccessLogEntry.objects.filter(object_id=str(bundle.pk)).values_list("action", flat=True))
    assert actions == {"export", "download"}


@pytest.mark.django_db
def test_requested_redaction_withholds_a_pdf_exhibit_that_contains_it(people, decision_table, client_for,
                                                                      django_capture_on_commit_callbacks):
    case = injunction_case(people, decision_table, count=1)
    incident = case.incidents.get()
    incident.account = "A letter came addressed to Flat 2, Sycamore Court."
    incident.save()
    add_evidence(incident, name="letter.pdf", content=pdf_bytes([(595, 842, 0, "To Flat 2, Sycamore Court")]),
                 content_type="application/pdf", uploaded_by=people.members)
    client = client_for(people.legal)
    bundle_id = request_bundle(client, django_capture_on_commit_callbacks, {
        "kind": "injunction", "scope": {"case": case.pk},
        "redactions": [{"text": "Flat 2, Sycamore Court", "reason": "home address"}],
    })
    data = download(client, bundle_id)
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page_texts(reader))
    assert "Sycamore" not in text and b"Sycamore" not in data
    assert "[redacted: home address]" in text
    assert "Withheld from this bundle" in text
    log = Bundle.objects.get(pk=bundle_id).log
    assert any(e["event"] == "note" and "withheld" in e["message"] for e in log)
    assert any(e["event"] == "redaction" and e["reason"] == "home address" for e in log)


@pytest.mark.django_db
def test_police_referral_pack(people, decision_table, police_contact, client_for,
                              django_capture_on_commit_callbacks):
    subject = SubjectFactory(full_name="Pat Menace")
    case = make_case_with_incidents(councillor=people.councillor, subject=subject, count=3, level="serious")
    incidents = list(case.incidents.order_by("occurred_at"))
    refer_to_police(case, contact=police_contact, incidents=incidents[:2])
    add_evidence(incidents[0], name="threat.jpg", content=image_bytes(400, 600, "JPEG"), content_type="image/jpeg",
                 uploaded_by=people.members, description="Photo of the note")
    client = client_for(people.police)
    bundle_id = request_bundle(client, django_capture_on_commit_callbacks,
                               {"kind": "police_referral", "scope": {"case": case.pk}})
    reader = PdfReader(io.BytesIO(download(client, bundle_id)))
    text = "\n".join(page_texts(reader))
    text = re.sub(r"\s+", " ", text)
    assert "Police referral pack" in text and "Pat Menace" in text
    assert "PC Sam Okafor" in text and "Crime reference number" in text
    assert incidents[0].reference in text and incidents[1].reference in text
    assert incidents[2].reference not in text  # not referred: the police cannot see it
    assert "Exhibit EX/1" in text
    assert text.index(incidents[0].reference) < text.rindex(incidents[1].reference)


@pytest.mark.django_db
def test_liaison_meeting_pack(people, decision_table, police_contact, client_for,
                              django_capture_on_commit_callbacks):
    subject = SubjectFactory(full_name="Repeat Caller")
    start = timezone.now() - dt.timedelta(days=40)
    case = make_case_with_incidents(councillor=people.councillor, subject=subject, count=3, start=start,
                                    step=dt.timedelta(days=10), level="serious")
    refer_to_police(case, contact=police_contact)
    from safety_workflow.models import RegisterEntryEvent
    from safety_workflow.services.patterns import conduct_flags_update

    from .register_helpers import direct_entry

    conduct_flags_update(subject=subject, actor=people.safety)  # as linking the incidents does in the workflow
    entry = direct_entry(people, name="Paula Marsh")
    RegisterEntryEvent.objects.create(entry=entry, actor=people.monitoring, action="approved", summary="Approved")
    client = client_for(people.monitoring)
    since = (timezone.localdate() - dt.timedelta(days=60)).isoformat()
    bundle_id = request_bundle(client, django_capture_on_commit_callbacks, {
        "kind": "liaison_meeting", "scope": {"since": since, "until": timezone.localdate().isoformat()}})
    reader = PdfReader(io.BytesIO(download(client, bundle_id)))
    text = re.sub(r"\s+", " ", "\n".join(page_texts(reader)))
    for heading in ("Incidents since the last meeting", "Open police referrals", "Subjects whose conduct is escalating",
                    "Register changes", "Incidents by month and level"):
        assert heading in text
    assert "Repeat Caller" in text and "course of conduct" in text.lower()
    assert case.reference in text
    assert "Paula Marsh" in text and "Approved" in text


@pytest.mark.django_db
def test_subject_access_export_redacts_other_people(people, decision_table, client_for,
                                                    django_capture_on_commit_callbacks):
    subject = SubjectFactory(full_name="Sam Requester")
    case = make_case_with_incidents(councillor=people.councillor, subject=subject, count=2)
    incident = case.incidents.first()
    incident.account = "He told Cllr Ahmed to watch out, and copied cllr.ahmed@council.example."
    incident.witnesses = "Mrs Jones from next door"
    incident.save()
    from safety_workflow.models import RegisterEntry

    from .register_helpers import direct_entry

    entry = direct_entry(people, name="Sam Requester (register)")
    RegisterEntry.objects.filter(pk=entry.pk).update(subject=subject, reasons="Threatened staff at the front desk.")
    client = client_for(people.governance)
    bundle_id = request_bundle(client, django_capture_on_commit_callbacks, {
        "kind": "subject_access", "scope": {"subject": str(subject.pk)}, "purpose": "SAR 2026/14"})
    data = download(client, bundle_id)
    text = "\n".join(page_texts(PdfReader(io.BytesIO(data))))
    assert "Sam Requester" in text and incident.reference in text
    flat = re.sub(r"\s+", " ", text)
    assert "Threatened staff at the front desk." in flat and "Meet only in pairs" in flat
    assert "Ahmed" not in text and "cllr.ahmed@council.example" not in text
    assert "Mrs Jones" not in text and b"Jones" not in data
    assert "[Councillor A]" in text
    log = Bundle.objects.get(pk=bundle_id).log
    assert any(e["event"] == "redaction" and e["source"] == "automatic" and e["occurrences"] for e in log)


@pytest.mark.django_db
def test_unreadable_and_password_protected_pdfs_are_listed_with_their_hash(people, decision_table, client_for,
                                                                            django_capture_on_commit_callbacks):
    from pypdf import PdfWriter

    case = injunction_case(people, decision_table, count=1)
    incident = case.incidents.get()
    locked = io.BytesIO()
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes([(595, 842, 0, "Locked content")])))
    writer.encrypt(user_password="secret", owner_password="owner")
    writer.write(locked)
    broken = add_evidence(incident, name="broken.pdf", content=b"%PDF-1.4 this is not really a PDF",
                          content_type="application/pdf", uploaded_by=people.members)
    protected = add_evidence(incident, name="locked.pdf", content=locked.getvalue(),
                             content_type="application/pdf", uploaded_by=people.members)
    client = client_for(people.legal)
    bundle_id = request_bundle(client, django_capture_on_commit_callbacks,
                               {"kind": "injunction", "scope": {"case": case.pk}})
    assert Bundle.objects.get(pk=bundle_id).status == Bundle.Status.READY
    text = re.sub(r"\s+", " ", "\n".join(page_texts(PdfReader(io.BytesIO(download(client, bundle_id))))))
    assert "Locked content" not in text
    assert "The PDF is password-protected. Listed with its hash; not merged." in text
    assert "The PDF cannot be read" in text
    for item in (broken, protected):
        assert f"SHA-256 {item.sha256}" in text
    assert text.count("Listed only") == 2


@pytest.mark.django_db
def test_a_council_can_override_one_template(people, decision_table, client_for, settings, tmp_path,
                                             django_capture_on_commit_callbacks):
    folder = tmp_path / "safety_workflow" / "bundles" / "injunction"
    folder.mkdir(parents=True)
    (folder / "cover.html").write_text("<h1>Northshire County Council bundle</h1><p>{{ subject }}</p>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    case = injunction_case(people, decision_table, count=1, subject=SubjectFactory(full_name="Ova Ride"))
    client = client_for(people.legal)
    bundle_id = request_bundle(client, django_capture_on_commit_callbacks,
                               {"kind": "injunction", "scope": {"case": case.pk}})
    texts = page_texts(PdfReader(io.BytesIO(download(client, bundle_id))))
    assert "Northshire County Council bundle" in texts[0] and "Ova Ride" in texts[0]
    assert "Hearing bundle" not in texts[0]
    assert texts[1].startswith("Index")  # the rest is the package's own templates
