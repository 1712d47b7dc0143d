"""Dict settings merge over their defaults, and docs/settings.md lists every default as the code has it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import timezone
from viewflow.workflow.models import Task

from safety_workflow import checks as sw_checks
from safety_workflow.conf import DEFAULTS, MERGED_DICTS, app_settings
from safety_workflow.models import TaskDeadline

from .helpers import API, open_task, report
from .register_helpers import ENTRIES, proposal, subject_with_incidents

DOCS_DIR = Path(__file__).resolve().parent.parent / "docs"
DOCS = (DOCS_DIR / "settings.md").read_text()


def test_the_dict_options_are_the_ones_merged():
    assert set(MERGED_DICTS) == {"ROLES", "SLA", "REGISTER_ADVICE_CONTACT", "RETENTION", "SCHEDULE", "NOTIFY_TEMPLATES"}


@override_settings(SAFETY_WORKFLOW={"SLA": {"triage": {"hours": 4}, "advise": None}})
def test_a_partial_sla_keeps_every_other_default():
    assert app_settings.SLA["triage"] == {"hours": 4}
    assert app_settings.SLA["advise"] is None
    for node in ("approve", "notify", "review", "assess", "police_acknowledge"):
        assert app_settings.SLA[node] == DEFAULTS["SLA"][node], node
    assert sw_checks.check_sla() == []  # None is "no due time", not a mistake


@override_settings(SAFETY_WORKFLOW={"ROLES": {"councillor": ["Elected Members"]},
                                    "REGISTER_ADVICE_CONTACT": {"phone": "01632 960 000"}})
def test_partial_roles_and_advice_contact_keep_the_other_defaults():
    assert app_settings.ROLES["councillor"] == ["Elected Members"]
    assert app_settings.ROLES["members_services"] == ["Members Services"]
    assert app_settings.REGISTER_ADVICE_CONTACT == {"name": "the Health and Safety team", "phone": "01632 960 000",
                                                    "email": ""}
    assert sw_checks.check_roles() == []


@pytest.mark.django_db
def test_with_a_partial_sla_the_register_tasks_still_fall_due(people, client_for, decision_table):
    with override_settings(SAFETY_WORKFLOW={"SLA": {"triage": {"hours": 4}}}):
        case_id = report(client_for(people.councillor))["case"]["id"]
        triage = Task.objects.get(pk=open_task(client_for(people.members), case_id, "triage")["id"])
        assert TaskDeadline.objects.get(task=triage).due_at - triage.created == timezone.timedelta(hours=4)
        subject, incidents = subject_with_incidents(people, name="Ada Lowe")
        entry = client_for(people.safety).post(ENTRIES, proposal(subject, incidents), format="json").json()
        approve = next(t for t in client_for(people.monitoring).get(f"{API}/tasks/").json()["results"]
                       if t["node"] == "approve" and t["register_entry"]["id"] == entry["id"])
        assert approve["due_at"] is not None  # the default 5 working days, not dropped by the partial setting


# The documentation -----------------------------------------------------------------------------------
def _row(option: str) -> str:
    match = re.search(rf"^\| `{option}` \| (.+?) \|", DOCS, re.MULTILINE)
    assert match, f"docs/settings.md has no row for {option}"
    return match.group(1)


def _sla_words(spec: dict) -> str:
    unit, value = next(iter(spec.items()))
    if unit == "hours":
        return f"{value} hour" + ("" if value == 1 else "s")
    return f"{value} working day" + ("" if value == 1 else "s")


@pytest.mark.parametrize("option", sorted(DEFAULTS))
def test_docs_give_every_default_as_the_code_has_it(option):
    default = DEFAULTS[option]
    cell = _row(option)
    if option == "SLA":
        for node, spec in default.items():
            assert re.search(rf"^\| `{node}`[^|]*\| {_sla_words(spec)} \|", DOCS, re.MULTILINE), node
    elif option == "ROLES":
        for role, groups in default.items():
            assert re.search(rf"^\| `{role}` \| {', '.join(f'`{g}`' for g in groups)} \|", DOCS, re.MULTILINE), role
    elif option == "RETENTION":
        retention_docs = (DOCS_DIR / "retention.md").read_text()
        for kind, spec in default.items():
            unit = next(key for key in spec if key != "after")
            period = f"{spec[unit]} {unit if spec[unit] != 1 else unit.rstrip('s')}"
            assert re.search(rf"^\| `{kind}`[^|]*\| {period} \| `{spec['after']}`", retention_docs, re.MULTILINE), kind
    elif isinstance(default, dict):
        assert f"`{json.dumps(default)}`" in cell
    elif isinstance(default, list):
        for item in default:
            assert (f"`{item}`" in cell or f'"{item}"' in cell or f"{item}" in cell), (option, item)
        if not default:
            assert "`[]`" in cell
    elif isinstance(default, str):
        assert f'`"{default}"`' in cell, cell
    else:
        assert f"`{default}`" in cell, cell
