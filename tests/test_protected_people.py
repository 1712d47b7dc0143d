"""Everyone the process protects, through the API: a candidate without an account, a councillor's partner, a member
of staff; an election period; the police's election flag; and the trends by kind of person and election period.

The story (issue 18's "Done when"):

- electoral services record an election period and a candidate who has no account, and report incidents for her;
  a course of conduct is flagged against her, the case goes to council action and the injunction bundle names
  her as the person protected; a threat in the election period reaches the police, whose contact sees the
  election-period flag at once; she is elected, her candidate's history stays hers as a councillor;
- a member of staff's incidents support a register entry, and health and safety hear of each at once;
- a councillor's partner appears in the councillor's case without becoming a user (and what others report about
  the partner reaches the councillor only if the partner agreed);
- the trend reports split the log by kind of person and by election period.
"""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from safety_workflow.conf import app_settings
from safety_workflow.models import Bundle, ProtectedPerson, RegisterEntry, Subject
from safety_workflow.roles import Role

from .factories import make_user
from .helpers import API, answers, complete, open_task, report
from .register_helpers import DEFAULT_CONTACT, DEFAULT_MITIGATIONS, ENTRIES, READ, entry_url

pytestmark = pytest.mark.django_db


def ago(days: int) -> str:
    """Local noon ``days`` ago, as the API takes it."""
    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    return (noon - dt.timedelta(days=days)).isoformat()


@pytest.fixture
def council(people, client_for, decision_table, advice_templates, police_contact):
    people.electoral = make_user(Role.ELECTORAL_SERVICES, email="elections@council.example",
                                 display_name="Elle Lectoral")
    clients = SimpleNamespace(**{name: client_for(getattr(people, name)) for name in vars(people)})
    return SimpleNamespace(people=people, c=clients, table=decision_table, contact=police_contact)


def election_and_candidate(council) -> tuple[dict, dict]:
    """The county elections (polling day in five days) and Priya Shah, standing in Riverside, with no account."""
    today = timezone.localdate()
    election = council.c.electoral.post(f"{API}/election-periods/", {
        "name": "Northshire County Council elections 2027", "poll_date": str(today + dt.timedelta(days=5)),
        "starts_on": str(today - dt.timedelta(days=30))}, format="json")
    assert election.status_code == 201, election.content
    assert election.json()["ends_on"] == str(today + dt.timedelta(days=6))  # the count, by default
    candidate = council.c.electoral.post(f"{API}/protected-persons/", {
        "kind": "candidate", "full_name": "Priya Shah", "email": "priya@campaign.example", "phone": "07700 900123",
        "preferred_contact": "phone",
        "candidacies": [{"election": election.json()["id"], "ward": "Riverside"}]}, format="json")
    assert candidate.status_code == 201, candidate.content
    return election.json(), candidate.json()


