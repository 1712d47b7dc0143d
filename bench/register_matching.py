"""How well the register check finds people however their name was typed, on a generated corpus.

    .venv/bin/python bench/register_matching.py          # 5,000 members + 5,000 non-members, SQLite in memory
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/swbench .venv/bin/python bench/register_matching.py

Generates the corpus (``bench/corpus.py``, deterministic for ``--seed``), writes the register into the
database, then runs every check through the service (``services.register_check.register_check``, as a
frontline officer, the hourly limit lifted) and records its answer, the entries it found, its number of
SQL queries and its time. Beside it, on the same corpus, a plain Jaro-Winkler baseline (rapidfuzz over
the whole name against every name and alias on the register, splink's thresholds: a match at 0.92 or more
with the same date of birth, a possible match at 0.88 or more where no date of birth contradicts).

A member's check counts as found only when the member's own entry is among the entries the check found
(match or possible match); a match on another entry is a wrong-person match. Never run as a test; results
go to stdout and bench/results/register_matching.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

from bench.corpus import Corpus, Query, generate, load  # noqa: E402

MATCH, POSSIBLE, NO = "match", "possible_match", "no_match"


# The baseline ------------------------------------------------------------------------------------
def _plain(text: str) -> str:
    """A first try's normalisation: compatibility forms, accents and case folded, punctuation and
    invisible characters dropped, spaces collapsed. No reordering, titles or variants."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    text = "".join(" " if ch.isspace() else ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^a-z ]", "", text.casefold()).split())


def baseline(corpus: Corpus) -> list[tuple[str, int | None, set[int]]]:
    """(result, matched index, indexes found) for every query, with plain Jaro-Winkler."""
    from rapidfuzz import process
    from rapidfuzz.distance import JaroWinkler

    names, owners = [], []
    for index, person in enumerate(corpus.register):
        for name in (person.full_name, *person.aliases):
            names.append(_plain(name))
            owners.append(index)
    answers = []
    for query in corpus.queries:
        found: dict[int, float] = {}
        for _, score, position in process.extract(_plain(query.name), names, scorer=JaroWinkler.similarity,
                                                  score_cutoff=0.88, limit=None):
            found[owners[position]] = max(score, found.get(owners[position], 0))
        matches, possible = [], set()
        for index, score in found.items():
            dob = corpus.register[index].recorded_dob
            if query.date_of_birth and dob and query.date_of_birth != dob:
                continue
            possible.add(index)
            if score >= 0.92 and query.date_of_birth and dob == query.date_of_birth:
                matches.append(index)
        if len(matches) == 1:
            answers.append((MATCH, matches[0], possible))
        elif possible:
            answers.append((POSSIBLE, None, possible))
        else:
            answers.append((NO, None, set()))
    return answers


# The check ---------------------------------------------------------------------------------------
def setup() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        from bench.register_check import ensure_database  # creates it if missing

        ensure_database()
    call_command("migrate", verbosity=0)


