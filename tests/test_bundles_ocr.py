"""Bundles that can be searched and redacted into their pictures: text layers over screenshots and scans,
e-mails printed in full, words covered on the pixels, and nothing redacted left anywhere in the file."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image, ImageStat

from safety_workflow.models import Bundle, EvidenceFile, PriorityAddressFlag

from . import evidence_images as ei
from .bundles_helpers import injunction_case, outline_entries
from .factories import SubjectFactory, person_for

pytest.importorskip("weasyprint")
pdfplumber = pytest.importorskip("pdfplumber")
from pypdf import PdfReader  # noqa: E402
from pypdf.generic import IndirectObject, StreamObject  # noqa: E402

pytestmark = pytest.mark.django_db

EML = (b"From: Martin Greaves <m.greaves@mail.example>\r\nTo: Cllr Ahmed <cllr.ahmed@council.example>\r\n"
       b"Subject: The library vote\r\nDate: Tue, 3 Mar 2026 21:14:00 +0000\r\nMIME-Version: 1.0\r\n"
       b"Content-Type: text/plain; charset=utf-8\r\n\r\nYou closed our library.\r\n"
       b"Next time you walk home from the Riverside hall, look behind you.\r\n")
NOTE = b"Voicemail transcript, 4 March 2026 22:05:\nThis is your last warning, councillor.\n"


def upload(client, capture, incident, name, data, content_type):
    with capture(execute=True):
        response = client.post(f"/api/safety/incidents/{incident.pk}/evidence/",
                               {"file": SimpleUploadedFile(name, data, content_type=content_type),
                                "description": name}, format="multipart")
    assert response.status_code == 201, response.content
    return EvidenceFile.objects.get(pk=response.json()["id"])


def build(client, capture, body) -> tuple[bytes, Bundle]:
    with capture(execute=True):
        response = client.post("/api/safety/bundles/", body, format="json")
    assert response.status_code == 202, response.content
    bundle = Bundle.objects.get(pk=response.json()["id"])
    assert bundle.status == "ready", (bundle.error, bundle.log)
    download = client.get(f"/api/safety/bundles/{bundle.pk}/download/")
    assert download.status_code == 200
    return b"".join(download.streaming_content), bundle


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def every_byte(data: bytes) -> bytes:
    """The file, every stream decoded, and every object's serialised form: where anything could hide."""
    reader = PdfReader(io.BytesIO(data))
    parts = [data]
    size = int(reader.trailer["/Size"])
    for num in range(1, size):
        try:
            obj = reader.get_object(IndirectObject(num, 0, reader))
        except Exception:
            continue
        if isinstance(obj, StreamObject):
            try:
                parts.append(obj.get_data())
            except Exception:
                parts.append(zlib.decompress(obj._data) if obj._data else b"")
        parts.append(repr(obj).encode("utf-8", "replace"))
    return b"\n".join(parts)


def leaks(data: bytes, word: str) -> list[str]:
    """Where ``word`` appears: the text any extractor finds, the raw objects, UTF-16 text, metadata, bookmarks."""
    found = []
    reader = PdfReader(io.BytesIO(data))
    if any(word.lower() in (page.extract_text() or "").lower() for page in reader.pages):
        found.append("pypdf text")
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        if any(word.lower() in (page.extract_text() or "").lower() for page in pdf.pages):
            found.append("pdfplumber text")
    everything = every_byte(data).lower()
    for form, label in ((word.lower().encode(), "raw"), (word.lower().encode("utf-16-be"), "utf-16"),
                        (word.encode("utf-16-be").hex().encode(), "hex utf-16"),
                        (word.encode("utf-16-be").hex().upper().encode().lower(), "hex utf-16")):
        if form in everything:
            found.append(label)
    if any(word.lower() in str(v).lower() for v in (reader.metadata or {}).values()):
        found.append("metadata")
    if any(word.lower() in title.lower() for title, _, _ in outline_entries(reader)):
        found.append("bookmarks")
    return found


def image_on_page(reader: PdfReader, index: int) -> Image.Image:
    images = list(reader.pages[index].images)
    assert images, f"no image on page {index + 1}"
    return max((i.image for i in images), key=lambda im: im.width * im.height).convert("RGB")


