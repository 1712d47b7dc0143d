"""Notifications as records, and the GOV.UK Notify channel against a stand-in for the Notify API on loopback.

The stand-in (``tests/loopback.py``) is a real HTTP server answering as Notify's API documentation shows and
checking the client's JWT; the official client (``notifications-python-client``) talks to it over HTTP. Tasks
run as the worker runs them: queued after the commit, by the immediate backend.
"""

from __future__ import annotations

import time

import pytest
from django.core import mail

from safety_workflow import background
from safety_workflow.models import Notification

from .factories import PoliceContactFactory
from .helpers import API, answers, complete, report
from .loopback import API_KEY, free_port, notify_standin

pytest.importorskip("notifications_python_client")

EMAIL_TEMPLATE = "f33517ff-2a88-4f6e-b855-c550268ce08a"
SMS_TEMPLATE = "289981ad-7a8a-4b51-b9a2-b3b8e4d5c7e9"
CLOSED_TEMPLATE = "9d71b4c5-7e8e-45f2-9a0a-3a6c1d2e4b11"
TOKEN = "notify-callback-token-of-the-council-0123456789"


@pytest.fixture
def notify(settings):
    """The Notify stand-in, and the settings that point the package at it."""
    templates = {EMAIL_TEMPLATE: "email", SMS_TEMPLATE: "sms", CLOSED_TEMPLATE: "email"}
    with notify_standin(templates) as server:
        settings.SAFETY_WORKFLOW = {
            **settings.SAFETY_WORKFLOW, "NOTIFY_API_KEY": API_KEY, "NOTIFY_BASE_URL": server.base_url,
            "NOTIFY_CALLBACK_TOKEN": TOKEN, "NOTIFICATION_RETRY_BASE_SECONDS": 0,
            "NOTIFY_TEMPLATES": {"police_referral_made": {"email": EMAIL_TEMPLATE, "sms": SMS_TEMPLATE},
                                 "case_closed": {"email": CLOSED_TEMPLATE}},
        }
        yield server


@pytest.fixture
def contact(people):
    return PoliceContactFactory(user=people.police, name="PC Sam Okafor", email="feoa@police.example",
                                phone="07700 900123")


def receipt(client, body: dict, token: str = TOKEN):
    return client.post(f"{API}/callbacks/notify/", body, format="json", HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.django_db
def test_an_urgent_referral_texts_and_emails_the_named_police_contact_through_notify(
        notify, contact, people, client_for, decision_table, django_capture_on_commit_callbacks):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        incident = report(client_for(people.councillor), immediate_danger=True, channel="at_home",
                          account="He is outside my house shouting that he will kill me.")
    elapsed = time.monotonic() - started
    reference = incident["case"]["reference"]

    # The named contact was texted and e-mailed at once; the police liaison users e-mailed.
    to_contact = [item for item in notify.state.sent if item["to"] in ("07700 900123", "feoa@police.example")]
    sent = {item["type"]: item for item in to_contact}
    assert set(sent) == {"email", "sms"} and len(to_contact) == 2, notify.state.sent
    assert sorted(item["to"] for item in notify.state.sent) == ["07700 900123", "feoa@police.example",
                                                                 "police@police.example"]
    assert sent["sms"]["to"] == "07700 900123" and sent["sms"]["template_id"] == SMS_TEMPLATE
    assert sent["email"]["to"] == "feoa@police.example" and sent["email"]["template_id"] == EMAIL_TEMPLATE
    assert sent["sms"]["personalisation"]["subject"] == f"URGENT Councillor safety referral {reference}"
    assert sent["sms"]["personalisation"]["reference"] == reference
    assert "outside my house" not in str(notify.state.sent)  # no case detail leaves the council
    assert elapsed < 5, f"the referral and its notices took {elapsed:.2f} s"
    assert mail.outbox == []  # Notify, not Django e-mail, for an event with Notify templates

    # Recorded: who, which channel, when, the provider's reference, handed to Notify.
    members = client_for(people.members)
    listed = [item for item in members.get(f"{API}/notifications/", {"event": "police_referral_made"}).json()[
        "results"] if item["recipient"] == f"police_contact:{contact.pk}"]
    by_channel = {item["channel"]: item for item in listed}
    assert set(by_channel) == {"notify_email", "notify_sms"}
    sms = by_channel["notify_sms"]
    assert sms["status"] == "sending" and sms["attempts"] == 1 and sms["address"] == "07700 900123"
    assert sms["provider_reference"] == sent["sms"]["id"] and sent["sms"]["reference"] == sms["id"]
    assert sms["case"]["reference"] == reference and sms["sent_at"]

    # Notify's delivery receipts, through the callback, with the bearer token the service was given.
    anonymous = client_for(None)
    assert receipt(anonymous, {"id": sent["sms"]["id"], "status": "delivered"}, token="wrong").status_code == 401
    for kind, status in (("sms", "delivered"), ("email", "permanent-failure")):
        answer = receipt(anonymous, {
            "id": sent[kind]["id"], "reference": sent[kind]["reference"], "to": sent[kind]["to"], "status": status,
            "created_at": "2026-11-29T10:00:00.000000Z", "completed_at": "2026-11-29T10:00:05.000000Z",
            "sent_at": "2026-11-29T10:00:01.000000Z", "notification_type": kind})
        assert answer.status_code == 200 and answer.json() == {"recorded": True}
    assert members.get(f"{API}/notifications/{sms['id']}/").json()["status"] == "delivered"
    email = members.get(f"{API}/notifications/{by_channel['notify_email']['id']}/").json()
    assert email["status"] == "permanent-failure" and email["status_at"]
    # A late "sending" receipt does not undo a final status.
    receipt(anonymous, {"id": sent["sms"]["id"], "status": "sending"})
    assert Notification.objects.get(pk=sms["id"]).status == "delivered"

    # Information governance sees that it was sent and whether it arrived, not what it said nor where it went.
    governance = client_for(people.governance).get(f"{API}/notifications/{sms['id']}/").json()
    assert governance["status"] == "delivered" and governance["channel"] == "notify_sms"
    assert governance["message"] == governance["subject"] == governance["address"] == "" and governance["case"] is None
    assert reference not in str(governance)
    # Legal, the police and councillors do not read notifications at all.
    for who in (people.legal, people.police, people.councillor):
        refused = client_for(who).get(f"{API}/notifications/")
        assert refused.status_code == 403 and refused.json()["code"] == "notifications_not_permitted"


@pytest.mark.django_db
def test_a_template_notify_refuses_fails_at_once_and_says_why(notify, contact, settings,
                                                               django_capture_on_commit_callbacks):
    from safety_workflow.notifications import notify as tell

    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "NOTIFY_TEMPLATES": {
        "police_referral_made": {"sms": "00000000-0000-4000-8000-00000000dead"}}}
    with django_capture_on_commit_callbacks(execute=True):
        made = tell(event="police_referral_made", recipients=[contact], subject="s", message="m")
    sms = Notification.objects.get(pk=next(n.pk for n in made if n.channel == "notify_sms"))
    assert sms.status == "failed" and sms.attempts == 1 and "Template not found" in sms.last_error
    assert notify.state.refused[-1]["status"] == 400


