"""What the API costs on top of the work (issue 17): one low-route case four ways, and a mixed load.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sw_i17 .venv/bin/python bench/api_cost.py
    ... bench/api_cost.py --cases 30 --seconds 8 --users 10,25,50 --port 8170 --workers 2 --threads 4

Uses the example host's settings (``council_host.settings``, DEBUG off) on the PostgreSQL database in
DATABASE_URL, which it empties first (never point it at a database you need). One low-route case
(report -> triage -> assess -> advise -> close, the route every answer "no" gives) is driven, interleaved
case by case so that each meets the same load on a shared machine:

- ``http``: through gunicorn (the example host's ``gunicorn.conf.py``, started here), token auth, keep-alive,
  each completion's ``next_tasks`` giving the next task (one ``GET tasks/?case=&node=triage`` after the
  report: the councillor who reports cannot see the triage task);
- ``api``: the same requests to the DRF views in-process (``rest_framework.test.APIClient``, authenticated with
  ``force_authenticate``: the API layer without the host's authentication, which the HTTP line includes);
- ``services``: the package's services (``incident_report``, ``task_complete`` with the node's handler),
  with the data the input serializers would have produced;
- ``bare``: viewflow's activation API alone on the same flow (``IncidentFlow.start.run``, then
  ``assign``/``start``/``execute`` on each task, no handler, no permission check).

Per case: the median milliseconds and the SQL statements (Django's ``CaptureQueriesContext``: on PostgreSQL
these include ``BEGIN``/``COMMIT`` and savepoints), counted in separate passes from the timed ones.

Then a mixed load through the same gunicorn at each number of concurrent users (threads with a keep-alive
connection each, no think time): frontline register checks 40 %, reports by councillors 10 %, lists 30 %
(incidents/, cases/, tasks/), case details 20 %; and the same users against a trivial endpoint of the same
stack (``GET police-contacts/``: token auth, one small query). It prints requests per second, errors, p95
and the ratio of the package's throughput to the trivial endpoint's, all measured in this run. Raw results
go to bench/results/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "example_project")
sys.path[:0] = [ROOT, EXAMPLE]
API = "/api/safety/"
ACCOUNT = "An e-mail calling me a traitor and saying people like me should be taught a lesson."


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))]


def ensure_database() -> None:
    import dj_database_url
    import psycopg

    config = dj_database_url.config()
    if not config or "postgresql" not in config["ENGINE"]:
        sys.exit("Set DATABASE_URL to a PostgreSQL database of the benchmark's own, e.g. "
                 "postgres://postgres@127.0.0.1:5432/sw_bench")
    if config["NAME"] in ("test", "postgres"):
        sys.exit("Refusing to empty a shared database.")
    params = {"host": config["HOST"] or "127.0.0.1", "port": config["PORT"] or 5432, "user": config["USER"]}
    if config.get("PASSWORD"):
        params["password"] = config["PASSWORD"]
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{config["NAME"]}"')


class World:
    """Users of every role the case needs (with knox tokens), the shipped data, a register to check."""

    def __init__(self, users: int) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.core.management import call_command
        from knox.models import AuthToken

        from safety_workflow.models import AdviceTemplate, PoliceContact

        call_command("migrate", verbosity=0)
        call_command("flush", interactive=False, verbosity=0)
        call_command("loaddata", "safety_workflow_decision_table_v1", "safety_workflow_advice_templates",
                     verbosity=0)
        User = get_user_model()

        def user(email: str, group: str):
            u = User.objects.create(username=email, email=email, first_name=email.split("@")[0].title())
            u.groups.add(Group.objects.get_or_create(name=group)[0])
            return u

        self.members = user("members@bench.example", "Members Services")
        self.safety = user("hs@bench.example", "Health and Safety")
        self.police = user("police@bench.example", "Police Liaison")
        PoliceContact.objects.create(user=self.police, name="PC Bench", force="Bench Police",
                                     phone="01000 000000", email="police@bench.example")
        PoliceContact.objects.create(name="PC Second", force="Bench Police", phone="01000 000001")
        self.councillors = [user(f"cllr{n}@bench.example", "Councillors") for n in range(max(users, 8))]
        self.frontline = [user(f"front{n}@bench.example", "Frontline Staff") for n in range(4 * max(users, 8))]
        self.tokens = {u.pk: AuthToken.objects.create(u)[1]
                       for u in [self.members, self.safety, self.police, *self.councillors, *self.frontline]}
        self.template = AdviceTemplate.objects.filter(active=True, for_kinds=[]).order_by("code").first() or \
            AdviceTemplate.objects.filter(active=True).order_by("code").first()
        self._register()

    def _register(self) -> None:
        from django.utils import timezone

        from safety_workflow import matching
        from safety_workflow.models import RegisterEntry, RegisterMatchKey, Subject

        rng = random.Random(17)
        forenames = ["john", "mary", "david", "sarah", "james", "emma", "peter", "helen", "paul", "susan"]
        surnames = ["smith", "jones", "taylor", "brown", "wilson", "evans", "thomas", "roberts", "walker", "wright"]
        self.names = []
        for n in range(300):
            name = f"{rng.choice(forenames).title()} {rng.choice(surnames).title()} {n}"
            dob = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 50))
            subject = Subject.objects.create(full_name=name, date_of_birth=dob)
            profile, keys = matching.entry_profile(names=[name], date_of_birth=dob, addresses=[])
            entry = RegisterEntry.objects.create(
                reference=f"BENCH-{n:05d}", subject=subject, state=RegisterEntry.State.ACTIVE,
                reasons="Benchmark entry.", date_of_birth=dob, advice_contact_name="Health and Safety",
                advice_contact_phone="01484 000000", match_profile=profile, proposed_by=self.safety,
                review_due_on=timezone.localdate() + dt.timedelta(days=200))
            RegisterMatchKey.objects.bulk_create(RegisterMatchKey(entry=entry, key=k) for k in keys)
            self.names.append((name, dob))


def fresh(user) -> None:
    """The user as a request loads it: without the roles an earlier call kept on the object (``roles_for`` keeps
    them per user object, as Django keeps permissions), so each request or service call resolves them once."""
    user.__dict__.pop("_safety_workflow_roles", None)


# Four drivers of one case -------------------------------------------------------------------------------------
def report_body(n: int) -> dict:
    from django.utils import timezone

    return {"occurred_at": (timezone.now() - dt.timedelta(hours=3, minutes=n % 50)).isoformat(),
            "channel": "email", "account": ACCOUNT, "ward": "Riverside"}


def step_bodies(world: World) -> list[tuple[str, object, dict]]:
    from safety_workflow.models import DecisionTable

    table = DecisionTable.objects.filter(status="published").order_by("-version").first()
    no = {q.key: False for q in table.questions.all()}
    return [
        ("triage", world.members, {"notes": "Rude but no threat."}),
        ("assess", world.safety, {"answers": no}),
        ("advise", world.members, {"advice": [{"template": world.template.code}], "method": "email"}),
        ("close", world.members, {"outcome_summary": "We told you what we did and why.", "person_informed": True,
                                  "informed_by": "phone"}),
    ]


class ApiDriver:
    """The requests a client makes, through any ``request(user, method, path, body) -> (status, json)``."""

    def __init__(self, world: World, request) -> None:
        self.world, self.request = world, request
        self.steps = step_bodies(world)

    def case(self, n: int) -> None:
        cllr = self.world.councillors[n % len(self.world.councillors)]
        status, body = self.request(cllr, "POST", "incidents/", report_body(n))
        assert status == 201, body
        case_id = body["case"]["id"]
        status, page = self.request(self.world.members, "GET", f"tasks/?case={case_id}&node=triage", None)
        assert status == 200 and len(page["results"]) == 1, page
        task = page["results"][0]
        for i, (node, user, data) in enumerate(self.steps):
            assert task is not None and task["node"] == node, (task, node)
            status, body = self.request(user, "POST", f"tasks/{task['id']}/complete/", data)
            assert status == 200, body
            if i + 1 < len(self.steps):  # the answer names the next task: no look-up between steps
                following = self.steps[i + 1]
                task = next((t for t in body["next_tasks"] if t["node"] == following[0]), None)
                if task is None:  # an answer naming only the caller's own tasks (before issue 17): look it up
                    status, page = self.request(following[1], "GET", f"tasks/?case={case_id}&node={following[0]}",
                                                None)
                    assert status == 200 and len(page["results"]) == 1, page
                    task = page["results"][0]
        assert body["case"]["state"] == "closed", body["case"]


class ServiceDriver:
    def __init__(self, world: World) -> None:
        from safety_workflow.api.task_forms import TASK_INPUTS
        from safety_workflow.services.case_tasks import HANDLERS
        self.world = world
        self.steps = []
        for node, user, data in step_bodies(world):
            serializer = TASK_INPUTS[node](data=data)
            serializer.is_valid(raise_exception=True)
            self.steps.append((node, user, serializer.validated_data, HANDLERS[node]))

    def case(self, n: int) -> None:
        from django.utils import timezone
        from viewflow.workflow.models import Task

        from safety_workflow.flows import IncidentFlow
        from safety_workflow.services.incidents import incident_report
        from safety_workflow.services.tasks import task_complete

        cllr = self.world.councillors[n % len(self.world.councillors)]
        fresh(cllr)
        result = incident_report(reporter=cllr, occurred_at=timezone.now() - dt.timedelta(hours=3),
                                 channel="email", account=ACCOUNT, ward="Riverside")
        case_id = result.incident.case_id
        for node, user, data, handler in self.steps:
            task = Task.objects.get(process_id=case_id, flow_task=getattr(IncidentFlow, node), status="NEW")
            fresh(user)
            task_complete(task=task, user=user, data=data, handler=handler)


class BareDriver:
    """viewflow alone: the flow's start node and each human task's assign/start/execute, nothing else."""

    def __init__(self, world: World) -> None:
        self.world = world

    def case(self, n: int) -> None:
        from django.db import transaction
        from django.utils import timezone
        from viewflow.workflow.models import Task

        from safety_workflow.flows import IncidentFlow
        from safety_workflow.models import Incident
        from safety_workflow.services.people import protected_person_for_user

        cllr = self.world.councillors[n % len(self.world.councillors)]
        person = protected_person_for_user(cllr)
        incident = Incident(reported_by=cllr, protected_person=person, person_kind=person.kind,
                            occurred_at=timezone.now() - dt.timedelta(hours=3), channel="email",
                            account=ACCOUNT, ward="Riverside")
        with transaction.atomic():
            IncidentFlow.start.run(incident=incident)
        users = {"triage": self.world.members, "assess": self.world.safety, "advise": self.world.members,
                 "close": self.world.members}
        for node in ("triage", "assess", "advise", "close"):
            task = Task.objects.get(process_id=incident.case_id, flow_task=getattr(IncidentFlow, node),
                                    status="NEW")
            with task.activation() as activation:
                activation.assign(users[node])
                activation.start(None)
                activation.execute()


def in_process_request(world: World):
    from rest_framework.test import APIClient

    clients = {}

    def request(user, method: str, path: str, body):
        fresh(user)
        client = clients.get(user.pk)
        if client is None:  # the host's authentication is left out: HTTP measures it (token auth)
            client = clients[user.pk] = APIClient()
            client.force_authenticate(user=user)
        if method == "GET":
            response = client.get(API + path)
        else:
            response = client.post(API + path, body, format="json")
        return response.status_code, response.json()

    return request


class Http:
    """One keep-alive connection per user and thread."""

    def __init__(self, port: int, tokens: dict) -> None:
        self.port, self.tokens = port, tokens
        self.local = threading.local()

    def conn(self) -> http.client.HTTPConnection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        return conn

    def __call__(self, user, method: str, path: str, body):
        headers = {"Authorization": f"Token {self.tokens[getattr(user, 'pk', user)]}", "Host": "127.0.0.1"}
        payload = None
        if body is not None:
            payload = json.dumps(body)
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            conn = self.conn()
            try:
                conn.request(method, API + path, body=payload, headers=headers)
                response = conn.getresponse()
                data = response.read()
                break
            except (ConnectionError, http.client.HTTPException, OSError):
                conn.close()
                self.local.conn = None
                if attempt:
                    raise
        return response.status, (json.loads(data) if data else None)


def queries_of(fn) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


# gunicorn --------------------------------------------------------------------------------------------------
def start_gunicorn(port: int, workers: int, threads: int) -> subprocess.Popen:
    env = dict(os.environ, DJANGO_DEBUG="0", DJANGO_SETTINGS_MODULE="council_host.settings",
               PYTHONPATH=os.pathsep.join([ROOT, EXAMPLE]), GUNICORN_BIND=f"127.0.0.1:{port}")
    if workers:
        env["GUNICORN_WORKERS"] = str(workers)
    if threads:
        env["GUNICORN_THREADS"] = str(threads)
    process = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-c",
         os.path.join(EXAMPLE, "gunicorn.conf.py"), "council_host.wsgi:application"],
        env=env, cwd=EXAMPLE, stdout=subprocess.DEVNULL, stderr=open("/tmp/api_cost_gunicorn.log", "w"),
        start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", API + "police-contacts/")
            conn.getresponse().read()
            return process
        except OSError:
            time.sleep(0.3)
    stop(process)
    sys.exit("gunicorn did not start: see /tmp/api_cost_gunicorn.log")


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


# The mixed load ----------------------------------------------------------------------------------------------
def mixed_load(world: World, http: Http, users: int, seconds: float, trivial: bool, case_ids: list[int],
               offset: int = 0) -> dict:
    stop_at = time.perf_counter() + seconds
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    counts: dict[str, int] = {}
    today = dt.date.today().isoformat()

    def user_loop(k: int) -> None:
        rng = random.Random(k)
        # Each level of load has frontline users of its own, four to a thread in turn: a user's checks stay
        # under the hourly limit (30 by default).
        fronts = world.frontline[(offset + k) * 4:(offset + k) * 4 + 4]
        cllr = world.councillors[offset + k]
        n = 0
        while time.perf_counter() < stop_at:
            n += 1
            if trivial:
                kind, call = "trivial", (world.members, "GET", "police-contacts/", None)
            else:
                r = rng.random()
                if r < 0.4:
                    name, dob = rng.choice(world.names)
                    body = {"name": name if rng.random() < 0.5 else f"Someone Unknown {k} {n}",
                            "meeting_date": today, "purpose": "Ward surgery"}
                    if rng.random() < 0.7:
                        body["date_of_birth"] = dob.isoformat()
                    kind, call = "check", (fronts[n % 4], "POST", "register/check/", body)
                elif r < 0.5:
                    kind, call = "report", (cllr, "POST", "incidents/", report_body(n))
                elif r < 0.8:
                    path = rng.choice(["incidents/", "cases/", "tasks/"])
                    kind, call = "list", (world.members, "GET", path, None)
                else:
                    kind, call = "detail", (world.members, "GET", f"cases/{rng.choice(case_ids)}/", None)
            started = time.perf_counter()
            try:
                status, _body = http(*call)
                ok = 200 <= status < 300
            except Exception as exc:  # noqa: BLE001 - counted as an error
                status, ok = repr(exc), False
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                counts[kind] = counts.get(kind, 0) + 1
                if not ok:
                    errors.append(f"{kind} {status}")

    threads = [threading.Thread(target=user_loop, args=(k,)) for k in range(users)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {"users": users, "requests": len(latencies), "rps": len(latencies) / elapsed, "errors": len(errors),
            "error_kinds": sorted(set(errors))[:5], "p95_ms": percentile(latencies, 0.95) * 1000,
            "median_ms": statistics.median(latencies) * 1000, "kinds": counts}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=30, help="timed cases per driver")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each mixed-load run")
    parser.add_argument("--users", default="10,25,50")
    parser.add_argument("--port", type=int, default=8170)
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (0: the config's default)")
    parser.add_argument("--threads", type=int, default=0, help="gunicorn threads (0: the config's default)")
    args = parser.parse_args()
    user_levels = [int(u) for u in args.users.split(",") if u.strip() and int(u) > 0]

    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "council_host.settings")
    ensure_database()
    import django

    django.setup()
    from django.conf import settings

    assert not settings.DEBUG
    world = World(sum(user_levels) or 8)
    drivers = {"api": ApiDriver(world, in_process_request(world)), "services": ServiceDriver(world),
               "bare": BareDriver(world)}
    gunicorn = start_gunicorn(args.port, args.workers, args.threads)
    results: dict = {"date": time.strftime("%Y-%m-%d %H:%M"), "load_before": os.getloadavg()}
    try:
        http = Http(args.port, world.tokens)
        drivers["http"] = ApiDriver(world, http)
        order = ["http", "api", "services", "bare"]
        n = 0
        for name in list(order):  # warm-up: caches, connections, the flow's graph
            try:
                for _ in range(2):
                    drivers[name].case(n)
                    n += 1
            except Exception as exc:  # noqa: BLE001 - e.g. an older version of the package: say so, go on
                print(f"{name}: not run ({exc!r})")
                order.remove(name)
                n += 1
        statements = {}
        for name in [o for o in order if o != "http"]:
            counts = []
            for _ in range(3):
                counts.append(queries_of(lambda d=drivers[name], k=n: d.case(k)))
                n += 1
            statements[name] = counts
        times: dict[str, list[float]] = {name: [] for name in order}
        for _ in range(args.cases):
            for name in order:
                started = time.perf_counter()
                drivers[name].case(n)
                times[name].append(time.perf_counter() - started)
                n += 1
        per_step = step_statements(world, {k: v for k, v in drivers.items() if k in order}, n)
        n += 3
        table = {name: {"median_ms": statistics.median(t) * 1000, "p95_ms": percentile(t, 0.95) * 1000,
                        "statements": (statements.get(name) or [None])[-1]} for name, t in times.items() if t}
        results["case"] = table
        results["per_step"] = per_step
        print(f"\nOne low-route case (report -> triage -> assess -> advise -> close), {args.cases} cases each, "
              f"interleaved; load average {os.getloadavg()[0]:.1f}")
        print("| driven through | median ms | p95 ms | SQL statements |\n| --- | ---: | ---: | ---: |")
        labels = {"http": "HTTP (gunicorn, token auth)", "api": "DRF views in-process",
                  "services": "the package's services", "bare": "viewflow's activation API alone"}
        for name in order:
            row = table[name]
            print(f"| {labels[name]} | {row['median_ms']:.1f} | {row['p95_ms']:.1f} | "
                  f"{row['statements'] if row['statements'] is not None else '-'} |")
        ratios = {f"{a}/{b}": table[a]["median_ms"] / table[b]["median_ms"]
                  for a, b in (("api", "services"), ("services", "bare"), ("http", "api")) if a in table and b in table}
        results["ratios"] = ratios
        print("ratios (median time): " + ", ".join(f"{k} {v:.2f}" for k, v in ratios.items()))
        print("statements per step: " + "; ".join(
            f"{step}: " + ", ".join(f"{d} {c}" for d, c in row.items()) for step, row in per_step.items()))

        from safety_workflow.models import Case

        case_ids = list(Case.objects.values_list("pk", flat=True)[:200])
        load = []
        print("\nMixed load (checks 40 %, reports 10 %, lists 30 %, case details 20 %) against "
              "GET police-contacts/, same gunicorn")
        print("| users | package req/s | errors | p95 ms | trivial req/s | errors | p95 ms | ratio |\n"
              "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        offset = 0
        for users in user_levels:
            trivial = mixed_load(world, http, users, args.seconds, True, case_ids, offset)
            package = mixed_load(world, http, users, args.seconds, False, case_ids, offset)
            offset += users
            ratio = package["rps"] / trivial["rps"]
            load.append({"package": package, "trivial": trivial, "ratio": ratio,
                         "load": os.getloadavg()[0]})
            print(f"| {users} | {package['rps']:.1f} | {package['errors']} | {package['p95_ms']:.0f} | "
                  f"{trivial['rps']:.1f} | {trivial['errors']} | {trivial['p95_ms']:.0f} | {ratio:.2f} |"
                  + (f" {package['error_kinds']}" if package["errors"] else ""))
        results["mixed"] = load
        results["load_after"] = os.getloadavg()
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        stop(gunicorn)
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", f"api_cost-{time.strftime('%Y%m%d-%H%M%S')}.json"),
              "w") as out:
        json.dump(results, out, indent=1, default=str)


def step_statements(world: World, drivers: dict, n: int) -> dict:
    """Statements of each step of one case, per driver (the report, then each completion)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rows: dict[str, dict[str, int]] = {}
    for name in [d for d in ("api", "services", "bare") if d in drivers]:
        with CaptureQueriesContext(connection) as ctx:
            marks = []
            original = getattr(drivers[name], "request", None)
            if original is not None:
                nodes = iter(["triage", "assess", "advise", "close"])

                def request(user, method, path, body, original=original, nodes=nodes, marks=marks, ctx=ctx):
                    result = original(user, method, path, body)
                    label = ("POST incidents" if path.startswith("incidents") else "look-up" if method == "GET"
                             else f"complete {next(nodes)}")
                    marks.append((label, len(ctx.captured_queries)))
                    return result
                drivers[name].request = request
                drivers[name].case(n)
                drivers[name].request = original
            else:
                _stepwise(drivers[name], n, ctx, marks)
            n += 1
        last = 0
        for label, count in marks:
            rows.setdefault(label, {})[name] = count - last
            last = count
    return rows


