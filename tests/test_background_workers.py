"""Real workers in their own processes: the database queue's ``db_worker``, a worker killed mid-build, and RQ on Redis.

The rest of the suite runs tasks at once (the immediate backend). Here the request only queues; a
worker process, started by the test with the suite's settings and pointed at the test database,
builds the bundle. The tests are transactional (the rows are committed, so the worker sees them).

A worker process cannot share SQLite's in-memory test database, so the database-queue tests run in
the PostgreSQL pass; on SQLite the example host's test (``test_example_project.py``) serves the demo
with its worker on a file database instead. The RQ test runs in both passes: a worker process on
PostgreSQL, RQ's own worker in the test process (``SimpleWorker``, burst mode) on SQLite.
"""

from __future__ import annotations

import glob
import os
import signal
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from safety_workflow.bundles.build import bundle_build_job
from safety_workflow.models import Bundle

from .bundles_helpers import add_evidence, image_bytes, injunction_case, pdf_bytes
from .workers import ON_POSTGRES, db_worker, stop, wait_for

pytest.importorskip("weasyprint")

URL = "/api/safety/bundles/"
needs_shared_database = pytest.mark.skipif(
    not ON_POSTGRES, reason="a worker process cannot open SQLite's in-memory test database; runs in the "
                            "PostgreSQL pass (test_example_project.py runs the demo's worker on SQLite)")


def large_case(people, decision_table, *, incidents: int):
    """A case whose bundle takes WeasyPrint several seconds: time enough to watch it and to kill its worker."""
    case = injunction_case(people, decision_table, count=incidents)
    for n, incident in enumerate(case.incidents.order_by("pk")[:6]):
        add_evidence(incident, name=f"scan-{n}.pdf", content=pdf_bytes([(595, 842, 0, f"Exhibit {n}")] * 3),
                     content_type="application/pdf", uploaded_by=people.members)
        add_evidence(incident, name=f"photo-{n}.png", content=image_bytes(800, 600), content_type="image/png",
                     uploaded_by=people.members)
    return case


@pytest.fixture
def database_queue(settings):
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "TASK_BACKEND": "database"}


@needs_shared_database
@pytest.mark.timeout(300)
@pytest.mark.django_db(transaction=True)
def test_a_database_worker_process_builds_the_bundle_and_shows_its_progress(
        people, decision_table, client_for, workers, database_queue):
    case = large_case(people, decision_table, incidents=30)
    client = client_for(people.legal)
    started = time.perf_counter()
    response = client.post(URL, {"kind": "injunction", "scope": {"case": case.pk}}, format="json")
    elapsed = time.perf_counter() - started
    assert response.status_code == 202 and response.json()["status"] == "queued", response.content
    assert elapsed < 1.0, elapsed  # the request only queued the build
    bundle_id = response.json()["id"]
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.get()
    assert (queued.status, queued.queue_name, queued.task_path) == (
        "READY", "default", "safety_workflow.background.build_bundle")
    assert Bundle.objects.get(pk=bundle_id).task_id == str(queued.pk)

    worker = db_worker(workers)
    seen: list[tuple[str, int, str]] = []

    def ready():
        body = client.get(f"{URL}{bundle_id}/").json()
        if not seen or seen[-1] != (body["status"], body["progress"], body["step"]):
            seen.append((body["status"], body["progress"], body["step"]))
        return body if body["status"] in ("ready", "failed") else None

    body = wait_for(ready, timeout=240, what="the bundle", worker=worker)
    assert body["status"] == "ready", (body["error"], stop(worker))
    running = [s for s in seen if s[0] == "running"]
    assert any(0 < progress < 100 and step for _, progress, step in running), seen  # progress while it built
    assert any(step.startswith("Laying out page") for _, _, step in running), seen
    assert [p for _, p, _ in seen] == sorted(p for _, p, _ in seen)  # never backwards
    download = client.get(body["download_url"])
    assert download.status_code == 200 and download["X-Content-SHA256"] == body["sha256"]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


