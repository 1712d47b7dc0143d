"""The wheel: what it ships (templates, migrations, locale files, fixtures, py.typed; never the tests), and that
it installs into a clean virtual environment where `python -m django check` passes on a minimal host."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "safety_workflow"

pytestmark = pytest.mark.skipif(
    "postgresql" in settings.DATABASES["default"]["ENGINE"],
    reason="packaging does not depend on the database; it runs once, in the SQLite pass",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # Build from a clean copy: a stale build/ folder in the working tree must not leak into the wheel.
    source = tmp_path_factory.mktemp("src") / "safety-workflow"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".tox", "build", "dist", "*.egg-info", "__pycache__", "*.sqlite3", "media", "sent-mail"))
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(source)],
                   check=True, capture_output=True, timeout=300)
    (built,) = out.glob("safety_workflow-*.whl")
    return built


def test_wheel_contents(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "safety_workflow/py.typed" in names
    assert "safety_workflow/migrations/0001_initial.py" in names
    assert "safety_workflow/fixtures/safety_workflow_decision_table_v1.json" in names
    shipped_data = [p for sub in ("templates", "locale") for p in (PACKAGE / sub).rglob("*") if p.is_file()]
    assert any(p.suffix == ".mo" for p in shipped_data), "compiled translations are part of the package"
    assert any(p.suffix == ".html" for p in shipped_data), "bundle templates are part of the package"
    assert "safety_workflow/templates/safety_workflow/bundles/bundle.css" in names
    for path in shipped_data:
        assert str(path.relative_to(ROOT)) in names, path
    assert not [n for n in names if n.startswith(("tests/", "example_project/", "bench/"))]
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "License-Expression: AGPL-3.0-or-later" in text or "License: AGPL-3.0-or-later" in text
    assert "Requires-Python: >=3.11" in text
    assert "Provides-Extra: pdf" in text and "Provides-Extra: rq" in text
    assert "Requires-Dist: django-tasks-db>=0.13" in text and "Requires-Dist: django-tasks>=0.12" in text


def test_wheel_installs_and_a_minimal_host_passes_check(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True, timeout=600,
                   capture_output=True)
    host = tmp_path / "host"
    host.mkdir()
    (host / "minimal_host.py").write_text(textwrap.dedent("""
        import os
        SECRET_KEY = "x"
        INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "rest_framework",
                          "django_filters", "drf_spectacular", "guardian", "viewflow.workflow", "django_tasks_db",
                          "safety_workflow"]
        # The documented default: the task queue in the database (without TASKS, tasks run in the request).
        if not os.environ.get("NO_TASKS"):
            TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
        AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend",
                                   "guardian.backends.ObjectPermissionBackend"]
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
        ROOT_URLCONF = "minimal_urls"
        USE_TZ = True
        # The wheel is installed without the pdf extra: a council without WeasyPrint turns PDF export off.
        SAFETY_WORKFLOW = {"PDF_EXPORT": False}
    """))
    (host / "minimal_urls.py").write_text(
        'from django.urls import include, path\n'
        'urlpatterns = [path("api/safety/", include("safety_workflow.api.urls"))]\n'
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "minimal_host", "PYTHONPATH": str(host)}
    result = subprocess.run([str(python), "-m", "django", "check"], cwd=host, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    # The wheel is installed without the "ocr" extra: the one thing said is that images cannot be read.
    issues = re.findall(r"\((safety_workflow\.\w+|[\w.]+\.[EW]\d+)\)", result.stdout + result.stderr)
    assert issues == ["safety_workflow.W004"], result.stdout + result.stderr
    assert "pytesseract is not installed" in result.stderr
    warned = subprocess.run([str(python), "-m", "django", "check"], cwd=host, env={**env, "NO_TASKS": "1"},
                            capture_output=True, text=True, timeout=120)
    assert warned.returncode == 0 and "safety_workflow.W002" in warned.stdout + warned.stderr
    migrate = subprocess.run([str(python), "-m", "django", "migrate", "--noinput"], cwd=host, env=env,
                             capture_output=True, text=True, timeout=300)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