def test_a_candidate_without_an_account_is_protected_through_to_the_court_and_the_police(
        council, django_capture_on_commit_callbacks):
    c = council.c
    election, priya = election_and_candidate(council)
    assert priya["user"] is None and priya["kind"] == "candidate"
    assert priya["candidacies"] == [{"election": {"id": election["id"], "name": election["name"],
                                                  "poll_date": election["poll_date"]},
                                     "ward": "Riverside", "elected": None}]
    users_before = get_user_model().objects.count()

    # Electoral services take her reports, in the election period.
    first = report(c.electoral, protected_person=priya["id"], occurred_at=ago(20), channel="in_person",
                   account="A man followed me along the terrace while I canvassed, shouting that I should go home.",
                   subject_details={"name": "Derek Mallory"})
    assert first["protected_person"] == {"id": priya["id"], "name": "Priya Shah", "kind": "candidate"}
    assert first["person_kind"] == "candidate"
    assert first["election_period"] == {"id": election["id"], "name": election["name"],
                                        "poll_date": election["poll_date"]}
    case_id = first["case"]["id"]
    complete(c.members, case_id, "triage", {"new_subject": {"full_name": "Derek Mallory"}})
    second = report(c.electoral, protected_person=priya["id"], occurred_at=ago(10), channel="social_media",
                    account="Posts saying my leaflets would be burned, and me with them.",
                    subject_details={"name": "Derek Mallory"})
    derek = Subject.objects.get(full_name="Derek Mallory")
    complete(c.members, second["case"]["id"], "triage", {"subject": str(derek.pk)})  # merged into her case

    # A course of conduct, counted against her (the person protected), not against an account.
    case = c.members.get(f"{API}/cases/{case_id}/").json()
    assert [i["id"] for i in case["incidents"]] == [first["id"], second["id"]]
    assert case["protected_people"] == [first["protected_person"]]
    [flag] = case["course_of_conduct"]
    assert flag["protected_person"] == first["protected_person"] and flag["incident_count"] == 2
    assert flag["reason"].startswith("Derek Mallory has 2 logged incidents against Priya Shah")
    conduct = c.members.get(f"{API}/subjects/{derek.pk}/conduct/").json()
    assert [(g["protected_person"]["name"], g["reaches_threshold"]) for g in conduct["course_of_conduct"]] == [
        ("Priya Shah", True)]
    # Electoral services see her incidents and her case, as she would; not the subject.
    mine = c.electoral.get(f"{API}/incidents/").json()["results"]
    assert {i["id"] for i in mine} == {first["id"], second["id"]} and all(i["subject"] is None for i in mine)

    # Council action: an injunction protecting her.
    complete(c.safety, case_id, "assess", {"answers": answers(council.table, repeated_contact=True)})
    complete(c.legal, case_id, "council_action", {"kind": "injunction", "basis": "pha_1997",
                                                   "reason": "A course of conduct against a candidate."})
    with django_capture_on_commit_callbacks(execute=True):
        requested = c.legal.post(f"{API}/bundles/", {"kind": "injunction", "scope": {"case": case_id}},
                                 format="json")
    if app_settings.PDF_EXPORT:
        assert requested.status_code == 202, requested.content
        bundle = c.legal.get(f"{API}/bundles/{requested.json()['id']}/").json()
        assert bundle["status"] == "ready", bundle
        text = _pdf_text(c.legal.get(f"{API}/bundles/{bundle['id']}/download/"))
    else:  # an installation without the PDF extra (tox's base env): the same documents, not laid out
        assert requested.status_code == 503
        text = _composed_text(Bundle(kind=Bundle.Kind.INJUNCTION, scope={"case": case_id},
                                     requested_by=council.people.legal, requested_at=timezone.now()))
    described = ("Priya Shah, a candidate for Riverside in the Northshire County Council elections 2027 "
                 f"(polling day {_long(election['poll_date'])})")
    text = _squash(text)
    assert f"Person protected {described}" in text  # the cover sheet, under the parties
    assert f"I am {described}." in text  # her draft witness statement
    assert "Person harmed" in text and "Priya Shah (Candidate for election)" in text  # the chronology

    # A threat in the election period: the police contact sees the election flag at once.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        third = report(c.electoral, protected_person=priya["id"], occurred_at=ago(3), channel="letter",
                       account="A letter through the campaign office door.",
                       words_used="Stand down or I will kill you.", subject_details={"name": "Derek Mallory"})
        complete(c.members, third["case"]["id"], "triage", {"subject": str(derek.pk)})
        complete(c.safety, case_id, "assess", {"answers": answers(council.table, threat_to_life=True)})
    [notice] = [m for m in mail.outbox if council.contact.email in m.to]
    assert notice.subject.startswith("ELECTION PERIOD Councillor safety referral")
    assert election["name"] in notice.body and "Priya" not in notice.body  # the flag, never the detail
    [referral] = c.police.get(f"{API}/referrals/").json()["results"]
    assert referral["election_period"] == first["election_period"]
    task = open_task(c.police, case_id, "police_acknowledge")
    assert c.police.get(f"{API}/tasks/{task['id']}/").json()["context"]["referral"]["election_period"][
        "name"] == election["name"]

    # She is elected: her new councillor account takes over her record, and her history comes with it.
    account = make_user(Role.COUNCILLOR, email="cllr.shah@council.example", display_name="Cllr Priya Shah")
    elected = c.electoral.post(f"{API}/protected-persons/{priya['id']}/elected/",
                               {"election": election["id"], "user": account.pk}, format="json")
    assert elected.status_code == 200, elected.content
    assert (elected.json()["kind"], elected.json()["user"]["id"], elected.json()["candidacies"][0]["elected"]) == (
        "councillor", str(account.pk), True)
    assert get_user_model().objects.count() == users_before + 1  # only the account she was given
    shah = _client(account)
    history = shah.get(f"{API}/incidents/").json()["results"]
    assert {i["id"] for i in history} == {first["id"], second["id"], third["id"]}
    assert {(i["person_kind"], i["protected_person"]["kind"]) for i in history} == {("candidate", "councillor")}
    assert shah.get(f"{API}/cases/{case_id}/").status_code == 200
    [own] = shah.get(f"{API}/protected-persons/").json()["results"]
    assert own["id"] == priya["id"] and own["incident_count"] == 3
    # Reporting now as a councillor: the same person, the same course of conduct.
    fourth = report(shah, occurred_at=(timezone.now() - dt.timedelta(hours=1)).isoformat(), channel="email",
                    account="An e-mail calling the result a fraud.")
    assert fourth["protected_person"]["id"] == priya["id"] and fourth["person_kind"] == "councillor"
    # The candidate's record is the councillor's: no second person was made.
    assert ProtectedPerson.objects.filter(full_name="Priya Shah").count() == 1