def page_with(pdf, phrase: str) -> list[int]:
    return [n for n, page in enumerate(pdf.pages) if page.search(phrase, regex=False, case=False)]


@pytest.fixture
def threats_case(people, decision_table, client_for, django_capture_on_commit_callbacks):
    """A case routed to council action whose evidence is two screenshots, a photo of a letter, a scanned
    letter, an e-mail and a text note, uploaded by the councillor through the API (and read by the worker)."""
    subject = SubjectFactory(full_name="Martin Greaves")
    case = injunction_case(people, decision_table, count=2, subject=subject)
    first, second = case.incidents.order_by("occurred_at")
    client = client_for(people.councillor)
    capture = django_capture_on_commit_callbacks
    evidence = {
        "screenshot": upload(client, capture, first, "post.png", ei.screenshot_png()[0], "image/png"),
        "photo": upload(client, capture, first, "letter-photo.jpg", ei.photo_of_letter_jpeg()[0], "image/jpeg"),
        "scan": upload(client, capture, second, "letter-scan.pdf", ei.scanned_letter_pdf()[0], "application/pdf"),
        "email": upload(client, capture, second, "library.eml", EML, "message/rfc822"),
        "note": upload(client, capture, second, "voicemail.txt", NOTE, "text/plain"),
    }
    return case, evidence


def test_injunction_bundle_finds_the_threat_in_screenshots_and_scans_and_prints_the_email(
        people, threats_case, client_for, django_capture_on_commit_callbacks, ocr, tmp_path):
    case, evidence = threats_case
    data, bundle = build(client_for(people.legal), django_capture_on_commit_callbacks,
                         {"kind": "injunction", "scope": {"case": case.pk}})
    (tmp_path / "injunction.pdf").write_bytes(data)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        # The threatening sentence is found by searching the PDF: on the screenshot, the photographed letter
        # and the scanned letter.
        hits = page_with(pdf, ei.THREAT)
        assert len(hits) >= 3, hits
        texts = [page.extract_text() or "" for page in pdf.pages]
        # The text layer lies over the words: "Oduya" where the screenshot shows it.
        shot_page = next(n for n in hits if re.search(r"Exhibit \w+/1\b", texts[n]))
        page = pdf.pages[shot_page]
        picture = max(page.images, key=lambda i: i.get("width", 0) * i.get("height", 0))
        found = page.search("Oduya")
        assert len(found) == 1
        width, height = ei.social_post().size
        scale_x = (picture["x1"] - picture["x0"]) / width
        scale_y = (picture["bottom"] - picture["top"]) / height
        from PIL import ImageDraw

        draw = ImageDraw.Draw(ei.social_post())
        line = ei.POST_LINES[2]
        x0 = 40 + draw.textlength(line[:line.index("Oduya")], font=ei.font("sans", 34))
        drawn = draw.textbbox((x0, 40 + 130 + 2 * 56), "Oduya", font=ei.font("sans", 34))
        assert abs(found[0]["x0"] - (picture["x0"] + drawn[0] * scale_x)) < 3
        assert abs(found[0]["x1"] - (picture["x0"] + drawn[2] * scale_x)) < 4
        middle = (found[0]["top"] + found[0]["bottom"]) / 2
        assert picture["top"] + drawn[1] * scale_y - 3 < middle < picture["top"] + drawn[3] * scale_y + 3
        # The e-mail and the note are printed in full, on the exhibits' own pages.
        everything = flat("\n".join(texts))
        for expected in ("From Martin Greaves <m.greaves@mail.example>", "Subject The library vote",
                         "Next time you walk home from the Riverside hall, look behind you.",
                         "This is your last warning, councillor."):
            assert expected in everything, expected
        assert "provided separately" not in everything
        # The manifest gives the SHA-256 of each original file, not of what was printed or embedded.
        for item in evidence.values():
            assert item.sha256 == hashlib.sha256(item.file.open("rb").read()).hexdigest()
            assert item.sha256 in everything.replace(" ", "")
    reader = PdfReader(io.BytesIO(data))
    # The layer is invisible: text render mode 3 (neither filled nor stroked), in the glyphless font.
    assert b"3 Tr" in reader.pages[shot_page].get_contents().get_data()
    log = {e["event"]: e for e in bundle.log}
    assert log["exhibits"]["printed"] == 2 and log["exhibits"]["embedded"] == 2 and log["exhibits"]["merged"] == 1
    assert log["exhibits"]["text_layers"] >= 3


