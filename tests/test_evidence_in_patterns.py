"""The words in evidence feed the rules that read words: police-trigger suggestions and subject linking."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from safety_workflow.models import Incident
from safety_workflow.selectors.patterns import police_trigger_suggestions
from safety_workflow.services.subjects import subject_create

from . import evidence_images as ei
from .helpers import API, report

pytestmark = pytest.mark.django_db

EML = (b"From: Martin Greaves <m.greaves@mail.example>\r\nTo: cllr.ahmed@council.example\r\nSubject: vote\r\n"
       b"\r\nYou will regret the library vote.\r\n")


def upload(client, capture, incident_id, name, data, content_type):
    with capture(execute=True):
        response = client.post(f"{API}/incidents/{incident_id}/evidence/",
                               {"file": SimpleUploadedFile(name, data, content_type=content_type)},
                               format="multipart")
    assert response.status_code == 201, response.content
    return response.json()


def test_threat_in_a_screenshot_is_suggested_to_the_assessor(people, client_for, decision_table, ocr,
                                                            django_capture_on_commit_callbacks):
    client = client_for(people.councillor)
    incident = report(client, account="A post about me on social media. Screenshot attached.")
    case = Incident.objects.get(pk=incident["id"]).case
    assert police_trigger_suggestions(case) == []
    upload(client, django_capture_on_commit_callbacks, incident["id"], "post.png", ei.screenshot_png()[0],
           "image/png")
    [threat] = police_trigger_suggestions(case)
    assert threat["trigger"] == "threatening_language"
    assert f'{incident["reference"]} (' in threat["explanation"]
    assert 'has evidence showing "i know where you live"' in threat["explanation"].lower()
    assert '"watch your back"' in threat["explanation"].lower()


def test_an_email_address_read_from_evidence_proposes_a_link_and_never_makes_one(
        people, client_for, django_capture_on_commit_callbacks):
    greaves = subject_create(actor=people.members, full_name="Martin Greaves",
                             handles=[{"kind": "email", "value": "m.greaves@mail.example"}])
    client = client_for(people.councillor)
    incident = report(client, account="An e-mail from someone I do not know.")
    upload(client, django_capture_on_commit_callbacks, incident["id"], "message.eml", EML, "message/rfc822")
    officer = client_for(people.members)
    response = officer.get(f"{API}/subjects/suggestions/", {"incident": incident["id"]})
    assert response.status_code == 200, response.content
    [suggestion] = response.json()["results"]
    assert suggestion["subject"]["id"] == str(greaves.pk)
    assert suggestion["strength"] == "possible"
    assert suggestion["matched"] == [{"on": "email", "kind": "evidence",
                                      "reported": "m.greaves@mail.example (read from message.eml)",
                                      "recorded": "m.greaves@mail.example"}]
    assert "appears in the evidence" in suggestion["explanation"]
    assert Incident.objects.get(pk=incident["id"]).subject_id is None  # proposed, not linked


def test_a_handle_visible_in_a_screenshot_proposes_a_link(people, client_for, ocr,
                                                          django_capture_on_commit_callbacks):
    jo = subject_create(actor=people.members, full_name="Jo Bloggs",
                        handles=[{"kind": "email", "value": "jo.bloggs@mail.example"}])
    image = ei.social_post(name="Jo Bloggs", handle="@jobloggs", lines=[
        "Contact me at jo.bloggs@mail.example if you dare.", "Watch your back at the next meeting."])
    out = io.BytesIO()
    image.save(out, "PNG")
    client = client_for(people.councillor)
    incident = report(client, account="A post.")
    upload(client, django_capture_on_commit_callbacks, incident["id"], "post.png", out.getvalue(), "image/png")
    [suggestion] = client_for(people.safety).get(f"{API}/subjects/suggestions/",
                                                {"incident": incident["id"]}).json()["results"]
    assert suggestion["subject"]["id"] == str(jo.pk) and suggestion["strength"] == "possible"
    assert suggestion["matched"][0]["kind"] == "evidence" and suggestion["matched"][0]["on"] == "email"
    assert Incident.objects.get(pk=incident["id"]).subject_id is None
