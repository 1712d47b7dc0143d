"""Benchmark of the register check on PostgreSQL at 1,000, 10,000 and 50,000 entries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/swbench .venv/bin/python bench/register_check.py

Creates the database if it is missing, migrates it, empties the register tables, then grows the
register in steps. At each size it measures, for four kinds of check (a match, a namesake with
another date of birth, a name without date of birth, an unknown name):

- the number of SQL queries per check (Django's CaptureQueriesContext), through the service
  and through the HTTP API;
- the time per check (median and 95th percentile), through the service and through HTTP;
- beside it, the time of a single indexed look-up of the same entry row (by primary key).

``BENCH_SIZES=1000,50000`` chooses the sizes. Never run as a test. Results go to stdout;
bench/README.md records the numbers measured.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "1000,10000,50000").split(","))
CHECKS_PER_KIND = 100
USERS = 40  # checks rotate over users so that no one's hourly count grows much past a real limit (30)
SEED = 20260101

FORENAMES = [
    "john", "david", "michael", "paul", "andrew", "mark", "james", "peter", "richard", "stephen", "robert",
    "christopher", "ian", "gary", "steven", "anthony", "simon", "kevin", "thomas", "martin", "daniel", "matthew",
    "william", "jason", "lee", "neil", "graham", "alan", "colin", "keith", "brian", "philip", "stuart", "craig",
    "darren", "wayne", "dean", "carl", "shaun", "sean", "mohammed", "muhammad", "ahmed", "ali", "imran", "tariq",
    "asif", "bilal", "hassan", "omar", "jonathan", "jon", "nicholas", "timothy", "patrick", "edward", "george",
    "jack", "harry", "oliver", "charlie", "liam", "ryan", "jamie", "adam", "luke", "scott", "ben", "sam",
    "mary", "susan", "margaret", "sarah", "karen", "julie", "helen", "lisa", "claire", "catherine", "katherine",
    "kathryn", "elizabeth", "emma", "rachel", "nicola", "joanne", "jane", "amanda", "louise", "michelle",
    "angela", "deborah", "tracy", "donna", "kelly", "jennifer", "laura", "hannah", "rebecca", "gemma", "amy",
    "fatima", "aisha", "zainab", "maryam", "siobhan", "niamh", "bethan", "rhian", "sian", "ffion", "megan",
    "chloe", "sophie", "jessica", "lucy", "olivia", "emily", "charlotte", "grace", "ellie", "zoe",
]
SURNAMES = [
    "smith", "jones", "williams", "taylor", "brown", "davies", "evans", "wilson", "thomas", "johnson", "roberts",
    "robinson", "thompson", "wright", "walker", "white", "edwards", "hughes", "green", "hall", "lewis", "harris",
    "clarke", "patel", "jackson", "wood", "turner", "martin", "cooper", "hill", "ward", "morris", "moore",
    "clark", "lee", "king", "baker", "harrison", "morgan", "allen", "james", "scott", "phillips", "watson",
    "davis", "parker", "price", "bennett", "young", "griffiths", "mitchell", "kelly", "cook", "carter",
    "richardson", "bailey", "collins", "bell", "shaw", "murphy", "miller", "cox", "richards", "khan", "marshall",
    "anderson", "simpson", "ellis", "adams", "singh", "begum", "wilkinson", "foster", "chapman", "powell",
    "webb", "rogers", "gray", "mason", "ali", "hunt", "hussain", "campbell", "matthews", "owen", "palmer",
    "holmes", "mills", "barnes", "knight", "lloyd", "butler", "russell", "barker", "fisher", "stevens", "jenkins",
    "murray", "dixon", "harvey", "graham", "pearson", "ahmed", "fletcher", "walsh", "kaur", "gibson", "howard",
    "andrews", "stewart", "elliott", "reynolds", "saunders", "payne", "fox", "ford", "pearce", "day", "brooks",
    "west", "lawrence", "cole", "atkinson", "bradley", "spencer", "gill", "dawson", "ball", "burton", "obrien",
    "watts", "rose", "booth", "perry", "ryan", "grant", "wells", "armstrong", "francis", "rees", "hayes", "hart",
    "hudson", "newman", "barrett", "webster", "hunter", "gregory", "carr", "lowe", "page", "marsh", "riley",
    "dunn", "woods", "parsons", "berry", "stone", "reid", "holland", "hawkins", "harding", "porter", "robertson",
    "newton", "oliver", "reed", "kennedy", "williamson", "bird", "gardner", "shah", "dean", "lane", "cooke",
    "bates", "henderson", "parry", "burgess", "bishop", "walton", "burns", "nicholson", "shepherd", "ross",
    "cross", "long", "freeman", "warren", "nicholls", "hamilton", "byrne", "sutton", "mcdonald", "yates",
    "hodgson", "robson", "curtis", "hopkins", "oconnor", "harper", "coleman", "watkins", "moss", "mccarthy",
    "chambers", "obrien-smith", "smith-jones", "van-der-berg", "alvarez-garcia", "macdonald", "macleod",
]
OUTWARD = ["HD1", "HD2", "HD3", "LS1", "LS6", "BD7", "WF13", "DH1", "DH7", "NE1", "S1", "M14"]


def ensure_database() -> None:
    import dj_database_url
    import psycopg

    config = dj_database_url.config()
    if not config or "postgresql" not in config["ENGINE"]:
        sys.exit("Set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/swbench")
    params = {"host": config["HOST"] or "127.0.0.1", "port": config["PORT"] or 5432, "user": config["USER"]}
    if config.get("PASSWORD"):
        params["password"] = config["PASSWORD"]
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{config["NAME"]}"')


def setup() -> None:
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def empty_register() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE safety_workflow_registercheckhit, safety_workflow_registermatchkey, "
            "safety_workflow_registermitigation, safety_workflow_registeralias, safety_workflow_registeraddress, "
            "safety_workflow_registerentryevent, safety_workflow_registerentryusergrant, "
            "safety_workflow_registerentrygroupgrant, safety_workflow_registerprocess, "
            "safety_workflow_registerentry, safety_workflow_accesslogentry, safety_workflow_accesslogchain CASCADE"
        )
        cursor.execute("DELETE FROM safety_workflow_referencesequence WHERE key LIKE 'register%%'")


def people() -> tuple[object, list[object]]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    User = get_user_model()
    officer, _ = User.objects.get_or_create(email="bench-hs@council.example", defaults={"display_name": "Bench H&S"})
    officer.groups.add(Group.objects.get_or_create(name="Health and Safety")[0])
    frontline = Group.objects.get_or_create(name="Frontline Staff")[0]
    users = []
    for n in range(USERS):
        user, _ = User.objects.get_or_create(email=f"bench-front{n}@council.example",
                                             defaults={"display_name": f"Bench Front {n}"})
        user.groups.add(frontline)
        users.append(user)
    return officer, users


def random_person(rng: random.Random) -> tuple[str, dt.date | None, list[str], list[tuple[str, str]]]:
    name = f"{rng.choice(FORENAMES).title()} {rng.choice(SURNAMES).title()}"
    dob = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 65)) if rng.random() < 0.85 else None
    aliases = [f"{rng.choice(FORENAMES).title()} {rng.choice(SURNAMES).title()}"] if rng.random() < 0.1 else []
    addresses = []
    if rng.random() < 0.5:
        postcode = f"{rng.choice(OUTWARD)} {rng.randrange(1, 10)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}" \
                   f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        addresses.append((f"{rng.randrange(1, 200)} High Street", postcode))
    return name, dob, aliases, addresses


def grow(target: int, officer: object, rng: random.Random, people_rows: list[tuple]) -> float:
    """Insert entries until the register holds ``target``; returns the seconds it took."""
    from django.db import connection, transaction
    from django.utils import timezone

    from safety_workflow import matching
    from safety_workflow.models import (
        RegisterAddress,
        RegisterAlias,
        RegisterEntry,
        RegisterMatchKey,
        RegisterMitigation,
        Subject,
    )

    started = time.perf_counter()
    have = RegisterEntry.objects.count()
    today = timezone.localdate()
    batch = 2_000
    while have < target:
        count = min(batch, target - have)
        subjects, entries, keys, mitigations, aliases, addresses = [], [], [], [], [], []
        for n in range(have, have + count):
            name, dob, alias_names, address_rows = random_person(rng)
            subject = Subject(id=uuid.uuid4(), full_name=name, date_of_birth=dob)
            profile, entry_keys = matching.entry_profile(names=[name, *alias_names], date_of_birth=dob,
                                                         addresses=[(a, p) for a, p in address_rows])
            entry = RegisterEntry(
                id=uuid.uuid4(), reference=f"BENCH-{n + 1:06d}", subject=subject, state=RegisterEntry.State.ACTIVE,
                reasons="Benchmark entry.", date_of_birth=dob, advice_contact_name="Health and Safety",
                advice_contact_phone="01484 000000", match_profile=profile, proposed_by=officer,
                review_due_on=today + dt.timedelta(days=rng.randrange(365)),
            )
            subjects.append(subject)
            entries.append(entry)
            keys += [RegisterMatchKey(entry=entry, key=k) for k in entry_keys]
            mitigations.append(RegisterMitigation(entry=entry, kind="meet_in_pairs"))
            aliases += [RegisterAlias(entry=entry, name=a) for a in alias_names]
            addresses += [RegisterAddress(entry=entry, address=a, postcode=matching.postcode_in(p))
                          for a, p in address_rows]
            people_rows.append((entry.id, name, dob, address_rows))
        with transaction.atomic():
            Subject.objects.bulk_create(subjects)
            RegisterEntry.objects.bulk_create(entries)
            RegisterMatchKey.objects.bulk_create(keys, batch_size=10_000)
            RegisterMitigation.objects.bulk_create(mitigations)
            RegisterAlias.objects.bulk_create(aliases)
            RegisterAddress.objects.bulk_create(addresses)
        have += count
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE safety_workflow_registerentry; ANALYZE safety_workflow_registermatchkey;")
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(size: int, users: list, rng: random.Random, people_rows: list[tuple]) -> dict:
    from django.db import connection, reset_queries, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from rest_framework.test import APIClient

    from safety_workflow import matching
    from safety_workflow.models import RegisterEntry
    from safety_workflow.selectors.register import register_check_candidates
    from safety_workflow.services.audit import access_log_record
    from safety_workflow.services.register_check import register_check

    today = timezone.localdate()
    with connection.cursor() as cursor:  # each size starts with no checks in anyone's hourly count
        cursor.execute("TRUNCATE safety_workflow_registercheckhit, safety_workflow_accesslogentry")
    sample = rng.sample([row for row in people_rows if row[2] is not None], CHECKS_PER_KIND)
    checks = {
        "match (name + date of birth)": [dict(name=name, date_of_birth=dob) for _, name, dob, _ in sample],
        "namesake, other date of birth": [dict(name=name, date_of_birth=dt.date(1901, 1, 1))
                                          for _, name, _, _ in sample],
        "name only": [dict(name=name) for _, name, _, _ in sample],
        "unknown name": [dict(name=f"Zebedee Quorthwaite{n}") for n in range(CHECKS_PER_KIND)],
    }
    results: dict = {"size": size, "kinds": {}}
    user_cycle = iter(users * (4 * CHECKS_PER_KIND))
    # Warm up (first check of each user creates their lock row).
    for user in users:
        register_check(actor=user, name="Warm Up", meeting_date=today, purpose="bench warm-up")
    clients = {}
    for user in users:
        client = APIClient()
        client.force_authenticate(user)
        clients[user.pk] = client
    runs = [(kind, body) for kind, bodies in checks.items() for body in bodies]
    rng.shuffle(runs)  # interleave the kinds, so that no kind pays for warming up
    stats: dict[str, dict] = {kind: {"service": [], "http": [], "queries": set(), "http_queries": set(),
                                     "outcomes": {}, "candidates": [], "rows": []} for kind in checks}
    entry_ids = [pk for pk, _, _, _ in sample]
    lookup_times, logged_times = [], []
    for n, (kind, body) in enumerate(runs):
        # The floor, interleaved with the checks so that both meet the same load on a shared machine: a single
        # indexed look-up of an entry row, and the same look-up plus one access-log row committed.
        pk = entry_ids[n % len(entry_ids)]
        started = time.perf_counter()
        RegisterEntry.objects.only("id", "match_profile").get(pk=pk)
        lookup_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        with transaction.atomic():
            RegisterEntry.objects.only("id", "match_profile").get(pk=pk)
            access_log_record(actor=users[0], action="view", object_type="bench", object_id=pk)
        logged_times.append(time.perf_counter() - started)
        row = stats[kind]
        keys = matching.query_keys(matching.check_query(name=body["name"], date_of_birth=body.get("date_of_birth")))
        started = time.perf_counter()
        found = register_check_candidates(keys=keys)
        row["candidates"].append(time.perf_counter() - started)
        row["rows"].append(len(found))
        user = next(user_cycle)
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            outcome = register_check(actor=user, meeting_date=today, purpose="bench", **body)
            row["service"].append(time.perf_counter() - started)
        row["queries"].add(len(ctx.captured_queries))
        row["outcomes"][outcome.result] = row["outcomes"].get(outcome.result, 0) + 1
        payload = {"meeting_date": today.isoformat(), "purpose": "bench", **body}
        if payload.get("date_of_birth"):
            payload["date_of_birth"] = payload["date_of_birth"].isoformat()
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = clients[user.pk].post("/api/safety/register/check/", payload, format="json")
            row["http"].append(time.perf_counter() - started)
        assert response.status_code == 200, response.content
        row["http_queries"].add(len(ctx.captured_queries))
    for kind, row in stats.items():
        results["kinds"][kind] = {
            "queries_service": sorted(row["queries"]), "queries_http": sorted(row["http_queries"]),
            "outcomes": row["outcomes"], "candidate_rows_mean": statistics.mean(row["rows"]),
            "candidate_rows_max": max(row["rows"]),
            "service_median_ms": statistics.median(row["service"]) * 1000,
            "service_p95_ms": percentile(row["service"], 0.95) * 1000,
            "http_median_ms": statistics.median(row["http"]) * 1000,
            "http_p95_ms": percentile(row["http"], 0.95) * 1000,
            "candidates_median_ms": statistics.median(row["candidates"]) * 1000,
            "candidates_p95_ms": percentile(row["candidates"], 0.95) * 1000,
        }
    results["lookup_median_ms"] = statistics.median(lookup_times) * 1000
    results["lookup_p95_ms"] = percentile(lookup_times, 0.95) * 1000
    results["logged_lookup_median_ms"] = statistics.median(logged_times) * 1000
    results["logged_lookup_p95_ms"] = percentile(logged_times, 0.95) * 1000
    results["plan"] = candidate_plan(sample[0][1], sample[0][2])
    return results


def candidate_plan(name: str, dob: dt.date | None) -> str:
    from django.db import connection

    from safety_workflow import matching
    from safety_workflow.selectors.register import register_check_candidates_sql

    keys = matching.query_keys(matching.check_query(name=name, date_of_birth=dob))
    sql, params = register_check_candidates_sql(keys=keys)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    setup()
    from django.conf import settings
    from django.test.utils import override_settings

    from safety_workflow.models import RegisterMatchKey

    empty_register()
    officer, users = people()
    rng = random.Random(SEED)
    people_rows: list[tuple] = []
    limits = {**settings.SAFETY_WORKFLOW, "REGISTER_CHECKS_PER_HOUR": 10_000_000}
    print(f"PostgreSQL register check benchmark ({CHECKS_PER_KIND} checks per kind, service and HTTP each)")
    with override_settings(SAFETY_WORKFLOW=limits):
        for size in SIZES:
            seconds = grow(size, officer, rng, people_rows)
            keys = RegisterMatchKey.objects.count()
            print(f"\n== {size:,} entries ({keys:,} matching keys; inserted in {seconds:.1f} s)")
            result = measure(size, users, rng, people_rows)
            print(f"single indexed look-up of the entry row (primary key): median {result['lookup_median_ms']:.2f} ms,"
                  f" p95 {result['lookup_p95_ms']:.2f} ms; the same plus one access-log row committed: median "
                  f"{result['logged_lookup_median_ms']:.2f} ms, p95 {result['logged_lookup_p95_ms']:.2f} ms")
            for kind, row in result["kinds"].items():
                print(f"  {kind}: results {row['outcomes']}")
                print(f"    queries per check (incl. BEGIN/COMMIT): service {row['queries_service']}, "
                      f"HTTP {row['queries_http']}")
                print(f"    candidate query: median {row['candidates_median_ms']:.2f} ms, "
                      f"p95 {row['candidates_p95_ms']:.2f} ms; rows returned: mean "
                      f"{row['candidate_rows_mean']:.1f}, max {row['candidate_rows_max']}")
                print(f"    whole check, service: median {row['service_median_ms']:.2f} ms, "
                      f"p95 {row['service_p95_ms']:.2f} ms; HTTP: median {row['http_median_ms']:.2f} ms, "
                      f"p95 {row['http_p95_ms']:.2f} ms; service / (look-up + log row): "
                      f"{row['service_median_ms'] / result['logged_lookup_median_ms']:.2f}")
            if size == SIZES[-1]:
                print("\nplan of the candidate query at this size:\n" + result["plan"])


if __name__ == "__main__":
    main()