def _stepwise(driver, n: int, ctx, marks: list) -> None:
    """Run a service or bare case marking the statements after each step."""
    from django.db import transaction
    from django.utils import timezone
    from viewflow.workflow.models import Task

    from safety_workflow.flows import IncidentFlow
    from safety_workflow.models import Incident
    from safety_workflow.services.incidents import incident_report
    from safety_workflow.services.people import protected_person_for_user
    from safety_workflow.services.tasks import task_complete

    world = driver.world
    cllr = world.councillors[n % len(world.councillors)]
    if isinstance(driver, ServiceDriver):
        fresh(cllr)
        case_id = incident_report(reporter=cllr, occurred_at=timezone.now() - dt.timedelta(hours=3),
                                  channel="email", account=ACCOUNT, ward="Riverside").incident.case_id
    else:
        person = protected_person_for_user(cllr)
        incident = Incident(reported_by=cllr, protected_person=person, person_kind=person.kind,
                            occurred_at=timezone.now() - dt.timedelta(hours=3), channel="email", account=ACCOUNT,
                            ward="Riverside")
        with transaction.atomic():
            IncidentFlow.start.run(incident=incident)
        case_id = incident.case_id
    marks.append(("POST incidents", len(ctx.captured_queries)))
    users = {"triage": world.members, "assess": world.safety, "advise": world.members, "close": world.members}
    steps = driver.steps if isinstance(driver, ServiceDriver) else [(n_, users[n_], None, None) for n_ in users]
    for node, user, data, handler in steps:
        task = Task.objects.get(process_id=case_id, flow_task=getattr(IncidentFlow, node), status="NEW")
        if handler is not None:
            fresh(user)
            task_complete(task=task, user=user, data=data, handler=handler)
        else:
            with task.activation() as activation:
                activation.assign(user)
                activation.start(None)
                activation.execute()
        marks.append((f"complete {node}", len(ctx.captured_queries)))


if __name__ == "__main__":
    main()
