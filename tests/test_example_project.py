"""The example host from a clean database: migrate, load the demo, walk one case of each route, build the
schema. This is what `make demo` runs before it serves the project."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from typing import Any

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


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo's database after `make demo`'s first three steps, with its storage and mail in a temporary folder."""
    pytest.importorskip("weasyprint", reason="the example host installs the pdf extra (tox's base env does not)")
    folder = tmp_path_factory.mktemp("demo")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'demo.sqlite3'}",
           "DEMO_MEDIA_ROOT": str(folder / "media"), "DEMO_SENT_MAIL": str(folder / "sent-mail")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    manage("migrate", "--noinput", "-v0", env=env)
    loaded = manage("load_demo", env=env)
    walked = manage("walk_demo_cases", env=env)
    return SimpleNamespace(env=env, folder=folder, loaded=loaded, walked=walked)


def test_demo_walks_every_route_and_serves_a_valid_schema(demo):
    env, loaded, walked = demo.env, demo.loaded, demo.walked
    assert "5 new incident(s)" in loaded and "frontline" in loaded
    assert walked.count("ended closed") == 4, walked
    for route in ("low:", "medium:", "serious:", "immediate danger:"):
        assert route in walked
    assert "approved and notified" in walked and "born 17/04/1962: match" in walked
    assert "Meet only at a named office (Civic Centre reception)" in walked
    manage("check", "--deploy", "--fail-level", "ERROR", env={**env, "DJANGO_DEBUG": "0"})
    schema = manage("spectacular", "--validate", env=env)
    assert "/api/safety/tasks/{id}/complete/" in schema and "/api/safety/incidents/" in schema


_TOKENS: dict[tuple[int, str], str] = {}


def token(port: int, user: str) -> str:
    """A token for a demo user, as an integrator gets one: HTTP Basic once, at ``POST /api/auth/token/``."""
    if (port, user) not in _TOKENS:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/auth/token/", method="POST", data=b"",
                                         headers={"Authorization": "Basic " + base64.b64encode(
                                             f"{user}:{user}-demo".encode()).decode()})
        with urllib.request.urlopen(request, timeout=30) as response:
            _TOKENS[(port, user)] = json.loads(response.read())["token"]
    return _TOKENS[(port, user)]


def api(port: int, path: str, body: dict | None = None, user: str = "legal") -> tuple[int, Any]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/safety/{path}", method="POST" if body else "GET",
                                     data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Token {token(port, user)}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            kind = response.headers.get("Content-Type", "")
            return response.status, (json.loads(raw) if "json" in kind else raw)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.mark.timeout(300)
def test_the_demo_serves_with_its_workers_and_stops_them_with_the_server(demo):
    """`make demo`: the server answers 202 "queued" at once, a worker process builds the bundle on the demo's
    SQLite file, the queued notices are sent by the other worker, and Ctrl-C stops every process."""
    port = int(os.environ.get("SW_TEST_DEMO_PORT", "8112"))
    server = subprocess.Popen([sys.executable, str(ROOT / "example_project" / "manage.py"), "serve_demo",
                               "--addr", f"127.0.0.1:{port}", "--noreload"], env=demo.env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(server.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, cases = api(port, "cases/?route=council_action")
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline and server.poll() is None, "".join(output)
                time.sleep(0.2)
        assert status == 200
        case = next(c for c in cases["results"] if c["route"] == "council_action")
        started = time.perf_counter()
        status, bundle = api(port, "bundles/", {"kind": "injunction", "scope": {"case": case["id"]}})
        assert time.perf_counter() - started < 1.0
        assert status == 202 and bundle["status"] == "queued", bundle
        deadline = time.monotonic() + 180
        while bundle["status"] not in ("ready", "failed"):
            assert time.monotonic() < deadline, ("".join(output), bundle)
            time.sleep(0.2)
            status, bundle = api(port, f"bundles/{bundle['id']}/")
        assert bundle["status"] == "ready", bundle["error"]
        status, pdf = api(port, f"bundles/{bundle['id']}/download/")
        assert status == 200 and pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == bundle["sha256"]
        deadline = time.monotonic() + 30
        while not list((demo.folder / "sent-mail").glob("*.log")):  # the walk's notices, sent by the worker
            assert time.monotonic() < deadline, "".join(output)
            time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl-C
        server.wait(timeout=60)
        reader.join(timeout=10)
    text = "".join(output)
    pids = [int(pid) for pid in re.findall(r"started \S+ \(pid (\d+)\)", text)]
    assert len(pids) == 4, text  # server, a worker per queue, scheduler
    for pid in pids:  # each was a process group of its own: nothing of it is left
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)
    assert "stopped worker:bundles" in text and "stopped scheduler" in text
