"""Background work behind one small interface.

``SyncRunner`` (the default) runs a job in-process once the surrounding transaction commits.
``CeleryRunner`` (``pip install safety-workflow[celery]``) sends it to a Celery worker (``tasks.py``).
Only jobs named in :data:`JOBS` can run: a queued message never names arbitrary code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.db import transaction

from .conf import app_settings

logger = logging.getLogger("safety_workflow")

#: Job name -> dotted path of a function taking keyword arguments of plain JSON types.
JOBS: dict[str, str] = {}


def register_job(name: str, path: str) -> None:
    JOBS[name] = path


def resolve_job(name: str) -> Callable[..., Any]:
    try:
        path = JOBS[name]
    except KeyError:
        raise LookupError(f"Unknown safety_workflow job {name!r}") from None
    module, _, attr = path.rpartition(".")
    return getattr(import_module(module), attr)


def run_job(name: str, kwargs: dict[str, Any]) -> Any:
    return resolve_job(name)(**kwargs)


class SyncRunner:
    """Runs the job in this process after the current transaction commits."""

    def enqueue(self, name: str, **kwargs: Any) -> None:
        resolve_job(name)  # fail now, inside the request, if the job does not exist
        transaction.on_commit(lambda: run_job(name, kwargs), robust=True)


class CeleryRunner:
    """Sends the job to a Celery worker (Redis broker) once the current transaction commits.

    Needs ``pip install safety-workflow[celery]`` and the host's Celery app; its workers find the
    task through ``app.autodiscover_tasks()`` (``safety_workflow/tasks.py``). Only the job's name and
    its JSON arguments travel through the broker. If the broker cannot be reached the error is
    logged and the job is not run: a bundle then stays queued until it is stale and can be retried.
    """

    def enqueue(self, name: str, **kwargs: Any) -> None:
        resolve_job(name)
        from .tasks import run_job_task  # imports celery: only when this runner is chosen

        transaction.on_commit(lambda: run_job_task.apply_async(args=(name, kwargs)), robust=True)


def get_runner() -> Any:
    return app_settings.RUNNER()
