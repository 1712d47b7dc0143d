"""A schema-driven fuzz of every operation (schemathesis 4 against the WSGI app), as every role.

Each generated request goes to one operation as one of the nine callers (the eight roles and a user with none,
drawn by Hypothesis, so a run is repeatable), in a savepoint rolled back afterwards, over the council of
``contract_world``. The answer must not be a server error, its status must be one the schema declares, and its
body, headers and content type must match the schema; a request the schema says is not valid must be refused.

``make test`` runs a bounded fuzz (``SW_FUZZ_EXAMPLES`` examples per operation, default 12). CI runs a longer
one on PostgreSQL (``.ci/run``: ``SW_FUZZ_EXAMPLES=80 SW_FUZZ_MIN_REQUESTS=5000``), which also checks how many
requests were sent.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .contract_world import ROLES, build_world

EXAMPLES = int(os.environ.get("SW_FUZZ_EXAMPLES", "12"))
MIN_REQUESTS = int(os.environ.get("SW_FUZZ_MIN_REQUESTS", "0"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]
SENT: Counter = Counter()

pytestmark = pytest.mark.django_db


class App(WSGIHandler):
    """The project as a WSGI app that keeps the test's database connection (as Django's test client does)."""

    def __call__(self, environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            return super().__call__(environ, start_response)
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


APP = App()
# The schema needs no database: it is read when the module is collected.
schema = schemathesis.openapi.from_wsgi("/api/schema/", APP).include(path_regex="^/api/safety/")
schema.config.generation.update(max_examples=EXAMPLES, deterministic=True, no_shrink=True)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@schema.parametrize()
@schema.given(role=st.sampled_from(ROLES))
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_api_answers_as_its_schema_says(world, case, role):
    headers = {"Authorization": f"Token {world.tokens[role]}"}
    with transaction.atomic():
        response = case.call(headers=headers)
        transaction.set_rollback(True)
    SENT["requests"] += 1
    SENT[f"{case.method} {case.path}"] += 1
    case.validate_response(response, checks=CHECKS, headers=headers)


def test_fuzz_size():
    """How many requests the fuzz sent (printed with -s); the long CI run needs at least SW_FUZZ_MIN_REQUESTS."""
    operations = len([k for k in SENT if k != "requests"])
    print(f"\nfuzz: {SENT['requests']} requests over {operations} operations, {len(ROLES)} callers")
    if MIN_REQUESTS:
        assert SENT["requests"] >= MIN_REQUESTS
        assert operations >= 72
