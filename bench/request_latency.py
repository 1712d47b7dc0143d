"""Benchmark: how long `POST bundles/` takes for a 500-page bundle while real workers build, per task engine.

    .venv/bin/python bench/request_latency.py                          # the database queue, then RQ on Redis
    .venv/bin/python bench/request_latency.py --engines database       # one engine
    .venv/bin/python bench/request_latency.py --engines immediate --requests 2   # tasks run in the request

For each engine it makes a fresh example-host database (SQLite by default, the example host's default; or
DATABASE_URL, which it empties first: never point it at a database you need), with the case of
``bundle_build.py`` (200 incidents, 100 exhibits; 2 pages per PDF exhibit give a bundle of about 530
pages), then starts the example host exactly as `make demo` does
(``manage.py serve_demo``: runserver, a worker per queue, the scheduler) with TASK_ENGINE set:

- ``database``: the example host's default, django-tasks-db and its ``db_worker``;
- ``rq``: django-tasks-rq, RQ's ``rqworker`` on the Redis at REDIS_URL (default database 12);
- ``immediate``: no worker, the task runs in the request (what the suite's tests use), for comparison.

It then signs in as the legal officer (a session cookie, as a council's single sign-on would give), sends
``--requests`` requests to ``POST bundles/`` one after another (each queues a new build of the same case),
and the same number of ``GET police-contacts/`` (a trivial endpoint: one small query), and reports the
median, p95 and maximum of each, their ratio, and how long the first bundle took to be ready after its
request (the workers build the queued bundles one after another; the rest are not waited for).
Raw results go to bench/results/. Nothing here is a test; the numbers in bench/README.md come from it.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "example_project")
sys.path[:0] = [ROOT, EXAMPLE, os.path.join(ROOT, "bench")]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))  # nearest rank
    return ordered[index]


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "median_ms": round(statistics.median(values) * 1000, 1),
            "p95_ms": round(percentile(values, 0.95) * 1000, 1), "max_ms": round(max(values) * 1000, 1)}


def prepare(env: dict[str, str], pages_per_pdf: int) -> dict:
    """In a child process with the example host's settings: migrate, make the case, open a session."""
    code = f"""
import json, os, sys
sys.path[:0] = {[ROOT, EXAMPLE, os.path.join(ROOT, "bench")]!r}
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "council_host.settings")
import django; django.setup()
from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
import bundle_build
from django.conf import settings
from django.core.management import call_command
if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    assert settings.DATABASES["default"]["NAME"] not in ("test", "postgres"), "refusing to empty a shared database"
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)  # a database of the bench's own: emptied first
info = bundle_build.setup("", 200, 100, {pages_per_pdf})
user = get_user_model().objects.get(pk=info["legal"])
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
info["session"] = session.session_key
print("RESULT " + json.dumps(info))
"""
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         timeout=1800, cwd=EXAMPLE)
    return json.loads(next(line[7:] for line in out.stdout.splitlines() if line.startswith("RESULT ")))


class Client:
    def __init__(self, port: int, session: str) -> None:
        self.base = f"http://127.0.0.1:{port}/api/safety/"
        self.csrf = secrets.token_hex(16)
        self.cookie = f"sessionid={session}; csrftoken={self.csrf}"

    def call(self, path: str, body: dict | None = None) -> tuple[int, dict, float]:
        request = urllib.request.Request(
            self.base + path, method="POST" if body is not None else "GET",
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json", "Cookie": self.cookie, "X-CSRFToken": self.csrf,
                     "Connection": "close"})
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=600) as response:
                payload, status = response.read(), response.status
        except urllib.error.HTTPError as error:
            payload, status = error.read(), error.code
        elapsed = time.perf_counter() - started
        return status, json.loads(payload or b"{}"), elapsed


def run_engine(engine: str, args: argparse.Namespace) -> dict:
    workdir = tempfile.mkdtemp(prefix=f"sw-latency-{engine}-")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "council_host.settings", "DJANGO_DEBUG": "0",
           "TASK_ENGINE": engine, "REDIS_URL": args.redis_url, "DEMO_MEDIA_ROOT": os.path.join(workdir, "media"),
           "DEMO_SENT_MAIL": os.path.join(workdir, "sent-mail")}
    env.setdefault("DATABASE_URL", f"sqlite:///{os.path.join(workdir, 'db.sqlite3')}")
    if engine == "rq":
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()  # the bench's own Redis database
    print(f"[{engine}] preparing the database in {workdir} ...", flush=True)
    info = prepare(env, args.pages_per_pdf)
    server = subprocess.Popen([sys.executable, os.path.join(EXAMPLE, "manage.py"), "serve_demo", "--addr",
                               f"127.0.0.1:{args.port}", "--noreload"], env=env, cwd=EXAMPLE,
                              stdout=open(os.path.join(workdir, "serve.log"), "w"), stderr=subprocess.STDOUT)
    client = Client(args.port, info["session"])
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if client.call("police-contacts/")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"the server did not start; see {workdir}/serve.log")
            time.sleep(0.2)
        for _ in range(3):  # warm up
            client.call("police-contacts/")
        trivial, posts, ids = [], [], []
        for _ in range(args.requests):
            status, _, elapsed = client.call("police-contacts/")
            assert status == 200, status
            trivial.append(elapsed)
            status, body, elapsed = client.call("bundles/", {"kind": "injunction", "scope": {"case": info["case"]}})
            assert status == 202, body
            posts.append(elapsed)
            ids.append((body["id"], body["status"], time.monotonic() - elapsed))
        first_id, _, first_sent = ids[0]
        progress_seen = []
        while True:
            status, body, _ = client.call(f"bundles/{first_id}/")
            if body["status"] == "running":
                progress_seen.append(body["progress"])
            if body["status"] in ("ready", "failed"):
                break
            time.sleep(0.5)
        ready_after = time.monotonic() - first_sent
        result = {
            "engine": engine, "database": env["DATABASE_URL"].split(":", 1)[0], "pages": body.get("page_count"),
            "first_bundle": body["status"], "first_bundle_ready_after_s": round(ready_after, 1),
            "progress_values_seen": sorted(set(progress_seen)),
            "statuses_answered": sorted({s for _, s, _ in ids}),
            "post_bundles": summary(posts), "get_trivial": summary(trivial),
            "p95_ratio": round(percentile(posts, 0.95) / percentile(trivial, 0.95), 2),
            "post_times_ms": [round(p * 1000, 1) for p in posts],
        }
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=120)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", nargs="+", default=["database", "rq"], choices=["database", "rq", "immediate"])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--pages-per-pdf", type=int, default=2)
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8111")))
    parser.add_argument("--keep", action="store_true", help="Keep each engine's database, storage and server log.")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"))
    args = parser.parse_args()
    results = []
    for engine in args.engines:
        result = run_engine(engine, args)
        results.append(result)
        print(json.dumps({k: v for k, v in result.items() if k != "post_times_ms"}, indent=2), flush=True)
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    path = os.path.join(ROOT, "bench", "results", f"request_latency-{time.strftime('%Y%m%d-%H%M%S')}.json")
    with open(path, "w") as handle:
        json.dump(results, handle, indent=2)
    print(f"raw results: {path}")


if __name__ == "__main__":
    main()
