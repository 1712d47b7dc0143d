"""The API contract, finding by finding (issue 10): each of these answered a 500, leaked, or broke the schema."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from knox.models import AuthToken

from safety_workflow.api.fields import format_api_datetime
from safety_workflow.models import AccessLogEntry, Incident

from .helpers import API, answers, complete, report
from .register_helpers import ENTRIES, proposal, subject_with_incidents

pytestmark = pytest.mark.django_db
PACKAGE = Path(__file__).resolve().parent.parent / "safety_workflow"


@pytest.fixture
def c(people, client_for, decision_table, advice_templates, police_contact):
    return {name: client_for(getattr(people, name)) for name in vars(people)}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return yaml.safe_load(Client().get("/api/schema/").content)


# Bad input is a 4xx JSON error, never a 500 ----------------------------------------------------------------
def test_a_malformed_key_in_a_filter_is_a_400_naming_it(c):
    response = c["members"].get(f"{API}/incidents/", {"protected_person": "z"})
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json()["code"] == "invalid" and "protected_person" in response.json()["errors"]
    for huge in ("99999999999999999999", "-1"):
        assert c["members"].get(f"{API}/incidents/", {"case": huge}).status_code == 400


@pytest.mark.parametrize("path, name", [("cases/", "opened_before"), ("incidents/", "occurred_before"),
                                        ("audit/", "since")])
def test_utc_offsets_postgresql_refuses_are_refused_with_a_clear_message(c, path, name):
    response = c["monitoring"].get(f"{API}/{path}", {name: "2020-08-12T18:04:14+19:08"})
    assert response.status_code == 400, response.content
    assert response.json()["errors"][name] == ["The UTC offset must lie between -15:59 and +15:59."]
    assert c["monitoring"].get(f"{API}/{path}", {name: "2020-08-12T18:04:14+05:30"}).status_code == 200


def test_years_outside_1900_to_2100_are_refused_and_date_times_are_given_in_utc(c):
    body = {"channel": "email", "account": "Abusive e-mail."}
    for year in ("0042", "0172", "1899", "2101"):
        response = c["councillor"].post(f"{API}/incidents/", {**body, "occurred_at": f"{year}-05-13T11:01:28Z"},
                                        format="json")
        assert response.status_code == 400, year
        assert response.json()["errors"]["occurred_at"] == ["Give a year from 1900 to 2100."]
    created = c["councillor"].post(f"{API}/incidents/", {**body, "occurred_at": "2026-05-13T12:01:28+01:00"},
                                   format="json").json()
    assert created["occurred_at"] == "2026-05-13T11:01:28Z"  # RFC 3339, in UTC
    assert format_api_datetime(dt.datetime(1900, 1, 1, tzinfo=dt.UTC)) == "1900-01-01T00:00:00Z"


def test_a_register_task_has_its_entry_for_context(c, people):
    subject, incidents = subject_with_incidents(people, name="Gary Pike")
    entry = c["safety"].post(ENTRIES, proposal(subject, incidents), format="json").json()
    [task] = c["monitoring"].get(f"{API}/tasks/", {"node": "approve"}).json()["results"]
    detail = c["monitoring"].get(f"{API}/tasks/{task['id']}/")
    assert detail.status_code == 200, detail.content
    assert detail.json()["context"]["register_entry"]["id"] == entry["id"]
    assert detail.json()["case"] is None and detail.json()["register_entry"]["reference"] == entry["reference"]


def test_strings_a_database_cannot_store_are_refused(c):
    body = {"occurred_at": "2026-05-13T11:01:28Z", "channel": "email", "account": "nul \u0000 here"}
    response = c["councillor"].post(f"{API}/incidents/", body, format="json")
    assert response.status_code == 400
    raw = b'{"occurred_at": "2026-05-13T11:01:28Z", "channel": "email", "account": "x", "ward": "\\ud800"}'
    response = c["councillor"].post(f"{API}/incidents/", raw, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "malformed_request"
    assert c["members"].get(f"{API}/incidents/", {"ward": "a\x00b"}).status_code == 400


def test_pages_are_checked_and_a_page_past_the_end_is_empty(c):
    report(c["councillor"])
    for bad in ("0", "201", "x"):
        response = c["members"].get(f"{API}/incidents/", {"page_size": bad})
        assert response.status_code == 400 and "page_size" in response.json()["errors"], bad
    past = c["members"].get(f"{API}/incidents/", {"page": 9})
    assert past.status_code == 200 and past.json()["results"] == [] and past.json()["count"] == 1
    assert past.json()["next"] is None and past.json()["previous"].endswith("/incidents/")


def test_any_other_path_under_the_api_is_a_json_404(c):
    for path in ("cases/0.5/", "nothing-here/", "incidents/x/evidence/y/download/"):
        response = c["members"].get(f"{API}/{path}")
        assert response.status_code == 404 and response.json() == {"code": "not_found", "message": "Not found."}


# Unknown parameters and fields are named, not ignored ------------------------------------------------------
@pytest.mark.parametrize("path, params", [("support/advice/", {"case": "1"}), ("audit/", {"q": "x"}),
                                          ("incidents/", {"councilor": "1"}), ("cases/1/", {"format": "json"})])
def test_unknown_query_parameters_are_refused_by_name(c, path, params):
    response = c["monitoring"].get(f"{API}/{path}", params)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "unknown_parameters"
    assert set(response.json()["errors"]) == set(params)


def test_unknown_body_fields_are_refused_by_name_at_any_depth(c):
    body = {"occurred_at": "2026-05-13T11:01:28Z", "channel": "email", "account": "x", "acount": "typo",
            "subject_details": {"name": "Jo", "handles": [{"kind": "email", "value": "j@x.example", "extra": 1}]}}
    response = c["councillor"].post(f"{API}/incidents/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"acount": ["This field is not known."]}
    del body["acount"]
    response = c["councillor"].post(f"{API}/incidents/", body, format="json")
    assert response.json()["errors"] == {"subject_details": {"handles": {"0": {"extra": ["This field is not known."]}}}}


def test_the_subject_details_the_docs_promise_are_kept(c):
    details = {"full_name": "Jo Bloggs", "email": "jo@mail.example", "phone": "07700 900123", "social": "@jo",
               "address": "1 High Street", "aliases": ["JB"]}
    created = report(c["councillor"], subject_details=details)
    assert Incident.objects.get(pk=created["id"]).subject_details == details
    assert created["subject_details"] == details


# Visibility ----------------------------------------------------------------------------------------------
@pytest.fixture
def referred(c, decision_table):
    incident = report(c["councillor2"], account="Threat to burn my house down.", channel="letter",
                      subject_details={"full_name": "Gary Pike"})
    case_id = incident["case"]["id"]
    complete(c["members"], case_id, "triage", {"new_subject": {"full_name": "Gary Pike"}})
    complete(c["safety"], case_id, "assess", {"answers": answers(decision_table, threat_to_life=True)})
    return incident


def test_the_police_liaison_sees_referred_incidents_but_not_their_evidence_files(c, referred):
    path = f"{API}/incidents/{referred['id']}/"
    assert c["police"].get(path).status_code == 200
    assert c["police"].get(path).json()["evidence"] is None and c["police"].get(path).json()["evidence_count"] is None
    assert c["police"].get(f"{path}evidence/").status_code == 403
    assert c["members"].get(f"{path}evidence/").status_code == 200
    upload = c["members"].post(f"{path}evidence/", {"file": _file()}, format="multipart")
    assert upload.status_code == 201, upload.content
    download = f"{path}evidence/{upload.json()['id']}/download/"
    assert c["police"].get(download).json() == c["police"].get(
        f"{path}evidence/00000000-0000-4000-8000-000000000000/download/").json() == {
        "code": "not_found", "message": "Not found."}


def _file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("note.txt", b"A note of the call.", content_type="text/plain")


def test_the_police_timeline_does_not_name_incidents_or_cases_the_police_may_not_see(c, people, referred):
    from safety_workflow.models import Subject

    subject = Subject.objects.get(full_name="Gary Pike")
    other = report(c["councillor"], account="Left a note on my car.", subject_details={"full_name": "Gary Pike"})
    complete(c["members"], other["case"]["id"], "triage", {"subject": str(subject.pk)})  # merged into the case
    hidden = {other["reference"], other["case"]["reference"]}
    timeline = c["police"].get(f"{API}/incidents/{referred['id']}/timeline/").json()["results"]
    text = str(timeline)
    assert timeline and not [name for name in hidden if name in text], timeline
    whole = str(c["members"].get(f"{API}/incidents/{referred['id']}/timeline/").json()["results"])
    assert all(name in whole for name in hidden)  # the officers see the merge


# The schema declares what comes back ---------------------------------------------------------------------
def test_every_operation_declares_its_errors_with_their_codes(schema):
    for path, item in schema["paths"].items():
        if not path.startswith("/api/safety/"):
            continue
        for method, operation in item.items():
            responses = operation["responses"]
            assert {"400", "401", "403"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            if "requestBody" in operation:
                assert "415" in responses, (method, path)
    code = schema["components"]["schemas"]["ConflictError"]["properties"]["code"]
    conflict = schema["components"]["schemas"][code["allOf"][0]["$ref"].rsplit("/", 1)[1]]["enum"]
    assert "task_already_completed" in conflict and "busy" in conflict
    unauthenticated = schema["paths"]["/api/safety/cases/"]["get"]["responses"]["401"]
    assert "WWW-Authenticate" in unauthenticated["headers"]


def test_collections_are_paginated_and_only_collections(schema):
    def body(path, method="get"):
        content = schema["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
        return schema["components"]["schemas"][content["$ref"].rsplit("/", 1)[1]]

    for path in ("/api/safety/incidents/{id}/evidence/", "/api/safety/register/entries/{entry_id}/grants/",
                 "/api/safety/subjects/suggestions/", "/api/safety/advice-templates/"):
        assert set(body(path)["properties"]) == {"count", "next", "previous", "results"}, path
    assert "results" not in body("/api/safety/reports/")["properties"]


def test_nullable_fields_are_declared_nullable(schema):
    schemas = schema["components"]["schemas"]
    assert schemas["EntryDetail"]["properties"]["case"].get("nullable") or "oneOf" in str(
        schemas["EntryDetail"]["properties"]["case"])
    assert schemas["AdviceOutput"]["properties"]["template"]["nullable"] is True


def test_downloads_declare_the_types_they_are_served_as(schema):
    evidence = schema["paths"]["/api/safety/incidents/{id}/evidence/{evidence_id}/download/"]["get"]
    assert {"image/png", "application/pdf", "text/plain"} <= set(evidence["responses"]["200"]["content"])
    bundle = schema["paths"]["/api/safety/bundles/{id}/download/"]["get"]
    assert set(bundle["responses"]["200"]["content"]) == {"application/pdf"}


def test_request_bodies_refuse_unknown_fields_in_the_schema_too(schema):
    report_body = schema["paths"]["/api/safety/incidents/"]["post"]["requestBody"]["content"]["application/json"]
    name = report_body["schema"]["$ref"].rsplit("/", 1)[1]
    assert schema["components"]["schemas"][name]["additionalProperties"] is False


# Shapes: one summary for each kind of record ---------------------------------------------------------------
def test_cases_and_people_have_one_shape_everywhere(c, referred):
    referral = c["police"].get(f"{API}/referrals/").json()["results"][0]
    assert set(referral["case"]) == {"id", "reference", "state", "level", "route"}
    assert set(referral["incidents"][0]) == {"id", "reference", "occurred_at", "channel"}
    incident = c["members"].get(f"{API}/incidents/{referred['id']}/").json()
    assert set(incident["case"]) == set(referral["case"]) and set(incident["reported_by"]) == {"id", "name"}
    assert set(incident["protected_person"]) == {"id", "name", "kind"}
    assert set(incident["subject"]) == {"id", "name"}
    timeline = c["members"].get(f"{API}/incidents/{referred['id']}/timeline/").json()["results"]
    assert all(e["actor"] is None or set(e["actor"]) == {"id", "name"} for e in timeline)


# Authentication (the test settings use the example host's scheme) ---------------------------------------
def test_missing_or_wrong_credentials_answer_401_with_www_authenticate(people):
    client = Client()
    for headers in ({}, {"HTTP_AUTHORIZATION": "Token not-a-token"}, {"HTTP_AUTHORIZATION": "Basic eDp5"}):
        response = client.get(f"{API}/cases/", **headers)
        assert response.status_code == 401, headers
        assert response["WWW-Authenticate"] == "Token"
        assert response.json()["code"] in ("not_authenticated", "authentication_failed")
    token = AuthToken.objects.create(user=people.members)[1]
    assert client.get(f"{API}/cases/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


def test_a_token_is_got_once_with_the_password_then_sent_instead(people):
    client = Client()
    people.members.set_password("a-long-pass-phrase")
    people.members.save()
    basic = base64.b64encode(f"{people.members.email}:a-long-pass-phrase".encode()).decode()
    got = client.post("/api/auth/token/", HTTP_AUTHORIZATION=f"Basic {basic}")
    assert got.status_code == 200, got.content
    token = got.json()["token"]
    assert AuthToken.objects.get().digest != token  # only a digest is stored
    assert client.get(f"{API}/tasks/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    assert client.post("/api/auth/logout/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 204
    assert client.get(f"{API}/tasks/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401


def test_a_refused_register_check_is_logged_before_its_body_is_read(c, people):
    response = c["councillor"].post(f"{API}/register/check/", {"name": "Gary Pike"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "register_check_not_permitted"
    log = AccessLogEntry.objects.get(action="check", actor=people.councillor)
    assert log.result == "refused" and log.object_repr == "Gary Pike"


def test_the_schema_file_the_docs_describe_validates(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))


def test_methods_an_operation_does_not_have_answer_405_and_head_works_as_get(c):
    for method, path in (("options", "incidents/"), ("put", "cases/"), ("delete", "register/entries/"),
                         ("options", "register/check/"), ("patch", "tasks/1/")):
        response = getattr(c["members"], method)(f"{API}/{path}")
        assert response.status_code == 405 and response.json()["code"] == "method_not_allowed", (method, path)
    for path in ("incidents/", "register/entries/?purpose=testing", "police-contacts/"):
        assert c["members"].head(f"{API}/{path}").status_code == 200, path


def test_an_integer_id_too_large_for_the_database_is_not_found(c):
    """SQLite cannot hold an integer past 2**63: such an id answers the same 404 as any missing one."""
    for path in ("cases/99999999999999999999/", "election-periods/99999999999999999999/", "election-periods/-1/"):
        response = c["members"].get(f"{API}/{path}")
        assert (response.status_code, response.json()) == (404, {"code": "not_found", "message": "Not found."}), path
    assert c["members"].get(f"{API}/reports/elections/", {"election": "99999999999999999999"}).status_code == 400


def test_model_output_fields_are_built_once_per_class_and_copied_for_each_serializer(people, client_for):
    """``ModelOutput`` builds its fields from the model once per class; every serializer gets its own copy, so an
    answer is what DRF's own build gives, and one serializer's fields are never another's."""
    from rest_framework import serializers

    from safety_workflow.api.incidents import IncidentOutput

    first, second = IncidentOutput(), IncidentOutput()
    assert list(first.fields) == list(serializers.ModelSerializer.get_fields(IncidentOutput()))
    assert all(first.fields[name] is not second.fields[name] for name in first.fields)
    assert first.fields["case"].parent is first and second.fields["case"].parent is second
    incident = report(client_for(people.councillor))
    members = client_for(people.members)
    listed = members.get(f"{API}/incidents/").json()["results"]
    assert [row["id"] for row in listed] == [incident["id"]]
    read = members.get(f"{API}/incidents/{incident['id']}/").json()
    assert {key: value for key, value in read.items() if key != "evidence"} == listed[0]
