"""What each request of the mixed load costs (issue 17), in-process, against the trivial request.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sw_i17 .venv/bin/python bench/api_kinds.py
    ... bench/api_kinds.py --rounds 60

The requests of ``api_cost.py``'s mixed load (a register check, a councillor's report, a page of incidents, of
cases and of tasks, a case's detail) and its trivial one (``GET police-contacts/``), each through the example
host's whole stack (its middleware, knox token auth: Django's test ``Client``, no HTTP server), on the world
``api_cost.py`` builds (it empties the database in DATABASE_URL) with 40 low-route cases driven through the API
and 20 open ones. The kinds are taken in turn, round after round, so that each meets the same load on a shared
machine. For each kind: the median wall-clock milliseconds, the median CPU milliseconds of this process (the
Python side: what the database does is not in it), their ratios to the trivial request, and the statements
(Django's ``CaptureQueriesContext``, ``BEGIN`` and ``COMMIT`` included). Last, the mix's weighted average
(checks 40 %, reports 10 %, each list 10 %, details 20 %) against the trivial request: the mixed load's
throughput can reach 0.6 of the trivial endpoint's only when this average is within about 1.7 times it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "example_project"), os.path.join(ROOT, "bench")]

MIX = {"check": 0.4, "report": 0.1, "list incidents": 0.1, "list cases": 0.1, "list tasks": 0.1, "detail": 0.2}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40, help="requests of each kind")
    args = parser.parse_args()
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "council_host.settings")
    import api_cost

    api_cost.ensure_database()
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from safety_workflow.models import Case

    world = api_cost.World(60)
    driver = api_cost.ApiDriver(world, api_cost.in_process_request(world))
    for n in range(40):
        driver.case(n)
    client = Client()

    def request(user, method: str, path: str, body) -> int:
        headers = {"HTTP_AUTHORIZATION": f"Token {world.tokens[user.pk]}"}
        if method == "GET":
            return client.get(api_cost.API + path, **headers).status_code
        return client.post(api_cost.API + path, json.dumps(body), content_type="application/json",
                           **headers).status_code

    for n in range(20):
        request(world.councillors[n % 8], "POST", "incidents/", api_cost.report_body(n))
    case_ids = list(Case.objects.values_list("pk", flat=True)[:200])
    rng = random.Random(17)
    today = dt.date.today().isoformat()
    checks = iter(range(10**9))

    def check() -> tuple:
        n = next(checks)
        name, dob = rng.choice(world.names)
        body = {"name": name if rng.random() < 0.5 else f"Someone Unknown {n}", "meeting_date": today,
                "purpose": "Ward surgery"}
        if rng.random() < 0.7:
            body["date_of_birth"] = dob.isoformat()
        # Each frontline user stays under the hourly limit (30 checks).
        return world.frontline[n % len(world.frontline)], "POST", "register/check/", body

    kinds = {
        "trivial": lambda: (world.members, "GET", "police-contacts/", None),
        "check": check,
        "report": lambda: (world.councillors[rng.randrange(8)], "POST", "incidents/",
                           api_cost.report_body(rng.randrange(50))),
        "list incidents": lambda: (world.members, "GET", "incidents/", None),
        "list cases": lambda: (world.members, "GET", "cases/", None),
        "list tasks": lambda: (world.members, "GET", "tasks/", None),
        "detail": lambda: (world.members, "GET", f"cases/{rng.choice(case_ids)}/", None),
    }
    statements = {}
    for name, make in kinds.items():
        for _ in range(3):  # warm-up
            status = request(*make())
            assert 200 <= status < 300, (name, status)
        with CaptureQueriesContext(connection) as ctx:
            request(*make())
        statements[name] = len(ctx.captured_queries)
    wall: dict[str, list[float]] = {name: [] for name in kinds}
    cpu: dict[str, list[float]] = {name: [] for name in kinds}
    for _ in range(args.rounds):
        for name, make in kinds.items():
            call = make()
            started, cpu_started = time.perf_counter(), time.thread_time()
            request(*call)
            wall[name].append((time.perf_counter() - started) * 1000)
            cpu[name].append((time.thread_time() - cpu_started) * 1000)
    median = {name: (statistics.median(wall[name]), statistics.median(cpu[name])) for name in kinds}
    trivial_wall, trivial_cpu = median["trivial"]
    print(f"{args.rounds} rounds, load average {os.getloadavg()[0]:.1f}")
    print("| request | ms | x trivial | CPU ms | x trivial | statements |\n| --- | ---: | ---: | ---: | ---: | ---: |")
    for name in kinds:
        ms, cpu_ms = median[name]
        print(f"| {name} | {ms:.1f} | {ms / trivial_wall:.2f} | {cpu_ms:.1f} | {cpu_ms / trivial_cpu:.2f} | "
              f"{statements[name]} |")
    mix_wall = sum(median[name][0] * weight for name, weight in MIX.items())
    mix_cpu = sum(median[name][1] * weight for name, weight in MIX.items())
    print(f"| **the mix, weighted** | {mix_wall:.1f} | {mix_wall / trivial_wall:.2f} | {mix_cpu:.1f} | "
          f"{mix_cpu / trivial_cpu:.2f} | |")


if __name__ == "__main__":
    main()