def run_checks(corpus: Corpus, *, progress: bool = True) -> tuple[list[tuple[str, int | None, set[int]]], dict]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from safety_workflow.models import AccessLogEntry, RegisterCheckHit
    from safety_workflow.services.register_check import register_check

    User = get_user_model()
    officer, _ = User.objects.get_or_create(email="corpus-hs@council.example", defaults={"display_name": "H&S"})
    group = Group.objects.get_or_create(name="Frontline Staff")[0]
    # Checks rotate over officers, 25 each, as under the real hourly limit (a user's hourly count is a query).
    desks = []
    for n in range(max(1, len(corpus.queries) // 25)):
        user, _ = User.objects.get_or_create(email=f"corpus-front{n}@council.example",
                                             defaults={"display_name": f"Desk {n}"})
        user.groups.add(group)
        desks.append(user)
    if connection.vendor == "postgresql":
        from bench.register_check import empty_register

        empty_register()
    started = time.perf_counter()
    ids = load(corpus.register, proposed_by=officer)
    load_seconds = time.perf_counter() - started
    index_of = {str(pk): n for n, pk in enumerate(ids)}
    today = timezone.localdate()
    for desk in desks:
        register_check(actor=desk, name="Warm Up", meeting_date=today, purpose="warm-up")
    answers, times, queries, evidence = [], [], Counter(), []
    for n, query in enumerate(corpus.queries):
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            outcome = register_check(actor=desks[n % len(desks)], name=query.name, date_of_birth=query.date_of_birth,
                                     postcode=query.postcode, meeting_date=today, purpose="corpus")
            times.append(time.perf_counter() - t0)
        queries[len(ctx.captured_queries)] += 1
        log = AccessLogEntry.objects.get(reference=outcome.reference)
        hits = {index_of[str(h)] for h in RegisterCheckHit.objects.filter(access_log=log).values_list("entry_id",
                                                                                                         flat=True)}
        matched = index_of.get(log.object_id) if outcome.result == MATCH else None
        answers.append((outcome.result, matched, hits))
        evidence.append([(index_of[e["entry"]], e) for e in log.data.get("evidence", ())])
        if progress and n % 1000 == 999:
            print(f"  {n + 1:,} checks", file=sys.stderr)
    timing = {
        "vendor": connection.vendor, "load_seconds": round(load_seconds, 1),
        "median_ms": round(statistics.median(times) * 1000, 2),
        "p95_ms": round(sorted(times)[int(0.95 * (len(times) - 1))] * 1000, 2),
        "queries_per_check": dict(sorted(queries.items())),
        "evidence": evidence,
    }
    return answers, timing


# Scoring -----------------------------------------------------------------------------------------
def score(corpus: Corpus, answers: list[tuple[str, int | None, set[int]]]) -> dict:
    groups: dict[str, list[tuple[Query, tuple]]] = defaultdict(list)
    for query, answer in zip(corpus.queries, answers, strict=True):
        if query.target is None:
            groups["non-members"].append((query, answer))
            continue
        groups["members"].append((query, answer))
        groups["kind: " + ("+".join(query.kinds) or "typed right")].append((query, answer))
        if query.single_slip:
            groups["single-character slip in a name"].append((query, answer))
        if len(query.kinds) == 1:
            groups["one corruption (any kind)"].append((query, answer))
        if query.kinds:
            groups["all with a corruption"].append((query, answer))
    result = {}
    for name, rows in groups.items():
        n = len(rows)
        if name == "non-members":
            result[name] = {
                "n": n,
                "false_match": sum(a[0] == MATCH for _, a in rows) / n,
                "false_possible": sum(a[0] == POSSIBLE for _, a in rows) / n,
                "false_match_count": sum(a[0] == MATCH for _, a in rows),
                "false_possible_count": sum(a[0] == POSSIBLE for _, a in rows),
            }
            continue
        match = sum(a[0] == MATCH and a[1] == q.target for q, a in rows)
        found = sum((a[0] == MATCH and a[1] == q.target) or (a[0] == POSSIBLE and q.target in a[2]) for q, a in rows)
        wrong = sum(a[0] == MATCH and a[1] != q.target for q, a in rows)
        result[name] = {"n": n, "recall_match": match / n, "recall_found": found / n, "wrong_person": wrong}
    return result


def namesakes_without_dob(corpus: Corpus) -> float:
    """The share of non-members who share their surname and a forename or middle name (or a known variant
    of it) with someone on the register while no date of birth can be compared (not given in the check,
    or not recorded): namesakes that only a phone call can tell apart."""
    from safety_workflow.matching.names import are_variants

    by_surname = defaultdict(list)
    for person in corpus.register:
        if person.forename_recorded:
            by_surname[person.surname].append(person)
    count = 0
    for query in corpus.non_member_queries:
        person = corpus.non_members[query.outsider]
        mine = {person.forename, person.middle} - {""}
        for member in by_surname[person.surname]:
            theirs = {member.forename, member.middle} - {""}
            if (query.date_of_birth is None or not member.dob_recorded) and any(
                    a == b or are_variants(a, b) for a in mine for b in theirs):
                count += 1
                break
    return count / len(corpus.non_member_queries)


def false_possibles(corpus: Corpus, answers: list, evidence: list) -> Counter:
    """The false possible matches by the strongest evidence behind them (name grade, date of birth)."""
    found = Counter()
    for query, answer, rows in zip(corpus.queries, answers, evidence, strict=True):
        if query.target is None and answer[0] == POSSIBLE and rows:
            order = ("same", "alike", "similar", "surname_only")
            best = min(rows, key=lambda r: order.index(r[1]["name"].split()[0]))
            found[f"name {best[1]['name'].split()[0]}, date of birth {best[1]['date_of_birth']}"] += 1
    return found


def misses(corpus: Corpus, answers: list, evidence: list, limit: int = 40) -> list[str]:
    lines = []
    for query, answer, found in zip(corpus.queries, answers, evidence, strict=True):
        if query.target is None:
            if answer[0] != NO:
                why = "; ".join(f"{corpus.register[i].full_name} {corpus.register[i].recorded_dob}: {e['name']}, "
                                f"dob {e['date_of_birth']}, place {e['place']}" for i, e in found[:3])
                lines.append(f"non-member {answer[0]}: {query.name!r} {query.date_of_birth} {query.postcode!r} "
                             f"({'+'.join(query.kinds)}) found {why}")
            continue
        ok = (answer[0] == MATCH and answer[1] == query.target) or (answer[0] == POSSIBLE and query.target in answer[2])
        if not ok:
            person = corpus.register[query.target]
            lines.append(f"missed {answer[0]}: {query.name!r} {query.date_of_birth} {query.postcode!r} "
                         f"({'+'.join(query.kinds)} {query.slips}) for {person.full_name!r} {person.recorded_dob} "
                         f"{person.recorded_postcode!r} aliases={person.aliases}")
    return lines[:limit] if limit else lines


def print_table(ours: dict, base: dict) -> None:
    order = ["members", "single-character slip in a name", "one corruption (any kind)", "all with a corruption"]
    order += sorted(k for k in ours if k.startswith("kind: "))
    print("\n| queries | n | found (match or possible) | match | baseline found | baseline match | wrong-person "
          "(ours / baseline) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in order:
        o, b = ours[name], base[name]
        print(f"| {name} | {o['n']:,} | {o['recall_found']:.3f} | {o['recall_match']:.3f} | {b['recall_found']:.3f} "
              f"| {b['recall_match']:.3f} | {o['wrong_person']} / {b['wrong_person']} |")
    o, b = ours["non-members"], base["non-members"]
    print(f"\nnon-members ({o['n']:,}): false match {o['false_match']:.4f} ({o['false_match_count']}) / baseline "
          f"{b['false_match']:.4f} ({b['false_match_count']}); false possible {o['false_possible']:.4f} "
          f"({o['false_possible_count']}) / baseline {b['false_possible']:.4f} ({b['false_possible_count']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--show-misses", type=int, default=0, help="print this many misses and false alarms")
    args = parser.parse_args()
    setup()
    from django.conf import settings
    from django.test.utils import override_settings

    corpus = generate(members=args.members, seed=args.seed)
    print(f"corpus: {len(corpus.register):,} on the register, {len(corpus.member_queries):,} checks for them, "
          f"{len(corpus.non_member_queries):,} for people not on it (seed {args.seed})")
    with override_settings(SAFETY_WORKFLOW={**settings.SAFETY_WORKFLOW, "REGISTER_CHECKS_PER_HOUR": 10**9}):
        answers, timing = run_checks(corpus)
    t0 = time.perf_counter()
    base_answers = baseline(corpus)
    base_seconds = time.perf_counter() - t0
    ours, base = score(corpus, answers), score(corpus, base_answers)
    print_table(ours, base)
    print(f"\nchecks on {timing['vendor']}: median {timing['median_ms']} ms, p95 {timing['p95_ms']} ms; SQL queries "
          f"per check: {timing['queries_per_check']}; register written in {timing['load_seconds']} s; baseline "
          f"scored all checks in {base_seconds:.1f} s")
    breakdown = false_possibles(corpus, answers, timing["evidence"])
    namesakes = namesakes_without_dob(corpus)
    print(f"non-members who are namesakes of someone on the register with no date of birth to compare: "
          f"{namesakes:.4f}")
    print("false possibles by the strongest evidence: " + "; ".join(f"{k}: {v}" for k, v in breakdown.most_common()))
    if args.show_misses:
        print("\n".join(misses(corpus, answers, timing["evidence"], args.show_misses)))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "register_matching.json").write_text(json.dumps(
        {"members": args.members, "seed": args.seed, "ours": ours, "baseline": base,
         "false_possibles": dict(breakdown), "namesakes_without_dob": namesakes,
         "timing": {k: v for k, v in timing.items() if k != "evidence"}}, indent=2))


if __name__ == "__main__":
    main()
