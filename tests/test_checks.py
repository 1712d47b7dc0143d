"""Every system check id fires when its condition holds, and stays quiet on a sound host."""

from __future__ import annotations

import builtins

import django
import pytest
from django.core import checks
from django.test import override_settings

from safety_workflow import checks as sw_checks
from safety_workflow.conf import app_settings

GUARDIAN = "guardian.backends.ObjectPermissionBackend"


def ids(results):
    return sorted(message.id for message in results)


@pytest.mark.django_db  # Django 6.1 also runs database checks
def test_sound_configuration_has_no_messages():
    from safety_workflow.ocr import engine_or_none

    messages = [m for m in checks.run_checks() if m.id.startswith("safety_workflow") and not m.is_silenced()]
    # Without Tesseract (optional) the one message is the warning that images cannot be read.
    assert [m.id for m in messages] == ([] if engine_or_none()[0] is not None else ["safety_workflow.W004"])


@override_settings(AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend"])
def test_e001_guardian_backend_missing():
    assert ids(sw_checks.check_guardian_backend()) == ["safety_workflow.E001"]


def test_w007_council_address_missing(settings):
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "COUNCIL_ADDRESS": "  "}
    expected = ["safety_workflow.W007"] if app_settings.PDF_EXPORT else []
    assert ids(sw_checks.check_council_address()) == expected
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "COUNCIL_ADDRESS": "Council Offices, Northtown"}
    assert ids(sw_checks.check_council_address()) == []


def test_e002_weasyprint_unavailable(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with override_settings(SAFETY_WORKFLOW={"PDF_EXPORT": True}):
        assert ids(sw_checks.check_pdf_export()) == ["safety_workflow.E002"]
    with override_settings(SAFETY_WORKFLOW={"PDF_EXPORT": False}):
        assert sw_checks.check_pdf_export() == []


@override_settings(SAFETY_WORKFLOW={"ROLES": {"councillor": ["Councillors"], "chief_executive": ["CEO"]}})
def test_e003_unknown_role_mapping():
    messages = sw_checks.check_roles()
    assert ids(messages) == ["safety_workflow.E003"] and "chief_executive" in messages[0].msg


@override_settings(SAFETY_WORKFLOW={"REGISTER_REVIEW_DAYS": 30})
def test_e004_unknown_option():
    messages = sw_checks.check_options()
    assert ids(messages) == ["safety_workflow.E004"] and "REGISTER_REVIEW_DAYS" in messages[0].msg


@override_settings(SAFETY_WORKFLOW={"SLA": {"triage": {"days": 1}, "assess": {"hours": -2}, "close": {"hours": 4}}})
def test_e005_bad_sla():
    assert ids(sw_checks.check_sla()) == ["safety_workflow.E005", "safety_workflow.E005"]


@override_settings(SAFETY_WORKFLOW={"ADAPTER": "council.nowhere.Adapter"})
def test_e006_adapter_not_importable():
    assert ids(sw_checks.check_importable()) == ["safety_workflow.E006"]


def test_e007_and_w001_installed_apps(settings):
    apps = [a for a in settings.INSTALLED_APPS if a != "viewflow.workflow"] + ["viewflow"]
    with override_settings(INSTALLED_APPS=apps):
        assert ids(sw_checks.check_installed_apps()) == ["safety_workflow.E007", "safety_workflow.W001"]


IMMEDIATE = ("django.tasks.backends.immediate.ImmediateBackend" if django.VERSION >= (6, 0)
             else "django_tasks.backends.immediate.ImmediateBackend")
DUMMY = IMMEDIATE.replace("immediate.ImmediateBackend", "dummy.DummyBackend")
DATABASE = {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "bundles"]}


def test_w002_tasks_run_in_the_request_on_a_production_setting():
    with override_settings(TASKS={"default": {"BACKEND": IMMEDIATE}}, DEBUG=False):
        messages = sw_checks.check_task_backend()
        assert ids(messages) == ["safety_workflow.W002"] and "inside the request" in messages[0].msg
    with override_settings(TASKS={"default": {"BACKEND": IMMEDIATE}}, DEBUG=True):
        assert sw_checks.check_task_backend() == []  # development: fine
    with override_settings(TASKS={"default": DATABASE}, DEBUG=False):
        assert sw_checks.check_task_backend() == []  # a queue and a worker: what production wants
    with override_settings(TASKS={"default": {"BACKEND": DUMMY}}, DEBUG=False):
        assert ids(sw_checks.check_task_backend()) == ["safety_workflow.W003"]


def test_w002_is_reported_by_manage_py_check(capsys):
    from django.core.management import call_command

    with override_settings(TASKS={"default": {"BACKEND": IMMEDIATE}}, DEBUG=False, SILENCED_SYSTEM_CHECKS=[]):
        call_command("check")
    assert "safety_workflow.W002" in capsys.readouterr().err


