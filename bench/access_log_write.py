"""Benchmark of one access-log write on PostgreSQL: a plain committed insert (the log before it was
hash-chained) against ``access_log_record`` (the chained append), alone and under concurrent writers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/swbench13 .venv/bin/python bench/access_log_write.py

Creates the database if it is missing, migrates it and empties the access log. Each write is its own
committed transaction, as a logged read in autocommit is. The two kinds are interleaved so that the
machine's load affects both alike. Never run as a test; bench/README.md records the numbers measured.
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

WRITES = int(os.environ.get("BENCH_WRITES", "1000"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    from register_check import ensure_database

    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    from safety_workflow.models import AccessLogEntry
    from safety_workflow.services.audit import access_log_record, access_log_verify
    from tests.factories import make_user

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE safety_workflow_registercheckhit, safety_workflow_accesslogentry, "
                       "safety_workflow_accesslogchain CASCADE")
    user = make_user("frontline", email="bench-log@council.example")
    fields = {"actor": user, "action": "view", "object_type": "case", "purpose": "Benchmark",
              "result": "ok", "data": {"bench": True}}

    def plain(n: int) -> None:
        with transaction.atomic():
            AccessLogEntry.objects.create(actor_name="bench", object_id=str(n), **fields)

    def chained(n: int) -> None:
        access_log_record(object_id=str(n), **fields)

    for fn in (plain, chained):  # warm up, and count the statements (BEGIN and COMMIT included)
        fn(0)
    counts = {}
    for fn in (plain, chained):
        with CaptureQueriesContext(connection) as ctx:
            fn(1)
        counts[fn.__name__] = len(ctx.captured_queries)
    times: dict[str, list[float]] = {"plain": [], "chained": []}
    for n in range(WRITES):
        for fn in (plain, chained):
            started = time.perf_counter()
            fn(n)
            times[fn.__name__].append(time.perf_counter() - started)
    print(f"PostgreSQL access-log write, {WRITES} committed writes of each kind, interleaved")
    for name, values in times.items():
        print(f"  {name}: {counts[name]} statements; median {statistics.median(values) * 1000:.3f} ms, "
              f"p95 {percentile(values, 0.95) * 1000:.3f} ms, mean {statistics.mean(values) * 1000:.3f} ms")

    # Concurrent writers: THREADS threads, each with its own connection, appending chained rows.
    per_thread = WRITES // THREADS
    barrier = threading.Barrier(THREADS)
    latencies: list[float] = []
    lock = threading.Lock()

    def writer(index: int) -> None:
        mine = []
        barrier.wait()
        for n in range(per_thread):
            started = time.perf_counter()
            access_log_record(object_id=f"t{index}-{n}", **fields)
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
        connection.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    report = access_log_verify()
    print(f"  chained, {THREADS} concurrent writers x {per_thread}: {THREADS * per_thread / elapsed:.0f} writes/s; "
          f"per write median {statistics.median(latencies) * 1000:.3f} ms, p95 {percentile(latencies, 0.95) * 1000:.3f}"
          f" ms; chain verified: {report.ok} ({report.checked} chained rows, {report.unchained} plain rows)")


if __name__ == "__main__":
    main()