def test_subject_access_export_covers_a_third_party_in_a_screenshot(
        people, decision_table, client_for, django_capture_on_commit_callbacks, ocr, tmp_path):
    from safety_workflow.ocr import ocr_image

    from .factories import make_case_with_incidents

    subject = SubjectFactory(full_name="Martin Greaves")
    case = make_case_with_incidents(councillor=people.councillor, subject=subject, count=1)
    incident = case.incidents.get()
    lines = ["Cllr Ahmed thinks she can ignore us.", f"{ei.THREAT}.", "Ask Janet Oduya what happened to her windows.",
             "Watch your back at the next meeting."]
    image = ei.social_post(lines=lines)
    out = io.BytesIO()
    image.save(out, "PNG")
    upload(client_for(people.councillor), django_capture_on_commit_callbacks, incident, "post.png", out.getvalue(),
           "image/png")
    client = client_for(people.governance)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/safety/bundles/", {
            "kind": "subject_access", "scope": {"subject": str(subject.pk)}, "purpose": "SAR 2026/31",
            "redactions": [{"text": "Janet Oduya", "reason": "a third party"}]}, format="json")
    bundle = Bundle.objects.get(pk=response.json()["id"])
    assert bundle.status == "ready", bundle.log
    data = b"".join(client.get(f"/api/safety/bundles/{bundle.pk}/download/").streaming_content)
    (tmp_path / "sar.pdf").write_bytes(data)
    # The name is nowhere: not in any text, object, stream, metadata or bookmark; nor the councillor's.
    for word in ("Oduya", "Janet", "Ahmed"):
        assert leaks(data, word) == [], word
    reader = PdfReader(io.BytesIO(data))
    texts = [page.extract_text() or "" for page in reader.pages]
    exhibit_page = next(n for n, t in enumerate(texts) if "Exhibit EV/1" in t and "windows" in t)
    # ... while the rest of the screenshot is still searchable.
    assert "I know where you live" in flat(texts[exhibit_page])
    # A box where the name was: dark pixels over its place, and OCR of the embedded picture cannot read it.
    embedded = image_on_page(reader, exhibit_page)
    original = ocr_image(image)
    box = next(w for w in original.words if w.text.startswith("Oduya"))
    sx, sy = embedded.width / image.width, embedded.height / image.height
    region = embedded.crop((round(box.left * sx), round(box.top * sy), round((box.left + box.width) * sx),
                            round((box.top + box.height) * sy))).convert("L")
    assert ImageStat.Stat(region).mean[0] < 30  # black, where it was white with text
    reread = ocr_image(embedded)
    assert "Oduya" not in reread.text and "Janet" not in reread.text and "Ahmed" not in reread.text
    assert "windows" in reread.text and "regret" in reread.text
    # The log says what was redacted, and where, without the words; so does the API.
    log_text = json.dumps(bundle.log)
    assert "Oduya" not in log_text and "Janet" not in log_text
    notes = [e["message"] for e in bundle.log if e["event"] == "note"]
    assert any("EV/1" in n and "covered on the image" in n for n in notes)
    requested = next(e for e in bundle.log if e["event"] == "redaction" and e["source"] == "requested")
    assert requested["occurrences"] >= 1 and len(requested["fingerprint"]) == 16
    assert b"Oduya" not in client.get(f"/api/safety/bundles/{bundle.pk}/").content
    # Rebuilt, the same bytes: the redacted copy, the text layer and its font depend on nothing but the records
    # (built twice now, since the export lists the reads of the records, and the download above was one).
    from safety_workflow.bundles.build import Progress
    from safety_workflow.bundles.build import build as build_pdf

    hashes = []
    for name in ("again", "and-again"):
        (tmp_path / name).mkdir()
        hashes.append(build_pdf(bundle, str(tmp_path / name), Progress(bundle.pk, bundle.attempts))[1].sha256)
    assert hashes[0] == hashes[1]


