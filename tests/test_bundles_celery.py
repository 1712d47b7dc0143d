"""A bundle built by a real Celery worker through the CeleryRunner, with the Redis on this machine.

The worker runs in a thread of the test process (``celery.contrib.testing.worker.start_worker``,
solo pool), so it shares the test database: the test is transactional (rows are committed, as
they would be for a real worker), and while the worker builds, the test does not touch the
database: the worker waits for the request to finish before it starts (``task_prerun``), and the
test waits for the worker's ``task_postrun`` signal before it reads again. Each run uses its own queue
name on Redis database 5, so a message left by an earlier run is never picked up. Skipped if
Redis is not reachable or Celery is not installed.
"""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connections
from django.test import override_settings

from safety_workflow.models import AccessLogEntry, Bundle

from .bundles_helpers import add_evidence, injunction_case, pdf_bytes

pytest.importorskip("weasyprint")
celery = pytest.importorskip("celery")
redis = pytest.importorskip("redis")

BROKER = "redis://127.0.0.1:6379/5"


def redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(BROKER, socket_connect_timeout=1, socket_timeout=1).ping())
    except Exception:
        return False


@pytest.fixture
def celery_app():
    if not redis_reachable():
        pytest.skip(f"Redis is not reachable at {BROKER}")
    from celery.contrib.testing.worker import start_worker

    import safety_workflow.tasks  # noqa: F401  (the shared task the CeleryRunner sends)

    app = celery.Celery("safety_workflow_tests", set_as_current=False)
    app.conf.update(
        broker_url=BROKER,
        task_default_queue=f"safety-workflow-test-{uuid.uuid4().hex}",
        task_ignore_result=True,
        result_backend=None,
        broker_connection_retry_on_startup=False,
        worker_hijack_root_logger=False,
    )
    may_start, finished = threading.Event(), threading.Event()

    def wait_for_the_request(**kwargs):
        # The worker picks the message up at once; it starts only when the request is over, so the
        # two threads never use the (SQLite, shared-cache) test database at the same time.
        may_start.wait(timeout=60)

    def done(**kwargs):
        connections.close_all()  # the worker thread's own connections, before the test database is flushed
        finished.set()

    celery.signals.task_prerun.connect(wait_for_the_request, weak=False)
    celery.signals.task_postrun.connect(done, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            yield app, may_start, finished
    finally:
        may_start.set()
        celery.signals.task_prerun.disconnect(wait_for_the_request)
        celery.signals.task_postrun.disconnect(done)
        with app.connection() as connection:  # leave nothing behind on the shared Redis
            connection.default_channel.queue_delete(app.conf.task_default_queue)


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_the_bundle(people, decision_table, client_for, celery_app, settings):
    app, may_start, finished = celery_app
    case = injunction_case(people, decision_table, count=2)
    add_evidence(case.incidents.first(), name="a.pdf", content=pdf_bytes([(842, 595, 0, "Exhibit text")]),
                 content_type="application/pdf", uploaded_by=people.members)
    client = client_for(people.legal)
    options = {**settings.SAFETY_WORKFLOW, "RUNNER": "safety_workflow.runner.CeleryRunner"}
    with override_settings(SAFETY_WORKFLOW=options):
        response = client.post("/api/safety/bundles/", {"kind": "injunction", "scope": {"case": case.pk}},
                               format="json")
        assert response.status_code == 202
        assert response.json()["status"] == "queued"  # the request only queued it: the worker builds it
        may_start.set()
        assert finished.wait(timeout=120), "the Celery worker did not run the build"
    bundle = Bundle.objects.get(pk=response.json()["id"])
    assert bundle.status == Bundle.Status.READY, (bundle.status, bundle.error)
    assert len(bundle.sha256) == 64 and bundle.page_count >= 7
    download = client.get(f"/api/safety/bundles/{bundle.pk}/download/")
    assert download.status_code == 200 and download["X-Content-SHA256"] == bundle.sha256
    assert set(AccessLogEntry.objects.filter(object_id=str(bundle.pk)).values_list("action", flat=True)) == {
        "export", "download"}
