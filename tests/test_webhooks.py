"""Outbound webhooks, to real receivers on loopback: every event of a case's life, signed; what a subscription's
role may see; a receiver that is down gets everything once it is back; replay; where a webhook may not go.

Each signature is checked with the Python receiver snippet of docs/integration.md, run as it is printed there.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.utils import timezone

from safety_workflow import background
from safety_workflow.models import TimelineEntry, WebhookDelivery, WebhookSubscription

from .helpers import API, answers, complete, report
from .loopback import free_port, receiver

ROOT = Path(__file__).resolve().parent.parent


def receiver_snippet() -> dict:
    """The Python receiver of docs/integration.md, executed: it defines ``verify(secret, header, body)``."""
    text = (ROOT / "docs" / "integration.md").read_text()
    code = re.search(r"<!-- python-receiver -->\n```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "docs/integration.md", "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace


@pytest.fixture
def verify():
    return receiver_snippet()["verify"]


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run an action and then what it queued after its commit, as a worker would."""

    def go(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return go


@pytest.fixture
def clients(people, client_for, decision_table, advice_templates, police_contact):
    return {name: client_for(getattr(people, name)) for name in
            ("councillor", "members", "safety", "police", "monitoring", "governance", "legal")}


def subscribe(client, url: str, role: str, **extra) -> dict:
    response = client.post(f"{API}/webhooks/", {"name": f"{role} platform", "url": url, "role": role, **extra},
                           format="json")
    assert response.status_code == 201, response.content
    return response.json()


def serious_case_life(run, clients, decision_table) -> dict:
    """Reported, triaged, assessed serious (referred to the police), acknowledged, charged, closed."""
    incident = run(lambda: report(clients["councillor"], channel="in_person", account="He said he would kill me."))
    case_id = incident["case"]["id"]
    run(lambda: complete(clients["members"], case_id, "triage", {}))
    run(lambda: complete(clients["safety"], case_id, "assess", {"answers": answers(decision_table,
                                                                                    threat_to_life=True)}))
    run(lambda: complete(clients["police"], case_id, "police_acknowledge", {"crime_reference": "NP/26/004512"}))
    run(lambda: complete(clients["police"], case_id, "police_outcome", {"status": "charged", "notes": "s.16"}))
    run(lambda: complete(clients["members"], case_id, "close", {
        "outcome_summary": "Charged.", "person_informed": True, "informed_by": "phone"}))
    return incident


def events(hook, secret, verify) -> list[dict]:
    found = []
    for item in hook.received:
        assert item["headers"]["Content-Type"].startswith("application/cloudevents+json")
        assert verify(secret, item["headers"]["Safety-Workflow-Signature"], item["body"]), item
        found.append(json.loads(item["body"]))
    return found


@pytest.mark.django_db
def test_a_receiver_gets_every_event_of_a_case_life_each_signed(run, clients, decision_table, people, verify):
    with receiver() as hook:
        sub = subscribe(clients["monitoring"], hook.url, "monitoring_officer")
        assert sub["secret"].startswith("whsec_") and sub["secret_hint"] == "..." + sub["secret"][-4:]
        incident = serious_case_life(run, clients, decision_table)
    case_id = incident["case"]["id"]
    received = events(hook, sub["secret"], verify)
    types = [e["type"] for e in received]
    for wanted in ("incident.reported", "case.routed", "police_referral.made", "case.closed"):
        assert types.count(wanted) == 1, types
    assert types.index("incident.reported") < types.index("case.routed") < types.index("case.closed")
    # Every step on the case's timeline, once each.
    steps = [e["data"]["step"]["id"] for e in received if e["type"] == "case.step"]
    assert sorted(steps) == sorted(TimelineEntry.objects.filter(case_id=case_id).values_list("pk", flat=True))
    # The envelope: CloudEvents 1.0, versioned, ids and references only.
    closed = next(e for e in received if e["type"] == "case.closed")
    assert closed["specversion"] == "1.0" and closed["dataversion"] == "1"
    assert closed["source"] == "urn:safety-workflow:SW"
    assert closed["subject"] == f"cases/{case_id}" and closed["datacontenttype"] == "application/json"
    assert closed["data"] == {"case": {"id": case_id, "reference": incident["case"]["reference"]}}
    assert len({e["id"] for e in received}) == len(received)
    everything = b"".join(item["body"] for item in hook.received).decode()
    for personal in ("kill me", "Cllr Ahmed", "cllr.ahmed@council.example", "s.16", "Charged.", "NP/26/004512"):
        assert personal not in everything
    # The delivery log, through the API.
    log = clients["monitoring"].get(f"{API}/webhooks/{sub['id']}/deliveries/", {"page_size": 100}).json()
    assert log["count"] == len(received) and {d["status"] for d in log["results"]} == {"delivered"}
    assert all(d["attempts"] == 1 and d["log"][0]["status_code"] == 204 for d in log["results"])
    assert "secret" not in clients["governance"].get(f"{API}/webhooks/{sub['id']}/").json()


@pytest.mark.django_db
def test_a_subscription_gets_only_what_its_role_may_see(run, clients, decision_table, verify):
    with receiver() as police_hook, receiver() as councillor_hook:
        police = subscribe(clients["governance"], police_hook.url, "police_liaison")
        subscribe(clients["governance"], councillor_hook.url, "councillor", events=["incident.reported", "case.closed"])
        serious_case_life(run, clients, decision_table)
    types = [e["type"] for e in events(police_hook, police["secret"], verify)]
    # The police see the case once it is referred: not the report before it, nor the steps of the whole case.
    assert sorted(types) == ["case.closed", "case.routed", "police_referral.made"]
    # A subscription is nobody's own: a councillor's view gets nothing.
    assert councillor_hook.received == []


@pytest.mark.django_db
def test_a_receiver_that_is_down_gets_every_event_once_it_is_back(run, clients, decision_table, settings, verify):
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "WEBHOOK_RETRY_BASE_SECONDS": 0}
    port = free_port()
    sub = subscribe(clients["monitoring"], f"http://127.0.0.1:{port}/hooks/safety", "monitoring_officer")
    incident = serious_case_life(run, clients, decision_table)  # nothing listens on the port meanwhile
    waiting = list(WebhookDelivery.objects.order_by("created_at", "id"))
    assert waiting and {d.status for d in waiting} == {"retrying"}
    assert all(d.attempts == 1 and d.log[0]["status_code"] is None and d.log[0]["error"] for d in waiting)

    with receiver(port=port) as hook:
        result = run(lambda: background.retry_deliveries.enqueue().return_value)
    assert result == {"notifications": 0, "webhooks": len(waiting)}
    received = events(hook, sub["secret"], verify)
    assert [e["id"] for e in received] == [str(d.event_id) for d in waiting]  # all of them, in order, once
    assert {e["type"] for e in received} >= {"incident.reported", "police_referral.made", "case.closed"}
    assert {d.status for d in WebhookDelivery.objects.all()} == {"delivered"}
    assert set(WebhookDelivery.objects.values_list("attempts", flat=True)) == {2}
    assert incident["case"]["reference"] in {e["data"]["case"]["reference"] for e in received}