@pytest.mark.django_db
def test_notify_down_is_tried_again_and_gets_through_when_it_is_back(settings, contact,
                                                                    django_capture_on_commit_callbacks):
    from safety_workflow.notifications import notify as tell

    port = free_port()
    settings.SAFETY_WORKFLOW = {
        **settings.SAFETY_WORKFLOW, "NOTIFY_API_KEY": API_KEY, "NOTIFY_BASE_URL": f"http://127.0.0.1:{port}",
        "NOTIFICATION_RETRY_BASE_SECONDS": 0, "NOTIFY_TIMEOUT_SECONDS": 2,
        "NOTIFY_TEMPLATES": {"police_referral_made": {"sms": SMS_TEMPLATE}}}
    with django_capture_on_commit_callbacks(execute=True):
        made = tell(event="police_referral_made", recipients=[contact], subject="Referral", message="Sign in.")
    sms = Notification.objects.get(channel="notify_sms")
    assert sms.status == "retrying" and sms.attempts == 1 and sms.next_attempt_at
    assert "Request failed" in sms.last_error  # the client's word for a connection refused
    assert {n.channel for n in made} == {"email", "notify_sms"}  # no e-mail template: Django e-mail

    with notify_standin({SMS_TEMPLATE: "sms"}) as server:
        settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "NOTIFY_BASE_URL": server.base_url}
        with django_capture_on_commit_callbacks(execute=True):
            assert background.retry_deliveries.enqueue().return_value == {"notifications": 1, "webhooks": 0}
        sms.refresh_from_db()
        assert sms.status == "sending" and sms.attempts == 2 and sms.last_error == ""
        assert [item["to"] for item in server.state.sent] == ["07700 900123"]


@pytest.mark.django_db
def test_a_councillor_is_told_their_case_closed(people, client_for, decision_table, advice_templates,
                                                 police_contact, django_capture_on_commit_callbacks):
    clients = {name: client_for(getattr(people, name)) for name in ("councillor", "members", "safety")}
    case = report(clients["councillor"], account="A rude e-mail about the bins.")["case"]
    _close_low_case(clients, case, decision_table, django_capture_on_commit_callbacks, clear_mail=True)
    told = [m for m in mail.outbox if case["reference"] in m.subject]
    assert [m.to for m in told] == [["cllr.ahmed@council.example"]]
    assert "closed" in told[0].subject and "bins" not in told[0].body
    notice = Notification.objects.get(event="case_closed")
    assert notice.status == "sent" and notice.channel == "email" and notice.case_id == case["id"]


