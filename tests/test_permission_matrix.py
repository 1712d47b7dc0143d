"""Every operation of the URLconf, as every role, against records the role owns, may see, may not see, and
records that do not exist, compared with the one access table (``safety_workflow.api.access``).

- a record the role may not see answers exactly (byte for byte) what a missing one answers: 404 ``not_found``;
- a role the table refuses gets 403 with the table's code, before its (empty) body is even read;
- a role the table allows is not refused, and no answer is a server error or a status the schema does not declare;
- no answer names a case or an incident the role may not see (the references are searched for in every body).

Every request runs in a savepoint that is rolled back, so each one sees the same council.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client

from safety_workflow.api.access import ACCESS, VISIBILITY, operations, render_markdown

from .contract_world import MISSING, ROLES, build_world, sees

ROOT = Path(__file__).resolve().parent.parent
API = "/api/safety/"
NOT_FOUND = {"code": "not_found", "message": "Not found."}
SUPPORT_KINDS = {"support-advice": "advice", "support-home-security": "home_security",
                 "support-priority-flag": "priority_flag", "support-employee-assistance": "employee_assistance",
                 "support-induction-training": "induction_training"}
OPERATIONS = operations()
STATS: Counter = Counter()

pytestmark = pytest.mark.django_db  # the test database; the council itself is built once for the module


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def declared(world, django_db_blocker):
    """status codes the schema declares, by (METHOD, path relative to the API)."""
    with django_db_blocker.unblock():
        schema = json.loads(Client().get("/api/schema/", HTTP_ACCEPT="application/json").content)
    return {(method.upper(), re.sub(r"{\w+}", "{}", path[len(API):])): {int(code) for code in op["responses"]}
            for path, item in schema["paths"].items() if path.startswith(API)
            for method, op in item.items()}


def call(world, role: str, method: str, url: str):
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Token {world.tokens[role]}"}
    with transaction.atomic():
        if method == "POST" and url.endswith("/evidence/"):
            response = client.post(url, {}, **headers)  # multipart, with no file
        elif method in ("POST", "PATCH"):
            response = getattr(client, method.lower())(url, "{}", content_type="application/json", **headers)
        elif re.search(r"/register/entries/([^/]+/)?$", url) and method in ("GET", "HEAD"):
            response = client.get(url, {"purpose": "permission matrix"}, **headers)  # reads need a purpose
        else:
            response = getattr(client, method.lower())(url, **headers)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        transaction.set_rollback(True)
    STATS["requests"] += 1
    return Answer(response.status_code, body)


@dataclass
class Answer:
    status_code: int
    content: bytes

    def json(self) -> dict:
        return json.loads(self.content)


def url_for(op, values: dict) -> str:
    path = op.path
    for name, value in values.items():
        path = path.replace("{" + name + "}", str(value))
    assert "{" not in path, (op.path, values)
    return API + path


def test_every_operation_has_a_row_and_every_row_an_operation():
    keys = {op.key for op in OPERATIONS}
    assert sorted(keys - set(ACCESS)) == [], "operations without a row in api.access.ACCESS"
    assert sorted(set(ACCESS) - keys) == [], "rows of api.access.ACCESS without an operation"
    for op in OPERATIONS:
        if "{" in op.path:
            assert op.access.resource in VISIBILITY, f"{op.key}: a record in the path needs its resource"


def test_the_docs_show_the_table():
    """docs/api.md holds the table as rendered (UPDATE_DOCS=1 pytest tests/test_permission_matrix.py rewrites it)."""
    import os

    docs = ROOT / "docs" / "api.md"
    text = docs.read_text()
    start, end = "<!-- access-table:start -->\n", "<!-- access-table:end -->"
    before, rest = text.split(start)
    _, after = rest.split(end)
    rendered = before + start + render_markdown() + end + after
    if os.environ.get("UPDATE_DOCS"):
        docs.write_text(rendered)
    assert text == rendered, "docs/api.md is out of date: run UPDATE_DOCS=1 pytest tests/test_permission_matrix.py"


def _records(world, op):
    resource = op.access.resource
    found = [r for r in world.records if r.resource == resource]
    if resource == "support":
        kind = SUPPORT_KINDS[op.key.split(".")[0]]
        found = [r for r in found if kind in r.labels]
    return found


@pytest.mark.parametrize("op", OPERATIONS, ids=[f"{op.method} {op.path}" for op in OPERATIONS])
def test_operation_as_every_role(world, declared, op):
    access = op.access
    allowed = access.allowed_roles()
    problems: list[str] = []
    statuses = declared[(op.method, re.sub(r"{\w+}", "{}", op.path))]

    def check(role: str, response, what: str) -> None:
        if response.status_code >= 500 or response.status_code not in statuses:
            problems.append(f"{role} {what}: {response.status_code} not declared ({sorted(statuses)})")
        if role not in access.discloses:
            text = response.content.decode("utf-8", "replace")
            for record in world.records:
                user = getattr(world.people, role)
                if record.names and not _visible(record, user, role):
                    leaked = [name for name in record.names if name in text and not _seen_elsewhere(
                        world, name, user, role)]
                    if leaked:
                        problems.append(f"{role} {what}: names {leaked} it may not see")

    for role in ROLES:
        user = getattr(world.people, role)
        if "{" not in op.path:
            response = call(world, role, op.method, url_for(op, {}))
            check(role, response, "collection")
            if role in allowed:
                if _refused(response, access):
                    problems.append(f"{role} refused but the table allows it: {response.content[:200]!r}")
            elif response.status_code != 403 or response.json().get("code") != access.refused:
                problems.append(f"{role} should get 403 {access.refused}, got {response.status_code} "
                                f"{response.content[:200]!r}")
            continue
        missing = call(world, role, op.method, url_for(op, MISSING[access.resource]))
        check(role, missing, "missing")
        if missing.status_code != 404 or missing.json() != NOT_FOUND:
            problems.append(f"{role} missing: {missing.status_code} {missing.content[:200]!r}")
        for record in _records(world, op):
            response = call(world, role, op.method, url_for(op, record.path))
            visible = _visible(record, user, role)
            what = f"{'visible' if visible else 'invisible'} {record.path}"
            check(role, response, what)
            STATS["visible" if visible else "invisible"] += 1
            if not visible and record.parent is not None and _visible(record.parent, user, role):
                if response.status_code != 403 or response.json().get("code") != "task_wrong_role":
                    problems.append(f"{role} {what}: a task of a record it sees, for another role, should get "
                                    f"403 task_wrong_role, got {response.status_code} {response.content[:200]!r}")
            elif not visible:
                if (response.status_code, response.content) != (missing.status_code, missing.content):
                    problems.append(f"{role} {what}: {response.status_code} {response.content[:200]!r} "
                                    f"differs from missing")
            elif role in allowed:
                if response.status_code == 404 and _single_record(op) or _refused(response, access):
                    problems.append(f"{role} {what}: refused: {response.status_code} {response.content[:200]!r}")
            elif response.status_code != 403 or response.json().get("code") != access.refused:
                problems.append(f"{role} {what}: should get 403 {access.refused}, got {response.status_code} "
                                f"{response.content[:200]!r}")
    assert not problems, f"{op.method} {op.path}:\n" + "\n".join(problems)


def _visible(record, user, role: str) -> bool:
    rule = VISIBILITY.get(record.resource, {}).get(role, "none")
    return sees(rule, record, user, role)


def _seen_elsewhere(world, name: str, user, role: str) -> bool:
    """A reference shared by records (a case's reference is on each of its incidents): seen if any is visible."""
    return any(name in r.names and _visible(r, user, role) for r in world.records if r.resource in ("incident",
                                                                                                      "case"))


def _refused(response, access) -> bool:
    return response.status_code == 403 and response.json().get("code") == access.refused


def _single_record(op) -> bool:
    """Operations whose path names one record (not a second one, such as a grantee, that may be missing)."""
    return op.path.count("{") == 1


def test_matrix_size(world):
    """What the matrix ran (printed with -s; recorded in docs/development.md)."""
    print(f"\nmatrix: {len(OPERATIONS)} operations x {len(ROLES)} roles; {dict(STATS)}")
    assert len(OPERATIONS) >= 72
