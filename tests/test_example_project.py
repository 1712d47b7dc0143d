"""The example host from a clean database: migrate, load the demo, walk one case of each route, build the
schema. This is what `make demo` runs before it serves the project."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    "postgresql" in settings.DATABASES["default"]["ENGINE"],
    reason="the example project runs on its own SQLite database; once per CI run is enough",
)


def manage(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run([sys.executable, str(ROOT / "example_project" / "manage.py"), *args], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_demo_walks_every_route_and_serves_a_valid_schema(tmp_path):
    pytest.importorskip("weasyprint", reason="the example host installs the pdf extra (tox's base env does not)")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    manage("migrate", "--noinput", "-v0", env=env)
    loaded = manage("load_demo", env=env)
    assert "5 new incident(s)" in loaded and "frontline" in loaded
    walked = manage("walk_demo_cases", env=env)
    assert walked.count("ended closed") == 4, walked
    for route in ("low:", "medium:", "serious:", "immediate danger:"):
        assert route in walked
    assert "approved and notified" in walked and "born 17/04/1962: match" in walked
    assert "Meet only at a named office (Civic Centre reception)" in walked
    manage("check", "--deploy", "--fail-level", "ERROR", env={**env, "DJANGO_DEBUG": "0"})
    schema = manage("spectacular", "--validate", env=env)
    assert "/api/safety/tasks/{id}/complete/" in schema and "/api/safety/incidents/" in schema
