"""Benchmark: the incident trend report (reports/trends/) and the election comparison (reports/elections/) over
1,000, 10,000 and 100,000 incidents on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/swbench6 .venv/bin/python bench/trend_report.py

Creates the database if it is missing, migrates it, EMPTIES IT (flush), then bulk-inserts a council's
history in steps (cases of about five incidents, a subject per case, assessments covering them, some
re-assessed later) and, at each size, times the trend report (the median of repeated runs after a
warm-up) and counts its queries, for the selector alone and through the API. Never run as a test:
it is not under ``tests/`` and it wipes the database it is pointed at. Results are also written to
``bench/results/trend_report.json`` (ignored by git).
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

SIZES = (1_000, 10_000, 100_000)
INCIDENTS_PER_CASE = 5
WARDS = [f"Ward {n:02d}" for n in range(1, 31)] + [""]
CHANNELS = ["email"] * 5 + ["social_media"] * 4 + ["phone"] * 2 + ["letter", "in_person", "surgery",
                                                                      "online_meeting", "at_home"]
LEVELS = ["low"] * 6 + ["medium"] * 3 + ["serious"]
HISTORY_DAYS = 3 * 365


def ensure_database(url: str) -> None:
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("Point DATABASE_URL at PostgreSQL (e.g. postgres://postgres@127.0.0.1:5432/swbench6).")
    name = config["NAME"]
    if name in ("test", "postgres", "template0", "template1"):
        sys.exit(f"Refusing to flush the shared database {name!r}: use a database of your own.")
    with psycopg.connect(host=config["HOST"] or "127.0.0.1", port=config["PORT"] or 5432,
                         user=config["USER"] or "postgres", password=config["PASSWORD"] or None,
                         dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


class History:
    """Inserts incidents in bulk, continuing the same council's history each time."""

    def __init__(self, seed: int = 6) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.core.management import call_command

        from safety_workflow.conf import app_settings
        from safety_workflow.models import DecisionTable

        self.random = random.Random(seed)
        call_command("loaddata", "safety_workflow_decision_table_v1", verbosity=0)
        self.table = DecisionTable.objects.get(version=1)
        User = get_user_model()

        def user(email: str, role: str):
            person = User.objects.create_user(email=email, password=None, display_name=email.split("@")[0])
            for name in app_settings.ROLES[role]:
                person.groups.add(Group.objects.get_or_create(name=name)[0])
            return person

        from safety_workflow.models import ElectionPeriod, ProtectedPerson

        self.councillors = [user(f"cllr{n:02d}@council.example", "councillor") for n in range(60)]
        # The people harmed: the councillors, and (one incident in five) candidates, household members,
        # supporters and staff, none with an account.
        self.people = [ProtectedPerson.objects.create(kind="councillor", user=u) for u in self.councillors]
        self.others = [ProtectedPerson.objects.create(kind=kind, full_name=f"{kind} {n}")
                       for kind in ("candidate", "household", "supporter", "staff") for n in range(15)]
        # One election a year, each with a five-week period before polling day and the count after it.
        self.elections = [ElectionPeriod.objects.create(
            name=f"Elections {year}", poll_date=dt.date(year, 5, 2), starts_on=dt.date(year, 3, 27),
            ends_on=dt.date(year, 5, 3)) for year in (2023, 2024, 2025)]
        self.members = user("members@council.example", "members_services")
        self.assessor = user("hs@council.example", "health_and_safety")
        self.monitoring = user("mo@council.example", "monitoring_officer")
        self.incidents = 0
        self.cases = 0
        self.start = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)

    def grow(self, total: int) -> None:
        from viewflow.workflow.models import Process

        from safety_workflow.flows import IncidentFlow
        from safety_workflow.models import Assessment, Case, Incident, Subject

        rnd = self.random
        while self.incidents < total:
            batch = min(5_000, total - self.incidents)
            count = -(-batch // INCIDENTS_PER_CASE)
            subjects = Subject.objects.bulk_create(
                [Subject(full_name=f"Subject {self.cases + n}") for n in range(count)], batch_size=2_000)
            processes = Process.objects.bulk_create(
                [Process(flow_class=IncidentFlow, status="NEW") for _ in range(count)], batch_size=2_000)
            cases = [
                Case(process_ptr_id=p.pk, flow_class=IncidentFlow, status="NEW", created=p.created,
                     reference=f"B-{self.cases + n:07d}", subject=s, state="open")
                for n, (p, s) in enumerate(zip(processes, subjects, strict=True))
            ]
            # bulk_create refuses multi-table inheritance: insert the child rows directly.
            Case.objects._insert(cases, fields=Case._meta.local_concrete_fields)
            incidents = []
            for case in cases:
                first = self.start + dt.timedelta(minutes=rnd.randrange(HISTORY_DAYS * 24 * 60))
                councillor = rnd.choice(self.councillors)
                harmed = self.people[self.councillors.index(councillor)]
                for k in range(INCIDENTS_PER_CASE):
                    if len(incidents) >= batch:
                        break
                    occurred = first + dt.timedelta(days=k * rnd.randint(1, 20))
                    person = (harmed if rnd.random() < 0.7 else rnd.choice(self.people) if rnd.random() < 0.33
                              else rnd.choice(self.others))
                    period = next((e for e in self.elections if e.starts_on <= occurred.date() <= e.ends_on), None)
                    incidents.append(Incident(
                        reference=f"{case.reference}-{k + 1:02d}", case_id=case.pk, subject_id=case.subject_id,
                        reported_by=councillor, protected_person=person, person_kind=person.kind,
                        election_period=period, occurred_at=occurred,
                        reported_at=occurred + dt.timedelta(hours=rnd.randint(1, 72)),
                        channel=rnd.choice(CHANNELS), ward=rnd.choice(WARDS), account="Benchmark incident.",
                    ))
            Incident.objects.bulk_create(incidents, batch_size=5_000)
            by_case: dict[int, list[Incident]] = {}
            for incident in incidents:
                by_case.setdefault(incident.case_id, []).append(incident)
            # Four cases in five are assessed; a third of those are re-assessed later at the same or a higher level.
            assessments, covered = [], []
            for case in cases:
                items = by_case.get(case.pk, [])
                if not items or rnd.random() < 0.2:
                    continue
                level = rnd.choice(LEVELS)
                rounds = [level] + ([max(level, rnd.choice(LEVELS), key=["low", "medium", "serious"].index)]
                                    if rnd.random() < 0.33 else [])
                for n, lvl in enumerate(rounds):
                    assessment = Assessment(
                        case_id=case.pk, decision_table=self.table, answers={}, computed_level=lvl, level=lvl,
                        route={"low": "advice", "medium": "council_action", "serious": "police"}[lvl],
                        assessed_by=self.assessor,
                        assessed_at=items[-1].occurred_at + dt.timedelta(days=1 + 10 * n),
                    )
                    assessments.append(assessment)
                    # A re-assessment follows a later incident: the first round covered all but the last.
                    first_round_only = n == 0 and len(rounds) > 1
                    covered.append((assessment, items[: max(1, len(items) - 1)] if first_round_only else items))
            Assessment.objects.bulk_create(assessments, batch_size=5_000)
            Through = Assessment.incidents.through
            Through.objects.bulk_create(
                [Through(assessment_id=a.pk, incident_id=i.pk) for a, items in covered for i in items],
                batch_size=10_000)
            self.incidents += len(incidents)
            self.cases += count


def measure(history: History, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from safety_workflow.selectors.reports import Period, election_comparison, incident_trends

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    client = APIClient()
    client.force_authenticate(history.monitoring)
    year = Period(start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31))

    def timed(call) -> tuple[float, int, object]:
        call()  # warm-up
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            call()
            times.append(time.perf_counter() - began)
        with CaptureQueriesContext(connection) as queries:
            result = call()
        return statistics.median(times) * 1000, len(queries.captured_queries), result

    whole_ms, whole_queries, whole = timed(lambda: incident_trends(period=Period()))
    year_ms, year_queries, _ = timed(lambda: incident_trends(period=year))
    api_ms, api_queries, response = timed(lambda: client.get("/api/safety/reports/trends/"))
    election = history.elections[1]
    election_ms, election_queries, compared = timed(lambda: election_comparison(election=election))
    api_election_ms, api_election_queries, _ = timed(
        lambda: client.get("/api/safety/reports/elections/", {"election": election.pk}))
    assert response.status_code == 200 and response.json()["total"] == history.incidents
    assert whole["total"] == history.incidents
    return {
        "incidents": history.incidents, "cases": history.cases,
        "selector_whole_log_ms": round(whole_ms, 1), "selector_whole_log_queries": whole_queries,
        "selector_one_year_ms": round(year_ms, 1), "selector_one_year_queries": year_queries,
        "api_whole_log_ms": round(api_ms, 1), "api_queries": api_queries,
        "election_ms": round(election_ms, 1), "election_queries": election_queries,
        "api_election_ms": round(api_election_ms, 1), "api_election_queries": api_election_queries,
        "election_in_period": compared["in_period"], "election_rest_of_year": compared["rest_of_year"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per measurement (median reported)")
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        sys.exit(__doc__)
    ensure_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    version = connection.cursor().connection.info.server_version
    print(f"PostgreSQL {version // 10000}.{version % 10000}, database {connection.settings_dict['NAME']}")
    history = History()
    results = []
    for size in sorted(args.sizes):
        began = time.perf_counter()
        history.grow(size)
        built = time.perf_counter() - began
        row = measure(history, args.runs)
        row["insert_seconds"] = round(built, 1)
        results.append(row)
        print(f"{row['incidents']:>7} incidents: whole log {row['selector_whole_log_ms']:>7.1f} ms "
              f"({row['selector_whole_log_queries']} queries), one year {row['selector_one_year_ms']:>7.1f} ms "
              f"({row['selector_one_year_queries']} queries), API {row['api_whole_log_ms']:>7.1f} ms "
              f"({row['api_queries']} queries); election comparison {row['election_ms']:>6.1f} ms "
              f"({row['election_queries']} queries), API {row['api_election_ms']:>6.1f} ms "
              f"({row['api_election_queries']} queries; {row['election_in_period']} in the period, "
              f"{row['election_rest_of_year']} in the rest of the year); inserted in {built:.1f} s")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "trend_report.json").write_text(json.dumps({"runs": args.runs, "results": results}, indent=2))


if __name__ == "__main__":
    main()
