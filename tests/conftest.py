"""Shared fixtures: one user per role, the shipped decision table, API clients."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from safety_workflow.roles import Role

from .factories import PoliceContactFactory, make_user
from .workers import workers  # noqa: F401 (a fixture: worker processes stopped after the test)


@pytest.fixture
def people(db):
    """One person in every role, plus a second councillor."""
    return SimpleNamespace(
        councillor=make_user(Role.COUNCILLOR, email="cllr.ahmed@council.example", display_name="Cllr Ahmed"),
        councillor2=make_user(Role.COUNCILLOR, email="cllr.byrne@council.example", display_name="Cllr Byrne"),
        members=make_user(Role.MEMBERS_SERVICES, email="members@council.example", display_name="Mo Services"),
        safety=make_user(Role.HEALTH_AND_SAFETY, email="hs@council.example", display_name="Hana Safety"),
        legal=make_user(Role.LEGAL, email="legal@council.example", display_name="Lee Gal"),
        monitoring=make_user(Role.MONITORING_OFFICER, email="mo@council.example", display_name="Mona Officer"),
        police=make_user(Role.POLICE_LIAISON, email="police@police.example", display_name="PC Sam Okafor"),
        frontline=make_user(Role.FRONTLINE, email="front@council.example", display_name="Fran Desk"),
        governance=make_user(Role.INFORMATION_GOVERNANCE, email="ig@council.example", display_name="Ian Gov"),
        nobody=make_user(email="nobody@council.example", display_name="No Role"),
    )


@pytest.fixture
def decision_table(db):
    call_command("loaddata", "safety_workflow_decision_table_v1", verbosity=0)
    from safety_workflow.models import DecisionTable

    return DecisionTable.objects.get(version=1)


@pytest.fixture
def advice_templates(db):
    call_command("loaddata", "safety_workflow_advice_templates", verbosity=0)


@pytest.fixture
def police_contact(people):
    return PoliceContactFactory(user=people.police)


class RequestUserClient(APIClient):
    """An APIClient whose forced user starts each request as a user loaded for that request does: with no roles
    kept on it from an earlier request (``roles_for`` keeps them on the user object), so each request resolves
    them once, as it does in production, and the query counts the tests pin are the ones a host sees."""

    def request(self, *args, **kwargs):
        from safety_workflow.roles import ROLES_ATTRIBUTE

        user = getattr(self.handler, "_force_user", None)
        if user is not None:
            user.__dict__.pop(ROLES_ATTRIBUTE, None)
        return super().request(*args, **kwargs)


@pytest.fixture
def client_for():
    """``client_for(user)`` -> an APIClient authenticated as ``user``."""

    def make(user):
        client = RequestUserClient()
        client.force_authenticate(user=user)
        return client

    return make


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` need real row locks: they run in CI's PostgreSQL pass, not on SQLite."""
    from django.conf import settings

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); runs in CI's PostgreSQL pass")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def ocr():
    """The OCR engine. Tests that read images skip without it (CI sets SW_REQUIRE_OCR=1: they fail instead)."""
    from safety_workflow.ocr import engine_or_none

    found, reason = engine_or_none()
    if found is None:
        if os.environ.get("SW_REQUIRE_OCR"):
            pytest.fail(f"SW_REQUIRE_OCR is set but the OCR engine cannot be used: {reason}")
        pytest.skip(f"No OCR engine here ({reason}).")
    return found
