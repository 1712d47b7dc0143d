"""Each role sees only what DOMAIN.md says it needs; a refusal looks exactly like a missing record."""

from __future__ import annotations

import uuid

import pytest

from safety_workflow.models import AccessLogEntry, ProtectedPerson

from .factories import person_for
from .helpers import API, answers, complete, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(people, client_for, decision_table, advice_templates, police_contact):
    """Three cases: one at advice (low), one at council action (medium), one referred to the police."""
    c = {name: client_for(getattr(people, name)) for name in vars(people)}
    low = report(c["councillor"], account="Low-level rude e-mail.")
    complete(c["members"], low["case"]["id"], "triage", {})
    complete(c["safety"], low["case"]["id"], "assess", {"answers": answers(decision_table)})
    medium = report(c["councillor"], account="Third abusive message this month.")
    complete(c["members"], medium["case"]["id"], "triage", {})
    complete(c["safety"], medium["case"]["id"], "assess", {"answers": answers(decision_table, repeated_contact=True)})
    serious = report(c["councillor2"], account="Threat to burn my house down.", channel="letter")
    complete(c["members"], serious["case"]["id"], "triage", {})
    complete(c["safety"], serious["case"]["id"], "assess", {"answers": answers(decision_table, threat_to_life=True)})
    return c, {"low": low, "medium": medium, "serious": serious}


def listed(client) -> set[str]:
    return {i["reference"] for i in client.get(f"{API}/incidents/").json()["results"]}


def test_incident_lists_per_role(world):
    c, inc = world
    ref = {k: v["reference"] for k, v in inc.items()}
    every = set(ref.values())
    assert listed(c["members"]) == listed(c["safety"]) == listed(c["monitoring"]) == every
    assert listed(c["councillor"]) == {ref["low"], ref["medium"]}
    assert listed(c["councillor2"]) == {ref["serious"]}
    assert listed(c["legal"]) == {ref["medium"]}
    assert listed(c["police"]) == {ref["serious"]}
    for role in ("frontline", "governance", "nobody"):  # roles that never see incidents
        assert c[role].get(f"{API}/incidents/").status_code == 403


def test_unseen_incident_is_indistinguishable_from_missing(world):
    c, inc = world
    hidden = c["councillor2"].get(f"{API}/incidents/{inc['low']['id']}/")
    missing = c["councillor2"].get(f"{API}/incidents/{uuid.uuid4()}/")
    malformed = c["councillor2"].get(f"{API}/incidents/not-a-uuid/")
    assert hidden.status_code == missing.status_code == malformed.status_code == 404
    assert hidden.json() == missing.json() == malformed.json()
    for path in ("timeline/", "evidence/"):
        assert c["legal"].get(f"{API}/incidents/{inc['low']['id']}/{path}").status_code == 404


def test_subject_is_shown_to_officers_not_councillors(world, people):
    from safety_workflow.models import Incident, Subject

    c, inc = world
    subject = Subject.objects.create(full_name="Gordon Price")
    Incident.objects.filter(pk=inc["medium"]["id"]).update(subject=subject)
    assert c["members"].get(f"{API}/incidents/{inc['medium']['id']}/").json()["subject"]["name"] == "Gordon Price"
    assert c["legal"].get(f"{API}/incidents/{inc['medium']['id']}/").json()["subject"]["name"] == "Gordon Price"
    assert c["councillor"].get(f"{API}/incidents/{inc['medium']['id']}/").json()["subject"] is None


def test_police_timeline_and_councillor_timeline(world):
    c, inc = world
    police = [e["action"] for e in c["police"].get(f"{API}/incidents/{inc['serious']['id']}/timeline/").json()[
        "results"]]
    assert "police_referral" in police
    councillor = [e["action"] for e in c["councillor2"].get(
        f"{API}/incidents/{inc['serious']['id']}/timeline/").json()["results"]]
    assert "case_opened" not in councillor and "police_referral" in councillor


def test_incident_reads_are_logged(world, people):
    c, inc = world
    c["legal"].get(f"{API}/incidents/{inc['medium']['id']}/")
    entry = AccessLogEntry.objects.filter(object_type="incident", actor=people.legal).get()
    assert (entry.action, entry.object_repr) == ("view", inc["medium"]["reference"])


def test_who_may_report_and_for_whom(world, people):
    c, _ = world
    body = {"occurred_at": "2026-11-01T10:00:00Z", "channel": "phone", "account": "Abusive call."}
    for role in ("legal", "police", "frontline", "governance", "nobody"):
        response = c[role].post(f"{API}/incidents/", body, format="json")
        assert response.status_code == 403, role
        assert response.json()["code"] == "cannot_report"
    other = person_for(people.councillor2)
    on_behalf = c["councillor"].post(f"{API}/incidents/", {**body, "protected_person": str(other.pk)},
                                     format="json")
    assert on_behalf.status_code == 400 and "protected_person" in on_behalf.json()["errors"]  # not theirs to see
    staff = c["councillor"].post(f"{API}/incidents/", {**body, "new_protected_person": {
        "kind": "staff", "full_name": "Sam Reed"}}, format="json")
    assert staff.status_code == 403 and staff.json()["code"] == "cannot_record_person"
    nobody = c["members"].post(f"{API}/incidents/", body, format="json")
    assert nobody.status_code == 400 and "protected_person" in nobody.json()["errors"]
    no_election = c["members"].post(f"{API}/incidents/", {**body, "new_protected_person": {
        "kind": "candidate", "full_name": "Priya Shah"}}, format="json")
    assert no_election.status_code == 400 and no_election.json()["code"] == "protected_person_invalid"
    assert set(no_election.json()["errors"]) == {"candidacies"}
    assert not ProtectedPerson.objects.filter(full_name__in=["Sam Reed", "Priya Shah"]).exists()
    future = c["councillor"].post(f"{API}/incidents/", {**body, "occurred_at": "2099-01-01T00:00:00Z"},
                                  format="json")
    assert future.status_code == 400 and "occurred_at" in future.json()["errors"]
    assert c["members"].post(f"{API}/incidents/", {**body, "protected_person": str(other.pk)},
                             format="json").status_code == 201


def test_missing_hidden_and_malformed_ids_all_answer_not_found(world, people):
    """One rule for every lookup: integer and UUID keys, malformed or absent, give the same NotFound."""
    from safety_workflow.errors import NotFound
    from safety_workflow.models import Case, Incident
    from safety_workflow.selectors.common import get_or_not_found

    for queryset, bad in ((Incident.objects.all(), "not-a-uuid"), (Incident.objects.none(), uuid.uuid4()),
                          (Case.objects.all(), "12abc"), (Case.objects.all(), None), (Case.objects.all(), 10**9)):
        with pytest.raises(NotFound):
            get_or_not_found(queryset, bad)
    c, _ = world
    assert c["monitoring"].get(f"{API}/tasks/abc/").json() == {"code": "not_found", "message": "Not found."}