def test_e010_task_backend_or_queue_not_configured():
    with override_settings(SAFETY_WORKFLOW={"TASK_BACKEND": "nowhere"}):
        messages = sw_checks.check_task_backend()
        assert ids(messages) == ["safety_workflow.E010"] and "'nowhere'" in messages[0].msg
    with override_settings(TASKS={"default": DATABASE}, SAFETY_WORKFLOW={"BUNDLE_TASK_QUEUE": "pdf"}):
        messages = sw_checks.check_task_backend()
        assert ids(messages) == ["safety_workflow.E010"] and "'pdf'" in messages[0].msg
    with override_settings(TASKS={"default": DATABASE}, SAFETY_WORKFLOW={"BUNDLE_TASK_QUEUE": "bundles"}):
        assert sw_checks.check_task_backend() == []


def test_e011_bad_schedule():
    with override_settings(SAFETY_WORKFLOW={"SCHEDULE": {"requeue_stale_bundles": 60, "send_newsletter": 60,
                                                         "notify_overdue_tasks": "often"}}):
        assert ids(sw_checks.check_schedule()) == ["safety_workflow.E011", "safety_workflow.E011"]
    with override_settings(SAFETY_WORKFLOW={"SCHEDULE": {"requeue_stale_bundles": 60, "dispose_expired_records": 0}}):
        assert sw_checks.check_schedule() == []


def test_settings_are_read_lazily_and_reloaded():
    assert app_settings.REGISTER_REVIEW_INTERVAL_DAYS == 365
    with override_settings(SAFETY_WORKFLOW={"REGISTER_REVIEW_INTERVAL_DAYS": 180}):
        assert app_settings.REGISTER_REVIEW_INTERVAL_DAYS == 180
    assert app_settings.REGISTER_REVIEW_INTERVAL_DAYS == 365
    with pytest.raises(AttributeError):
        app_settings.NOT_AN_OPTION  # noqa: B018


def test_matching_options_are_checked(settings):
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "PHONE_REGION": "XX",
                                "REGISTER_NAME_VARIANTS": [["dafydd", "dai"], "taff"]}
    assert ids(sw_checks.check_matching_options()) == ["safety_workflow.E013", "safety_workflow.E013"]
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "PHONE_REGION": "ie", "REGISTER_NAME_VARIANTS": []}
    assert sw_checks.check_matching_options() == []


def test_w008_a_connection_per_request_on_postgresql():
    from unittest import mock

    from django.conf import settings

    def databases(**options):  # the check reads settings.DATABASES; the test database itself stays as it is
        return mock.patch.object(settings, "DATABASES", {"default": {**settings.DATABASES["default"], **options}})

    postgres = {"ENGINE": "django.db.backends.postgresql", "CONN_MAX_AGE": 0}
    with databases(**postgres), override_settings(DEBUG=False):
        messages = sw_checks.check_persistent_connections()
        assert ids(messages) == ["safety_workflow.W008"] and "CONN_MAX_AGE" in messages[0].msg
    with databases(**{**postgres, "CONN_MAX_AGE": 600}), override_settings(DEBUG=False):
        assert sw_checks.check_persistent_connections() == []  # persistent: what production wants
    with databases(**postgres), override_settings(DEBUG=True):
        assert sw_checks.check_persistent_connections() == []  # development: fine
    with databases(ENGINE="django.db.backends.sqlite3", CONN_MAX_AGE=0), override_settings(DEBUG=False):
        assert sw_checks.check_persistent_connections() == []  # a file: no connection to open


def test_e014_notify_configured_badly(settings):
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "NOTIFY_TEMPLATES": {"case_closed": {"email": "t-1"}}}
    messages = sw_checks.check_notify()
    assert ids(messages) == ["safety_workflow.E014"] and "NOTIFY_API_KEY is empty" in messages[0].msg
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "NOTIFY_TEMPLATES": {"case_closed": {"letter": "t"}}}
    assert ids(sw_checks.check_notify()) == ["safety_workflow.E014"]
    key = "council-" + "a" * 36 + "-" + "b" * 36
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "NOTIFY_TEMPLATES": {"case_closed": {"email": "t-1"}},
                                "NOTIFY_API_KEY": key}
    assert sw_checks.check_notify() == []


def test_e015_delivery_options_are_numbers(settings):
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "WEBHOOK_MAX_ATTEMPTS": 0,
                                "NOTIFICATION_RETRY_BASE_SECONDS": "soon"}
    assert ids(sw_checks.check_delivery_options()) == ["safety_workflow.E015", "safety_workflow.E015"]
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "WEBHOOK_MAX_ATTEMPTS": 3,
                                "NOTIFICATION_RETRY_BASE_SECONDS": 0}
    assert sw_checks.check_delivery_options() == []


def test_w005_webhooks_may_reach_private_addresses(settings):
    settings.DEBUG = False
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": True}
    assert ids(sw_checks.check_webhook_addresses()) == ["safety_workflow.W005"]
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": False}
    assert sw_checks.check_webhook_addresses() == []
