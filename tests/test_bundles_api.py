"""bundles/ over HTTP: who may request what, validation, listing, progress, retry and logged downloads."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from safety_workflow.models import AccessLogEntry, Bundle, TimelineEntry

from .bundles_helpers import injunction_case, refer_to_police
from .factories import SubjectFactory, make_case_with_incidents

pytest.importorskip("weasyprint")

URL = "/api/safety/bundles/"


def post(client, body, capture=None):
    if capture is None:
        return client.post(URL, body, format="json")
    with capture(execute=True):
        return client.post(URL, body, format="json")


def today() -> str:
    return timezone.localdate().isoformat()


@pytest.fixture
def cases(people, decision_table, police_contact):
    """A council-action case (legal can see it), a police case, and a case nobody routed yet."""
    subject = SubjectFactory(full_name="Ivor Grudge")
    council = injunction_case(people, decision_table, count=2, subject=subject)
    police = make_case_with_incidents(councillor=people.councillor2, count=1, level="serious")
    refer_to_police(police, contact=police_contact)
    fresh = make_case_with_incidents(councillor=people.councillor, count=1)
    return {"council": council, "police": police, "fresh": fresh, "subject": subject}


@pytest.mark.django_db
@pytest.mark.parametrize("who, kind, scope_key, expected", [
    ("legal", "injunction", "council", 202),
    ("monitoring", "injunction", "council", 202),
    ("legal", "injunction", "fresh", 404),          # legal sees only cases routed to council action
    ("members", "injunction", "council", 404),      # members services cannot request injunction bundles
    ("councillor", "injunction", "council", 403),  # no bundle at all for councillors (the access table)
    ("police", "police_referral", "police", 202),
    ("members", "police_referral", "police", 202),
    ("safety", "police_referral", "police", 202),
    ("police", "police_referral", "council", 404),  # not referred: the police cannot see it
    ("legal", "police_referral", "police", 404),
    ("frontline", "police_referral", "police", 403),
    ("governance", "injunction", "council", 404),
    ("nobody", "injunction", "council", 403),
])
def test_who_may_request_a_case_bundle(people, cases, client_for, who, kind, scope_key, expected):
    response = post(client_for(getattr(people, who)), {"kind": kind, "scope": {"case": cases[scope_key].pk}})
    assert response.status_code == expected, response.content
    if expected in (403, 404):
        assert response.json()["code"] == {403: "forbidden", 404: "not_found"}[expected]
        assert not Bundle.objects.exists() and not AccessLogEntry.objects.filter(outcome="allowed").exists()
        if expected == 404:
            refused = AccessLogEntry.objects.get()  # the attempt is logged, as refused
            assert refused.outcome == "refused" and refused.actor == getattr(people, who)
    else:
        bundle = Bundle.objects.get()
        assert bundle.kind == kind and bundle.scope == {"case": cases[scope_key].pk}
        entry = AccessLogEntry.objects.get()
        assert (entry.action, entry.object_id, entry.actor) == ("export", str(bundle.pk), getattr(people, who))


@pytest.mark.django_db
@pytest.mark.parametrize("who, kind, expected", [
    ("monitoring", "liaison_meeting", 202),
    ("members", "liaison_meeting", 202),
    ("legal", "liaison_meeting", 404),
    ("police", "liaison_meeting", 404),
    ("governance", "subject_access", 202),
    ("monitoring", "subject_access", 404),
    ("members", "subject_access", 404),
])
def test_who_may_request_packs_and_exports(people, cases, client_for, who, kind, expected):
    scope = ({"since": (timezone.localdate() - dt.timedelta(days=30)).isoformat(), "until": today()}
             if kind == "liaison_meeting" else {"subject": str(cases["subject"].pk)})
    response = post(client_for(getattr(people, who)), {"kind": kind, "scope": scope})
    assert response.status_code == expected, response.content
    assert Bundle.objects.count() == (1 if expected == 202 else 0)


@pytest.mark.django_db
def test_a_case_that_is_not_referred_gives_a_clear_conflict(people, cases, client_for):
    response = post(client_for(people.members), {"kind": "police_referral", "scope": {"case": cases["council"].pk}})
    assert response.status_code == 409 and response.json()["code"] == "case_not_referred"
    assert not Bundle.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("body, code, field", [
    ({"kind": "injunction", "scope": {}}, "invalid_scope", "subject"),
    ({"kind": "injunction", "scope": {"case": "abc"}}, "invalid_scope", "case"),
    ({"kind": "injunction", "scope": {"case": 1, "extra": 2}}, "invalid_scope", "extra"),
    ({"kind": "injunction", "scope": "case 1"}, "invalid_scope", "non_field_errors"),
    ({"kind": "injunction", "scope": {"subject": "x", "date_from": "2026-01-01", "date_to": "2026-02-01"}},
     "invalid_scope", "subject"),
    ({"kind": "liaison_meeting", "scope": {"since": "2026-05-01", "until": "2026-04-01"}}, "invalid_scope", "until"),
    ({"kind": "liaison_meeting", "scope": {"since": "yesterday", "until": "2026-04-01"}}, "invalid_scope", "since"),
    ({"kind": "liaison_meeting", "scope": {"since": "2026-01-01"}}, "invalid_scope", "until"),
    ({"kind": "unknown", "scope": {}}, "invalid", "kind"),
])
def test_bad_requests_are_refused_with_stable_codes_and_write_nothing(people, client_for, body, code, field):
    user = people.monitoring
    response = post(client_for(user), body)
    assert response.status_code == 400, response.content
    payload = response.json()
    assert payload["code"] == code
    errors = payload["errors"].get("scope", payload["errors"])
    assert field in errors
    assert not Bundle.objects.exists() and not AccessLogEntry.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("redactions", [
    [{"text": "ab", "reason": "too short"}],
    [{"text": "12 Acacia Avenue", "reason": "address 12 Acacia Avenue"}],
    [{"preset": "everything"}],
    [{"text": "12 Acacia Avenue", "colour": "black"}],
    "12 Acacia Avenue",
    [{"text": "x" * 501}],
])
def test_bad_redactions_are_refused(people, cases, client_for, redactions):
    response = post(client_for(people.legal), {"kind": "injunction", "scope": {"case": cases["council"].pk},
                                               "redactions": redactions})
    assert response.status_code == 400 and response.json()["code"] == "invalid_redactions"
    assert not Bundle.objects.exists()


@pytest.mark.django_db
def test_subject_and_period_scope(people, cases, client_for):
    client = client_for(people.legal)
    subject = cases["subject"]
    start = (timezone.localdate() - dt.timedelta(days=365)).isoformat()
    response = post(client, {"kind": "injunction",
                             "scope": {"subject": str(subject.pk), "date_from": start, "date_to": today()}})
    assert response.status_code == 202, response.content
    bundle = Bundle.objects.get()
    assert bundle.case is None and bundle.subject == subject
    empty = post(client, {"kind": "injunction", "scope": {"subject": str(subject.pk), "date_from": "2001-01-01",
                                                          "date_to": "2001-12-31"}})
    assert empty.status_code == 400 and empty.json()["code"] == "empty_scope"
    unseen = SubjectFactory()
    make_case_with_incidents(councillor=people.councillor, subject=unseen, count=1)  # not routed: legal cannot see
    hidden = post(client, {"kind": "injunction", "scope": {"subject": str(unseen.pk), "date_from": start,
                                                           "date_to": today()}})
    assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"


@pytest.mark.django_db
def test_a_request_is_built_and_can_be_followed_and_downloaded(people, cases, client_for,
                                                               django_capture_on_commit_callbacks):
    client = client_for(people.legal)
    response = post(client, {"kind": "injunction", "scope": {"case": cases["council"].pk}, "purpose": "Hearing"},
                    django_capture_on_commit_callbacks)
    bundle_id = response.json()["id"]
    status = client.get(f"{URL}{bundle_id}/").json()
    assert status["status"] == "ready" and status["progress"] == 100 and status["step"] == "Ready"
    assert len(status["sha256"]) == 64 and status["page_count"] >= 6 and status["stale"] is False
    assert status["download_url"].endswith(f"{bundle_id}/download/")
    assert TimelineEntry.objects.filter(case=cases["council"], action__in=["bundle_requested", "bundle_ready"]
                                        ).count() == 2
    download = client.get(f"{URL}{bundle_id}/download/")
    assert download.status_code == 200
    assert download["X-Content-SHA256"] == status["sha256"]
    assert download["Content-Disposition"].startswith("attachment;")
    entry = AccessLogEntry.objects.get(action="download")
    assert (entry.actor, entry.object_id, entry.result, entry.reference) == (
        people.legal, bundle_id, "ok", status["sha256"])
    # The monitoring officer may see it too; members services and the police may not.
    assert client_for(people.monitoring).get(f"{URL}{bundle_id}/").status_code == 200
    for other in (people.members, people.police, people.councillor):
        response = client_for(other).get(f"{URL}{bundle_id}/download/")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert AccessLogEntry.objects.filter(action="download", outcome="allowed").count() == 1
    assert AccessLogEntry.objects.filter(action="download", outcome="refused", object_id=bundle_id).count() == 3

    # IncidentFlow's prepare_bundle task accepts it for this case (it checks kind, status and scope["case"]).
    from types import SimpleNamespace

    from safety_workflow.models import CouncilAction
    from safety_workflow.services import case_tasks

    case_tasks.prepare_bundle(activation=SimpleNamespace(process=cases["council"]), user=people.legal,
                              data={"bundle": Bundle.objects.get(pk=bundle_id), "claim_number": "K00NT123"})
    action = CouncilAction.objects.get(case=cases["council"])
    assert (str(action.bundle_id), action.claim_number) == (bundle_id, "K00NT123")


@pytest.mark.django_db
def test_listing_shows_only_what_the_caller_may_see(people, cases, client_for):
    legal = post(client_for(people.legal), {"kind": "injunction", "scope": {"case": cases["council"].pk}})
    police = post(client_for(people.police), {"kind": "police_referral", "scope": {"case": cases["police"].pk}})
    liaison = post(client_for(people.members), {"kind": "liaison_meeting",
                                                 "scope": {"since": "2026-01-01", "until": today()}})
    sar = post(client_for(people.governance), {"kind": "subject_access",
                                               "scope": {"subject": str(cases["subject"].pk)}})
    ids = {name: r.json()["id"] for name, r in
           {"legal": legal, "police": police, "liaison": liaison, "sar": sar}.items()}

    def listed(user, **params):
        response = client_for(user).get(URL, params)
        if user in (people.councillor, people.frontline):  # no bundle of any kind for their roles
            assert response.status_code == 403 and response.json()["code"] == "forbidden"
            return set()
        assert response.status_code == 200
        return {item["id"] for item in response.json()["results"]}

    assert listed(people.legal) == {ids["legal"]}
    assert listed(people.police) == {ids["police"]}
    assert listed(people.monitoring) == {ids["legal"], ids["police"], ids["liaison"]}
    assert listed(people.members) == {ids["police"], ids["liaison"]}
    assert listed(people.governance) == {ids["sar"]}
    assert listed(people.councillor) == set() and listed(people.frontline) == set()
    assert listed(people.monitoring, kind="injunction") == {ids["legal"]}
    assert listed(people.monitoring, case=cases["police"].pk) == {ids["police"]}


@pytest.mark.django_db
def test_downloads_wait_for_ready_and_refuse_a_changed_file(people, cases, client_for,
                                                           django_capture_on_commit_callbacks):
    client = client_for(people.legal)
    queued = post(client, {"kind": "injunction", "scope": {"case": cases["council"].pk}}).json()
    response = client.get(f"{URL}{queued['id']}/download/")
    assert response.status_code == 409 and response.json()["code"] == "bundle_not_ready"

    ready = post(client, {"kind": "injunction", "scope": {"case": cases["council"].pk}},
                 django_capture_on_commit_callbacks).json()
    bundle = Bundle.objects.get(pk=ready["id"])
    with open(bundle.file.path, "r+b") as handle:  # someone edits the stored PDF
        handle.seek(100)
        handle.write(b"tampered")
    response = client.get(f"{URL}{bundle.pk}/download/")
    assert response.status_code == 409 and response.json()["code"] == "bundle_integrity_failed"
    entry = AccessLogEntry.objects.get(action="download")
    assert entry.result == "integrity_failed"


@pytest.mark.django_db
def test_pdf_export_off_refuses_requests(people, cases, client_for):
    with override_settings(SAFETY_WORKFLOW={"PDF_EXPORT": False}):
        response = post(client_for(people.legal), {"kind": "injunction", "scope": {"case": cases["council"].pk}})
    assert response.status_code == 503 and response.json()["code"] == "pdf_export_off"
    assert not Bundle.objects.exists()


@pytest.mark.django_db
def test_the_schema_describes_the_bundle_operations(people, client_for):
    response = client_for(people.monitoring).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/safety/bundles/", "/api/safety/bundles/{id}/", "/api/safety/bundles/{id}/retry/",
            "/api/safety/bundles/{id}/download/"} <= set(paths)
    assert "requestBody" in paths["/api/safety/bundles/"]["post"]