@pytest.mark.django_db
def test_the_councillor_can_be_told_through_notify_instead(notify, people, client_for, decision_table,
                                                           advice_templates, police_contact,
                                                           django_capture_on_commit_callbacks):
    clients = {name: client_for(getattr(people, name)) for name in ("councillor", "members", "safety")}
    case = report(clients["councillor"], account="A rude e-mail about the bins.")["case"]
    _close_low_case(clients, case, decision_table, django_capture_on_commit_callbacks)
    closed = [item for item in notify.state.sent if item["template_id"] == CLOSED_TEMPLATE]
    assert [item["to"] for item in closed] == ["cllr.ahmed@council.example"]
    assert closed[0]["personalisation"]["reference"] == case["reference"]


@pytest.mark.django_db
def test_the_callback_is_closed_until_a_token_is_set_and_refuses_what_is_not_json(client_for, settings):
    anonymous = client_for(None)
    assert receipt(anonymous, {"id": "x", "status": "delivered"}).status_code == 404
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "NOTIFY_CALLBACK_TOKEN": TOKEN}
    bad = anonymous.post(f"{API}/callbacks/notify/", "[1]", content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert bad.status_code == 400 and bad.json()["code"] == "malformed_request"
    unknown = receipt(anonymous, {"id": "8f1c3e1e-0000-4000-8000-000000000000", "status": "delivered"})
    assert unknown.status_code == 200 and unknown.json() == {"recorded": False}
    assert anonymous.get(f"{API}/callbacks/notify/").status_code == 405


@pytest.mark.django_db
def test_each_role_reads_the_notices_it_may(people, client_for):
    from safety_workflow.notifications import notify as tell

    tell(event="register_entry_approved", recipients=[people.safety], subject="Entry SW-PVPR-2026-0001 approved",
         message="Sign in.", context={"register_entry": "SW-PVPR-2026-0001"})
    tell(event="legal_hold_review_due", recipients=[people.monitoring], subject="A legal hold is due for review",
         message="Legal hold 123 was due.", context={"legal_hold": "123"})
    tell(event="task_overdue", recipients=[people.members], subject="Task overdue", message="Sign in.",
         context={"task": 1})

    def events_for(user):
        return sorted(n["event"] for n in client_for(user).get(f"{API}/notifications/").json()["results"])

    assert events_for(people.monitoring) == ["legal_hold_review_due", "register_entry_approved", "task_overdue"]
    assert events_for(people.safety) == ["register_entry_approved", "task_overdue"]
    assert events_for(people.members) == ["task_overdue"]
    governance = client_for(people.governance).get(f"{API}/notifications/").json()["results"]
    assert len(governance) == 3 and "SW-PVPR" not in str(governance) and "Legal hold 123" not in str(governance)


@pytest.mark.django_db
def test_only_councillors_and_candidates_are_told_a_case_closed_not_the_officer_who_reported_it(
        people, client_for, decision_table, advice_templates, police_contact, django_capture_on_commit_callbacks):
    from safety_workflow.services.people import protected_person_for_user

    clients = {name: client_for(getattr(people, name)) for name in ("councillor", "members", "safety")}
    person = protected_person_for_user(people.councillor)
    case = report(clients["members"], protected_person=str(person.pk), account="Shouted at in the surgery.")["case"]
    _close_low_case(clients, case, decision_table, django_capture_on_commit_callbacks, clear_mail=True)
    told = [m for m in mail.outbox if case["reference"] in m.subject]
    assert [m.to for m in told] == [[people.councillor.email]]
    assert list(Notification.objects.filter(event="case_closed").values_list("recipient", flat=True)) == [
        f"user:{people.councillor.pk}"]


def _close_low_case(clients, case, decision_table, capture, *, clear_mail: bool = False) -> None:
    """Triage, assess (low), advise and close the case; the closing's after-commit work runs (the notices).
    ``clear_mail``: the outbox holds only what the closing sent."""
    complete(clients["members"], case["id"], "triage", {})
    complete(clients["safety"], case["id"], "assess", {"answers": answers(decision_table)})
    complete(clients["members"], case["id"], "advise", {"advice": [{"template": "keep-records"}], "method": "email"})
    if clear_mail:
        mail.outbox.clear()
    with capture(execute=True):
        complete(clients["members"], case["id"], "close", {"outcome_summary": "Advice given.",
                                                             "person_informed": True, "informed_by": "phone"})
