"""Case files, referrals, support records and reference data through the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from safety_workflow.models import AccessLogEntry, PriorityAddressFlag, ProtectedPerson

from .factories import make_person, person_for
from .helpers import API, answers, complete, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def c(people, client_for, decision_table, advice_templates, police_contact):
    return {name: client_for(getattr(people, name)) for name in vars(people)}


def test_case_detail_differs_by_role(c, decision_table):
    incident = report(c["councillor"])
    case_id = incident["case"]["id"]
    complete(c["members"], case_id, "triage", {"new_subject": {"full_name": "Neil Carver"}})
    complete(c["safety"], case_id, "assess", {"answers": answers(decision_table, threat_to_life=True)})

    officer = c["monitoring"].get(f"{API}/cases/{case_id}/").json()
    assert officer["level"] == "serious" and officer["subject"]["name"] == "Neil Carver"
    assert officer["assessments"][0]["computed_level"] == "serious"
    assert officer["referrals"][0]["contact"]["name"] == "PC Sam Okafor"
    police = c["police"].get(f"{API}/cases/{case_id}/").json()
    assert police["referrals"] and police["assessments"] and [o["node"] for o in police["open_tasks"]] == [
        "police_acknowledge"]
    councillor = c["councillor"].get(f"{API}/cases/{case_id}/").json()
    assert councillor["subject"] is None and councillor["assessments"] == [] and councillor["referrals"] == []
    assert [i["reference"] for i in councillor["incidents"]] == [incident["reference"]]
    for other in ("councillor2", "legal", "frontline", "governance"):
        assert c[other].get(f"{API}/cases/{case_id}/").status_code == 404, other
    assert AccessLogEntry.objects.filter(object_type="case", object_id=str(case_id), outcome="allowed").count() == 3
    assert AccessLogEntry.objects.filter(object_type="case", object_id=str(case_id), outcome="refused").count() == 4
    assert [x["id"] for x in c["members"].get(f"{API}/cases/", {"level": "serious"}).json()["results"]] == [case_id]


def test_police_interim_update_and_refusals(c, decision_table):
    case_id = report(c["councillor"])["case"]["id"]
    complete(c["members"], case_id, "triage", {"immediate_danger": True})
    referral = c["police"].get(f"{API}/referrals/").json()["results"][0]
    assert referral["urgent"] is True
    path = f"{API}/referrals/{referral['id']}/update/"
    updated = c["police"].post(path, {"status": "investigating", "crime_reference": "NP/26/77"}, format="json")
    assert updated.status_code == 200 and updated.json()["status"] == "investigating"
    assert c["police"].post(path, {"status": "charged"}, format="json").status_code == 400
    assert c["police"].post(path, {}, format="json").json()["code"] == "nothing_to_update"
    assert c["safety"].post(path, {"notes": "x"}, format="json").status_code == 403
    assert c["councillor"].post(path, {"notes": "x"}, format="json").status_code == 404
    assert c["councillor"].get(f"{API}/referrals/").status_code == 403  # no referral for a councillor


def test_priority_flag_lifecycle(c, people):
    today = timezone.localdate()
    body = {"protected_person": str(person_for(people.councillor).pk), "address": "4 Elm Row",
            "postcode": "rv2 9zz",
            "flagged_on": str(today), "review_due": str(today + dt.timedelta(days=90))}
    assert c["councillor"].post(f"{API}/support/priority-flags/", body, format="json").status_code == 403
    created = c["safety"].post(f"{API}/support/priority-flags/", body, format="json")
    assert created.status_code == 201 and created.json()["postcode"] == "RV2 9ZZ"
    flag_id = created.json()["id"]
    due = c["members"].get(f"{API}/support/priority-flags/",
                           {"review_due_before": str(today + dt.timedelta(days=100))}).json()["results"]
    assert [f["id"] for f in due] == [flag_id]
    assert [f["id"] for f in c["councillor"].get(f"{API}/support/priority-flags/").json()["results"]] == [flag_id]
    assert c["councillor2"].get(f"{API}/support/priority-flags/{flag_id}/").status_code == 404
    renewed = c["safety"].post(f"{API}/support/priority-flags/{flag_id}/review/",
                               {"review_due": str(today + dt.timedelta(days=365))}, format="json")
    assert renewed.status_code == 200
    removed = c["safety"].post(f"{API}/support/priority-flags/{flag_id}/review/", {"remove": True}, format="json")
    assert removed.json()["active"] is False and PriorityAddressFlag.objects.get(pk=flag_id).removed_on == today


def test_support_records_for_a_councillor(c, people):
    today = str(timezone.localdate())
    cllr = str(person_for(people.councillor).pk)
    cases = [
        ("support/advice/", {"protected_person": cllr, "template": "surgery-safety", "method": "meeting"},
         "members"),
        ("support/home-security/", {"protected_person": cllr, "assessed_on": today,
                                    "findings": "Good locks.", "measures": [{"description": "Video doorbell"}]},
         "safety"),
        ("support/employee-assistance/", {"protected_person": cllr, "offered_on": today}, "members"),
        ("support/induction-training/", {"protected_person": cllr, "course": "police_role",
                                         "completed_on": today, "delivered_by": "PC Sam Okafor"}, "members"),
    ]
    for path, body, writer in cases:
        response = c[writer].post(f"{API}/{path}", body, format="json")
        assert response.status_code == 201, (path, response.content)
        assert len(c["councillor"].get(f"{API}/{path}").json()["results"]) == 1, path
        assert c["councillor2"].get(f"{API}/{path}").json()["results"] == [], path
        assert c["frontline"].get(f"{API}/{path}").status_code == 403, path
        assert c["councillor"].post(f"{API}/{path}", body, format="json").status_code == 403, path
    nobody = c["members"].post(f"{API}/support/employee-assistance/",
                               {"protected_person": "00000000-0000-4000-8000-000000000000", "offered_on": today},
                               format="json")
    assert nobody.status_code == 400 and "protected_person" in nobody.json()["errors"]
    # Support is for everyone the process protects: a member of staff is offered employee assistance too.
    staff = make_person(ProtectedPerson.Kind.STAFF, full_name="Sam Reed", job_title="Receptionist")
    offered = c["safety"].post(f"{API}/support/employee-assistance/",
                               {"protected_person": str(staff.pk), "offered_on": today}, format="json")
    assert offered.status_code == 201 and offered.json()["protected_person"] == {
        "id": str(staff.pk), "name": "Sam Reed", "kind": "staff"}
    hidden_case = c["members"].post(f"{API}/support/employee-assistance/",
                                    {"protected_person": cllr, "offered_on": today, "case": 424242},
                                    format="json")
    assert hidden_case.status_code == 400 and "case" in hidden_case.json()["errors"]  # as for a missing case


def test_reference_data(c):
    templates = c["members"].get(f"{API}/advice-templates/").json()["results"]
    assert "email-filtering" in [t["code"] for t in templates]
    assert c["councillor"].get(f"{API}/advice-templates/").status_code == 403
    table = c["safety"].get(f"{API}/decision-tables/current/").json()
    assert table["version"] == 1 and len(table["rules"]) == 12
    contacts = c["councillor"].get(f"{API}/police-contacts/").json()
    assert contacts["contacts"][0]["role_title"] == "Force Elected Official Adviser" and "999" in contacts[
        "emergency"]
    assert c["nobody"].get(f"{API}/police-contacts/").status_code == 403