def test_a_member_of_staffs_incidents_support_a_register_entry(council, django_capture_on_commit_callbacks):
    c = council.c
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        first = report(c.safety, new_protected_person={
            "kind": "staff", "full_name": "Sam Reed", "job_title": "Customer Services Adviser",
            "workplace": "Town Hall reception", "phone": "01632 960 111"},
            occurred_at=ago(90), channel="in_person", account="Shouted and slammed his fist on the counter.",
            words_used="I'll be waiting for you when you finish.", subject_details={"name": "Roy Kemp"})
    sam = first["protected_person"]
    assert sam["kind"] == "staff" and first["person_kind"] == "staff" and first["election_period"] is None
    # Staff reports reach health and safety at once.
    staff_notices = [m for m in mail.outbox if m.subject.startswith("Staff safety")]
    assert staff_notices and all(m.to == [council.people.safety.email] for m in staff_notices)
    complete(c.members, first["case"]["id"], "triage", {"new_subject": {"full_name": "Roy Kemp"}})
    roy = Subject.objects.get(full_name="Roy Kemp")
    second = report(c.safety, protected_person=sam["id"], subject=str(roy.pk), occurred_at=ago(60),
                    channel="in_person", account="Came back and blocked the way out of the interview room.")
    assert second["case"]["id"] == first["case"]["id"]

    proposed = c.safety.post(ENTRIES, {
        "subject": str(roy.pk), "incidents": [first["id"], second["id"]], "case": first["case"]["id"],
        "reasons": "Threatened a receptionist at the counter and blocked her exit from an interview room.",
        "words_used": "I'll be waiting for you when you finish.", "mitigations": DEFAULT_MITIGATIONS,
        "advice_contact": DEFAULT_CONTACT}, format="json")
    assert proposed.status_code == 201, proposed.content
    approved = c.monitoring.post(entry_url(proposed.json()["id"], "approve"),
                                 {"decision": "approve", "reason": "Two incidents against staff."}, format="json")
    assert approved.status_code == 200, approved.content
    entry = c.monitoring.get(entry_url(proposed.json()["id"]), READ).json()
    assert entry["state"] == RegisterEntry.State.APPROVED
    assert {i["id"] for i in entry["incidents"]} == {first["id"], second["id"]}
    for incident in entry["incidents"]:
        assert c.monitoring.get(f"{API}/incidents/{incident['id']}/").json()["protected_person"] == sam
    # Frontline staff find him before a meeting (a name alone: a possible match, with whom to call).
    check = c.frontline.post(f"{API}/register/check/", {"name": "Roy Kemp", "purpose": "Housing appointment",
                                                          "meeting_date": str(timezone.localdate())}, format="json")
    assert check.status_code == 200 and check.json()["result"] == "possible_match", check.content


def test_a_councillors_partner_appears_in_their_case_without_becoming_a_user(council):
    c = council.c
    users_before = get_user_model().objects.count()
    own = report(c.councillor, occurred_at=ago(50), channel="email", account="An e-mail calling me a traitor.",
                 subject_details={"name": "Gary Pike"})
    complete(c.members, own["case"]["id"], "triage", {"new_subject": {"full_name": "Gary Pike"}})
    # The councillor reports for their partner, followed home; the partner is recorded, not given an account.
    partner = report(c.councillor, new_protected_person={"kind": "household", "full_name": "Jo Ahmed",
                                                         "relationship": "partner"},
                     occurred_at=ago(45), channel="at_home", account="He followed Jo home from the station.")
    jo = partner["protected_person"]
    assert jo["kind"] == "household" and get_user_model().objects.count() == users_before
    record = c.members.get(f"{API}/protected-persons/{jo['id']}/").json()
    assert record["user"] is None and record["linked_to"]["name"] == "Cllr Ahmed"
    assert record["relationship"] == "partner" and record["share_with_linked"] is False
    gary = Subject.objects.get(full_name="Gary Pike")
    complete(c.members, partner["case"]["id"], "triage", {"subject": str(gary.pk)})  # merged into the case

    case_id = own["case"]["id"]
    for client in (c.members, c.councillor):
        case = client.get(f"{API}/cases/{case_id}/").json()
        assert [p["name"] for p in case["protected_people"]] == ["Cllr Ahmed", "Jo Ahmed"]
        assert {i["id"] for i in case["incidents"]} == {own["id"], partner["id"]}
    signals = c.members.get(f"{API}/subjects/{gary.pk}/conduct/").json()["signals"]
    several = next(s for s in signals if s["kind"] == "several_people")
    assert several["explanation"].startswith("Gary Pike has incidents against 2 people (councillors and household "
                                             "members): Cllr Ahmed, councillor")

    # What someone else reports about Jo is Jo's: the councillor sees it only once Jo agrees.
    jo_own = report(c.members, protected_person=jo["id"], subject=str(gary.pk), occurred_at=ago(40),
                    channel="phone", account="Jo took a call at work: the caller knew Jo's shifts.")
    assert c.councillor.get(f"{API}/incidents/{jo_own['id']}/").status_code == 404
    assert c.councillor.get(f"{API}/protected-persons/{jo['id']}/").json()["incident_count"] == 1
    agreed = c.members.patch(f"{API}/protected-persons/{jo['id']}/", {"share_with_linked": True}, format="json")
    assert agreed.status_code == 200 and agreed.json()["share_with_linked"] is True
    assert c.councillor.get(f"{API}/incidents/{jo_own['id']}/").status_code == 200
    # Advice for the household reaches Jo, and only Jo.
    complete(c.safety, case_id, "assess", {"answers": answers(council.table)})
    complete(c.members, case_id, "advise", {"advice": [{"template": "family-safety"}, {"template": "keep-records"}],
                                            "method": "phone"})
    advice = c.members.get(f"{API}/support/advice/").json()["results"]
    assert sorted((a["protected_person"]["name"], a["template"]) for a in advice) == [
        ("Cllr Ahmed", "keep-records"), ("Jo Ahmed", "family-safety"), ("Jo Ahmed", "keep-records")]