@pytest.mark.django_db
def test_deliveries_that_gave_up_are_replayed_with_the_same_event_ids(run, clients, people, settings, verify):
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "WEBHOOK_MAX_ATTEMPTS": 1}
    port = free_port()
    sub = subscribe(clients["monitoring"], f"http://127.0.0.1:{port}/hooks", "monitoring_officer")
    since = timezone.now()
    run(lambda: report(clients["councillor"], account="Abusive e-mail."))
    failed = list(WebhookDelivery.objects.order_by("created_at", "id"))
    assert failed and {d.status for d in failed} == {"failed"}

    with receiver(port=port) as hook:
        answer = run(lambda: clients["monitoring"].post(f"{API}/webhooks/{sub['id']}/replay/",
                                                        {"since": since.isoformat()}, format="json"))
        assert answer.status_code == 202 and answer.json()["replayed"] == len(failed)
        one = run(lambda: clients["monitoring"].post(f"{API}/webhooks/{sub['id']}/replay/",
                                                     {"delivery": str(failed[0].pk)}, format="json"))
        assert one.status_code == 202 and one.json()["deliveries"][0]["status"] == "pending"  # sent after the answer
        missing = clients["monitoring"].post(f"{API}/webhooks/{sub['id']}/replay/",
                                             {"delivery": "00000000-0000-4000-8000-000000000000"}, format="json")
        assert missing.status_code == 404
    received = events(hook, sub["secret"], verify)
    assert [e["id"] for e in received] == [str(d.event_id) for d in failed] + [str(failed[0].event_id)]
    assert {d.status for d in WebhookDelivery.objects.all()} == {"delivered"}


