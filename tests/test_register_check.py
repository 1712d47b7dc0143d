"""POST register/check/: what it answers, what it never discloses, logging, rate limit, query cost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safety_workflow.models import AccessLogEntry, RegisterCheckHit

from .register_helpers import CHECK, active_entry, check, direct_entry

pytestmark = pytest.mark.django_db

DOB = dt.date(1971, 5, 2)
CHECK_KEYS = {"result", "reference", "checked_at", "meeting_date", "advice", "contact", "mitigations"}


@pytest.fixture
def gary(people, client_for):
    return active_entry(
        people, client_for, name="Gary Booth", date_of_birth=DOB,
        addresses=[{"address": "4 Mill Lane, Huddersfield", "postcode": "HD1 2AB"}],
    )


def test_match_gives_mitigations_and_whom_to_call_and_nothing_else(people, client_for, gary):
    response = check(client_for(people.frontline), "gary booth", date_of_birth=DOB.isoformat())
    assert response.status_code == 200
    body = response.json()
    assert set(body) == CHECK_KEYS
    assert body["result"] == "match"
    assert [(m["kind"], m["detail"]) for m in body["mitigations"]] == [
        ("meet_in_pairs", ""), ("named_office", "Civic Centre, Huddersfield"), ("no_home_visits", ""),
    ]
    assert body["contact"] == {"name": "Hana Safety (Health and Safety)", "phone": "01484 000000",
                               "email": "hs@council.example"}
    text = response.content.decode()
    for secret in ("Threatened", "know where you live", gary["reference"], gary["id"], "Mill Lane", "HD1"):
        assert secret not in text


def test_possible_match_tells_whom_to_call_but_not_the_mitigations(people, client_for, gary, settings):
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW,
                                "REGISTER_ADVICE_CONTACT": {"name": "Register desk", "phone": "01484 111111"}}
    body = check(client_for(people.frontline), "Gary Booth").json()  # no date of birth, no postcode
    assert body["result"] == "possible_match"
    assert body["mitigations"] == []
    assert body["contact"] == {"name": "Register desk", "phone": "01484 111111", "email": ""}
    assert "do not meet alone" in body["advice"]


def test_no_match(people, client_for, gary):
    body = check(client_for(people.frontline), "Alice Walker", date_of_birth="1980-01-01").json()
    assert body["result"] == "no_match"
    assert body["mitigations"] == [] and body["contact"] is None
    assert "not a clearance" in body["advice"]


def test_postcode_separates_when_date_of_birth_is_unknown(people, client_for, gary):
    frontline = client_for(people.frontline)
    assert check(frontline, "Gary Booth", postcode="hd12ab").json()["result"] == "match"
    assert check(frontline, "Gary Booth", postcode="LS1 1AA").json()["result"] == "no_match"
    assert check(frontline, "Gary Booth", address="4 Mill Lane, Huddersfield HD1 2AB").json()["result"] == "match"
    assert check(frontline, "Gary Booth", address="4 Mill Lane").json()["result"] == "match"
    assert check(frontline, "Gary Booth", address="9 Other Road").json()["result"] == "possible_match"


def test_date_of_birth_and_postcode_that_contradict_are_only_possible(people, client_for, gary):
    body = check(client_for(people.frontline), "Gary Booth", date_of_birth=DOB.isoformat(), postcode="LS1 1AA").json()
    assert body["result"] == "possible_match"


def test_every_check_is_logged_with_who_whom_when_why_and_result(people, client_for, gary):
    frontline = client_for(people.frontline)
    results = [
        check(frontline, "Gary Booth", date_of_birth=DOB.isoformat(), purpose="Council tax visit").json(),
        check(frontline, "Gary Booth", purpose="Surgery").json(),
        check(frontline, "Alice Walker", purpose="Library").json(),
    ]
    logs = list(AccessLogEntry.objects.filter(action="check").order_by("at", "id"))
    assert [log.reference for log in logs] == [r["reference"] for r in results]
    assert [log.result for log in logs] == ["match", "possible_match", "no_match"]
    assert all(log.actor_id == people.frontline.pk and log.actor_name == "Fran Desk" for log in logs)
    assert [log.object_repr for log in logs] == ["Gary Booth", "Gary Booth", "Alice Walker"]
    assert [log.purpose for log in logs] == ["Council tax visit", "Surgery", "Library"]
    assert logs[0].data["date_of_birth"] == DOB.isoformat() and logs[0].object_id == gary["id"]
    # Which entries each check found, for "who looked this person up?".
    assert [(h.access_log_id, str(h.entry_id), h.outcome) for h in RegisterCheckHit.objects.order_by("id")] == [
        (logs[0].pk, gary["id"], "match"), (logs[1].pk, gary["id"], "possible_match"),
    ]


def test_checks_are_rate_limited_per_user_and_refusals_are_logged(people, client_for, gary, settings):
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "REGISTER_CHECKS_PER_HOUR": 3}
    frontline = client_for(people.frontline)
    for _ in range(3):
        assert check(frontline, "Gary Booth").status_code == 200
    response = check(frontline, "Someone Else")
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 0 < int(response["Retry-After"]) <= 3600
    refused = AccessLogEntry.objects.filter(action="check", result="rate_limited").get()
    assert refused.object_repr == "Someone Else" and refused.actor_id == people.frontline.pk
    assert not refused.register_hits.exists()
    # Still limited on the next try (and that is logged too); another user is not.
    assert check(frontline, "Gary Booth").status_code == 429
    assert AccessLogEntry.objects.filter(action="check", result="rate_limited").count() == 2
    assert check(client_for(people.members), "Gary Booth").status_code == 200


def test_checks_older_than_an_hour_do_not_count(people, client_for, gary, settings):
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "REGISTER_CHECKS_PER_HOUR": 2}
    frontline = client_for(people.frontline)
    check(frontline, "Gary Booth")
    check(frontline, "Gary Booth")
    assert check(frontline, "Gary Booth").status_code == 429
    AccessLogEntry.objects.filter(action="check").update(at=AccessLogEntry.objects.first().at - dt.timedelta(hours=2))
    assert check(frontline, "Gary Booth").status_code == 200


@pytest.mark.parametrize("role", ["police", "governance", "councillor", "nobody"])
def test_roles_that_do_not_meet_the_public_cannot_check_and_the_attempt_is_logged(people, client_for, gary, role):
    response = check(client_for(getattr(people, role)), "Gary Booth", date_of_birth=DOB.isoformat())
    assert response.status_code == 403
    assert response.json() == {"code": "register_check_not_permitted",
                               "message": "Your role does not use the register check."}
    log = AccessLogEntry.objects.get(action="check", actor=getattr(people, role))
    assert log.result == "refused" and log.object_repr == "Gary Booth"


@pytest.mark.parametrize("role", ["frontline", "members", "safety", "monitoring", "legal"])
def test_roles_that_meet_people_can_check(people, client_for, gary, role):
    assert check(client_for(getattr(people, role)), "Gary Booth").status_code == 200


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "Gary"}, "name"),
        ({"name": "Gary Booth", "purpose": ""}, "purpose"),
        ({"name": "Gary Booth", "meeting_date": "2001-01-01"}, "meeting_date"),
        ({"name": "Gary Booth", "postcode": "not a postcode"}, "postcode"),
        ({"name": "Gary Booth", "date_of_birth": "3000-01-01"}, "date_of_birth"),
    ],
)
def test_bad_checks_are_400_and_name_no_entry(people, client_for, gary, body, field):
    response = check(client_for(people.frontline), **body)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_anonymous_cannot_check(client, gary):
    response = client.post(CHECK, {"name": "Gary Booth"}, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def count_check_queries(client, name, **extra):
    with CaptureQueriesContext(connection) as ctx:
        response = check(client, name, **extra)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()["result"]


def test_a_check_costs_the_same_number_of_queries_whatever_the_register_size(people, client_for,
                                                                             django_assert_max_num_queries):
    target = direct_entry(people, name="Gary Booth", date_of_birth=DOB)
    frontline = client_for(people.frontline)
    check(frontline, "Nobody Known")  # the first check of a user creates their lock row
    small = {
        result: count_check_queries(frontline, name, **extra)
        for result, (name, extra) in {
            "match": ("Gary Booth", {"date_of_birth": DOB.isoformat()}),
            "possible": ("Gary Booth", {}),
            "none": ("Alice Walker", {}),
        }.items()
    }
    # Forty more entries, some namesakes of the person checked.
    for n in range(30):
        direct_entry(people, name=f"Person{n} Surname{n}", date_of_birth=dt.date(1960, 1, 1) + dt.timedelta(days=n))
    for n in range(10):
        direct_entry(people, name="Gary Booth", date_of_birth=dt.date(1980, 1, 1) + dt.timedelta(days=n))
    large = {
        "match": count_check_queries(frontline, "Gary Booth", date_of_birth=DOB.isoformat()),
        "possible": count_check_queries(frontline, "Gary Booth"),
        "none": count_check_queries(frontline, "Alice Walker"),
    }
    assert large == small
    assert small["match"][1] == "match" and small["none"][1] == "no_match"
    # 9, 2 to chain the log row (lock the head, move it), and the access table reads the caller's roles once more
    with django_assert_max_num_queries(12):
        check(frontline, "Gary Booth", date_of_birth=DOB.isoformat())
    assert target.pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_checks_cannot_pass_the_limit_together(people, gary, settings):
    """Twelve checks at once by one user with a limit of 5: exactly 5 are answered."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    import threading

    from rest_framework.test import APIClient

    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "REGISTER_CHECKS_PER_HOUR": 5}
    statuses: list[int] = []
    barrier = threading.Barrier(12)

    def run():
        from django.db import connection as thread_connection

        client = APIClient()
        client.force_authenticate(people.frontline)
        barrier.wait()
        try:
            statuses.append(check(client, "Gary Booth").status_code)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 5 + [429] * 7
    assert AccessLogEntry.objects.filter(action="check", result__in=["match", "possible_match"]).count() == 5
