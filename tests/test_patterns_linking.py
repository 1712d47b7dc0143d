"""Proposing links at triage: matching what the reporter knew against recorded subjects, never merging."""

from __future__ import annotations

import pytest

from safety_workflow.models import Incident, Subject
from safety_workflow.selectors.linking import name_match, reported_handles, subject_suggestions
from safety_workflow.services.subjects import subject_create

from .factories import SubjectFactory
from .histories import add_incident, open_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded(people):
    """Subjects already in the log."""
    zoe = subject_create(
        actor=people.members, full_name="Zoë O'Hara", aliases=["Zed"],
        handles=[{"kind": "email", "value": "zoe.ohara@gmail.com"},
                 {"kind": "phone", "value": "07700 900123"},
                 {"kind": "social", "platform": "X", "value": "@ZoHara"}],
    )
    john = subject_create(actor=people.members, full_name="John Smith")
    anon = subject_create(actor=people.members, description="Man in a red cap at the Tuesday surgery",
                          aliases=["Red Cap"], handles=[{"kind": "phone", "value": "+44 (0)7700 900999"}])
    return {"zoe": zoe, "john": john, "anon": anon}


def new_incident(people, details: dict, subject: Subject | None = None) -> Incident:
    case = open_case(subject=subject, reference=f"SW-2026-{Incident.objects.count() + 50:04d}")
    incident = add_incident(case, councillor=people.councillor, occurred="2026-06-01", channel="email")
    incident.subject_details = details
    incident.save(update_fields=["subject_details"])
    return incident


def test_every_kind_of_detail_is_matched_however_it_was_typed(people, recorded):
    incident = new_incident(people, {
        "full_name": "ZOE O’HARA",
        "email": "ZoeOHara+council@googlemail.com",
        "phone": "+44 7700 900123",
        "handles": [{"kind": "social", "platform": "X", "value": "https://x.com/zohara/"}],
    })
    [suggestion] = subject_suggestions(incident)
    assert suggestion["subject"] == recorded["zoe"]
    assert suggestion["strength"] == "strong"
    assert {(m["on"], m["kind"]) for m in suggestion["matched"]} == {
        ("name", "exact"), ("email", "exact"), ("phone", "exact"), ("social", "exact")}
    assert suggestion["explanation"] == (
        "Possibly Zoë O'Hara: the same e-mail address (zoe.ohara@gmail.com); the same phone number (07700 900123); "
        "the same social-media account (@ZoHara); the name \"ZOE O’HARA\" matches exactly.")


def test_partial_names_and_aliases_are_possible_matches(people, recorded):
    incident = new_incident(people, {"full_name": "John Paul Smith", "aliases": ["zed"]})
    suggestions = {s["subject"]: s for s in subject_suggestions(incident)}
    assert set(suggestions) == {recorded["john"], recorded["zoe"]}
    assert suggestions[recorded["john"]]["strength"] == "possible"
    assert suggestions[recorded["john"]]["matched"] == [
        {"on": "name", "kind": "partial", "reported": "John Paul Smith", "recorded": "John Smith"}]
    assert suggestions[recorded["zoe"]]["matched"][0]["on"] == "alias"


def test_an_unidentified_subject_is_found_by_its_phone_number(people, recorded):
    incident = new_incident(people, {"description": "rang the office", "phones": ["07700900999"]})
    [suggestion] = subject_suggestions(incident)
    assert suggestion["subject"] == recorded["anon"] and suggestion["strength"] == "strong"


def test_nothing_is_proposed_without_a_match_and_nothing_is_ever_linked(people, recorded):
    assert subject_suggestions(new_incident(people, {"full_name": "Smith", "email": "other@example.com"})) == []
    assert subject_suggestions(new_incident(people, {})) == []
    incident = new_incident(people, {"full_name": "Zoe O'Hara"})
    assert subject_suggestions(incident)
    incident.refresh_from_db()
    assert incident.subject is None and incident.case.subject is None  # proposals only
    # The subject already linked is not proposed again.
    linked = new_incident(people, {"full_name": "Zoe O'Hara"}, subject=recorded["zoe"])
    assert subject_suggestions(linked) == []


def test_matching_helpers():
    assert name_match("Seán  O'Brien", "sean o brien") == "exact"
    assert name_match("O'Brien Sean", "Sean O'Brien") == "partial"
    assert name_match("Sean", "Sean O'Brien") is None
    assert reported_handles({"handles": [{"kind": "fax", "value": "1"}, {"kind": "phone", "value": "n/a"}],
                             "email": ["A@B.com", "a@b.com"]}) == [("email", "A@B.com", "a@b.com")]


def test_suggestions_take_the_same_queries_however_many_subjects(people, recorded, django_assert_max_num_queries):
    incident = new_incident(people, {"full_name": "Zoe O'Hara", "email": "zoe.ohara@gmail.com"})
    with django_assert_max_num_queries(6) as few:  # one of them reads the handles in the evidence
        assert len(subject_suggestions(incident)) == 1
    SubjectFactory.create_batch(150)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(subject_suggestions(incident)) == 1


# Through the API -------------------------------------------------------------------------------
def test_triage_officer_sees_the_proposals(people, recorded, client_for):
    incident = new_incident(people, {"full_name": "Zoe O'Hara", "phone": "07700 900123"})
    response = client_for(people.members).get(f"/api/safety/subjects/suggestions/?incident={incident.pk}")
    assert response.status_code == 200, response.json()
    [suggestion] = response.json()["results"]
    assert suggestion["subject"]["id"] == str(recorded["zoe"].pk)
    assert suggestion["subject"]["aliases"] == ["Zed"]
    assert suggestion["strength"] == "strong" and len(suggestion["matched"]) == 2


def test_suggestions_are_refused_to_others_and_check_the_incident(people, recorded, client_for):
    incident = new_incident(people, {"full_name": "Zoe O'Hara"})
    url = f"/api/safety/subjects/suggestions/?incident={incident.pk}"
    # The councillor may see the incident (it is aimed at her) but never subjects.
    refused = client_for(people.councillor).get(url)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    missing = client_for(people.members).get("/api/safety/subjects/suggestions/?incident=8f9c2a44-0000-4000-8000-"
                                             "000000000000")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    bad = client_for(people.members).get("/api/safety/subjects/suggestions/?incident=nope")
    assert bad.status_code == 400 and "incident" in bad.json()["errors"]


def test_triage_task_context_proposes_subjects_for_each_unlinked_incident(people, recorded):
    from safety_workflow.selectors.linking import triage_context

    incident = new_incident(people, {"full_name": "Zoe O'Hara", "email": "zoe.ohara@gmail.com"})
    add_incident(incident.case, councillor=people.councillor, occurred="2026-06-02", channel="phone")
    context = triage_context(None, incident.case)
    first, second = context["subject_suggestions"]
    assert first["incident"] == incident.reference and second["suggestions"] == []
    [suggestion] = first["suggestions"]
    assert suggestion["subject"]["id"] == str(recorded["zoe"].pk) and suggestion["subject"]["aliases"] == ["Zed"]
    assert suggestion["strength"] == "strong" and {m["on"] for m in suggestion["matched"]} == {"name", "email"}
