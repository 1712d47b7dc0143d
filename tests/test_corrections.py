"""Putting a case right through the API: unlinking the wrong subject and splitting a case, with everything derived
from the mistake worked out again (flags and signals, register review dates, open tasks, police referrals)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from viewflow.workflow.models import Task

from safety_workflow.models import (
    AccessLogEntry,
    Case,
    CourseOfConductFlag,
    EscalationSignal,
    Incident,
    PoliceReferral,
    RegisterEntry,
    Subject,
    TimelineEntry,
)

from .factories import person_for
from .helpers import API, answers, complete, open_task, report
from .register_helpers import DEFAULT_CONTACT, DEFAULT_MITIGATIONS, ENTRIES, entry_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs what the code inside queued for after its commit (notices), as a real request does."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def c(people, client_for, decision_table, advice_templates, police_contact):
    return {name: client_for(getattr(people, name)) for name in vars(people)}


def ago(days: int = 0, hours: int = 0) -> str:
    return (timezone.now() - dt.timedelta(days=days, hours=hours)).isoformat()


def open_nodes(case_id) -> list[str]:
    return sorted(t.flow_task.name for t in Task.objects.filter(process_id=case_id, status__in=["NEW", "ASSIGNED"]))


def actions(client, incident_id) -> list[str]:
    return [e["action"] for e in client.get(f"{API}/incidents/{incident_id}/timeline/",
                                            {"page_size": 200}).json()["results"]]


def entry_on_register(c, subject: Subject, incident_id: str, *, approved_days_ago: int) -> RegisterEntry:
    """Proposed by health and safety, approved and notified by the monitoring officer, through the API; the
    approval then dated back (the entry has been in force a while)."""
    proposed = c["safety"].post(ENTRIES, {"subject": str(subject.pk), "incidents": [incident_id],
                                          "reasons": "Threats at the councillor's home.",
                                          "mitigations": DEFAULT_MITIGATIONS, "advice_contact": DEFAULT_CONTACT},
                                format="json")
    assert proposed.status_code == 201, proposed.content
    entry_id = proposed.json()["id"]
    assert c["monitoring"].post(entry_url(entry_id, "approve"), {"decision": "approve", "reason": "Checked."},
                                format="json").status_code == 200
    assert c["monitoring"].post(entry_url(entry_id, "notification"),
                                {"method": "letter", "notified_on": str(timezone.localdate()),
                                 "reference": "LTR-1"}, format="json").status_code == 200
    decided = timezone.now() - dt.timedelta(days=approved_days_ago)
    RegisterEntry.objects.filter(pk=entry_id).update(
        decided_at=decided, review_due_on=timezone.localdate(decided) + dt.timedelta(days=365))
    return RegisterEntry.objects.get(pk=entry_id)


def day_of(*, days_ago: int = 0, hours_ago: int = 0) -> dt.date:
    """The council's date of the moment that long before now: in summer time it may be the day after today's
    date less ``days_ago`` when run after 23:00 in winter, and three hours ago is yesterday just after midnight."""
    return timezone.localdate(timezone.now() - dt.timedelta(days=days_ago, hours=hours_ago))


def test_wrong_subject_linked_then_unlinked_and_split_puts_everything_right(c, committed, people, decision_table,
                                                                           police_contact):
    year = dt.timedelta(days=365)

    # Derek Hale e-mailed Cllr Ahmed two months ago; that case was closed with advice. He is on the register.
    first = report(c["councillor"], occurred_at=ago(days=60), account="E-mail calling me a disgrace.")
    old_case = first["case"]["id"]
    complete(c["members"], old_case, "triage", {"new_subject": {"full_name": "Derek Hale"}})
    complete(c["safety"], old_case, "assess", {"answers": answers(decision_table)})
    complete(c["members"], old_case, "advise", {"advice": [{"template": "keep-records"}], "method": "email"})
    complete(c["members"], old_case, "close", {"outcome_summary": "Advice given.", "person_informed": True,
                                               "informed_by": "phone"})
    derek = Subject.objects.get(full_name="Derek Hale")
    derek_entry = entry_on_register(c, derek, first["id"], approved_days_ago=70)

    # Gary Pike e-mailed her forty days ago: his case is open, at the advice step. He is on the register too.
    gary_mail = report(c["councillor"], occurred_at=ago(days=40), account="E-mail: 'you will regret the vote'.")
    case_a = gary_mail["case"]["id"]
    complete(c["members"], case_a, "triage", {"new_subject": {"full_name": "Gary Pike"}})
    complete(c["safety"], case_a, "assess", {"answers": answers(decision_table)})
    gary = Subject.objects.get(full_name="Gary Pike")
    gary_entry = entry_on_register(c, gary, gary_mail["id"], approved_days_ago=100)
    assert gary_entry.review_due_on == day_of(days_ago=100) + year

    # Three hours ago a man came to her home. Under pressure, triage links the wrong man: Gary Pike.
    at_home = report(c["councillor"], occurred_at=ago(hours=3), channel="at_home",
                     account="A man at my front door shouting that I would pay for the vote.")
    assert at_home["case"]["id"] != case_a
    mail.outbox.clear()
    result = complete(c["members"], at_home["case"]["id"], "triage", {"subject": str(gary.pk)})
    assert result["case"]["state"] == "merged"
    # The course of conduct lands on the case that now holds both incidents, not on the one merged away.
    wrong_flag = CourseOfConductFlag.objects.get(subject=gary)
    assert wrong_flag.case_id == case_a and wrong_flag.incident_count == 2
    wrong_home = EscalationSignal.objects.get(subject=gary, kind="reached_home")
    assert wrong_home.case_id == case_a
    gary_entry.refresh_from_db()
    assert gary_entry.review_due_on == day_of(hours_ago=3) + year  # reset by the (wrongly linked) new incident
    complete(c["safety"], case_a, "assess", {"answers": answers(decision_table, threat_to_life=True, at_home=True)})
    referral = PoliceReferral.objects.get(case_id=case_a)
    assert sorted(referral.incidents.values_list("reference", flat=True)) == sorted(
        [gary_mail["reference"], at_home["reference"]])
    complete(c["police"], case_a, "police_acknowledge", {"crime_reference": "NP/26/7001", "notes": "Logged."})
    assert open_nodes(case_a) == ["police_outcome"]

    # Someone who may not see the incident gets the same 404 as for a missing one; the councillor, who sees it,
    # is refused; neither changes anything.
    before = TimelineEntry.objects.count()
    body = {"subject": str(derek.pk), "reason": "Wrong man."}
    for user in ("councillor2", "legal", "frontline", "nobody"):
        response = c[user].post(f"{API}/incidents/{at_home['id']}/unlink-subject/", body, format="json")
        assert (response.status_code, response.json()) == (404, {"code": "not_found", "message": "Not found."}), user
    missing = c["members"].post(f"{API}/incidents/00000000-0000-0000-0000-000000000000/unlink-subject/", body,
                                format="json")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    for user in ("councillor", "monitoring", "police"):
        response = c[user].post(f"{API}/incidents/{at_home['id']}/unlink-subject/", body, format="json")
        assert (response.status_code, response.json()["code"]) == (403, "correction_not_permitted"), user
    no_reason = c["members"].post(f"{API}/incidents/{at_home['id']}/unlink-subject/", {"subject": str(derek.pk)},
                                  format="json")
    assert no_reason.status_code == 400
    assert TimelineEntry.objects.count() == before and Incident.objects.get(pk=at_home["id"]).subject == gary

    # The doorbell camera shows Derek Hale. Members services unlink Gary Pike and link Derek Hale.
    mail.outbox.clear()
    why = "Doorbell camera footage shows Derek Hale, not Gary Pike."
    with committed():  # the request's transaction commits: the notices queued on commit go out
        response = c["members"].post(f"{API}/incidents/{at_home['id']}/unlink-subject/",
                                     {"subject": str(derek.pk), "reason": why}, format="json")
    assert response.status_code == 200, response.content
    unlinked = response.json()
    assert unlinked["incident"]["subject"]["id"] == str(derek.pk)
    assert unlinked["assessment_reopened"] is True and unlinked["case_holds_other_subjects"] is True
    assert {w["kind"] for w in unlinked["withdrawn"]} >= {"course_of_conduct", "reached_home"}
    assert all(why in w["withdrawal_reason"] for w in unlinked["withdrawn"])
    assert {(r["kind"], r["subject"]["name"]) for r in unlinked["raised"]} >= {("course_of_conduct", "Derek Hale"),
                                                                       ("reached_home", "Derek Hale")}
    assert unlinked["referrals"] == [str(referral.pk)]
    assert AccessLogEntry.objects.filter(actor=people.members, action="change", object_id=at_home["id"],
                                         result="subject_unlinked", purpose=why).exists()
    # Health and safety may see both entries; members services hold no register grants: they are told nothing.
    assert unlinked["register_entries"] == []

    # The wrong flag and signal are withdrawn, kept, with why and who; Derek Hale's course of conduct is flagged.
    wrong_flag.refresh_from_db()
    assert wrong_flag.withdrawn_at and wrong_flag.withdrawn_by == people.members
    assert at_home["reference"] in wrong_flag.withdrawal_reason and why in wrong_flag.withdrawal_reason
    wrong_home.refresh_from_db()
    assert wrong_home.withdrawn_at is not None
    right_flag = CourseOfConductFlag.objects.get(subject=derek, withdrawn_at__isnull=True)
    assert right_flag.protected_person.user == people.councillor and right_flag.incident_count == 2
    assert sorted(right_flag.incidents.values_list("reference", flat=True)) == sorted(
        [first["reference"], at_home["reference"]])
    gary_conduct = c["safety"].get(f"{API}/subjects/{gary.pk}/conduct/").json()
    assert gary_conduct["course_of_conduct_flags"] == []
    assert [f["id"] for f in gary_conduct["course_of_conduct_flags_withdrawn"]] == [str(wrong_flag.pk)]
    assert gary_conduct["course_of_conduct_flags_withdrawn"][0]["withdrawn_by"]["name"] == "Mo Services"
    assert "reached_home" in {s["kind"] for s in gary_conduct["signals_withdrawn"]}
    assert gary_conduct["signals_noticed"] == []

    # The register review dates follow: Gary Pike's no longer counts the incident, Derek Hale's is reset by it.
    gary_entry.refresh_from_db()
    assert gary_entry.review_due_on == day_of(days_ago=40) + year  # his own e-mail, 40 days ago
    assert gary_entry.events.filter(action="review_corrected", actor=people.members, reason=why).exists()
    derek_entry.refresh_from_db()
    assert derek_entry.review_due_on == day_of(hours_ago=3) + year  # the incident at her home
    assert derek_entry.events.filter(action="review_reset").exists()
    entry = c["safety"].get(entry_url(gary_entry.pk), {"purpose": "checking the correction"}).json()
    assert "review_corrected" in [e["action"] for e in entry["history"]]

    # The police contact is told the incident in their referral was linked to the wrong person.
    assert any(police_contact.email in m.to and "correct" in m.subject.lower() for m in mail.outbox)
    # The case's level may change: its assessment is re-opened; the police steps carry on beside it.
    assert open_nodes(case_a) == ["assess", "police_outcome"]
    assert Case.objects.get(pk=case_a).subject == gary  # his e-mail is still in it

    # The incident belongs in a case of its own: split it out.
    mail.outbox.clear()
    split_why = "The doorstep incident is Derek Hale's, not part of Gary Pike's case."
    for user in ("councillor", "police"):
        refused = c[user].post(f"{API}/cases/{case_a}/split/", {"incidents": [at_home["id"]], "reason": split_why},
                               format="json")
        assert refused.status_code == 403 and refused.json()["code"] == "correction_not_permitted", user
    refused = c["legal"].post(f"{API}/cases/{case_a}/split/", {"incidents": [at_home["id"]], "reason": split_why},
                              format="json")
    assert refused.status_code == 404
    with committed():
        response = c["safety"].post(f"{API}/cases/{case_a}/split/",
                                    {"incidents": [at_home["id"]], "reason": split_why}, format="json")
    assert response.status_code == 201, response.content
    split = response.json()
    case_b = split["new_case"]["id"]
    assert split["case"]["id"] == case_a and split["new_case"]["merged_into"] is None
    moved = Incident.objects.get(pk=at_home["id"])
    assert moved.case_id == case_b and moved.reference == at_home["reference"]  # references never change
    assert Case.objects.get(pk=case_b).subject == derek

    # Derek Hale's flag and signal move to the case that now holds the incident.
    right_flag.refresh_from_db()
    assert right_flag.withdrawn_at is not None and f"now in case {split['new_case']['reference']}" in (
        right_flag.withdrawal_reason)
    moved_flag = CourseOfConductFlag.objects.get(subject=derek, withdrawn_at__isnull=True)
    assert moved_flag.case_id == case_b
    assert EscalationSignal.objects.get(subject=derek, kind="reached_home", withdrawn_at__isnull=True).case_id == case_b
    case_b_detail = c["monitoring"].get(f"{API}/cases/{case_b}/").json()
    assert [f["id"] for f in case_b_detail["course_of_conduct"]] == [str(moved_flag.pk)]
    case_a_detail = c["monitoring"].get(f"{API}/cases/{case_a}/").json()
    assert case_a_detail["course_of_conduct"] == []
    assert {f["id"] for f in case_a_detail["course_of_conduct_withdrawn"]} == {str(wrong_flag.pk), str(right_flag.pk)}

    # The police referral follows the incident: out of case A's referral, into a referral of case B.
    referral.refresh_from_db()
    assert list(referral.incidents.values_list("reference", flat=True)) == [gary_mail["reference"]]
    assert referral.status == "acknowledged" and referral.acknowledgement_notes == "Logged."
    carried = PoliceReferral.objects.get(case_id=case_b)
    assert list(carried.incidents.values_list("reference", flat=True)) == [at_home["reference"]]
    assert case_a_detail["reference"] in carried.reason and split_why in carried.reason
    assert carried.referred_by == people.safety
    told = [m for m in mail.outbox if police_contact.email in m.to]
    assert len(told) == 2  # it left one referral and joined another
    assert open_nodes(case_b) == ["assess", "police_acknowledge"]
    assert open_nodes(case_a) == ["assess", "police_outcome"]
    # The police liaison still sees the incident, now through case B's referral.
    assert c["police"].get(f"{API}/incidents/{at_home['id']}/").status_code == 200

    # The timeline tells the whole story, with who did what and why.
    members_view = c["members"].get(f"{API}/incidents/{gary_mail['id']}/timeline/", {"page_size": 200}).json()
    story = [(e["action"], (e["actor"] or {}).get("name")) for e in members_view["results"]]
    expected = [
        ("incidents_merged", "Mo Services"), ("assessment_reopened", "Mo Services"),
        ("course_of_conduct_flagged", "Mo Services"), ("escalation_noticed", "Mo Services"),
        ("assessed", "Hana Safety"), ("police_referral", "Hana Safety"), ("police_acknowledged", "PC Sam Okafor"),
        ("subject_unlinked", "Mo Services"), ("course_of_conduct_withdrawn", "Mo Services"),
        ("escalation_withdrawn", "Mo Services"), ("course_of_conduct_flagged", "Mo Services"),
        ("police_referral_corrected", "Mo Services"), ("assessment_reopened", "Mo Services"),
        ("split", "Hana Safety"), ("police_referral_corrected", "Hana Safety"),
        ("course_of_conduct_withdrawn", "Hana Safety"), ("escalation_withdrawn", "Hana Safety"),
    ]
    positions = []
    for step in expected:
        assert step in story[positions[-1] + 1 if positions else 0:], (step, story)
        positions.append(story.index(step, positions[-1] + 1 if positions else 0))
    by_action = {e["action"]: e for e in members_view["results"]}
    assert by_action["subject_unlinked"]["reason"] == why and by_action["split"]["reason"] == split_why
    assert by_action["police_referral"]["reason"] == "Assessed as Serious or explicitly violent."
    new_story = [e["action"] for e in c["members"].get(f"{API}/incidents/{at_home['id']}/timeline/").json()["results"]]
    assert new_story[0] == "case_opened"
    assert {"police_referral", "course_of_conduct_flagged", "escalation_noticed"} <= set(new_story)
    # The councillor sees their incident moved, but not who it was linked to, nor the officers' reasons.
    councillor_view = c["councillor"].get(f"{API}/incidents/{at_home['id']}/timeline/").json()["results"]
    assert not {"subject_unlinked", "course_of_conduct_withdrawn", "split"} & {e["action"] for e in councillor_view}
    assert all("Gary" not in e["summary"] and "Gary" not in e["reason"] for e in councillor_view)
    assert "police_referral" in {e["action"] for e in councillor_view}


@pytest.fixture
def gary_case(c, decision_table):
    """Gary Pike's open case with two incidents, at the advice step."""
    first = report(c["councillor"], occurred_at=ago(days=10))
    case_id = first["case"]["id"]
    complete(c["members"], case_id, "triage", {"new_subject": {"full_name": "Gary Pike"}})
    second = report(c["members"], protected_person=str(Subject.objects.get(full_name="Gary Pike").incidents.first()
                    .protected_person_id), subject=str(Subject.objects.get(full_name="Gary Pike").pk),
                    occurred_at=ago(days=2), channel="phone")
    complete(c["safety"], case_id, "assess", {"answers": answers(decision_table)})
    return {"case": case_id, "first": first, "second": second}