def test_trends_split_by_kind_of_person_and_election_period(council, django_capture_on_commit_callbacks):
    c = council.c
    election, priya = election_and_candidate(council)
    for days in (20, 10, 3):  # in the period: weeks 4, 3 and 2 before polling day
        report(c.electoral, protected_person=priya["id"], occurred_at=ago(days), channel="social_media")
    report(c.councillor, occurred_at=ago(50), channel="email")
    report(c.councillor, new_protected_person={"kind": "household", "full_name": "Jo Ahmed",
                                               "relationship": "partner"}, occurred_at=ago(45), channel="at_home")
    for days in (120, 90):
        report(c.safety, new_protected_person={"kind": "staff", "full_name": f"Staff {days}"},
               occurred_at=ago(days), channel="in_person")
    report(c.councillor, occurred_at=(timezone.now() - dt.timedelta(hours=1)).isoformat(), channel="phone")

    trends = c.monitoring.get(f"{API}/reports/trends/").json()
    assert {r["kind"]: r["count"] for r in trends["by_person_kind"]} == {
        "councillor": 2, "candidate": 3, "household": 1, "supporter": 0, "staff": 2}
    assert [(r["election_period"] and r["election_period"]["id"], r["count"]) for r in trends["by_election_period"]
            ] == [(election["id"], 4), (None, 4)]
    listed = c.monitoring.get(f"{API}/incidents/", {"in_election_period": "true"}).json()["count"]
    assert listed == 4

    # The weeks before the poll against the rest of the year.
    compared = c.monitoring.get(f"{API}/reports/elections/", {"election": election["id"]}).json()
    assert (compared["in_period"], compared["rest_of_year"], compared["period_days"]) == (4, 4, 37)
    assert compared["per_week_in_period"] == round(4 * 7 / 37, 2)
    assert compared["per_week_rest_of_year"] == round(4 * 7 / (365 - 37), 2)
    assert compared["ratio"] == round(compared["per_week_in_period"] / compared["per_week_rest_of_year"], 2)
    kinds = {r["kind"]: (r["in_period"], r["rest_of_year"]) for r in compared["by_kind"]}
    assert kinds == {"councillor": (1, 1), "candidate": (3, 0), "household": (0, 1), "supporter": (0, 0),
                     "staff": (0, 2)}
    weeks = {w["weeks_before_poll"]: w["count"] for w in compared["by_week"]}
    assert weeks == {6: 0, 5: 0, 4: 1, 3: 1, 2: 1, 1: 1, 0: 0}
    # Electoral services may read the comparison (counts only); a councillor may not.
    assert c.electoral.get(f"{API}/reports/elections/", {"election": election["id"]}).status_code == 200
    assert c.councillor.get(f"{API}/reports/elections/", {"election": election["id"]}).status_code == 403


def _client(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user=user)
    return client


def _composed_text(bundle) -> str:
    """The bundle's documents rendered to HTML and stripped of tags (what the PDF would say)."""
    import re

    from django.template.loader import render_to_string

    from safety_workflow.bundles.compose import compose

    parts = [render_to_string(doc.template, {**doc.context, "bundle": bundle}) for doc in compose(bundle).documents
             if doc.exhibit is None]
    text = " ".join(re.sub(r"<[^>]+>", " ", " ".join(parts)).split())
    return re.sub(r" ([,.)])", r"\1", text)


def _pdf_text(response) -> str:
    from pypdf import PdfReader

    data = b"".join(response.streaming_content)
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def _squash(text: str) -> str:
    return " ".join(text.split())


def _long(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"
