"""The access log as information governance uses it: every read attempt logged (refused ones as refused),
a purpose to read the register, filters by subject, checked name, actor and outcome, a hash chain whose
verifier finds an altered or deleted row, and subject-access exports answered from the log."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import threading
import uuid

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from safety_workflow.bundles.compose import compose
from safety_workflow.models import AccessLogChain, AccessLogEntry, Bundle, Incident, RegisterEntry
from safety_workflow.services.audit import access_log_record, access_log_verify, checked_name_normalised

from .helpers import API, report
from .register_helpers import AUDIT, READ, check, direct_entry, entry_url

pytestmark = pytest.mark.django_db
DOB = dt.date(1975, 6, 14)


def verify() -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("safety_workflow_verify_access_log", stdout=out)
    except SystemExit as exit_:
        return int(exit_.code), out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def logged(people, client_for):
    """A few reads, checks and a refusal, as staff make them."""
    client_for(people.frontline)
    for name in ("Jonathan O'Brien", "Alice Walker", "Gary Booth"):
        check(client_for(people.frontline), name)
    incident = report(client_for(people.councillor))
    client_for(people.members).get(f"{API}/incidents/{incident['id']}/")
    client_for(people.councillor2).get(f"{API}/incidents/{incident['id']}/")
    return incident


# The chain -----------------------------------------------------------------------------------------
def test_every_row_is_chained_and_the_chain_verifies(logged):
    rows = list(AccessLogEntry.objects.order_by("seq"))
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.row_hash for a, b in zip(rows[:-1], rows[1:], strict=True))
    head = AccessLogChain.objects.get()
    assert (head.last_seq, head.last_hash) == (rows[-1].seq, rows[-1].row_hash)
    code, out = verify()
    assert code == 0 and f"{len(rows)} rows" in out and rows[-1].row_hash in out


@pytest.mark.parametrize("change, problem", [
    ({"result": "match"}, "do not match its hash"),
    ({"actor_name": "Someone Else"}, "do not match its hash"),
    ({"at": timezone.now() - dt.timedelta(days=400)}, "do not match its hash"),
    ({"purpose": "Something else"}, "do not match their digest"),
    ({"checked_name": "another name"}, "do not match their digest"),
])
def test_an_altered_row_is_found_by_the_verifier(logged, change, problem):
    target = AccessLogEntry.objects.filter(action="check").order_by("seq")[1]
    AccessLogEntry.objects.filter(pk=target.pk).update(**change)
    report_ = access_log_verify()
    assert not report_.ok and report_.broken.seq == target.seq and problem in report_.broken.problem
    code, out = verify()
    assert code == 2 and f"BROKEN at row {target.seq}" in out


def test_a_deleted_row_is_found_by_the_verifier(logged):
    target = AccessLogEntry.objects.order_by("seq")[2]
    AccessLogEntry.objects.filter(pk=target.pk).delete()
    report_ = access_log_verify()
    assert not report_.ok and report_.broken.seq == target.seq + 1 and "missing" in report_.broken.problem
    assert report_.checked == target.seq - 1


def test_a_row_removed_from_the_end_or_rewritten_with_its_hash_is_found(logged):
    last = AccessLogEntry.objects.order_by("-seq").first()
    AccessLogEntry.objects.filter(pk=last.pk).delete()
    assert "rows were removed from the end" in access_log_verify().broken.problem
    # Deleting a row and renumbering the rest (re-hashing nothing) breaks at the first renumbered row.
    second = AccessLogEntry.objects.order_by("seq")[1]
    AccessLogEntry.objects.filter(pk=second.pk).delete()
    AccessLogEntry.objects.filter(seq__gt=second.seq).update(seq=models_f_minus_one())
    assert access_log_verify().broken.seq == second.seq


def models_f_minus_one():
    from django.db.models import F

    return F("seq") - 1


def test_rows_written_before_the_chain_are_sealed_by_the_migration(logged):
    AccessLogEntry.objects.update(seq=None, prev_hash="", row_hash="", content_digest="", actor_ref="",
                                  checked_name="")
    assert not access_log_verify().ok
    migration = importlib.import_module("safety_workflow.migrations.0002_retention_audit")
    migration.seal_access_log(apps, None)
    assert access_log_verify().ok
    assert AccessLogEntry.objects.filter(checked_name="jonathan obrien").count() == 1


# Refused reads -------------------------------------------------------------------------------------
def test_refused_reads_are_logged_as_refused_and_answer_like_missing_records(people, client_for, logged):
    other = client_for(people.councillor2)
    incident, case_id = logged["id"], logged["case"]["id"]
    for path, object_type, object_id in [
        (f"{API}/incidents/{incident}/", "incident", incident),
        (f"{API}/cases/{case_id}/", "case", str(case_id)),
    ]:
        real = other.get(path)
        missing = other.get(path.replace(str(object_id), str(uuid.uuid4()) if object_type == "incident" else "9999"))
        assert real.status_code == missing.status_code == 404 and real.json() == missing.json()
        refused = AccessLogEntry.objects.filter(actor=people.councillor2, object_type=object_type,
                                                object_id=str(object_id)).last()
        assert refused.outcome == "refused" and refused.action == "view"
    not_found = AccessLogEntry.objects.filter(actor=people.councillor2, outcome="not_found")
    assert {r.object_type for r in not_found} == {"incident", "case"}
    subject = Incident.objects.get(pk=incident).subject_id
    if subject:
        assert AccessLogEntry.objects.filter(subject_ref=subject, outcome="refused").exists()
    governance = client_for(people.governance)
    rows = governance.get(AUDIT, {"outcome": "refused", "actor": people.councillor2.pk}).json()["results"]
    assert {r["object_type"] for r in rows} == {"incident", "case"} and all(r["outcome"] == "refused" for r in rows)


def test_a_refused_register_read_is_logged_with_its_purpose(people, client_for):
    entry = direct_entry(people, name="Gary Booth", date_of_birth=DOB)
    legal = client_for(people.legal)
    real = legal.get(entry_url(entry.pk), {"purpose": "Injunction papers"})
    fake = legal.get(entry_url(uuid.uuid4()), {"purpose": "Injunction papers"})
    assert real.status_code == fake.status_code == 404 and real.json() == fake.json()
    row = AccessLogEntry.objects.get(object_id=str(entry.pk))
    assert (row.outcome, row.purpose, row.subject_ref) == ("refused", "Injunction papers", entry.subject_id)


def test_refusals_survive_a_host_that_runs_requests_in_a_transaction(people, client_for, logged, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    response = client_for(people.councillor2).get(f"{API}/cases/{logged['case']['id']}/")
    assert response.status_code == 404
    row = AccessLogEntry.objects.order_by("-seq").first()
    assert (row.actor, row.object_type, row.outcome) == (people.councillor2, "case", "refused")
    assert access_log_verify().ok


# A purpose to read the register ---------------------------------------------------------------------
def test_reading_an_entry_needs_a_purpose_and_the_refusal_is_logged(people, client_for):
    entry = direct_entry(people, name="Gary Booth", date_of_birth=DOB)
    monitoring = client_for(people.monitoring)
    for path in (entry_url(entry.pk), entry_url(uuid.uuid4()), "/api/safety/register/entries/"):
        response = monitoring.get(path)
        assert response.status_code == 400 and response.json()["code"] == "purpose_required", path
    refused = AccessLogEntry.objects.filter(outcome="refused", result="purpose_missing")
    assert refused.count() == 3 and refused.filter(object_id=str(entry.pk), subject_ref=entry.subject_id).exists()
    assert monitoring.get(entry_url(entry.pk), READ).status_code == 200
    assert monitoring.get(entry_url(entry.pk), HTTP_X_ACCESS_PURPOSE="Liaison meeting").status_code == 200
    read = AccessLogEntry.objects.filter(outcome="allowed", object_id=str(entry.pk)).order_by("seq")
    assert [r.purpose for r in read] == [READ["purpose"], "Liaison meeting"]


def test_the_roles_that_must_give_a_purpose_are_configurable(people, client_for, settings):
    entry = direct_entry(people, name="Gary Booth", date_of_birth=DOB)
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "REGISTER_PURPOSE_REQUIRED_ROLES": ["legal"]}
    assert client_for(people.monitoring).get(entry_url(entry.pk)).status_code == 200
    # The check's purpose stays required whatever the setting.
    response = check(client_for(people.frontline), "Gary Booth", purpose="")
    assert response.status_code == 400 and "purpose" in response.json()["errors"]


# Filters -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("typed", ["Jonathan O'Brien", "O'BRIEN, Jonathan", "Mr jonathan  obrien", "Jonathan O’Brien"])
def test_checks_are_found_by_the_name_typed_however_it_was_written(people, client_for, logged, typed):
    assert checked_name_normalised(typed) == "jonathan obrien"
    rows = client_for(people.governance).get(AUDIT, {"checked_name": typed}).json()["results"]
    assert [r["object_repr"] for r in rows] == ["Jonathan O'Brien"] and rows[0]["checked_name"] == "jonathan obrien"


def test_the_log_is_filtered_by_subject_and_outcome(people, client_for):
    entry = direct_entry(people, name="Gary Booth", date_of_birth=DOB)
    check(client_for(people.frontline), "Gary Booth", date_of_birth=DOB.isoformat())  # a match
    client_for(people.monitoring).get(entry_url(entry.pk), READ)
    client_for(people.legal).get(entry_url(entry.pk), READ)  # refused: no grant
    governance = client_for(people.governance)
    rows = governance.get(AUDIT, {"subject": str(entry.subject_id)}).json()["results"]
    assert sorted((r["action"], r["outcome"]) for r in rows) == [("check", "allowed"), ("view", "allowed"),
                                                                  ("view", "refused")]
    assert governance.get(AUDIT, {"outcome": "nonsense"}).status_code == 400
    assert governance.get(AUDIT, {"checked_name": "!!"}).status_code == 400


# Subject access from the log ------------------------------------------------------------------------
def test_a_subject_access_export_for_someone_only_ever_checked_lists_those_checks(people, client_for):
    frontline = client_for(people.frontline)
    check(frontline, "Jonathan O'Brien", purpose="Housing surgery", date_of_birth=DOB.isoformat())
    check(frontline, "O'BRIEN, Jonathan", purpose="Council tax visit")
    check(frontline, "Jonathan O'Brien", purpose="Someone else", date_of_birth="1990-01-01")  # a namesake
    check(frontline, "Alice Walker", purpose="Library")
    bundle = Bundle.objects.create(kind=Bundle.Kind.SUBJECT_ACCESS, requested_by=people.governance,
                                   scope={"name": "Jonathan O'Brien", "date_of_birth": DOB.isoformat()})
    composition = compose(bundle)
    checks = next(d for d in composition.documents if d.anchor == "checks").context["checks"]
    assert [c["purpose"] for c in checks] == ["Housing surgery", "Council tax visit"]
    assert all(c["by"] == "a council officer" for c in checks)
    assert "Fran Desk" in {r.text for r in composition.redactions}  # the officer's name never appears

    response = client_for(people.governance).post(f"{API}/bundles/", {
        "kind": "subject_access", "scope": {"name": "Jonathan O'Brien"}, "purpose": "SAR 2026/14"}, format="json")
    if response.status_code == 503:
        pytest.skip("PDF export is off in this environment")
    assert response.status_code == 202, response.content
    assert response.json()["scope"] == {"name": "Jonathan O'Brien"}
    bad = client_for(people.governance).post(f"{API}/bundles/", {"kind": "subject_access", "scope": {"name": "!!"}},
                                             format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_scope"


def test_a_subjects_export_lists_checks_of_their_names_reads_and_disposals(people, client_for):
    entry = direct_entry(people, name="Gary Booth", date_of_birth=DOB, aliases=("Gaz Booth",))
    check(client_for(people.frontline), "BOOTH, Gaz", purpose="Planning meeting")
    client_for(people.monitoring).get(entry_url(entry.pk), READ)
    from safety_workflow.models import DisposalRecord

    DisposalRecord.objects.create(run=uuid.uuid4(), kind="check_query", reference="SW-CHK-OLD", action="anonymised",
                                  rule="check_query: 1 year after created", subject_ref=entry.subject_id)
    bundle = Bundle.objects.create(kind=Bundle.Kind.SUBJECT_ACCESS, requested_by=people.governance,
                                   subject=entry.subject, scope={"subject": str(entry.subject_id)})
    docs = {d.anchor: d.context for d in compose(bundle).documents}
    assert [c["purpose"] for c in docs["checks"]["checks"]] == ["Planning meeting"] and docs["checks"]["erased"] == 1
    assert [(r["action"], r["purpose"]) for r in docs["reads"]["reads"]] == [("Viewed", READ["purpose"])]
    assert [d["reference"] for d in docs["disposals"]["disposals"]] == ["SW-CHK-OLD"]
    assert RegisterEntry.objects.filter(pk=entry.pk).exists()


# Concurrent writers ----------------------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_make_one_unbroken_chain(people):
    threads, per_thread = 8, 15
    barrier = threading.Barrier(threads)
    errors = []

    def write(n):
        try:
            barrier.wait()
            for i in range(per_thread):
                access_log_record(actor=people.frontline, action="view", object_type="case", object_id=f"{n}-{i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=write, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not errors
    seqs = list(AccessLogEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, threads * per_thread + 1))
    report_ = access_log_verify()
    assert report_.ok and report_.checked == threads * per_thread


# The append in one statement (PostgreSQL) ------------------------------------------------------------------
def test_the_row_after_its_seq_is_the_canonical_form_the_chain_hashes():
    """What the database hashes (``"[" + seq + row_after_seq + prev_hash``) is what the verifier hashes."""
    import hashlib

    from safety_workflow import audit_chain

    entry = AccessLogEntry(actor_ref="7", actor_name="Siân Ellis", action="view", object_type="case",
                           object_id="12", object_repr="Cyngor Sir Ŵyr \u2013 \u201cquoted\u201d \\ back",
                           subject_ref=uuid.uuid4(), data={"name": "Siân", "n": [1, 2]}, ip_address="::1")
    fields = audit_chain.fields_of(entry)
    fields["content_digest"] = audit_chain.content_digest(fields)
    for seq in (1, 9, 10, 123456789012):
        fields["seq"] = seq
        prev = hashlib.sha256(str(seq).encode()).hexdigest()
        computed = hashlib.sha256(b"[" + str(seq).encode() + audit_chain.row_after_seq(fields) + prev.encode())
        assert computed.hexdigest() == audit_chain.row_hash(fields, prev)


@pytest.mark.postgres
def test_an_append_is_one_statement_hashed_by_the_database_as_the_verifier_hashes(people, client_for):
    from django.test.utils import CaptureQueriesContext

    from safety_workflow import audit_chain

    access_log_record(actor=people.frontline, action="view", object_type="case", object_id="first")
    with CaptureQueriesContext(connection) as ctx:
        entry = access_log_record(
            actor=people.frontline, action="view", object_type="case", object_id="x", subject=uuid.uuid4(),
            object_repr="Cyngor Sir Ŵyr \u2013 \u201cquoted\u201d \\ back", data={"name": "Siân Ellis", "n": [1, 2]})
    assert len(ctx.captured_queries) == 1
    row = AccessLogEntry.objects.get(pk=entry.pk)
    assert (row.seq, row.prev_hash, row.row_hash) == (entry.seq, entry.prev_hash, entry.row_hash)
    assert row.row_hash == audit_chain.row_hash(audit_chain.fields_of(row), row.prev_hash)
    head = AccessLogChain.objects.get()
    assert (head.last_seq, head.last_hash) == (row.seq, row.row_hash)
    # A read through the API: its row is in the chain when the answer comes.
    incident = report(client_for(people.councillor))
    before = AccessLogChain.objects.get().last_seq
    assert client_for(people.members).get(f"{API}/cases/{incident['case']['id']}/").status_code == 200
    read = AccessLogEntry.objects.get(seq=before + 1)
    assert (read.action, read.object_type, read.object_id) == ("view", "case", str(incident["case"]["id"]))
    assert access_log_verify().ok


def test_an_append_sends_save_signals_once_as_save_would(people):
    """A host may forward each row (to a SIEM, say) from ``post_save``: it is sent once, after the row is in the
    chain, with ``created=True``; ``pre_save`` once, before."""
    from django.db.models import signals

    access_log_record(actor=people.frontline, action="view", object_type="case", object_id="first")
    seen = []

    def pre(sender, instance, **kwargs):
        seen.append(("pre", instance.pk))

    def post(sender, instance, created, **kwargs):
        seen.append(("post", instance.pk, instance.seq, created))

    signals.pre_save.connect(pre, sender=AccessLogEntry)
    signals.post_save.connect(post, sender=AccessLogEntry)
    try:
        entry = access_log_record(actor=people.frontline, action="view", object_type="case", object_id="x")
    finally:
        signals.pre_save.disconnect(pre, sender=AccessLogEntry)
        signals.post_save.disconnect(post, sender=AccessLogEntry)
    assert seen == [("pre", None), ("post", entry.pk, entry.seq, True)]
    assert AccessLogEntry.objects.get(pk=entry.pk).seq == entry.seq