@needs_shared_database
@pytest.mark.timeout(400)
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_build_leaves_nothing_and_the_requeued_build_has_the_same_hash(
        people, decision_table, client_for, workers, database_queue, settings):
    case = large_case(people, decision_table, incidents=40)
    client = client_for(people.legal)
    bundle_id = client.post(URL, {"kind": "injunction", "scope": {"case": case.pk}}, format="json").json()["id"]
    worker = db_worker(workers)

    def rendering():
        row = Bundle.objects.get(pk=bundle_id)
        return row.status == "running" and row.step.startswith("Laying out page") and row.progress >= 30

    wait_for(rendering, timeout=180, what="the build to be laying out pages", worker=worker)
    os.killpg(worker.pid, signal.SIGKILL)  # the machine's OOM killer, a power cut, `kill -9`
    worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL

    row = Bundle.objects.get(pk=bundle_id)
    assert (row.status, row.file.name, row.sha256, row.attempts) == ("running", "", "", 1)
    leftovers = glob.glob(os.path.join(tempfile.gettempdir(), f"sw-bundle-{bundle_id}-1-*"))
    assert len(leftovers) == 1  # the dead build's scratch folder: private, and removed by the next attempt
    body = client.get(f"{URL}{bundle_id}/").json()
    assert body["download_url"] is None and body["stale"] is False
    refused = client.get(f"{URL}{bundle_id}/download/")
    assert refused.status_code == 409 and refused.json()["code"] == "bundle_not_ready"
    folder = Path(settings.MEDIA_ROOT) / "safety_workflow" / "bundles"
    assert not list(folder.glob(f"{bundle_id}*")), "nothing of the killed build is stored"

    # After the stale interval the scheduled requeue queues it again, and the next worker builds it.
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "BUNDLE_STALE_AFTER_SECONDS": 1}
    time.sleep(1.2)
    assert client.get(f"{URL}{bundle_id}/").json()["stale"] is True
    call_command("safety_workflow_requeue_stale_bundles", stdout=open(os.devnull, "w"))
    row = Bundle.objects.get(pk=bundle_id)
    assert (row.status, row.attempts) == ("queued", 2)
    assert row.log[-1]["event"] == "requeued" and row.log[-1]["was"] == "running"
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "BUNDLE_STALE_AFTER_SECONDS": 900}
    worker = db_worker(workers)
    wait_for(lambda: Bundle.objects.get(pk=bundle_id).status in ("ready", "failed"), timeout=240,
             what="the rebuilt bundle", worker=worker)
    stop(worker)
    rebuilt = Bundle.objects.get(pk=bundle_id)
    assert rebuilt.status == "ready", rebuilt.error
    assert not glob.glob(os.path.join(tempfile.gettempdir(), f"sw-bundle-{bundle_id}-*"))
    assert rebuilt.file.name.endswith(f"{bundle_id}-2.pdf")
    download = client.get(f"{URL}{bundle_id}/download/")
    assert download.status_code == 200 and download["X-Content-SHA256"] == rebuilt.sha256

    # The content is deterministic: building the same bundle again, in this process, gives the same bytes.
    Bundle.objects.filter(pk=bundle_id).update(status="queued", attempts=3, file="", sha256="", size=None)
    assert bundle_build_job(bundle_id=bundle_id, attempt=3) == "ready"
    again = Bundle.objects.get(pk=bundle_id)
    assert again.sha256 == rebuilt.sha256 and again.size == rebuilt.size and again.file.name.endswith("-3.pdf")


# RQ on Redis -----------------------------------------------------------------------------------------


@pytest.fixture
def rq_queue(settings):
    pytest.importorskip("django_tasks_rq", reason="the rq extra is not installed")
    import redis

    url = settings.REDIS_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        pytest.skip(f"Redis is not reachable at {url}")
    name = f"sw-test-{uuid.uuid4().hex[:12]}"
    tasks = {**settings.TASKS, "rq": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [name]}}
    # django-tasks-rq reads results through RQ's "default" connection: RQ_QUEUES always has a "default".
    queues = {"default": {"URL": url}, name: {"URL": url, "DEFAULT_TIMEOUT": 600}}
    with override_settings(TASKS=tasks, RQ_QUEUES=queues,
                           SAFETY_WORKFLOW={**settings.SAFETY_WORKFLOW, "TASK_BACKEND": "rq", "TASK_QUEUE": name,
                                            "BUNDLE_TASK_QUEUE": name}):
        import django_rq

        queue = django_rq.get_queue(name)
        try:
            yield name, queue
        finally:  # leave nothing behind on the shared Redis: the queue, its registries, its jobs and results
            connection = queue.connection
            job_ids = set(queue.job_ids) | set(queue.finished_job_registry.get_job_ids()) | set(
                queue.failed_job_registry.get_job_ids())
            queue.delete(delete_jobs=True)
            for job_id in job_ids:
                connection.delete(f"rq:job:{job_id}", f"rq:results:{job_id}")
            for key in connection.scan_iter(f"*{name}*"):
                connection.delete(key)


@pytest.mark.redis
@pytest.mark.timeout(300)
@pytest.mark.django_db(transaction=True)
def test_an_rq_worker_on_redis_builds_the_bundle(people, decision_table, client_for, rq_queue, workers):
    name, queue = rq_queue
    case = injunction_case(people, decision_table, count=2)
    add_evidence(case.incidents.first(), name="a.pdf", content=pdf_bytes([(842, 595, 0, "Exhibit text")]),
                 content_type="application/pdf", uploaded_by=people.members)
    client = client_for(people.legal)
    started = time.perf_counter()
    response = client.post(URL, {"kind": "injunction", "scope": {"case": case.pk}}, format="json")
    assert time.perf_counter() - started < 1.0
    assert response.status_code == 202 and response.json()["status"] == "queued"
    bundle_id = response.json()["id"]
    row = Bundle.objects.get(pk=bundle_id)
    assert row.task_id and queue.job_ids == [row.task_id]  # on Redis, waiting for a worker

    if ON_POSTGRES:  # a worker process, as a council runs it
        worker = workers("rqworker", "--job-class", "django_tasks_rq.Job", "--burst", name,
                         SW_TEST_TASK_BACKEND="rq", SW_TEST_RQ_QUEUE=name, SW_TEST_TASK_QUEUE=name)
        assert worker.wait(timeout=240) == 0, stop(worker)
    else:  # RQ's worker in this process: SQLite's in-memory database is not shared with another process
        from django_tasks_rq import Job
        from rq import SimpleWorker

        SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)
    bundle = Bundle.objects.get(pk=bundle_id)
    assert bundle.status == "ready", (bundle.status, bundle.error)
    assert len(bundle.sha256) == 64 and bundle.page_count >= 7
    download = client.get(f"{URL}{bundle_id}/download/")
    assert download.status_code == 200 and download["X-Content-SHA256"] == bundle.sha256
    from safety_workflow.background import build_bundle

    result = build_bundle.using(backend="rq", queue_name=name).get_result(bundle.task_id)
    assert result.status == "SUCCESSFUL" and result.return_value == "ready"