@pytest.mark.django_db
def test_a_ping_lets_the_receiver_try_its_signature_check(run, clients, verify):
    with receiver() as hook:
        sub = subscribe(clients["governance"], hook.url, "monitoring_officer", secret="s" * 32)
        answer = run(lambda: clients["governance"].post(f"{API}/webhooks/{sub['id']}/ping/"))
    assert answer.status_code == 202
    (ping,) = events(hook, "s" * 32, verify)
    assert ping["type"] == "ping" and ping["data"]["subscription"] == sub["id"]
    # A body changed on the way, a wrong secret, or an old timestamp does not verify.
    item = hook.received[0]
    header, body = item["headers"]["Safety-Workflow-Signature"], item["body"]
    assert not verify("s" * 32, header, body.replace(b"ping", b"pong"))
    assert not verify("t" * 32, header, body)
    stale = re.sub(r"t=\d+", "t=1000000000", header)
    assert not verify("s" * 32, stale, body)


@pytest.mark.django_db
def test_webhooks_go_to_http_and_https_outside_only(clients, settings, run):
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": False}
    for url in ("http://127.0.0.1:8160/hooks", "http://[::1]/hooks", "http://169.254.169.254/latest/meta-data",
                "http://10.1.2.3/", "http://192.168.0.10/", "ftp://203.0.113.5/hooks", "http://user:pw@1.1.1.1/"):
        answer = clients["monitoring"].post(f"{API}/webhooks/", {"name": "x", "url": url, "role": "legal"},
                                            format="json")
        assert answer.status_code == 400 and answer.json()["code"] in ("webhook_url_refused", "invalid"), url
        assert answer.json()["errors"]["url"], url
    assert not WebhookSubscription.objects.exists()
    # A subscription made while loopback was allowed is refused at delivery time once it is not.
    hook = WebhookSubscription.objects.create(name="old", url="http://127.0.0.1:9/x", secret="z" * 32,
                                              role="monitoring_officer")
    run(lambda: clients["monitoring"].post(f"{API}/webhooks/{hook.pk}/ping/"))
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and "private" in delivery.log[0]["error"]
    # Who manages subscriptions.
    for role in ("members", "safety", "legal", "police", "councillor"):
        refused = clients[role].get(f"{API}/webhooks/")
        assert refused.status_code == 403 and refused.json()["code"] == "webhooks_not_permitted"


@pytest.mark.django_db
def test_the_admin_manages_subscriptions_and_replays_deliveries(client, run, settings, verify):
    from .factories import make_user

    client.force_login(make_user(email="admin@council.example", is_staff=True, is_superuser=True))
    assert client.get("/admin/safety_workflow/webhooksubscription/add/").status_code == 200
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": False}
    refused = client.post("/admin/safety_workflow/webhooksubscription/add/", {
        "name": "Case platform", "url": "http://127.0.0.1:8160/x", "role": "monitoring_officer",
        "events": ["case.closed"], "active": "on", **INLINE})
    assert refused.status_code == 200 and not WebhookSubscription.objects.exists()  # the form says why
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": True}
    with receiver() as hook:
        made = client.post("/admin/safety_workflow/webhooksubscription/add/", {
            "name": "Case platform", "url": hook.url, "role": "monitoring_officer", "events": ["case.closed"],
            "active": "on", **INLINE}, follow=True)
        sub = WebhookSubscription.objects.get()
        assert sub.events == ["case.closed"] and sub.secret.startswith("whsec_")
        assert sub.secret in made.content.decode()  # shown once, after saving
        assert sub.secret not in client.get(f"/admin/safety_workflow/webhooksubscription/{sub.pk}/change/"
                                            ).content.decode()
        from safety_workflow.services.webhooks import webhook_ping

        sub.url = "http://127.0.0.1:9/nothing-listens"
        sub.save()
        run(lambda: webhook_ping(subscription=sub))
        sub.url = hook.url
        sub.save()
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == "retrying"
        run(lambda: client.post("/admin/safety_workflow/webhookdelivery/", {
            "action": "replay", "_selected_action": [str(delivery.pk)]}))
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and len(hook.received) == 1
    assert verify(sub.secret, hook.received[0]["headers"]["Safety-Workflow-Signature"], hook.received[0]["body"])
    for page in ("notification", "webhookdelivery", "webhooksubscription"):
        assert client.get(f"/admin/safety_workflow/{page}/").status_code == 200


