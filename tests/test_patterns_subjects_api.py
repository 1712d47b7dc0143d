"""The subjects/ resource: recording people, their aliases and handles, and who may see them."""

from __future__ import annotations

import pytest

from safety_workflow.models import AccessLogEntry, ContactHandle, Subject
from safety_workflow.services.patterns import conduct_flags_update

from .factories import SubjectFactory
from .histories import slow_burn

pytestmark = pytest.mark.django_db
URL = "/api/safety/subjects/"


def test_members_services_record_a_subject_with_aliases_and_handles(people, client_for):
    response = client_for(people.members).post(URL, {
        "full_name": "Gary Pike", "description": "Grey beard, cycles everywhere", "date_of_birth": "1961-07-02",
        "aliases": ["G. Pike", "Pikey"],
        "handles": [{"kind": "email", "value": "G.Pike@Example.com"},
                    {"kind": "social", "platform": "X", "value": "https://x.com/garypike"}],
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["full_name"] == "Gary Pike" and body["identified"] is True
    assert [a["name"] for a in body["aliases"]] == ["G. Pike", "Pikey"]
    assert {(h["kind"], h["value"]) for h in body["handles"]} == {
        ("email", "G.Pike@Example.com"), ("social", "https://x.com/garypike")}
    assert body["cases"] == [] and body["course_of_conduct_flags"] == []
    assert ContactHandle.objects.get(kind="social").normalised == "garypike"
    assert AccessLogEntry.objects.filter(action="change", object_type="subject", object_id=body["id"]).exists()


def test_an_unidentified_subject_must_be_described(people, client_for):
    client = client_for(people.safety)
    empty = client.post(URL, {}, format="json")
    assert empty.status_code == 400 and empty.json()["code"] == "invalid"
    response = client.post(URL, {"description": "Voice on the phone, Irish accent"}, format="json")
    assert response.status_code == 201 and response.json()["display_name"].startswith("Unidentified subject")


def test_bad_handles_are_refused_and_nothing_is_written(people, client_for):
    client = client_for(people.members)
    for handle in ({"kind": "fax", "value": "123"}, {"kind": "phone", "value": "n/a"}, {"kind": "email"}):
        response = client.post(URL, {"full_name": "X Y", "handles": [handle]}, format="json")
        assert response.status_code == 400 and "handles" in response.json()["errors"]
    assert not Subject.objects.exists()


def test_aliases_and_handles_are_added_once(people, client_for):
    subject = SubjectFactory(full_name="Derek Mallory")
    client = client_for(people.monitoring)
    for _ in range(2):
        alias = client.post(f"{URL}{subject.pk}/aliases/", {"name": "Del"}, format="json")
        handle = client.post(f"{URL}{subject.pk}/handles/", {"kind": "phone", "value": "07700 900456"},
                             format="json")
    assert alias.status_code == 201 and handle.status_code == 201
    assert [a["name"] for a in handle.json()["aliases"]] == ["Del"]
    assert [h["value"] for h in handle.json()["handles"]] == ["07700 900456"]
    bad = client.post(f"{URL}{subject.pk}/handles/", {"kind": "phone", "value": "none"}, format="json")
    assert bad.status_code == 400


def test_list_searches_names_aliases_and_handles_with_counts_and_flags(people, decision_table, client_for):
    history = slow_burn(people)
    conduct_flags_update(subject=history.subject, actor=None)
    SubjectFactory(full_name="Angela Crisp").aliases.create(name="Ange")
    client = client_for(people.members)

    body = client.get(URL).json()
    assert body["count"] == 2
    gary = next(s for s in body["results"] if s["full_name"] == "Gary Pike")
    assert (gary["incident_count"], gary["open_case"]["reference"], gary["course_of_conduct_flagged"]) == (
        7, "SW-2026-0003", True)
    assert [s["full_name"] for s in client.get(URL, {"q": "ange"}).json()["results"]] == ["Angela Crisp"]
    history.subject.handles.create(kind="phone", value="07700 900123")
    assert [s["full_name"] for s in client.get(URL, {"q": "+447700900123"}).json()["results"]] == ["Gary Pike"]


def test_list_and_detail_cost_the_same_whatever_the_numbers(people, decision_table, client_for,
                                                            django_assert_max_num_queries):
    client = client_for(people.members)
    SubjectFactory.create_batch(3)
    with django_assert_max_num_queries(8) as few:
        assert client.get(URL, {"page_size": 200}).status_code == 200
    for subject in SubjectFactory.create_batch(60):
        subject.aliases.create(name=f"Alias of {subject.full_name}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(URL, {"page_size": 200}).json()["count"] == 63

    history = slow_burn(people)
    conduct_flags_update(subject=history.subject, actor=None)
    with django_assert_max_num_queries(14):
        detail = client.get(f"{URL}{history.subject.pk}/")
    assert detail.status_code == 200
    assert [c["reference"] for c in detail.json()["cases"]] == ["SW-2026-0001", "SW-2026-0003"]
    [flag] = detail.json()["course_of_conduct_flags"]
    assert flag["protected_person"]["name"] == "Cllr Ahmed" and flag["reason"].startswith("Gary Pike has 7 logged")
    assert len(flag["incidents"]) == 7


@pytest.mark.parametrize("who", ["councillor", "legal", "police", "frontline", "governance", "nobody"])
def test_subjects_are_for_case_officers_only(people, client_for, who):
    subject = SubjectFactory()
    client = client_for(getattr(people, who))
    listing = client.get(URL)
    assert listing.status_code == 403 and listing.json()["code"] == "forbidden"
    created = client.post(URL, {"full_name": "Someone"}, format="json")
    assert created.status_code == 403
    for path in (f"{URL}{subject.pk}/", f"{URL}{subject.pk}/conduct/"):
        assert client.get(path).json() == {"code": "not_found", "message": "Not found."}
    assert client.post(f"{URL}{subject.pk}/aliases/", {"name": "x"}, format="json").status_code == 404
    assert Subject.objects.count() == 1 and not subject.aliases.exists()


def test_anonymous_callers_are_refused(db, client):
    response = client.get(URL)
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"  # the test settings use the example host's token scheme
