"""The build job: progress, atomic publication, failures and killed workers, retries, integrity, checks."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.checks import run_checks
from django.test import override_settings
from django.utils import timezone

from safety_workflow.bundles import build as build_module
from safety_workflow.models import AccessLogEntry, Bundle

from .bundles_helpers import add_evidence, injunction_case, pdf_bytes

pytest.importorskip("weasyprint")

URL = "/api/safety/bundles/"


class WorkerKilled(BaseException):
    """Stands in for a worker process dying mid-build (nothing in the job can catch it; the immediate
    backend records the task as failed). tests/test_background_workers.py kills a real worker process."""


@pytest.fixture
def case(people, decision_table):
    case = injunction_case(people, decision_table, count=2)
    add_evidence(case.incidents.first(), name="a.pdf", content=pdf_bytes([(595, 842, 0, "Exhibit text")]),
                 content_type="application/pdf", uploaded_by=people.members)
    return case


def request(client, case, capture=None):
    body = {"kind": "injunction", "scope": {"case": case.pk}}
    if capture is None:
        return client.post(URL, body, format="json").json()
    with capture(execute=True):
        return client.post(URL, body, format="json").json()


def bundle_files(bundle_id) -> list[str]:
    """Stored files of this bundle (MEDIA_ROOT is shared by the whole test session)."""
    from django.conf import settings

    folder = os.path.join(settings.MEDIA_ROOT, "safety_workflow", "bundles")
    names = os.listdir(folder) if os.path.isdir(folder) else []
    return sorted(n for n in names if n.startswith(str(bundle_id)))


@pytest.mark.django_db
def test_progress_is_reported_step_by_step(people, case, client_for, django_capture_on_commit_callbacks,
                                           monkeypatch):
    seen = []
    original = build_module.Progress.__call__

    def record(self, stage, done, total, step, *, force=False):
        original(self, stage, done, total, step, force=True)  # write every update, to watch them all
        row = Bundle.objects.values("progress", "step", "status").get(pk=self.bundle_id)
        seen.append((row["progress"], row["step"], row["status"]))

    monkeypatch.setattr(build_module.Progress, "__call__", record)
    bundle = request(client_for(people.legal), case, django_capture_on_commit_callbacks)
    percentages = [p for p, _, _ in seen]
    assert percentages == sorted(percentages) and percentages[-1] >= 97
    steps = " | ".join(s for _, s, _ in seen)
    for expected in ("Records collected", "Checked exhibit 1 of 1", "Composed document", "Laying out page 1",
                     "Assembled page 1 of", "Storing the bundle"):
        assert expected in steps
    assert all(status == "running" for _, _, status in seen)
    final = client_for(people.legal).get(f"{URL}{bundle['id']}/").json()
    assert (final["status"], final["progress"]) == ("ready", 100)


@pytest.mark.django_db
def test_a_failed_build_leaves_nothing_downloadable_and_can_be_retried(people, case, client_for,
                                                                        django_capture_on_commit_callbacks,
                                                                        monkeypatch):
    from safety_workflow.bundles import assemble as assemble_module

    real_assemble = assemble_module.assemble

    def broken(**kwargs):
        with open(kwargs["target"], "wb") as out:
            out.write(b"%PDF-1.7 half a bundle")
        raise OSError("disk full")

    monkeypatch.setattr(assemble_module, "assemble", broken)
    client = client_for(people.legal)
    bundle = request(client, case, django_capture_on_commit_callbacks)
    status = client.get(f"{URL}{bundle['id']}/").json()
    assert status["status"] == "failed" and status["sha256"] == "" and status["download_url"] is None
    assert "could not be built" in status["error"] and "disk full" not in status["error"]
    assert not Bundle.objects.get(pk=bundle["id"]).file and bundle_files(bundle["id"]) == []
    assert client.get(f"{URL}{bundle['id']}/download/").json()["code"] == "bundle_not_ready"

    monkeypatch.setattr(assemble_module, "assemble", real_assemble)
    with django_capture_on_commit_callbacks(execute=True):
        retried = client.post(f"{URL}{bundle['id']}/retry/")
    assert retried.status_code == 202
    row = Bundle.objects.get(pk=bundle["id"])
    assert (row.status, row.attempts) == ("ready", 2) and len(row.sha256) == 64
    assert [e["event"] for e in row.log if e["event"] in ("failed", "retry", "ready")] == ["failed", "retry", "ready"]
    assert AccessLogEntry.objects.filter(action="export", result="retry").count() == 1
    assert client.get(f"{URL}{bundle['id']}/download/").status_code == 200
    again = client.post(f"{URL}{bundle['id']}/retry/")
    assert again.status_code == 409 and again.json()["code"] == "bundle_ready"


@pytest.mark.django_db
def test_a_killed_build_is_stale_then_retried(people, case, client_for, django_capture_on_commit_callbacks,
                                              monkeypatch):
    from safety_workflow.bundles import render

    def killed(*args, **kwargs):
        raise WorkerKilled()

    monkeypatch.setattr(render, "render_pdf", killed)
    client = client_for(people.legal)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"kind": "injunction", "scope": {"case": case.pk}}, format="json")
    row = Bundle.objects.get()
    assert row.status == "running" and not row.file and bundle_files(row.pk) == []
    status = client.get(f"{URL}{row.pk}/").json()
    assert status["stale"] is False
    busy = client.post(f"{URL}{row.pk}/retry/")
    assert busy.status_code == 409 and busy.json()["code"] == "bundle_in_progress"

    Bundle.objects.filter(pk=row.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    assert client.get(f"{URL}{row.pk}/").json()["stale"] is True
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{URL}{row.pk}/retry/").status_code == 202
    row.refresh_from_db()
    assert row.status == "ready" and row.attempts == 2
    # The dead worker's job, delivered late, must not touch the bundle a retry has built.
    assert build_module.bundle_build_job(bundle_id=str(row.pk), attempt=1) == "skipped"


@pytest.mark.django_db
def test_the_scheduled_requeue_rebuilds_a_dead_build_and_gives_up_after_the_last_attempt(
        people, case, client_for, django_capture_on_commit_callbacks, monkeypatch):
    from django.core.management import call_command

    from safety_workflow.bundles import render

    monkeypatch.setattr(render, "render_pdf", lambda *args, **kwargs: (_ for _ in ()).throw(WorkerKilled()))
    client = client_for(people.legal)
    with django_capture_on_commit_callbacks(execute=True):
        bundle = client.post(URL, {"kind": "injunction", "scope": {"case": case.pk}}, format="json").json()
    assert bundle["status"] == "queued"
    assert client.get(f"{URL}{bundle['id']}/").json()["status"] == "running"  # the "worker" died mid-build
    with django_capture_on_commit_callbacks(execute=True):
        call_command("safety_workflow_requeue_stale_bundles", stdout=StringIO())
    assert Bundle.objects.get().attempts == 1  # not stale yet: a live build is never touched

    for attempt in (1, 2):  # each dead attempt is queued again once it is stale ...
        Bundle.objects.update(heartbeat_at=timezone.now() - dt.timedelta(seconds=901))
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("safety_workflow_requeue_stale_bundles", "--json", stdout=out)
        assert json.loads(out.getvalue()) == {"requeued": 1, "failed": 0, "waiting": 0}
        row = Bundle.objects.get()
        assert (row.status, row.attempts, row.file.name) == ("running", attempt + 1, "")  # ... and died again
    Bundle.objects.update(heartbeat_at=timezone.now() - dt.timedelta(seconds=901))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("safety_workflow_requeue_stale_bundles", stdout=StringIO())
    row = Bundle.objects.get()
    assert (row.status, row.attempts) == ("failed", 3) and "3 times" in row.error  # BUNDLE_MAX_ATTEMPTS
    assert [e["event"] for e in row.log if e["event"] in ("requeued", "gave_up")] == ["requeued", "requeued",
                                                                                     "gave_up"]
    assert bundle_files(row.pk) == []

    monkeypatch.undo()  # a person may still retry it, and it builds
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{URL}{row.pk}/retry/").status_code == 202
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("ready", 4) and row.task_id
    assert client.get(f"{URL}{row.pk}/download/").status_code == 200


@pytest.mark.django_db
def test_a_bundle_still_waiting_in_the_queue_is_not_queued_twice(people, case, client_for,
                                                                django_capture_on_commit_callbacks, settings):
    """On a queue that can say so, a build behind a long queue is left where it is, however old."""
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "TASK_BACKEND": "database"}
    client = client_for(people.legal)
    with django_capture_on_commit_callbacks(execute=True):
        bundle = client.post(URL, {"kind": "injunction", "scope": {"case": case.pk}}, format="json").json()
    row = Bundle.objects.get(pk=bundle["id"])
    assert row.status == "queued" and row.task_id  # on the database queue, no worker yet
    Bundle.objects.update(heartbeat_at=timezone.now() - dt.timedelta(hours=2))
    from safety_workflow.services.bundles import bundles_requeue_stale

    with django_capture_on_commit_callbacks(execute=True):
        assert bundles_requeue_stale() == {"requeued": 0, "failed": 0, "waiting": 1}
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()  # the queue lost it: now it is queued again
    with django_capture_on_commit_callbacks(execute=True):
        assert bundles_requeue_stale() == {"requeued": 1, "failed": 0, "waiting": 0}
    assert DBTaskResult.objects.get().args_kwargs["kwargs"] == {"bundle_id": bundle["id"], "attempt": 2}


@pytest.mark.django_db
def test_a_superseded_build_does_not_publish(people, case, client_for, monkeypatch):
    client = client_for(people.legal)
    bundle = request(client, case)  # queued, attempt 1 (callbacks not run)
    real_publish = build_module._publish

    def retried_meanwhile(bundle_obj, attempt, *args):
        Bundle.objects.filter(pk=bundle_obj.pk).update(attempts=2, status=Bundle.Status.QUEUED)
        return real_publish(bundle_obj, attempt, *args)

    monkeypatch.setattr(build_module, "_publish", retried_meanwhile)
    assert build_module.bundle_build_job(bundle_id=bundle["id"], attempt=1) == "superseded"
    row = Bundle.objects.get(pk=bundle["id"])
    assert row.status == "queued" and not row.file and row.sha256 == "" and bundle_files(row.pk) == []


@pytest.mark.django_db
def test_evidence_that_changed_since_upload_stops_the_build(people, case, client_for,
                                                             django_capture_on_commit_callbacks):
    evidence = case.incidents.first().evidence.get()
    with open(evidence.file.path, "ab") as handle:
        handle.write(b"edited")
    bundle = request(client_for(people.legal), case, django_capture_on_commit_callbacks)
    row = Bundle.objects.get(pk=bundle["id"])
    assert row.status == "failed" and "no longer matches the SHA-256" in row.error and not row.file


@pytest.mark.django_db
def test_checks_for_missing_pdf_libraries(monkeypatch):
    monkeypatch.setitem(sys.modules, "pypdf", None)
    ids = {m.id for m in run_checks()}
    assert "safety_workflow.E008" in ids
    with override_settings(SAFETY_WORKFLOW={"PDF_EXPORT": False}):
        ids = {m.id for m in run_checks()}
    assert "safety_workflow.E008" not in ids


def test_the_app_loads_without_importing_pdf_libraries_or_a_task_engine():
    code = (
        "import django, sys; django.setup(); "
        "import safety_workflow.api.urls; from safety_workflow import background; "
        "assert background.build_bundle.module_path == 'safety_workflow.background.build_bundle'; "
        "loaded = {'weasyprint', 'pypdf', 'rq', 'redis', 'django_rq'} & set(sys.modules); "
        "assert not loaded, loaded"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "SW_TEST_WITHOUT_RQ": "1"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                            cwd=os.path.dirname(os.path.dirname(__file__)))
    assert result.returncode == 0, result.stderr