def test_part_of_a_recorded_address_is_covered_on_a_photographed_letter(
        people, decision_table, client_for, django_capture_on_commit_callbacks, ocr, tmp_path):
    case = injunction_case(people, decision_table, count=1)
    incident = case.incidents.get()
    upload(client_for(people.councillor), django_capture_on_commit_callbacks, incident, "letter.jpg",
           ei.photo_of_letter_jpeg()[0], "image/jpeg")
    PriorityAddressFlag.objects.create(protected_person=person_for(people.councillor), case=case,
                                       address="27 Larch Avenue, Riverside", postcode="RV1 2AB",
                                       flagged_on=dt.date.today(), review_due=dt.date.today(),
                                       recorded_by=people.safety)
    data, bundle = build(client_for(people.legal), django_capture_on_commit_callbacks, {
        "kind": "injunction", "scope": {"case": case.pk}, "redactions": [{"preset": "home_addresses"}]})
    (tmp_path / "address.pdf").write_bytes(data)
    assert leaks(data, "Larch") == []
    reader = PdfReader(io.BytesIO(data))
    texts = [page.extract_text() or "" for page in reader.pages]
    page = next(n for n, t in enumerate(texts) if re.search(r"Exhibit \w+/1\b", t) and "library" in t)
    # "Riverside" alone names the ward, not the house: it stays where it is not part of the address.
    assert "Riverside hall" in flat(texts[page])
    notes = [e["message"] for e in bundle.log if e["event"] == "note"]
    assert any(re.search(r"\w+/1: \d+ word", n) and "covered on the image" in n for n in notes)


def test_an_image_read_without_enough_confidence_is_withheld_when_redacting(
        people, decision_table, client_for, django_capture_on_commit_callbacks, ocr):
    case = injunction_case(people, decision_table, count=1)
    upload(client_for(people.councillor), django_capture_on_commit_callbacks, case.incidents.get(), "post.png",
           ei.low_contrast_png()[0], "image/png")
    with override_settings(SAFETY_WORKFLOW={"EVIDENCE_REDACTION_MIN_CONFIDENCE": 99.5}):
        data, bundle = build(client_for(people.legal), django_capture_on_commit_callbacks, {
            "kind": "injunction", "scope": {"case": case.pk},
            "redactions": [{"text": "Janet Oduya", "reason": "a third party"}]})
    reader = PdfReader(io.BytesIO(data))
    text = flat("\n".join(page.extract_text() or "" for page in reader.pages))
    assert "Withheld from this bundle: its words were read with a confidence of" in text
    assert not any(list(page.images) for page in reader.pages)
    assert leaks(data, "Oduya") == []
    assert any(e["event"] == "note" and "withheld" in e["message"] for e in bundle.log)


def test_without_the_ocr_engine_images_have_no_text_layer_and_are_withheld_from_redacted_bundles(
        people, decision_table, client_for, django_capture_on_commit_callbacks):
    case = injunction_case(people, decision_table, count=1)
    with override_settings(SAFETY_WORKFLOW={"EVIDENCE_OCR_COMMAND": "/nonexistent/tesseract"}):
        upload(client_for(people.councillor), django_capture_on_commit_callbacks, case.incidents.get(), "post.png",
               ei.screenshot_png()[0], "image/png")
        plain, bundle = build(client_for(people.legal), django_capture_on_commit_callbacks,
                              {"kind": "injunction", "scope": {"case": case.pk}})
        redacted, redacted_bundle = build(client_for(people.legal), django_capture_on_commit_callbacks, {
            "kind": "injunction", "scope": {"case": case.pk},
            "redactions": [{"text": "Janet Oduya", "reason": "a third party"}]})
    reader = PdfReader(io.BytesIO(plain))
    assert any(list(page.images) for page in reader.pages)  # embedded, as before
    assert not any(b"3 Tr" in (page.get_contents().get_data() if page.get_contents() else b"")
                   for page in reader.pages)
    assert any(e["event"] == "note" and "no text layer" in e["message"] for e in bundle.log)
    reader = PdfReader(io.BytesIO(redacted))
    text = flat("\n".join(page.extract_text() or "" for page in reader.pages))
    assert "Withheld from this bundle: its words could not be read here (no OCR engine)" in text
    assert not any(list(page.images) for page in reader.pages)
    assert leaks(redacted, "Oduya") == []
