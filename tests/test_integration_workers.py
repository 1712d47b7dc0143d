"""The Notify channel and webhooks through a real ``db_worker`` process (PostgreSQL pass).

The request only records and queues; a worker process, started with the suite's settings and pointed at the test
database, sends: an urgent referral reaches the named police contact through the Notify stand-in within
seconds, and a webhook receiver that is down gets every event once it is back, the worker retrying on its own
(the database queue runs a retry at its time). The stand-in and the receiver listen on loopback in this process.
"""

from __future__ import annotations

import json
import time

import pytest

from safety_workflow.models import Notification, WebhookDelivery

from .factories import PoliceContactFactory
from .helpers import API, report
from .loopback import API_KEY, free_port, notify_standin, receiver
from .test_webhooks import events, receiver_snippet, subscribe
from .workers import ON_POSTGRES, db_worker, wait_for

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="a worker process cannot open SQLite's in-memory test database"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(300),
]
SMS, EMAIL = "289981ad-7a8a-4b51-b9a2-b3b8e4d5c7e9", "f33517ff-2a88-4f6e-b855-c550268ce08a"


def test_an_urgent_referral_reaches_the_police_contact_through_notify_within_seconds(
        people, client_for, decision_table, settings, workers):
    contact = PoliceContactFactory(name="PC Sam Okafor", email="feoa@police.example", phone="07700 900123")
    templates = {"police_referral_made": {"email": EMAIL, "sms": SMS}}
    with notify_standin({EMAIL: "email", SMS: "sms"}) as notify:
        settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "TASK_BACKEND": "database",
                                    "NOTIFY_API_KEY": API_KEY, "NOTIFY_BASE_URL": notify.base_url,
                                    "NOTIFY_TEMPLATES": templates}
        process = db_worker(workers, SW_TEST_NOTIFY_API_KEY=API_KEY, SW_TEST_NOTIFY_URL=notify.base_url,
                         SW_TEST_NOTIFY_TEMPLATES=json.dumps(templates))
        time.sleep(1.0)  # the worker is up and polling
        started = time.monotonic()
        report(client_for(people.councillor), immediate_danger=True, channel="at_home",
               account="He is outside my house.")
        answered = time.monotonic() - started

        def to_contact():
            return {n.channel: n for n in Notification.objects.filter(recipient=f"police_contact:{contact.pk}")
                    if n.status == "sending"}

        sent = wait_for(lambda: len(to_contact()) == 2 and to_contact(), timeout=30, what="the Notify sends",
                        worker=process)
        elapsed = time.monotonic() - started
    print(f"\nrequest answered in {answered:.2f} s; texted and e-mailed through Notify {elapsed:.2f} s after the "
          "report")
    assert {item["to"] for item in notify.state.sent} >= {"07700 900123", "feoa@police.example"}
    assert sent["notify_sms"].provider_reference and sent["notify_email"].provider_reference
    assert elapsed < 10, f"{elapsed:.2f} s"


def test_a_receiver_that_is_down_gets_every_event_once_back_the_worker_retrying(
        people, client_for, decision_table, police_contact, settings, workers):
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "TASK_BACKEND": "database",
                                "WEBHOOK_RETRY_BASE_SECONDS": 1}
    process = db_worker(workers, SW_TEST_RETRY_BASE_SECONDS="1")
    port = free_port()
    sub = subscribe(client_for(people.monitoring), f"http://127.0.0.1:{port}/hooks", "monitoring_officer")
    incident = report(client_for(people.councillor), account="Abusive e-mail about the vote.")
    wait_for(lambda: WebhookDelivery.objects.exists() and all(
        d.attempts >= 2 and d.status == "retrying" for d in WebhookDelivery.objects.all()),
        timeout=60, what="two failed attempts at every delivery", worker=process)
    made = list(WebhookDelivery.objects.order_by("created_at", "id"))

    with receiver(port=port) as hook:
        wait_for(lambda: {d.status for d in WebhookDelivery.objects.all()} == {"delivered"}, timeout=90,
                 what="every delivery delivered", worker=process)
    received = events(hook, sub["secret"], receiver_snippet()["verify"])
    assert sorted(e["id"] for e in received) == sorted(str(d.event_id) for d in made)
    assert "incident.reported" in {e["type"] for e in received}
    assert incident["case"]["reference"] in {e["data"]["case"]["reference"] for e in received}
    assert all(d.attempts >= 3 for d in WebhookDelivery.objects.all())
    assert client_for(people.monitoring).get(f"{API}/webhooks/{sub['id']}/deliveries/").json()["count"] == len(made)
