"""Driving the workflow through the HTTP API, as a host's pages would."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

API = "/api/safety"


def report(client, **overrides: Any) -> dict:
    body = {
        "occurred_at": (timezone.now() - dt.timedelta(hours=3)).isoformat(),
        "channel": "email",
        "account": "An e-mail calling me a traitor and saying people like me should be taught a lesson.",
        "ward": "Riverside",
    }
    body.update(overrides)
    response = client.post(f"{API}/incidents/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def open_task(client, case_id: int, node: str) -> dict:
    response = client.get(f"{API}/tasks/", {"case": case_id, "node": node})
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert len(results) == 1, f"expected one open {node} task for case {case_id}, got {results}"
    return results[0]


def complete(client, case_id: int, node: str, body: dict, expect: int = 200) -> dict:
    task = open_task(client, case_id, node)
    response = client.post(f"{API}/tasks/{task['id']}/complete/", body, format="json")
    assert response.status_code == expect, response.content
    return response.json()


def answers(decision_table, **yes: bool) -> dict[str, bool]:
    values = {q.key: False for q in decision_table.questions.all()}
    values.update(yes)
    return values
