"""The rules around protected people and election periods, one at a time: who records and reports for whom, what a
record needs, how incidents are flagged to an election period, the elected candidate, the packs, retention, and
the migration of existing incidents."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from safety_workflow import elections
from safety_workflow.bundles.access import compose_protected_person_access
from safety_workflow.bundles.compose import compose, liaison_people_and_elections
from safety_workflow.conf import app_settings
from safety_workflow.models import (
    Bundle,
    Candidacy,
    ElectionPeriod,
    Incident,
    ProtectedPerson,
    Subject,
)
from safety_workflow.roles import Role
from safety_workflow.services.retention import retention_dispose

from .factories import make_person, make_user, person_for
from .helpers import API, answers, complete, report

pytestmark = pytest.mark.django_db


def ago(days: int, hour: int = 12) -> str:
    moment = timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0)
    return (moment - dt.timedelta(days=days)).isoformat()


@pytest.fixture
def council(people, client_for, decision_table, advice_templates, police_contact):
    people.electoral = make_user(Role.ELECTORAL_SERVICES, email="elections@council.example",
                                 display_name="Elle Lectoral")
    people.candidate = make_user(Role.CANDIDATE, email="tom@campaign.example", display_name="Tom Hale")
    c = SimpleNamespace(**{name: client_for(getattr(people, name)) for name in vars(people)})
    return SimpleNamespace(people=people, c=c, table=decision_table)


def period(client, *, name="County elections", poll=5, start=30, **extra) -> dict:
    today = timezone.localdate()
    body = {"name": name, "poll_date": str(today + dt.timedelta(days=poll)),
            "starts_on": str(today - dt.timedelta(days=start)), **extra}
    response = client.post(f"{API}/election-periods/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def candidate(client, election_id, *, name="Priya Shah", ward="Riverside", **extra) -> dict:
    response = client.post(f"{API}/protected-persons/", {
        "kind": "candidate", "full_name": name, "candidacies": [{"election": election_id, "ward": ward}], **extra},
        format="json")
    assert response.status_code == 201, response.content
    return response.json()


# Who records whom, and what a record needs -------------------------------------------------------------------
def test_what_each_kind_of_person_needs(council):
    c = council.c
    election = period(c.electoral)
    refused = {
        "candidate without an election": ({"kind": "candidate", "full_name": "A Person"}, {"candidacies"}),
        "household member linked to nobody": ({"kind": "household", "full_name": "B Person",
                                               "relationship": "son"}, {"linked_to"}),
        "supporter without a relationship": ({"kind": "supporter", "full_name": "C Person",
                                              "linked_to": str(person_for(council.people.councillor).pk)},
                                             {"relationship"}),
        "staff without a name": ({"kind": "staff", "job_title": "Receptionist"}, {"full_name"}),
        "councillor without an account": ({"kind": "councillor", "full_name": "D Person"}, {"user"}),
        "councillor account without the role": ({"kind": "councillor", "user": council.people.legal.pk}, {"user"}),
        "staff standing in an election": ({"kind": "staff", "full_name": "E Person",
                                           "candidacies": [{"election": election["id"], "ward": "Abbey"}]},
                                          {"candidacies"}),
        "household member linked to staff": ({"kind": "household", "full_name": "F Person", "relationship": "son",
                                              "linked_to": str(make_person().pk)}, {"linked_to"}),
    }
    for what, (body, fields) in refused.items():
        response = c.members.post(f"{API}/protected-persons/", body, format="json")
        assert response.status_code == 400 and response.json()["code"] == "protected_person_invalid", what
        assert set(response.json()["errors"]) == fields, (what, response.json())
    assert not ProtectedPerson.objects.filter(full_name__in=[f"{x} Person" for x in "ABCDEF"]).exists()
    # An account has one record.
    person_for(council.people.councillor)
    again = c.members.post(f"{API}/protected-persons/", {"kind": "councillor", "user": council.people.councillor.pk},
                           format="json")
    assert again.status_code == 409 and again.json()["code"] == "protected_person_exists"


def test_electoral_services_record_and_report_for_people_standing_only(council):
    c, people = council.c, council.people
    election = period(c.electoral)
    priya = candidate(c.electoral, election["id"])
    agent = c.electoral.post(f"{API}/protected-persons/", {"kind": "supporter", "full_name": "Tom Agent",
                                                          "relationship": "election agent",
                                                          "linked_to": priya["id"]}, format="json")
    assert agent.status_code == 201
    staff = c.electoral.post(f"{API}/protected-persons/", {"kind": "staff", "full_name": "Sam Reed"}, format="json")
    assert staff.status_code == 403 and staff.json()["code"] == "cannot_record_person"
    # A councillor not standing: electoral services do not see them, nor report for them.
    byrne = person_for(people.councillor2)
    assert c.electoral.get(f"{API}/protected-persons/{byrne.pk}/").status_code == 404
    refused = c.electoral.post(f"{API}/incidents/", {"protected_person": str(byrne.pk), "channel": "email",
                                                     "occurred_at": ago(1), "account": "..."}, format="json")
    assert refused.status_code == 400 and "protected_person" in refused.json()["errors"]
    # Standing again, they are electoral services' to report for.
    standing = c.members.post(f"{API}/protected-persons/{byrne.pk}/candidacies/",
                              {"election": election["id"], "ward": "Moor"}, format="json")
    assert standing.status_code == 201 and standing.json()["candidacies"][0]["ward"] == "Moor"
    twice = c.electoral.post(f"{API}/protected-persons/{byrne.pk}/candidacies/",
                             {"election": election["id"], "ward": "Moor"}, format="json")
    assert twice.status_code == 409 and twice.json()["code"] == "candidacy_exists"
    reported = report(c.electoral, protected_person=str(byrne.pk), occurred_at=ago(2), channel="email")
    assert reported["person_kind"] == "councillor" and reported["election_period"]["id"] == election["id"]
    # Electoral services list the people standing and those linked to them, nobody else.
    listed = {p["name"] for p in c.electoral.get(f"{API}/protected-persons/").json()["results"]}
    assert listed == {"Priya Shah", "Tom Agent", "Cllr Byrne"}
    assert {p["name"] for p in c.electoral.get(f"{API}/protected-persons/", {"election": election["id"]}).json()[
        "results"]} == {"Priya Shah", "Cllr Byrne"}
    # Reading a record is logged, as a subject's is.
    c.electoral.get(f"{API}/protected-persons/{priya['id']}/")
    from safety_workflow.models import AccessLogEntry

    assert AccessLogEntry.objects.filter(object_type="protected_person", object_id=priya["id"],
                                         action="view", actor=people.electoral).exists()


def test_a_candidate_with_an_account_reports_for_themselves(council):
    c, people = council.c, council.people
    election = period(c.electoral)
    early = c.candidate.post(f"{API}/incidents/", {"channel": "email", "occurred_at": ago(1), "account": "..."},
                             format="json")
    assert early.status_code == 400 and early.json()["code"] == "protected_person_invalid"  # not yet recorded
    tom = candidate(c.electoral, election["id"], name="Tom Hale", user=people.candidate.pk)
    mine = report(c.candidate, occurred_at=ago(1), channel="social_media", account="Pile-on after the hustings.")
    assert mine["protected_person"]["id"] == tom["id"] and mine["person_kind"] == "candidate"
    assert [i["id"] for i in c.candidate.get(f"{API}/incidents/").json()["results"]] == [mine["id"]]
    assert c.candidate.get(f"{API}/cases/{mine['case']['id']}/").status_code == 200
    # Not the register, not reports, not other people's incidents.
    assert c.candidate.get(f"{API}/register/entries/").status_code == 403
    assert c.candidate.get(f"{API}/reports/trends/").status_code == 403
    other = report(c.councillor, occurred_at=ago(1))
    assert c.candidate.get(f"{API}/incidents/{other['id']}/").status_code == 404


def test_elected_keeps_the_history_and_refuses_what_would_lose_it(council):
    c, people = council.c, council.people
    election = period(c.electoral)
    priya = candidate(c.electoral, election["id"])
    report(c.electoral, protected_person=priya["id"], occurred_at=ago(3))
    new_account = make_user(Role.COUNCILLOR, email="cllr.shah@council.example", display_name="Cllr Shah")
    url = f"{API}/protected-persons/{priya['id']}/elected/"
    wrong = c.electoral.post(url, {"election": election["id"], "user": people.legal.pk}, format="json")
    assert wrong.status_code == 400 and set(wrong.json()["errors"]) == {"user"}
    other_election = period(c.electoral, name="By-election", poll=60, start=10)
    lost = c.electoral.post(url, {"election": other_election["id"], "user": new_account.pk}, format="json")
    assert lost.status_code == 400 and set(lost.json()["errors"]) == {"election"}
    # An account with a history of its own is not merged silently.
    report(c.councillor, occurred_at=ago(1))
    taken = c.electoral.post(url, {"election": election["id"], "user": people.councillor.pk}, format="json")
    assert taken.status_code == 409 and taken.json()["code"] == "protected_person_exists"
    # An empty record the new account already had (signed in, reported nothing) gives way.
    ProtectedPerson.objects.create(kind="councillor", user=new_account)
    done = c.electoral.post(url, {"election": election["id"], "user": new_account.pk}, format="json")
    assert done.status_code == 200 and done.json()["kind"] == "councillor"
    assert str(ProtectedPerson.objects.get(user=new_account).pk) == priya["id"]
    again = c.electoral.post(url, {"election": election["id"], "user": new_account.pk}, format="json")
    assert again.status_code == 400 and set(again.json()["errors"]) == {"kind"}
    assert c.councillor.post(url, {}, format="json").status_code in (403, 404)


# Election periods ---------------------------------------------------------------------------------------------
def test_period_dates_and_who_records_them(council):
    c = council.c
    today = str(timezone.localdate())
    bad = c.electoral.post(f"{API}/election-periods/", {"name": "X", "poll_date": today,
                                                         "starts_on": str(timezone.localdate() + dt.timedelta(1))},
                           format="json")
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"starts_on"}
    long = c.electoral.post(f"{API}/election-periods/", {"name": "X", "poll_date": today,
                                                          "starts_on": "2020-01-01"}, format="json")
    assert long.status_code == 400 and "starts_on" in long.json()["errors"]
    refused = c.safety.post(f"{API}/election-periods/", {"name": "X", "poll_date": today, "starts_on": today},
                            format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "cannot_record_election"
    for client in (c.frontline, c.councillor, c.police):  # dates of elections are no secret
        assert client.get(f"{API}/election-periods/").status_code == 200


def test_incidents_are_flagged_by_date_ward_and_candidacy_and_again_when_those_change(council):
    c = council.c
    before = report(c.councillor, occurred_at=ago(40), ward="Abbey")
    castle = report(c.councillor, occurred_at=ago(10), ward="Castle")
    abbey = report(c.councillor2, occurred_at=ago(9), ward="Abbey")
    # A by-election in Abbey: only Abbey's incidents in its dates are flagged (recorded after them: flagged now).
    by = period(c.electoral, name="Abbey by-election", wards=["Abbey"])
    flags = {i["id"]: i["election_period"] and i["election_period"]["id"]
             for i in c.members.get(f"{API}/incidents/").json()["results"]}
    assert flags == {before["id"]: None, castle["id"]: None, abbey["id"]: by["id"]}
    # Someone standing in it is flagged wherever they are harmed.
    priya = candidate(c.electoral, by["id"], ward="Abbey")
    hers = report(c.electoral, protected_person=priya["id"], occurred_at=ago(5), ward="Castle")
    assert hers["election_period"]["id"] == by["id"]
    # The period's dates corrected: what it now covers is flagged, what it no longer covers is not.
    moved = c.electoral.patch(f"{API}/election-periods/{by['id']}/",
                              {"starts_on": str(timezone.localdate() - dt.timedelta(days=45))}, format="json")
    assert moved.status_code == 200
    assert Incident.objects.get(pk=before["id"]).election_period_id == by["id"]
    # A councillor of Castle stands: their Castle incident in the dates is flagged too.
    c.members.post(f"{API}/protected-persons/{castle['protected_person']['id']}/candidacies/",
                   {"election": by["id"], "ward": "Abbey"}, format="json")
    assert Incident.objects.get(pk=castle["id"]).election_period_id == by["id"]
    # Triage corrects a ward: the flag follows.
    complete(c.members, abbey["case"]["id"], "triage", {"ward": "Moor"})
    assert Incident.objects.get(pk=abbey["id"]).election_period_id is None
    assert elections.period_for(day=timezone.localdate(), ward="abbey ", standing_in=(), spans=[
        elections.Span.of(ElectionPeriod.objects.get(pk=by["id"]))]) == by["id"]  # ward names as people type them


def test_the_weeks_of_a_period_count_back_from_polling_day():
    span = elections.Span(id=1, poll_date=dt.date(2027, 5, 6), starts_on=dt.date(2027, 4, 1),
                          ends_on=dt.date(2027, 5, 7))
    weeks = elections.weeks(span)
    assert weeks[0] == {"weeks_before_poll": 6, "from": dt.date(2027, 4, 1), "to": dt.date(2027, 4, 1)}
    assert weeks[-2] == {"weeks_before_poll": 1, "from": dt.date(2027, 4, 30), "to": dt.date(2027, 5, 6)}
    assert weeks[-1] == {"weeks_before_poll": 0, "from": dt.date(2027, 5, 7), "to": dt.date(2027, 5, 7)}
    assert sum((w["to"] - w["from"]).days + 1 for w in weeks) == (span.ends_on - span.starts_on).days + 1


# Advice, packs and exports ---------------------------------------------------------------------------------------
def test_advice_templates_for_candidates_and_staff(council):
    c = council.c
    for kind, expected in (("candidate", {"campaigning-safely", "candidate-home-address", "election-police-contact",
                                          "candidate-guidance"}),
                           ("staff", {"lone-working", "staff-support"})):
        codes = {t["code"] for t in c.members.get(f"{API}/advice-templates/", {"kind": kind,
                                                                              "page_size": 50}).json()["results"]}
        assert expected <= codes and "surgery-safety" not in codes, kind
        assert {"keep-records", "emergency"} <= codes  # written for everyone
    staff = report(c.safety, new_protected_person={"kind": "staff", "full_name": "Sam Reed"}, occurred_at=ago(2))
    case_id = staff["case"]["id"]
    complete(c.members, case_id, "triage", {})
    complete(c.safety, case_id, "assess", {"answers": answers(council.table)})
    task = c.members.get(f"{API}/tasks/", {"case": case_id, "node": "advise"}).json()["results"][0]
    suggested = [t["code"] for t in c.members.get(f"{API}/tasks/{task['id']}/").json()["context"]["templates"]
                 if t["suggested"]]
    assert set(suggested) == {"lone-working", "staff-support"}
    wrong = c.members.post(f"{API}/tasks/{task['id']}/complete/", {"advice": [{"template": "candidate-home-address"}],
                                                                   "method": "phone"}, format="json")
    assert wrong.status_code == 400 and "advice" in wrong.json()["errors"]
    complete(c.members, case_id, "advise", {"advice": [{"template": "lone-working"}], "method": "meeting"})


def test_packs_name_the_people_harmed_and_the_election(council):
    c, people = council.c, council.people
    election = period(c.electoral, name="County elections 2027")
    priya = candidate(c.electoral, election["id"])
    threat = report(c.electoral, protected_person=priya["id"], occurred_at=ago(4), channel="letter",
                    account="A letter: stand down.", immediate_danger=True)
    staff = report(c.safety, new_protected_person={"kind": "staff", "full_name": "Sam Reed",
                                                   "job_title": "Receptionist"}, occurred_at=ago(50))
    police = Bundle.objects.create(kind=Bundle.Kind.POLICE_REFERRAL, scope={"case": threat["case"]["id"]},
                                   case_id=threat["case"]["id"], requested_by=people.members)
    cover = compose(police).documents[0].context
    assert cover["election"].startswith("County elections 2027, poll on ") and cover["candidates"] is True
    assert cover["protected"] == [f"Priya Shah, a candidate for Riverside in the County elections 2027 (polling day "
                                  f"{_long(election['poll_date'])})"]
    since, until = timezone.localdate() - dt.timedelta(days=60), timezone.localdate()
    pack = liaison_people_and_elections(
        list(Incident.objects.filter(pk__in=[threat["id"], staff["id"]]).select_related("election_period")),
        since, until)
    assert {r["label"]: r["count"] for r in pack["by_kind"]} == {
        "Councillor": 0, "Candidate for election": 1, "Member of a councillor's or candidate's household": 0,
        "Supporter of a councillor or candidate (ward assistant, agent)": 0, "Member of the council's staff": 1}
    [row] = pack["elections"]
    assert (row["name"], row["in_pack"], row["in_period"], row["candidates"]) == ("County elections 2027", 1, 1, 1)
    liaison = Bundle.objects.create(kind=Bundle.Kind.LIAISON_MEETING, requested_by=people.monitoring,
                                    scope={"since": since.isoformat(), "until": until.isoformat()})
    assert "people" in [d.anchor for d in compose(liaison).documents]


def test_a_protected_person_gets_their_own_subject_access_export(council):
    c = council.c
    jo = report(c.councillor, new_protected_person={"kind": "household", "full_name": "Jo Ahmed",
                                                    "relationship": "partner", "email": "jo@home.example",
                                                    "address": "4 Elm Row\nRiverside"},
                occurred_at=ago(6), channel="at_home", account="Gary Pike followed Jo home.",
                subject_details={"name": "Gary Pike"})
    complete(c.members, jo["case"]["id"], "triage", {"new_subject": {"full_name": "Gary Pike"}})
    from safety_workflow.services.bundles import bundle_scope_resolve

    scope = {"protected_person": jo["protected_person"]["id"]}
    assert bundle_scope_resolve(user=council.people.governance, kind="subject_access", scope=scope) == (
        scope, None, None)
    if app_settings.PDF_EXPORT:
        requested = c.governance.post(f"{API}/bundles/", {"kind": "subject_access", "purpose": "SAR 2026-14",
                                                          "scope": scope}, format="json")
        assert requested.status_code == 202, requested.content
        assert requested.json()["scope"] == scope
        missing = c.governance.post(f"{API}/bundles/", {"kind": "subject_access", "scope": {
            "protected_person": "00000000-0000-4000-8000-000000000000"}}, format="json")
        assert missing.status_code == 404
    bundle = Bundle.objects.create(kind=Bundle.Kind.SUBJECT_ACCESS, scope=scope, purpose="SAR 2026-14",
                                   requested_by=council.people.governance)
    export = compose_protected_person_access(bundle)
    assert [d.anchor for d in export.documents] == ["cover", "index", "details", "incidents", "support", "reads",
                                                    "redactions"]
    details = export.documents[2].context["person"]
    assert (details["name"], details["linked_to"], details["email"]) == ("Jo Ahmed", "Councillor A",
                                                                         "jo@home.example")
    redacted = {r.text: r.replacement for r in export.redactions}
    assert redacted["Gary Pike"] == "[the person it is about]"  # a third party's identity
    assert redacted["Cllr Ahmed"] == "[Councillor A]"
    assert "Jo Ahmed" not in redacted and "jo@home.example" not in redacted  # their own data is theirs
    [incident] = export.documents[3].context["incidents"]
    assert (incident["reported_by"], incident["as"], incident["about"]) == ("Councillor A", "household member",
                                                                            "[the person it is about]")


def test_people_no_record_refers_to_are_disposed_of_with_their_candidacies(council):
    c = council.c
    election = period(c.electoral)
    kept = candidate(c.electoral, election["id"], name="Kept Person")
    report(c.electoral, protected_person=kept["id"], occurred_at=ago(2))
    gone = candidate(c.electoral, election["id"], name="Gone Person")
    later = timezone.now() + dt.timedelta(days=366)
    report_ = retention_dispose(now=later, kinds=["protected_person"])
    assert report_.disposed["protected_person"] == [gone["id"]]
    assert ProtectedPerson.objects.filter(pk=kept["id"]).exists()
    assert not Candidacy.objects.filter(person_id=gone["id"]).exists()


# The migration of existing data -----------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_the_migration_makes_each_incidents_councillor_a_protected_person(people):
    executor = MigrationExecutor(connection)
    before = [("safety_workflow", "0006_evidence_text")]
    after = executor.loader.graph.leaf_nodes("safety_workflow")
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Case = old.get_model("safety_workflow", "Case")
    OldIncident = old.get_model("safety_workflow", "Incident")
    Advice = old.get_model("safety_workflow", "AdviceGiven")
    Signal = old.get_model("safety_workflow", "EscalationSignal")
    OldSubject = old.get_model("safety_workflow", "Subject")
    case = Case.objects.create(reference="SW-2026-0001", flow_class="safety_workflow/flows.incident.IncidentFlow")
    subject = OldSubject.objects.create(full_name="Derek Mallory")
    for n, user in enumerate((people.councillor, people.councillor2, people.councillor)):
        OldIncident.objects.create(reference=f"SW-2026-0001-0{n + 1}", case=case, reported_by_id=people.members.pk,
                                   councillor_id=user.pk, occurred_at=timezone.now(), channel="email",
                                   account="...", subject=subject)
    Advice.objects.create(case=case, councillor_id=people.councillor.pk, title="t", text="x",
                          given_by_id=people.members.pk)
    Signal.objects.create(subject=subject, kind="several_councillors", key="several_councillors:2", case=case,
                          explanation="...")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    ahmed, byrne = (ProtectedPerson.objects.get(user=u) for u in (people.councillor, people.councillor2))
    assert {(p.kind, p.full_name) for p in (ahmed, byrne)} == {("councillor", "")}
    assert [(i.protected_person, i.person_kind) for i in Incident.objects.order_by("reference")] == [
        (ahmed, "councillor"), (byrne, "councillor"), (ahmed, "councillor")]
    from safety_workflow.models import AdviceGiven, EscalationSignal

    assert AdviceGiven.objects.get().protected_person == ahmed
    assert EscalationSignal.objects.values_list("kind", "key").get() == ("several_people", "several_people:2")
    assert Subject.objects.count() == 1
    call_command("makemigrations", "safety_workflow", "--check", "--dry-run", verbosity=0)


def _long(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"
