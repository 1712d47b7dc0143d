"""The three routes and the immediate-danger shortcut, end to end through HTTP with the demo roles."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from viewflow.workflow.models import Task

from safety_workflow.models import (
    AdviceGiven,
    Assessment,
    Bundle,
    Case,
    CouncilAction,
    EmployeeAssistanceOffer,
    HomeSecurityAssessment,
    PoliceReferral,
    PriorityAddressFlag,
)

from .helpers import API, answers, complete, open_task, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def clients(people, client_for, decision_table, advice_templates, police_contact):
    class Clients:
        councillor = client_for(people.councillor)
        councillor2 = client_for(people.councillor2)
        members = client_for(people.members)
        safety = client_for(people.safety)
        legal = client_for(people.legal)
        monitoring = client_for(people.monitoring)
        police = client_for(people.police)
        frontline = client_for(people.frontline)

    return Clients


def close_case(clients, case_id):
    return close_case_expecting(clients, case_id, 200)


def close_case_expecting(clients, case_id, expect):
    return complete(clients.members, case_id, "close", {
        "outcome_summary": "We told you what we did and why.", "person_informed": True, "informed_by": "phone",
    }, expect=expect)


def test_low_route_advice_then_close(clients, decision_table, people):
    incident = report(clients.councillor)
    case_id = incident["case"]["id"]
    assert incident["case"]["reference"].startswith("SW-")
    assert incident["reference"] == incident["case"]["reference"] + "-01"

    result = complete(clients.members, case_id, "triage", {"notes": "Rude but no threat."})
    assert result["task"]["node"] == "triage" and result["task"]["status"] == "DONE"
    # The next task is health and safety's: members services are told it exists, not that they may claim it.
    assert [(t["node"], t["roles"], t["may_claim"]) for t in result["next_tasks"]] == [
        ("assess", ["health_and_safety"], False)]
    result = complete(clients.safety, case_id, "assess", {"answers": answers(decision_table)})
    assert result["case"]["level"] == "low"
    assert result["case"]["route"] == "advice"
    assert [(t["node"], t["may_claim"]) for t in result["next_tasks"]] == [("advise", False)]

    complete(clients.members, case_id, "advise", {
        "advice": [{"template": "email-filtering"}, {"template": "keep-records"}], "method": "email",
    })
    result = close_case(clients, case_id)
    assert result["case"]["state"] == "closed"
    assert result["next_tasks"] == []

    case = Case.objects.get(pk=case_id)
    assert case.status == "DONE" and case.closed_by == people.members
    assert set(AdviceGiven.objects.filter(case=case).values_list("template__code", flat=True)) == {
        "email-filtering", "keep-records"}

    # The councillor sees the outcome and the advice in their timeline, not the officers' internal steps.
    timeline = clients.councillor.get(f"{API}/incidents/{incident['id']}/timeline/").json()["results"]
    actions = [entry["action"] for entry in timeline]
    assert actions == ["reported", "triaged", "assessed", "advice_given", "closed"]
    officer_actions = [e["action"] for e in
                       clients.members.get(f"{API}/incidents/{incident['id']}/timeline/").json()["results"]]
    assert "case_opened" in officer_actions


def test_medium_route_warning_letter(clients, decision_table):
    incident = report(clients.councillor, channel="social_media")
    case_id = incident["case"]["id"]
    complete(clients.members, case_id, "triage", {
        "new_subject": {"full_name": "Gary Pollard", "handles": [{"kind": "social", "value": "@gp_truth"}]},
    })
    result = complete(clients.safety, case_id, "assess",
                      {"answers": answers(decision_table, threatening_language=True, repeated_contact=True)})
    assert result["case"]["level"] == "medium" and result["case"]["route"] == "council_action"
    # The council action is legal's: the assessor is told it is next, and that it is not theirs to claim.
    assert [(t["node"], t["roles"], t["may_claim"]) for t in result["next_tasks"]] == [
        ("council_action", ["legal"], False)]

    # Legal now sees the case; it did not before the routing.
    complete(clients.legal, case_id, "council_action", {"kind": "warning_letter", "reason": "Course of conduct.",
                                                         "letter_sent_on": str(timezone.localdate())},)
    close_case(clients, case_id)
    action = CouncilAction.objects.get(case_id=case_id)
    assert action.kind == "warning_letter" and action.letter_sent_on == timezone.localdate()


def test_medium_route_injunction_with_bundle(clients, decision_table, people):
    incident = report(clients.councillor)
    case_id = incident["case"]["id"]
    complete(clients.members, case_id, "triage", {})
    complete(clients.safety, case_id, "assess", {"answers": answers(decision_table, repeated_contact=True)})
    complete(clients.legal, case_id, "council_action",
             {"kind": "injunction", "reason": "Letters ignored."}, expect=400)  # the Act must be named
    complete(clients.legal, case_id, "council_action",
             {"kind": "injunction", "reason": "Letters ignored.", "basis": "pha_1997"})

    not_ready = Bundle.objects.create(kind="injunction", scope={"case": case_id}, case_id=case_id,
                                      requested_by=people.legal)
    error = complete(clients.legal, case_id, "prepare_bundle", {"bundle": str(not_ready.pk)}, expect=400)
    assert error["code"] == "invalid_bundle"
    ready = Bundle.objects.create(kind="injunction", scope={"case": case_id}, case_id=case_id,
                                  requested_by=people.legal, status="ready", sha256="ab" * 32)
    other_case = report(clients.councillor2)["case"]["id"]
    elsewhere = Bundle.objects.create(kind="injunction", scope={"case": other_case}, case_id=other_case,
                                      requested_by=people.legal, status="ready", sha256="cd" * 32)
    task = open_task(clients.legal, case_id, "prepare_bundle")
    offered = clients.legal.get(f"{API}/tasks/{task['id']}/").json()["context"]["bundles"]
    assert {b["id"] for b in offered} == {str(not_ready.pk), str(ready.pk)}
    complete(clients.legal, case_id, "prepare_bundle", {"bundle": str(elsewhere.pk)}, expect=400)
    complete(clients.legal, case_id, "prepare_bundle", {"bundle": str(ready.pk), "claim_number": "K00XX123"})
    complete(clients.legal, case_id, "injunction_outcome",
             {"outcome": "granted", "outcome_on": str(timezone.localdate()),
              "expires_on": str(timezone.localdate() + dt.timedelta(days=365))})
    close_case(clients, case_id)
    action = CouncilAction.objects.get(case_id=case_id)
    assert (action.bundle, action.claim_number, action.outcome) == (ready, "K00XX123", "granted")


def test_serious_route_refers_to_police_at_once(clients, decision_table, police_contact,
                                               django_capture_on_commit_callbacks):
    incident = report(clients.councillor, channel="in_person", account="He said he would kill me.")
    case_id = incident["case"]["id"]
    complete(clients.members, case_id, "triage", {})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = complete(clients.safety, case_id, "assess",
                          {"answers": answers(decision_table, threat_to_life=True)})
    assert result["case"]["level"] == "serious" and result["case"]["route"] == "police"

    referral = PoliceReferral.objects.get(case_id=case_id)
    assert not referral.urgent and referral.contact == police_contact
    assert list(referral.incidents.values_list("reference", flat=True)) == [incident["reference"]]
    assert any(police_contact.email in m.to for m in mail.outbox)

    task = open_task(clients.police, case_id, "police_acknowledge")
    deadline = Task.objects.get(pk=task["id"]).deadline
    assert deadline.due_at - Task.objects.get(pk=task["id"]).created == dt.timedelta(hours=1)
    complete(clients.police, case_id, "police_acknowledge", {"crime_reference": "NP/26/004512"})
    complete(clients.police, case_id, "police_outcome", {"status": "investigating"}, expect=400)
    complete(clients.police, case_id, "police_outcome", {"status": "charged", "notes": "Charged under s.16 OAPA."})
    close_case(clients, case_id)
    referral.refresh_from_db()
    assert (referral.status, referral.crime_reference) == ("charged", "NP/26/004512")


def _open_nodes(case_id):
    return sorted(t.flow_task.name for t in Task.objects.filter(process_id=case_id, status__in=["NEW", "ASSIGNED"]))


def test_immediate_danger_at_report_refers_at_once_and_still_gets_triage_and_assessment(clients, police_contact,
                                                                                         decision_table, people):
    incident = report(clients.councillor, immediate_danger=True, channel="at_home",
                      account="A man is outside my house shouting that he will get me.")
    assert "999" in incident["safety_advice"]
    case_id = incident["case"]["id"]
    referral = PoliceReferral.objects.get(case_id=case_id)
    assert referral.urgent and referral.referred_by == people.councillor
    # The referral is made at once; triage (the subject) runs beside the police steps.
    assert _open_nodes(case_id) == ["police_acknowledge", "triage"]
    timeline = clients.members.get(f"{API}/incidents/{incident['id']}/timeline/").json()["results"]
    step = next(e for e in timeline if e["action"] == "police_referral")
    assert step["reason"] == referral.reason and step["actor"]["id"] == str(people.councillor.pk)

    complete(clients.police, case_id, "police_acknowledge", {"crime_reference": "NP/26/1"})
    result = complete(clients.members, case_id, "triage", {"new_subject": {"full_name": "Ron Gate"}})
    assert result["case"]["state"] == "open"
    assert _open_nodes(case_id) == ["assess", "police_outcome"]
    # Assessed serious: its incidents join the referral already open; no second acknowledgement.
    complete(clients.safety, case_id, "assess", {"answers": answers(decision_table, threat_to_life=True)})
    assert _open_nodes(case_id) == ["police_outcome"]
    assert PoliceReferral.objects.filter(case_id=case_id).count() == 1
    complete(clients.police, case_id, "police_outcome", {"status": "cautioned"})
    assert _open_nodes(case_id) == ["close"]
    close_case(clients, case_id)
    case = Case.objects.get(pk=case_id)
    assert case.status == "DONE" and case.level == "serious" and case.subject.full_name == "Ron Gate"


def test_urgent_case_assessed_low_closes_only_after_the_police_outcome(clients, police_contact, decision_table):
    case_id = report(clients.councillor, immediate_danger=True)["case"]["id"]
    complete(clients.members, case_id, "triage", {})
    complete(clients.safety, case_id, "assess", {"answers": answers(decision_table)})
    complete(clients.members, case_id, "advise", {"advice": [{"template": "keep-records"}], "method": "email"})
    # The advice is given, but the police still have the referral: no close task yet, one after their outcome.
    assert _open_nodes(case_id) == ["police_acknowledge"]
    complete(clients.police, case_id, "police_acknowledge", {})
    complete(clients.police, case_id, "police_outcome", {"status": "no_further_action"})
    assert _open_nodes(case_id) == ["close"]
    close_case(clients, case_id)
    assert Case.objects.get(pk=case_id).level == "low"


def test_immediate_danger_at_triage(clients, decision_table, people):
    incident = report(clients.councillor)
    case_id = incident["case"]["id"]
    complete(clients.members, case_id, "triage", {"immediate_danger": True, "notes": "Called back: he is outside."})
    referral = PoliceReferral.objects.get(case_id=case_id)
    assert referral.urgent and referral.referred_by == people.members
    assert _open_nodes(case_id) == ["assess", "police_acknowledge"]


def test_override_needs_reason_and_keeps_both_levels(clients, decision_table):
    incident = report(clients.councillor)
    case_id = incident["case"]["id"]
    complete(clients.members, case_id, "triage", {})
    error = complete(clients.safety, case_id, "assess",
                     {"answers": answers(decision_table), "override_level": "medium"}, expect=400)
    assert error["code"] == "override_needs_reason"
    assert not Assessment.objects.filter(case_id=case_id).exists()
    complete(clients.safety, case_id, "assess", {
        "answers": answers(decision_table), "override_level": "medium",
        "override_reason": "Third message this month; the table does not see the pattern yet.",
    })
    item = Assessment.objects.get(case_id=case_id)
    assert (item.computed_level, item.override_level, item.level, item.route) == (
        "low", "medium", "medium", "council_action")
    assert item.decision_table == decision_table


def test_invalid_answers_are_refused_with_field_errors(clients, decision_table):
    case_id = report(clients.councillor)["case"]["id"]
    complete(clients.members, case_id, "triage", {})
    bad = answers(decision_table)
    bad["weapon"] = "maybe"
    del bad["threat_to_life"]
    bad["not_a_question"] = True
    error = complete(clients.safety, case_id, "assess", {"answers": bad}, expect=400)
    assert error["code"] == "invalid_answers"
    assert set(error["errors"]["answers"]) == {"weapon", "threat_to_life", "not_a_question"}
    open_task(clients.safety, case_id, "assess")  # still waiting, unclaimed
    assert Task.objects.get(pk=open_task(clients.safety, case_id, "assess")["id"]).owner is None


def test_support_tasks_run_beside_the_main_line(clients, decision_table, people):
    case_id = report(clients.councillor, channel="at_home")["case"]["id"]
    complete(clients.members, case_id, "triage", {})
    result = complete(clients.safety, case_id, "assess", {
        "answers": answers(decision_table, at_home=True), "home_security": True, "employee_assistance": True,
        "propose_register": True,
    })
    # Every open task of the case, whoever's: the assessor may claim their own two, not legal's or members
    # services'.
    assert {t["node"]: t["may_claim"] for t in result["next_tasks"]} == {
        "home_security": True, "register_proposal": True, "council_action": False, "employee_assistance": False}
    complete(clients.legal, case_id, "council_action", {"kind": "no_further_action", "reason": "Police advice."})
    today = timezone.localdate()
    # Employee assistance is members services' own task: the case is not closed while the offer is to be made.
    refused = close_case_expecting(clients, case_id, 409)
    assert refused["code"] == "employee_assistance_open"
    assert Case.objects.get(pk=case_id).state == "open"
    complete(clients.members, case_id, "employee_assistance", {"offered_on": str(today), "accepted": True})
    close_case(clients, case_id)
    case = Case.objects.get(pk=case_id)
    assert case.state == "closed" and case.status == "NEW"  # health and safety's support work still open
    assert [t["node"] for t in clients.members.get(f"{API}/tasks/", {"case": case_id}).json()["results"]] == []

    complete(clients.safety, case_id, "home_security", {
        "assessed_on": str(today), "findings": "No outside lighting; letterbox unguarded.",
        "measures": [{"description": "Motion-sensor lighting"}, {"description": "Letterbox guard"}],
        "priority_flag": {"address": "12 Mill Lane, Riverside", "postcode": "RV1 2AB", "flagged_on": str(today),
                          "review_due": str(today + dt.timedelta(days=180))},
    })
    complete(clients.safety, case_id, "register_proposal", {"reason": "Single incident; mitigations in place."})
    case.refresh_from_db()
    assert case.status == "DONE"
    assessment = HomeSecurityAssessment.objects.get(case=case)
    assert assessment.measures.count() == 2 and assessment.protected_person.user == people.councillor
    assert PriorityAddressFlag.objects.get(case=case).postcode == "RV1 2AB"
    assert EmployeeAssistanceOffer.objects.get(case=case).accepted is True


def test_referral_without_a_named_contact_still_goes_ahead(people, client_for, decision_table):
    """A council that has not set up its police contact must not block a referral: it is made by phone."""
    incident = report(client_for(people.councillor), immediate_danger=True)
    referral = PoliceReferral.objects.get(case_id=incident["case"]["id"])
    assert referral.contact is None and referral.urgent
    timeline = client_for(people.members).get(f"{API}/incidents/{incident['id']}/timeline/").json()["results"]
    assert any("phone 101 or 999" in e["summary"] for e in timeline)


def test_police_acknowledgement_notes_are_kept_beside_the_outcome_notes(clients, decision_table, people):
    incident = report(clients.councillor, account="He said he would kill me.")
    case_id = incident["case"]["id"]
    complete(clients.members, case_id, "triage", {})
    complete(clients.safety, case_id, "assess", {"answers": answers(decision_table, threat_to_life=True)})
    complete(clients.police, case_id, "police_acknowledge",
             {"crime_reference": "NP/26/9", "notes": "Allocated to DC Reid, Millbrook CID."})
    complete(clients.police, case_id, "police_outcome", {"status": "charged", "notes": "Charged under s.16 OAPA."})
    referral = PoliceReferral.objects.get(case_id=case_id)
    assert referral.acknowledgement_notes == "Allocated to DC Reid, Millbrook CID."
    assert referral.outcome_notes == "Charged under s.16 OAPA."
    shown = clients.police.get(f"{API}/referrals/{referral.pk}/").json()
    assert (shown["acknowledgement_notes"], shown["outcome_notes"]) == (
        "Allocated to DC Reid, Millbrook CID.", "Charged under s.16 OAPA.")
    # The timeline's referral step says why, and who made it.
    step = next(e for e in clients.members.get(f"{API}/incidents/{incident['id']}/timeline/").json()["results"]
                if e["action"] == "police_referral")
    assert step["reason"] == "Assessed as Serious or explicitly violent."
    assert step["actor"]["id"] == str(people.safety.pk)
