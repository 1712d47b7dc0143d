"""Reading the text of evidence in the background: OCR of images and scans, PDF text, e-mail, plain text."""

from __future__ import annotations

import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from PIL import Image, ImageDraw

from safety_workflow.models import AccessLogEntry, EvidenceText

from . import evidence_images as ei
from .bundles_helpers import pdf_bytes
from .helpers import API, report

pytestmark = pytest.mark.django_db

EML = (b"From: Martin Greaves <m.greaves@mail.example>\r\nTo: Cllr Ahmed <cllr.ahmed@council.example>\r\n"
       b"Subject: The library vote\r\nDate: Tue, 3 Mar 2026 21:14:00 +0000\r\nMIME-Version: 1.0\r\n"
       b"Content-Type: text/plain; charset=utf-8\r\n\r\nYou will regret this vote.\r\nWatch your back.\r\n")
HTML_ONLY_EML = (b"From: someone@mail.example\r\nTo: cllr.ahmed@council.example\r\nSubject: html\r\n"
                 b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
                 b"<html><head><style>p{color:red}</style><script>alert(1)</script></head>"
                 b"<body><p>I know where you live.</p><p>See you&nbsp;soon.</p></body></html>\r\n")


@pytest.fixture
def incident(people, client_for):
    return report(client_for(people.councillor))


def upload(client, incident_id, name, data, content_type="application/octet-stream", capture=None):
    def send():
        return client.post(f"{API}/incidents/{incident_id}/evidence/",
                           {"file": SimpleUploadedFile(name, data, content_type=content_type)}, format="multipart")

    if capture is None:
        return send()
    with capture(execute=True):
        return send()


def detail(client, incident_id, evidence_id):
    response = client.get(f"{API}/incidents/{incident_id}/evidence/{evidence_id}/")
    assert response.status_code == 200, response.content
    return response.json()


