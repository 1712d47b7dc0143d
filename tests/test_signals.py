"""The public signals go out once the change has committed, with the documented arguments."""

from __future__ import annotations

import pytest

from safety_workflow import signals

from .helpers import answers, complete, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    log = []

    def receiver(signal_name):
        def handler(sender, **kwargs):
            log.append((signal_name, kwargs))
        return handler

    handlers = {name: receiver(name) for name in ("incident_reported", "case_routed", "police_referral_made",
                                                  "case_closed")}
    for name, handler in handlers.items():
        getattr(signals, name).connect(handler)
    yield log
    for name, handler in handlers.items():
        getattr(signals, name).disconnect(handler)


def test_signals_follow_the_case(people, client_for, decision_table, police_contact, received,
                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident = report(client_for(people.councillor))
    case_id = incident["case"]["id"]
    assert [name for name, _ in received] == ["incident_reported"]
    assert received[0][1]["incident"].reference == incident["reference"]
    assert received[0][1]["linked_to_open_case"] is False

    with django_capture_on_commit_callbacks(execute=True):
        complete(client_for(people.members), case_id, "triage", {})
        complete(client_for(people.safety), case_id, "assess", {"answers": answers(decision_table, weapon=True)})
    names = [name for name, _ in received]
    assert names == ["incident_reported", "case_routed", "police_referral_made"]
    assert received[1][1]["assessment"].level == "serious"
    assert received[2][1]["urgent"] is False

    with django_capture_on_commit_callbacks(execute=True):
        complete(client_for(people.police), case_id, "police_acknowledge", {})
        complete(client_for(people.police), case_id, "police_outcome", {"status": "no_further_action"})
        complete(client_for(people.members), case_id, "close", {"outcome_summary": "Police took no action.",
                                                                "person_informed": True,
                                                                "informed_by": "meeting"})
    assert received[-1][0] == "case_closed" and received[-1][1]["case"].pk == case_id


def test_no_signal_when_the_change_is_refused(people, client_for, decision_table, received,
                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case_id = report(client_for(people.councillor))["case"]["id"]
        complete(client_for(people.members), case_id, "triage", {})
        complete(client_for(people.safety), case_id, "assess",
                 {"answers": answers(decision_table), "override_level": "serious"}, expect=400)
    assert [name for name, _ in received] == ["incident_reported"]
