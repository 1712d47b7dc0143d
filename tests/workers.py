"""Worker processes for the tests that need real ones: ``python -m django <command>`` with the suite's settings, on
the test database and the test's storage, stopped at the end of the test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
ON_POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]


def database_url() -> str:
    params = connection.settings_dict
    user = params.get("USER") or "postgres"
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    host, port = params.get("HOST") or "127.0.0.1", params.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


def start(*args: str, **env: str) -> subprocess.Popen:
    """``python -m django <args>`` with the suite's settings, on the test database and the test's storage."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "SW_TEST_MEDIA_ROOT": settings.MEDIA_ROOT,
                   "PYTHONPATH": str(ROOT), **env}
    if ON_POSTGRES:
        environment["DATABASE_URL"] = database_url()
    return subprocess.Popen([sys.executable, "-m", "django", *args], cwd=ROOT, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> str:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    try:
        out, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate()
    return out.decode(errors="replace")


@pytest.fixture
def workers():
    started: list[subprocess.Popen] = []

    def run(*args: str, **env: str) -> subprocess.Popen:
        started.append(start(*args, **env))
        return started[-1]

    yield run
    for process in started:
        stop(process, signal.SIGKILL)


def db_worker(workers, **env: str) -> subprocess.Popen:
    """django-tasks-db's worker on every queue, polling every 0.1 s (``env``: more SW_TEST_* settings)."""
    return workers("db_worker", "--backend", "database", "--queue-name", "*", "--interval", "0.1",
                   "--no-startup-delay", "--no-reload", SW_TEST_TASK_BACKEND="database", **env)


def wait_for(predicate, *, timeout: float, what: str, worker: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if worker is not None and worker.poll() is not None:
            raise AssertionError(f"the worker exited while waiting for {what}:\n{stop(worker)}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