#: The management form of the deliveries shown inline on a subscription.
INLINE = {"deliveries-TOTAL_FORMS": "0", "deliveries-INITIAL_FORMS": "0", "deliveries-MIN_NUM_FORMS": "0",
          "deliveries-MAX_NUM_FORMS": "1000"}


@pytest.mark.django_db
def test_an_overdue_task_is_an_event_for_the_roles_that_do_it(run, clients, verify, settings):
    import datetime as dt
    from io import StringIO

    from django.core.management import call_command

    from safety_workflow.models import TaskDeadline

    from .helpers import open_task

    with receiver() as members_hook, receiver() as legal_hook:
        members = subscribe(clients["monitoring"], members_hook.url, "members_services", events=["task.overdue"])
        subscribe(clients["monitoring"], legal_hook.url, "legal", events=["task.overdue"])
        case_id = run(lambda: report(clients["councillor"], account="Rude e-mail."))["case"]["id"]
        task = open_task(clients["members"], case_id, "triage")
        due = timezone.now() - dt.timedelta(hours=5)
        TaskDeadline.objects.filter(task_id=task["id"]).update(due_at=due)
        run(lambda: call_command("safety_workflow_overdue", "--notify", stdout=StringIO()))
    (event,) = events(members_hook, members["secret"], verify)
    assert event["type"] == "task.overdue" and event["data"]["task"] == {"id": task["id"], "name": "triage"}
    assert event["data"]["case"]["id"] == case_id and event["data"]["deadline"] == due.isoformat()
    assert legal_hook.received == []  # legal neither does triage nor sees the case


@pytest.mark.django_db
def test_the_retry_command_queues_what_is_due(run, clients, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "WEBHOOK_RETRY_BASE_SECONDS": 0}
    port = free_port()
    subscribe(clients["monitoring"], f"http://127.0.0.1:{port}/h", "monitoring_officer", events=["case.step"])
    run(lambda: report(clients["councillor"], account="Rude e-mail."))
    waiting = WebhookDelivery.objects.count()
    assert waiting and set(WebhookDelivery.objects.values_list("status", flat=True)) == {"retrying"}
    with receiver(port=port) as hook:
        out = StringIO()
        run(lambda: call_command("safety_workflow_retry_deliveries", "--json", stdout=out))
    assert json.loads(out.getvalue()) == {"notifications": 0, "webhooks": waiting}
    assert len(hook.received) == waiting


@pytest.mark.django_db
def test_the_subscriptions_are_read_after_each_commit_in_one_statement(run, clients, django_assert_num_queries):
    """The look-up after every commit that records a step is one statement, compiled once; a subscription made or
    switched off is seen by the next commit."""
    from safety_workflow.webhooks import active_subscriptions

    with django_assert_num_queries(1):
        assert active_subscriptions() == []
    run(lambda: report(clients["councillor"]))
    assert not WebhookDelivery.objects.exists()
    with receiver() as hook:
        made = subscribe(clients["monitoring"], hook.url, "monitoring_officer", events=["incident.reported"])
        with django_assert_num_queries(1):
            assert [str(s.pk) for s in active_subscriptions()] == [made["id"]]
        run(lambda: report(clients["councillor"]))
        assert WebhookDelivery.objects.filter(event_type="incident.reported").count() == 1
        WebhookSubscription.objects.filter(pk=made["id"]).update(active=False)
        run(lambda: report(clients["councillor"]))
        assert WebhookDelivery.objects.filter(event_type="incident.reported").count() == 1