def test_screenshot_is_read_in_the_background_and_shown_to_who_may_see_it(
        people, client_for, incident, ocr, django_capture_on_commit_callbacks):
    client = client_for(people.councillor)
    data, words = ei.screenshot_png()
    # Without the on-commit callbacks (the worker), the upload answers at once with the text pending.
    pending = upload(client, incident["id"], "post.png", data, "image/png")
    assert pending.status_code == 201
    assert pending.json()["text"]["status"] == "pending"
    response = upload(client, incident["id"], "post2.png", data, "image/png",
                      capture=django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.content
    body = detail(client, incident["id"], response.json()["id"])
    text = body["text"]
    assert text["status"] == "done" and text["method"] == "ocr" and text["engine"] == "tesseract"
    assert text["engine_version"] == ocr.version and text["language"] == "eng"
    assert ei.recall(words, text["content"]) >= 0.95
    assert text["confidence"] > 80 and text["word_count"] >= len(words)
    page = text["pages"][0]
    assert page["ocr"] is True and (page["width"], page["height"]) == Image.open(io.BytesIO(data)).size
    # Each word's box is where it was drawn: compare with Pillow's own box for "Oduya".
    image = ei.social_post()
    draw = ImageDraw.Draw(image)
    line = ei.POST_LINES[2]
    x0 = 40 + draw.textlength(line[:line.index("Oduya")], font=ei.font("sans", 34))
    drawn = draw.textbbox((x0, 40 + 130 + 2 * 56), "Oduya", font=ei.font("sans", 34))
    read = next(w for w in page["words"] if w["text"].startswith("Oduya"))
    assert abs(read["left"] - drawn[0]) <= 4 and abs(read["top"] - drawn[1]) <= 4
    assert abs(read["left"] + read["width"] - drawn[2]) <= 6 and abs(read["top"] + read["height"] - drawn[3]) <= 6
    # The list has the summary, not the text; the read is logged.
    listed = client.get(f"{API}/incidents/{incident['id']}/evidence/").json()["results"]
    assert listed[1]["text"]["status"] == "done" and "content" not in listed[1]["text"]
    assert AccessLogEntry.objects.filter(action="view", object_type="evidence", object_id=response.json()["id"],
                                         actor=people.councillor).exists()
    # Who may not see the evidence may not see its text either (the police liaison; another councillor).
    for user in (people.police, people.councillor2, people.frontline):
        assert client_for(user).get(
            f"{API}/incidents/{incident['id']}/evidence/{response.json()['id']}/").status_code in (403, 404)


@pytest.mark.parametrize("make", [
    ei.screenshot_png, ei.desktop_screenshot_png, ei.photo_of_letter_jpeg, lambda: ei.rotated_screenshot_png(90),
    lambda: ei.rotated_screenshot_png(270), ei.low_contrast_png,
], ids=["phone-screenshot", "desktop-screenshot", "photo-of-letter", "turned-90", "turned-270", "low-contrast"])
def test_recall_on_screenshots_photos_and_poor_images(ocr, make):
    from safety_workflow.ocr import ocr_image

    data, words = make()
    started = time.perf_counter()
    page = ocr_image(Image.open(io.BytesIO(data)).convert("RGB"))
    elapsed = time.perf_counter() - started
    assert ei.recall(words, page.text) >= 0.95, page.text
    assert page.confidence is not None and page.confidence > 80
    assert elapsed < 30
    for w in page.words:  # boxes on the image as given, whichever way it was read
        assert 0 <= w.left and w.left + w.width <= page.width + 2
        assert 0 <= w.top and w.top + w.height <= page.height + 2


def test_rotated_image_boxes_are_on_the_image_as_given(ocr):
    """A screenshot saved a quarter-turn round: read upright, boxes given back on the turned image."""
    from safety_workflow.ocr import ocr_image

    upright = ocr_image(ei.social_post())
    turned_data, _ = ei.rotated_screenshot_png(90)
    turned = ocr_image(Image.open(io.BytesIO(turned_data)).convert("RGB"))
    a = next(w for w in upright.words if w.text.startswith("Oduya"))
    b = next(w for w in turned.words if w.text.startswith("Oduya"))
    # rotate(90) is counter-clockwise: (x, y) on the upright image is (y, W - x) on the turned one.
    width = upright.width
    assert abs(b.left - a.top) <= 6 and abs(b.top - (width - a.left - a.width)) <= 6
    assert abs(b.width - a.height) <= 8 and abs(b.height - a.width) <= 8


def test_scanned_and_text_pdfs(people, client_for, incident, ocr, django_capture_on_commit_callbacks):
    client = client_for(people.members)
    scanned, words = ei.scanned_letter_pdf()
    body = detail(client, incident["id"], upload(client, incident["id"], "letter.pdf", scanned, "application/pdf",
                                                 capture=django_capture_on_commit_callbacks).json()["id"])
    text = body["text"]
    assert text["status"] == "done" and text["method"] == "pdf" and text["engine"] == "tesseract"
    assert text["pages"][0]["ocr"] is True and ei.recall(words, text["content"]) >= 0.95
    typed = pdf_bytes([(595, 842, 0, "Typed page with watch your back"), (595, 842, 0, "Second page")])
    body = detail(client, incident["id"], upload(client, incident["id"], "typed.pdf", typed, "application/pdf",
                                                 capture=django_capture_on_commit_callbacks).json()["id"])
    text = body["text"]
    assert text["status"] == "done" and text["engine"] == "pypdf" and text["confidence"] is None
    assert [p["ocr"] for p in text["pages"]] == [False, False] and text["pages"][0]["words"] == []
    assert "watch your back" in text["content"] and "Second page" in text["content"]


def test_emails_and_plain_text_are_read_without_ocr(people, client_for, incident,
                                                    django_capture_on_commit_callbacks):
    client = client_for(people.councillor)
    body = detail(client, incident["id"], upload(client, incident["id"], "message.eml", EML, "message/rfc822",
                                                 capture=django_capture_on_commit_callbacks).json()["id"])
    text = body["text"]
    assert text["status"] == "done" and text["method"] == "email" and text["confidence"] is None
    headers = {h["name"]: h["value"] for h in text["email"]["headers"]}
    assert headers["From"] == "Martin Greaves <m.greaves@mail.example>" and headers["Subject"] == "The library vote"
    assert "You will regret this vote." in text["content"] and "From: Martin Greaves" in text["content"]
    body = detail(client, incident["id"], upload(client, incident["id"], "html.eml", HTML_ONLY_EML,
                                                 capture=django_capture_on_commit_callbacks).json()["id"])
    assert "I know where you live." in body["text"]["content"] and "See you soon." in body["text"]["content"]
    assert "alert" not in body["text"]["content"] and "color" not in body["text"]["content"]
    body = detail(client, incident["id"], upload(client, incident["id"], "note.txt",
                                                 "Threat noted: café at 9\r\nline two".encode(),
                                                 capture=django_capture_on_commit_callbacks).json()["id"])
    assert body["text"]["status"] == "done" and body["text"]["content"] == "Threat noted: café at 9\nline two"
    assert body["text"]["email"] is None


def test_without_the_ocr_engine_text_is_marked_unavailable_and_the_check_warns(
        people, client_for, incident, django_capture_on_commit_callbacks):
    from safety_workflow.checks import check_ocr_engine

    client = client_for(people.councillor)
    data, _ = ei.screenshot_png()
    with override_settings(SAFETY_WORKFLOW={"EVIDENCE_OCR_COMMAND": "/nonexistent/tesseract"}):
        warnings = check_ocr_engine()
        assert [w.id for w in warnings] == ["safety_workflow.W004"]
        assert "not installed" in warnings[0].msg
        image = upload(client, incident["id"], "post.png", data, "image/png",
                       capture=django_capture_on_commit_callbacks).json()
        scanned = upload(client, incident["id"], "scan.pdf", ei.scanned_letter_pdf()[0], "application/pdf",
                         capture=django_capture_on_commit_callbacks).json()
        email = upload(client, incident["id"], "m.eml", EML, capture=django_capture_on_commit_callbacks).json()
    text = detail(client, incident["id"], image["id"])["text"]
    assert text["status"] == "unavailable" and text["method"] == "ocr" and text["content"] == ""
    assert "Tesseract" in text["message"] and "not installed" in text["message"]
    text = detail(client, incident["id"], scanned["id"])["text"]
    assert text["status"] == "unavailable" and "scanned pages" in text["message"]
    assert detail(client, incident["id"], email["id"])["text"]["status"] == "done"  # no OCR needed


def test_check_is_quiet_with_the_engine(ocr):
    from safety_workflow.checks import check_ocr_engine

    assert check_ocr_engine() == []


def test_missing_language_data_is_said(ocr):
    from safety_workflow.ocr import EngineUnavailable, engine

    with override_settings(SAFETY_WORKFLOW={"EVIDENCE_OCR_LANGUAGES": "eng+zzz"}):
        with pytest.raises(EngineUnavailable, match="tesseract-ocr-zzz"):
            engine()


def test_command_reads_again_what_was_unavailable(people, client_for, incident, ocr,
                                                  django_capture_on_commit_callbacks):
    client = client_for(people.councillor)
    data, words = ei.screenshot_png()
    with override_settings(SAFETY_WORKFLOW={"EVIDENCE_OCR_COMMAND": "/nonexistent/tesseract"}):
        item = upload(client, incident["id"], "post.png", data, "image/png",
                      capture=django_capture_on_commit_callbacks).json()
    assert EvidenceText.objects.get(pk=item["id"]).status == "unavailable"
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("safety_workflow_read_evidence", "--unavailable", stdout=out)
    assert "1 evidence file(s) queued" in out.getvalue()
    text = EvidenceText.objects.get(pk=item["id"])
    assert text.status == "done" and ei.recall(words, text.text) >= 0.95 and text.attempts == 2


def test_a_file_changed_in_storage_is_not_read(people, client_for, incident, django_capture_on_commit_callbacks):
    from safety_workflow.models import EvidenceFile
    from safety_workflow.services.evidence_text import evidence_text_extract

    client = client_for(people.councillor)
    item = upload(client, incident["id"], "note.txt", b"original words").json()
    stored = EvidenceFile.objects.get(pk=item["id"])
    with stored.file.storage.open(stored.file.name, "wb") as handle:
        handle.write(b"tampered words")
    text = evidence_text_extract(evidence_id=stored.pk)
    assert text.status == "failed" and "SHA-256" in text.message and text.text == ""
