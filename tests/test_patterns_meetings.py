"""The monitoring officer's liaison meetings and the brief of what changed since the last one (API and command)."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from safety_workflow.models import AccessLogEntry, Case, LiaisonMeeting, PoliceReferral
from safety_workflow.services.patterns import conduct_flags_update

from .factories import PoliceContactFactory
from .histories import add_incident, five_councillors, one_off, open_case, slow_burn, when

pytestmark = pytest.mark.django_db
URL = "/api/safety/meetings/"


@pytest.fixture
def log(people, decision_table):
    """The three histories, the one-off case closed on 10 March, a referral charged in May, patterns noticed."""
    slow, once, five = slow_burn(people), one_off(people), five_councillors(people)
    Case.objects.filter(pk=once.cases[0].pk).update(
        state=Case.State.CLOSED, closed_at=when("2026-03-10"), outcome_summary="Advice on filtering e-mail given.")
    referral = PoliceReferral.objects.create(
        case=slow.cases[1], contact=PoliceContactFactory(), reason="Assessed as serious.",
        referred_at=when("2026-04-02"),
        status="charged", crime_reference="NP/26/1234", outcome_recorded_at=when("2026-05-20"),
        outcome_notes="Charged under s.2 Protection from Harassment Act 1997.")
    referral.incidents.set(slow.cases[1].incidents.all())
    for history in (slow, once, five):
        conduct_flags_update(subject=history.subject, actor=people.safety)
    return {"slow": slow, "once": once, "five": five, "referral": referral}


def meeting(people, day: str, attendees: str = "MO, DCC") -> LiaisonMeeting:
    return LiaisonMeeting.objects.create(held_at=when(day, 14), attendees=attendees, recorded_by=people.monitoring)


def test_monitoring_officer_records_a_meeting(people, client_for):
    contact = PoliceContactFactory()
    response = client_for(people.monitoring).post(URL, {
        "held_at": "2026-06-01T14:00:00+01:00", "attendees": "Mona Officer; DCC Jo Hart", "notes": "Agreed patrols.",
        "police_contact": contact.pk}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["police_contact"] == "PC Sam Okafor (Northshire Police)"
    assert body["recorded_by"]["name"] == "Mona Officer"
    listing = client_for(people.safety).get(URL).json()
    assert listing["count"] == 1 and listing["results"][0]["id"] == body["id"]
    assert client_for(people.members).get(f"{URL}{body['id']}/").json()["notes"] == "Agreed patrols."


def test_meetings_are_recorded_once_held_by_the_right_people(people, client_for):
    future = (timezone.now() + dt.timedelta(days=2)).isoformat()
    response = client_for(people.monitoring).post(URL, {"held_at": future}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "meeting_in_future"
    refused = client_for(people.safety).post(URL, {"held_at": "2026-06-01T14:00:00Z"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "cannot_record_meeting"
    assert client_for(people.monitoring).post(URL, {}, format="json").json()["errors"]["held_at"]
    assert not LiaisonMeeting.objects.exists()


@pytest.mark.parametrize("who", ["councillor", "legal", "police", "frontline", "governance", "nobody"])
def test_meetings_are_for_case_officers(people, client_for, who):
    held = meeting(people, "2026-03-01")
    client = client_for(getattr(people, who))
    for path in (URL, f"{URL}brief/"):
        assert client.get(path).status_code == 403
    assert client.post(URL, {"held_at": "2026-06-01T14:00:00Z"}, format="json").status_code == 403
    for path in (f"{URL}{held.pk}/", f"{URL}{held.pk}/brief/"):
        assert client.get(path).json()["code"] == "not_found"
    assert LiaisonMeeting.objects.count() == 1 and not AccessLogEntry.objects.exists()


def test_brief_says_what_changed_since_the_last_meeting(people, log, client_for):
    meeting(people, "2026-01-20")
    last = meeting(people, "2026-03-01", attendees="Mona Officer; DCC Jo Hart")
    response = client_for(people.monitoring).get(f"{URL}brief/")
    assert response.status_code == 200, response.json()
    brief = response.json()
    assert brief["last_meeting"]["id"] == str(last.pk) and brief["since"].startswith("2026-03-01T14:00:00")

    # Gary Pike's five since March and Derek Mallory's six; nothing reported before the meeting.
    incidents = brief["incidents"]
    assert incidents["count"] == 11
    assert [i["reference"] for i in incidents["items"][:2]] == ["SW-2026-0003-01", "SW-2026-0003-02"]
    assert {c["channel"]: c["count"] for c in incidents["by_channel"]} == {
        "email": 5, "social_media": 2, "surgery": 2, "letter": 1, "phone": 1}
    assert incidents["items"][2]["level"] == "serious" and incidents["items"][2]["subject"]["name"] == "Gary Pike"
    cases = brief["cases"]
    assert [c["reference"] for c in cases["opened"]] == ["SW-2026-0003", "SW-2026-0005"]
    assert [(c["reference"], c["outcome_summary"]) for c in cases["closed"]] == [
        ("SW-2026-0002", "Advice on filtering e-mail given.")]
    referrals = brief["referrals"]
    assert [r["case"]["reference"] for r in referrals["made"]] == ["SW-2026-0003"]
    assert [(r["status_label"], r["crime_reference"]) for r in referrals["outcomes"]] == [("Charged", "NP/26/1234")]
    assert referrals["open_now"] == 0
    assert [(f["subject"]["name"], f["protected_person"]["name"]) for f in brief["course_of_conduct_flags"]] == [
        ("Gary Pike", "Cllr Ahmed"), ("Derek Mallory", "Cllr Ahmed")]
    assert [(s["subject"]["name"], s["kind"]) for s in brief["escalation_signals"]] == [
        ("Gary Pike", "moved_in_person"), ("Gary Pike", "severity_rising"), ("Gary Pike", "frequency_rising"),
        ("Derek Mallory", "several_people")]
    moved = next(s for s in brief["escalation_signals"] if s["kind"] == "moved_in_person")
    assert moved["explanation"].startswith("Contact has moved from online to in person")
    assert moved["incidents"][-1]["reference"] == "SW-2026-0003-05"
    assert AccessLogEntry.objects.filter(actor=people.monitoring, object_type="meeting_brief",
                                         object_id=str(last.pk)).exists()


def test_brief_for_a_meeting_covers_the_time_since_the_one_before(people, log, client_for):
    march = meeting(people, "2026-03-01")
    june = meeting(people, "2026-06-01")
    brief = client_for(people.safety).get(f"{URL}{june.pk}/brief/").json()
    assert brief["last_meeting"]["id"] == str(march.pk)
    assert brief["until"].startswith("2026-06-01T13:00:00Z")  # 14:00 in London (BST), given in UTC
    assert brief["incidents"]["count"] == 11
    assert brief["course_of_conduct_flags"] == []  # noticed only today
    first = client_for(people.safety).get(f"{URL}{march.pk}/brief/").json()
    assert first["since"] is None and first["last_meeting"] is None
    assert first["incidents"]["count"] == 3  # January, February and the one-off


def test_since_overrides_the_last_meeting(people, log, client_for):
    client = client_for(people.members)
    assert client.get(f"{URL}brief/", {"since": "2026-05-01"}).json()["incidents"]["count"] == 6
    assert client.get(f"{URL}brief/").json()["incidents"]["count"] == 14  # no meeting yet: the whole log
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    assert client.get(f"{URL}brief/", {"since": future}).status_code == 400


def test_brief_costs_the_same_whatever_the_period_holds(people, log, client_for, django_assert_max_num_queries):
    client = client_for(people.monitoring)
    with django_assert_max_num_queries(14) as few:  # 2 of them append the read to the access log's chain
        client.get(f"{URL}brief/")
    case = open_case(subject=log["slow"].subject, reference="SW-2026-0050")
    for day in range(1, 29):
        add_incident(case, councillor=people.councillor2, occurred=f"2026-06-{day:02d}", channel="email")
    conduct_flags_update(subject=log["slow"].subject, actor=None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"{URL}brief/").json()["incidents"]["count"] == 42


# The command --------------------------------------------------------------------------------------
def test_command_prints_the_brief_for_the_meeting(people, log):
    meeting(people, "2026-03-01", attendees="Mona Officer; DCC Jo Hart")
    out = StringIO()
    call_command("safety_workflow_meeting_brief", stdout=out)
    text = out.getvalue()
    assert text.startswith("Councillor safety: what changed since the last meeting\nFrom 1 March 2026 14:00 to ")
    assert "Last meeting: 1 March 2026 14:00 (Mona Officer; DCC Jo Hart)." in text
    assert "New incidents: 11\n  By channel: e-mail 5, social media 2, at a surgery 2, phone 1, letter 1" in text
    assert "  SW-2026-0003-03  1 April 2026  E-mail  Cllr Ahmed (councillor)  Gary Pike  serious" in text
    assert "Cases closed: 1\n  SW-2026-0002  Angela Crisp  low\n    Outcome: Advice on filtering e-mail given." in text
    assert "Police outcomes recorded: 1\n  SW-2026-0003  Charged, crime reference NP/26/1234" in text
    assert "New course-of-conduct flags: 2\n  Gary Pike / Cllr Ahmed  (case SW-2026-0003, " in text
    assert "    Gary Pike has 7 logged incidents against Cllr Ahmed" in text
    assert "New escalation signals: 4" in text and "Derek Mallory: Several people targeted" in text
    assert AccessLogEntry.objects.filter(object_type="meeting_brief", action="export").count() == 1


def test_command_json_matches_the_api_and_since_is_checked(people, log, client_for):
    out = StringIO()
    call_command("safety_workflow_meeting_brief", "--json", "--since", "2026-05-01", stdout=out)
    data = json.loads(out.getvalue())
    api = client_for(people.monitoring).get(f"{URL}brief/", {"since": "2026-05-01"}).json()
    assert data["incidents"] == api["incidents"] and data["since"] == api["since"]
    with pytest.raises(CommandError, match="Not a date"):
        call_command("safety_workflow_meeting_brief", "--since", "last Tuesday")
    with pytest.raises(CommandError, match="No meeting"):
        call_command("safety_workflow_meeting_brief", "--meeting", "nope")
