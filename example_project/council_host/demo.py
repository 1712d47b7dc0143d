"""The example council's demo data: people in every role, the police contact, and a few reported incidents.

Everything here is invented and for the local demo only.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone

from safety_workflow.conf import app_settings
from safety_workflow.models import Incident, PoliceContact
from safety_workflow.services.incidents import incident_report

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures"


def load_json(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def demo_people_load() -> list[dict[str, Any]]:
    """Users in every role, with the demo passwords; safe to run again."""
    User = get_user_model()
    people = load_json("demo_people.json")
    for spec in people["users"]:
        user, _ = User.objects.get_or_create(username=spec["username"])
        user.first_name, user.last_name, user.email = spec["first_name"], spec["last_name"], spec["email"]
        user.is_staff = user.is_superuser = bool(spec.get("superuser"))
        user.set_password(spec["password"])
        user.save()
        if spec["role"]:
            for name in app_settings.ROLES[spec["role"]]:
                user.groups.add(Group.objects.get_or_create(name=name)[0])
    contact = people["police_contact"]
    PoliceContact.objects.update_or_create(
        name=contact["name"],
        defaults={"force": contact["force"], "role_title": contact["role_title"], "email": contact["email"],
                  "phone": contact["phone"], "user": User.objects.get(username=contact["username"])},
    )
    return people["users"]


def demo_reference_data_load() -> None:
    call_command("loaddata", "safety_workflow_decision_table_v1", "safety_workflow_advice_templates", verbosity=0)


def demo_incidents_load() -> int:
    """Report the demo incidents once (an Idempotency-Key per incident makes a second run a no-op)."""
    User = get_user_model()
    created = 0
    for number, spec in enumerate(load_json("demo_incidents.json")["incidents"], 1):
        reporter = User.objects.get(username=spec["reporter"])
        result = incident_report(
            reporter=reporter,
            occurred_at=timezone.now() - dt.timedelta(days=spec["days_ago"]),
            channel=spec["channel"],
            account=spec["account"],
            ward=spec.get("ward", ""),
            location=spec.get("location", ""),
            words_used=spec.get("words_used", ""),
            witnesses=spec.get("witnesses", ""),
            hate_categories=spec.get("hate_categories", []),
            subject_details=spec.get("subject_details", {}),
            idempotency_key=f"demo-incident-{number}",
            fingerprint=f"demo-incident-{number}",
        )
        created += int(result.created)
    return created


def demo_counts() -> dict[str, int]:
    return {"incidents": Incident.objects.count()}
