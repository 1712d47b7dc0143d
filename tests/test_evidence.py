"""Evidence uploads: type from the bytes, size limit, SHA-256, downloads logged."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from safety_workflow.models import AccessLogEntry, EvidenceFile

from .helpers import API, report

pytestmark = pytest.mark.django_db

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
EML = b"From: angry@example.com\r\nTo: cllr@council.example\r\nSubject: you\r\n\r\nYou will regret this.\r\n"


@pytest.fixture
def incident(people, client_for):
    return report(client_for(people.councillor))


def upload(client, incident_id, name, data, **extra):
    return client.post(f"{API}/incidents/{incident_id}/evidence/",
                       {"file": SimpleUploadedFile(name, data, content_type="application/octet-stream"), **extra},
                       format="multipart")


def test_upload_sniffs_type_and_hashes(people, client_for, incident):
    client = client_for(people.councillor)
    response = upload(client, incident["id"], "screenshot", PNG, description="Screenshot of the post")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == "image/png"  # from the bytes, not the name or the client's claim
    assert body["sha256"] == hashlib.sha256(PNG).hexdigest() and body["size"] == len(PNG)
    stored = EvidenceFile.objects.get(pk=body["id"])
    assert "screenshot" not in stored.file.name  # never the uploader's file name on disk
    eml = upload(client, incident["id"], "message", EML)
    assert eml.status_code == 201 and eml.json()["content_type"] == "message/rfc822"
    listed = client.get(f"{API}/incidents/{incident['id']}/evidence/").json()["results"]
    assert [e["id"] for e in listed] == [body["id"], eml.json()["id"]]


def test_refused_types_and_sizes(people, client_for, incident):
    client = client_for(people.councillor)
    exe = upload(client, incident["id"], "photo.jpg", b"MZ\x90\x00" + b"\x00" * 200)
    assert exe.status_code == 415 and exe.json()["code"] == "active_content"
    empty = upload(client, incident["id"], "x.txt", b"")
    assert empty.status_code == 400 and empty.json()["code"] == "empty_file"
    with override_settings(SAFETY_WORKFLOW={"EVIDENCE_MAX_BYTES": 10}):
        big = upload(client, incident["id"], "big.png", PNG)
    assert big.status_code == 413 and big.json()["code"] == "file_too_large"
    assert not EvidenceFile.objects.exists()


def test_download_is_logged_and_refused_to_others(people, client_for, incident):
    evidence = upload(client_for(people.councillor), incident["id"], "a.png", PNG).json()
    path = f"{API}/incidents/{incident['id']}/evidence/{evidence['id']}/download/"
    response = client_for(people.members).get(path)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["X-Content-SHA256"] == evidence["sha256"]
    assert response["Content-Disposition"].startswith("attachment")
    entry = AccessLogEntry.objects.get(action="download", object_type="evidence", outcome="allowed")
    assert entry.actor == people.members and entry.data["sha256"] == evidence["sha256"]
    for user in (people.councillor2, people.legal, people.frontline):
        assert client_for(user).get(path).status_code == 404
    assert AccessLogEntry.objects.filter(action="download", outcome="allowed").count() == 1
    refused = AccessLogEntry.objects.filter(action="download", outcome="refused", object_id=evidence["id"])
    assert sorted(r.actor_id for r in refused) == sorted(u.pk for u in (people.councillor2, people.legal,
                                                                         people.frontline))


def test_only_people_involved_may_add_evidence(people, client_for, incident):
    response = upload(client_for(people.councillor2), incident["id"], "a.png", PNG)
    assert response.status_code == 404  # cannot see the incident at all
    assert upload(client_for(people.members), incident["id"], "a.png", PNG).status_code == 201


def test_sniffing_helper_handles_cut_utf8():
    from safety_workflow.services.evidence import sniff_content_type

    text = ("Ceci est une menace très claire. " * 400).encode()
    assert sniff_content_type(text[:8191]) == "text/plain"
    assert sniff_content_type(io.BytesIO(b"\x00\x01\x02binary").read()) is None