def test_unlinking_without_a_replacement_leaves_the_incident_unlinked(c, people, gary_case):
    gary = Subject.objects.get(full_name="Gary Pike")
    assert CourseOfConductFlag.objects.filter(subject=gary, withdrawn_at__isnull=True).count() == 1
    response = c["safety"].post(f"{API}/incidents/{gary_case['second']['id']}/unlink-subject/",
                                {"reason": "The caller withheld their number: not him."}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["incident"]["subject"] is None
    assert CourseOfConductFlag.objects.filter(subject=gary, withdrawn_at__isnull=True).count() == 0
    # The monitoring officer's brief says the flag raised since the last meeting was withdrawn, and why.
    brief = c["monitoring"].get(f"{API}/meetings/brief/").json()
    [flag] = brief["course_of_conduct_flags"]
    assert flag["withdrawn_at"] and "withheld their number" in flag["withdrawal_reason"]
    again = c["safety"].post(f"{API}/incidents/{gary_case['second']['id']}/unlink-subject/",
                             {"reason": "twice"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "no_subject_linked"
    # A new subject can be recorded in the same step.
    response = c["members"].post(f"{API}/incidents/{gary_case['first']['id']}/unlink-subject/",
                                 {"reason": "Wrong Gary.", "new_subject": {"full_name": "Gareth Pike"}},
                                 format="json")
    assert response.json()["incident"]["subject"]["name"] == "Gareth Pike"
    assert Case.objects.get(pk=gary_case["case"]).subject.full_name == "Gareth Pike"  # the case follows


def test_split_refuses_what_would_not_make_sense(c, gary_case):
    case_id = gary_case["case"]
    url = f"{API}/cases/{case_id}/split/"
    everything = c["members"].post(url, {"incidents": [gary_case["first"]["id"], gary_case["second"]["id"]],
                                         "reason": "All of it."}, format="json")
    assert everything.status_code == 400 and everything.json()["code"] == "split_leaves_case_empty"
    elsewhere = report(c["councillor2"])
    foreign = c["members"].post(url, {"incidents": [elsewhere["id"]], "reason": "Not mine."}, format="json")
    assert foreign.status_code == 400 and foreign.json()["code"] == "incident_not_in_case"
    no_reason = c["members"].post(url, {"incidents": [gary_case["second"]["id"]], "reason": " "}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["code"] == "reason_required"
    assert Case.objects.count() == 2 and Incident.objects.filter(case_id=case_id).count() == 2


def test_split_takes_one_subject_at_a_time_and_only_from_an_open_case(c, people, gary_case):
    third = report(c["members"], protected_person=str(person_for(people.councillor).pk),
                   subject=str(Subject.objects.get(full_name="Gary Pike").pk), channel="letter")
    c["members"].post(f"{API}/incidents/{third['id']}/unlink-subject/",
                      {"reason": "Someone else.", "new_subject": {"full_name": "Ivor Other"}}, format="json")
    url = f"{API}/cases/{gary_case['case']}/split/"
    mixed = c["members"].post(url, {"incidents": [gary_case["second"]["id"], third["id"]], "reason": "Both."},
                              format="json")
    assert mixed.status_code == 400 and mixed.json()["code"] == "split_mixed_subjects"
    Case.objects.filter(pk=gary_case["case"]).update(state=Case.State.CLOSED)
    closed = c["members"].post(url, {"incidents": [third["id"]], "reason": "Ivor's."}, format="json")
    assert closed.status_code == 409 and closed.json()["code"] == "case_not_open"
    assert Case.objects.count() == 1


def test_split_into_the_subjects_other_open_case_merges_it_there(c, people, decision_table, gary_case):
    # Derek Hale has an open case of his own. Gary Pike's second incident turns out to be his.
    derek_case = report(c["councillor2"], occurred_at=ago(days=5))["case"]["id"]
    complete(c["members"], derek_case, "triage", {"new_subject": {"full_name": "Derek Hale"}})
    derek = Subject.objects.get(full_name="Derek Hale")
    second = gary_case["second"]["id"]
    c["members"].post(f"{API}/incidents/{second}/unlink-subject/", {"subject": str(derek.pk), "reason": "His."},
                      format="json")
    response = c["members"].post(f"{API}/cases/{gary_case['case']}/split/",
                                 {"incidents": [second], "reason": "Belongs with Derek Hale's case."}, format="json")
    assert response.status_code == 201, response.content
    new_case = response.json()["new_case"]
    assert new_case["state"] == "merged"
    assert new_case["merged_into"]["reference"] == Case.objects.get(pk=derek_case).reference
    assert Incident.objects.get(pk=second).case_id == derek_case
    # Derek Hale's case was waiting for its assessment: it sees the incident there.
    assess = open_task(c["safety"], derek_case, "assess")
    context = c["safety"].get(f"{API}/tasks/{assess['id']}/").json()["context"]
    assert gary_case["second"]["reference"] in [i["reference"] for i in context["incidents"]]


def test_an_urgent_case_merged_at_triage_takes_its_referral_and_police_steps_along(c, committed, people, decision_table,
                                                                                   police_contact):
    other = report(c["councillor"], occurred_at=ago(days=3), account="Called the office, abusive.", channel="phone")
    complete(c["members"], other["case"]["id"], "triage", {"new_subject": {"full_name": "Ann Other"}})
    target = other["case"]["id"]
    urgent = report(c["councillor"], immediate_danger=True, account="Shouting at my door.")
    source = urgent["case"]["id"]
    referral = PoliceReferral.objects.get(case_id=source)
    assert open_nodes(source) == ["police_acknowledge", "triage"]
    mail.outbox.clear()
    with committed():
        complete(c["members"], source, "triage", {"subject": str(Subject.objects.get(full_name="Ann Other").pk)})
    # The case it was merged into holds the incident, the referral and the police steps; nothing is left behind.
    referral.refresh_from_db()
    assert referral.case_id == target and list(referral.incidents.values_list("pk", flat=True)) == [
        Incident.objects.get(pk=urgent["id"]).pk]
    assert open_nodes(source) == [] and Case.objects.get(pk=source).status == "DONE"
    assert open_nodes(target) == ["assess", "police_acknowledge"]
    assert any(police_contact.email in m.to for m in mail.outbox)
    complete(c["police"], target, "police_acknowledge", {})
    complete(c["safety"], target, "assess", {"answers": answers(decision_table)})
    complete(c["members"], target, "advise", {"advice": [{"template": "keep-records"}], "method": "email"})
    complete(c["police"], target, "police_outcome", {"status": "no_further_action"})
    assert open_nodes(target) == ["close"]


def test_a_referral_left_empty_by_a_split_is_withdrawn_and_its_police_steps_stop(c, people, decision_table,
                                                                               police_contact):
    first = report(c["councillor"], occurred_at=ago(days=4))
    case_id = first["case"]["id"]
    complete(c["members"], case_id, "triage", {"new_subject": {"full_name": "Ann Other"}})
    ann = Subject.objects.get(full_name="Ann Other")
    complete(c["safety"], case_id, "assess", {"answers": answers(decision_table, threat_to_life=True)})
    # A second incident joins the open case; its re-assessment is pending; the referral has only the first.
    second = report(c["members"], protected_person=str(person_for(people.councillor).pk), subject=str(ann.pk),
                    channel="letter")
    referral = PoliceReferral.objects.get(case_id=case_id)
    assert open_nodes(case_id) == ["assess", "police_acknowledge"]
    c["members"].post(f"{API}/incidents/{first['id']}/unlink-subject/", {"reason": "Not her."}, format="json")
    response = c["members"].post(f"{API}/cases/{case_id}/split/", {"incidents": [first["id"]],
                                                                   "reason": "Not her: a case of its own."},
                                 format="json")
    assert response.status_code == 201, response.content
    new_case = response.json()["new_case"]["id"]
    referral.refresh_from_db()
    assert referral.status == "withdrawn" and referral.incidents.count() == 0
    assert "none of its incidents remain" in referral.outcome_notes
    # The case keeps its re-assessment; the withdrawn referral's police steps are cancelled.
    assert open_nodes(case_id) == ["assess"]
    # The split case has no subject: triage beside the carried referral.
    assert open_nodes(new_case) == ["police_acknowledge", "triage"]
    assert Incident.objects.get(pk=second["id"]).case_id == case_id


def test_an_entry_resting_on_the_unlinked_incident_is_reviewed_now(c, committed, people):
    from .register_helpers import active_entry

    def client_for_user(user):
        return c[next(name for name in c if getattr(people, name) == user)]

    entry = active_entry(people, client_for_user, name="Victor Lane")
    stored = RegisterEntry.objects.get(pk=entry["id"])
    basis = stored.incidents.order_by("occurred_at").first()
    mail.outbox.clear()
    with committed():
        response = c["safety"].post(f"{API}/incidents/{basis.pk}/unlink-subject/",
                                    {"reason": "The witness now says it was his brother."}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["register_entries"] == [stored.reference]  # health and safety see the register
    stored.refresh_from_db()
    assert stored.state == RegisterEntry.State.REVIEW_DUE
    actions = list(stored.events.values_list("action", flat=True))
    assert "basis_questioned" in actions and "review_brought_forward" in actions
    review = next(t for t in c["monitoring"].get(f"{API}/tasks/").json()["results"] if t["node"] == "review")
    assert review["register_entry"]["id"] == entry["id"]
    assert any(people.monitoring.email in m.to for m in mail.outbox)  # the register's officers are told


def test_a_case_whose_only_incident_is_relinked_joins_the_right_subjects_open_case(c, people, decision_table):
    derek_first = report(c["councillor"], occurred_at=ago(days=6), account="Shouted at me in the market.",
                         channel="in_person")
    derek_case = derek_first["case"]["id"]
    complete(c["members"], derek_case, "triage", {"new_subject": {"full_name": "Derek Hale"}})
    derek = Subject.objects.get(full_name="Derek Hale")
    wrong = report(c["councillor"], occurred_at=ago(days=1), account="Phoned the office shouting.", channel="phone")
    wrong_case = wrong["case"]["id"]
    complete(c["members"], wrong_case, "triage", {"new_subject": {"full_name": "Gary Pike"}})
    complete(c["safety"], wrong_case, "assess", {"answers": answers(decision_table)})
    assert open_nodes(wrong_case) == ["advise"]

    response = c["members"].post(f"{API}/incidents/{wrong['id']}/unlink-subject/",
                                 {"subject": str(derek.pk), "reason": "The caller gave his name: Derek Hale."},
                                 format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["case"]["state"] == "merged"
    assert body["case"]["merged_into"]["reference"] == derek_first["case"]["reference"]
    assert body["assessment_reopened"] is False  # Derek Hale's case was still waiting for its assessment
    # One open case per subject: the incident is in Derek Hale's, the advice task stopped, the wrong case ended.
    assert Incident.objects.get(pk=wrong["id"]).case_id == derek_case
    assert open_nodes(wrong_case) == [] and Case.objects.get(pk=wrong_case).status == "DONE"
    assert open_nodes(derek_case) == ["assess"]
    flag = CourseOfConductFlag.objects.get(subject=derek, withdrawn_at__isnull=True)
    assert flag.case_id == derek_case and flag.incident_count == 2
    assert TimelineEntry.objects.filter(case_id=wrong_case, action="tasks_cancelled").exists()
