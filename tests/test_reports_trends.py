"""reports/trends/: incidents by month, channel, level and ward, from realistic histories."""

from __future__ import annotations

import datetime as dt

import pytest

from safety_workflow.models import Assessment, Incident

from .factories import person_for
from .histories import LONDON, five_councillors, one_off, open_case, slow_burn, when

pytestmark = pytest.mark.django_db
URL = "/api/safety/reports/trends/"


@pytest.fixture
def histories(people, decision_table):
    return slow_burn(people), one_off(people), five_councillors(people)


def counts(rows, key):
    return {row[key]: row["count"] for row in rows if row["count"]}


def test_trend_report_figures(people, histories, client_for):
    response = client_for(people.monitoring).get(URL, {"from": "2026-01-01", "to": "2026-06-30"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["from"], body["to"], body["total"]) == ("2026-01-01", "2026-06-30", 14)
    # Every month of the range, empty ones included, for a chart.
    assert body["by_month"] == [
        {"month": "2026-01", "count": 1}, {"month": "2026-02", "count": 2}, {"month": "2026-03", "count": 2},
        {"month": "2026-04", "count": 3}, {"month": "2026-05", "count": 6}, {"month": "2026-06", "count": 0},
    ]
    assert counts(body["by_channel"], "channel") == {
        "email": 7, "social_media": 3, "surgery": 2, "letter": 1, "phone": 1}
    assert len(body["by_channel"]) == len(Incident.Channel.choices)
    # The level each incident was first assessed at; Derek Mallory's six and Gary Pike's latest are not yet assessed.
    assert {row["level"]: row["count"] for row in body["by_level"]} == {"low": 3, "medium": 2, "serious": 2, "": 7}
    assert body["by_level"][-1]["label"] == "Not yet assessed"
    assert [(row["label"], row["count"]) for row in body["by_ward"]] == [
        ("Castle", 9), ("Riverside", 2), ("No ward recorded", 1), ("Abbey", 1), ("Moor", 1)]


def test_trend_report_filters_by_local_dates(people, histories, client_for):
    client = client_for(people.safety)
    april = client.get(URL, {"from": "2026-04-01", "to": "2026-04-30"}).json()
    assert april["total"] == 3 and april["by_month"] == [{"month": "2026-04", "count": 3}]
    assert counts(april["by_channel"], "channel") == {"email": 1, "surgery": 2}
    since_may = client.get(URL, {"from": "2026-05-01"}).json()
    assert since_may["total"] == 6 and since_may["to"] is None
    assert client.get(URL).json()["total"] == 14


def test_months_and_ranges_follow_london_time(people, client_for):
    # 00:30 on 1 April in London is 23:30 on 31 March in UTC: it belongs to April.
    case = open_case(subject=None, reference="SW-2026-0030")
    Incident.objects.create(reference="SW-2026-0030-01", case=case, reported_by=people.councillor,
                            protected_person=person_for(people.councillor), person_kind="councillor",
                            channel="phone", account="Late call",
                            occurred_at=dt.datetime(2026, 4, 1, 0, 30, tzinfo=LONDON))
    client = client_for(people.members)
    assert client.get(URL, {"from": "2026-04-01", "to": "2026-04-01"}).json()["by_month"] == [
        {"month": "2026-04", "count": 1}]
    assert client.get(URL, {"to": "2026-03-31"}).json()["total"] == 0


@pytest.mark.parametrize("query, field", [
    ({"from": "2026-05-01", "to": "2026-04-01"}, "to"),
    ({"from": "1 April"}, "from"),
    ({"to": "2026-02-30"}, "to"),
])
def test_bad_ranges_are_refused(people, client_for, query, field):
    response = client_for(people.members).get(URL, query)
    assert response.status_code == 400 and field in response.json()["errors"]


@pytest.mark.parametrize("who", ["councillor", "legal", "police", "frontline", "governance", "nobody"])
def test_reports_are_for_case_officers(people, client_for, who):
    for path in ("", "trends/", "tasks/", "referrals/"):
        response = client_for(getattr(people, who)).get(f"/api/safety/reports/{path}")
        assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_report_index_lists_the_sections(people, client_for):
    assert client_for(people.monitoring).get("/api/safety/reports/").json() == {
        "sections": ["trends", "elections", "tasks", "referrals", "register-reviews"]}


def test_trend_report_takes_the_same_queries_for_10_or_200_incidents(
        people, decision_table, client_for, django_assert_max_num_queries):
    case = open_case(subject=None, reference="SW-2026-0040")
    channels = [c for c, _ in Incident.Channel.choices]

    cllr = person_for(people.councillor)

    def add(count: int) -> None:
        start = Incident.objects.count()
        incidents = Incident.objects.bulk_create(
            Incident(reference=f"SW-2026-0040-{start + n:04d}", case=case, reported_by=people.councillor,
                     protected_person=cllr, person_kind="councillor", channel=channels[n % len(channels)],
                     ward=f"Ward {n % 7}",
                     account="...", occurred_at=when(f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}"))
            for n in range(count)
        )
        assessment = Assessment.objects.create(
            case=case, decision_table=decision_table, answers={}, computed_level="medium", level="medium",
            route="council_action", assessed_by=people.safety)
        assessment.incidents.add(*incidents[::2])

    client = client_for(people.monitoring)
    add(10)
    # The user's roles (one query), then the seven aggregates (months, channels, levels, wards, kinds of person,
    # election periods, and the periods themselves).
    with django_assert_max_num_queries(8) as small:
        assert client.get(URL).json()["total"] == 10
    add(190)
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = client.get(URL).json()
    assert body["total"] == 200
    assert {r["level"]: r["count"] for r in body["by_level"]} == {"low": 0, "medium": 100, "serious": 0, "": 100}


def test_each_incident_counts_once_at_the_level_it_was_first_assessed(people, decision_table):
    from django.db.models import Count

    from safety_workflow.selectors.patterns import incidents_with_level
    from safety_workflow.selectors.reports import Period, first_assessed_levels

    case = open_case(subject=None, reference="SW-2026-0060")
    incidents = [Incident.objects.create(reference=f"SW-2026-0060-{n}", case=case, reported_by=people.councillor,
                                         protected_person=person_for(people.councillor), person_kind="councillor",
                                         channel="email", account="...",
                                         occurred_at=when("2026-03-01")) for n in range(3)]

    def assessment(level: str, at: dt.datetime, covers: list[Incident]) -> None:
        Assessment.objects.create(case=case, decision_table=decision_table, answers={}, computed_level=level,
                                  level=level, route="advice", assessed_by=people.safety,
                                  assessed_at=at).incidents.set(covers)

    assessment("low", when("2026-03-02"), incidents[:1])
    assessment("serious", when("2026-03-05"), incidents[:2])  # a re-assessment: the first is still low
    assessment("medium", when("2026-03-05"), incidents[1:2])  # same moment: one of the two, never both
    assert sum(first_assessed_levels(period=Period()).values()) == 2
    one_by_one = dict(incidents_with_level(Incident.objects.all()).values_list("assessed_level")
                      .annotate(n=Count("pk")).order_by())
    assert {"": 1, **first_assessed_levels(period=Period())} == one_by_one
