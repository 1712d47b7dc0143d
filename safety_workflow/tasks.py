"""The Celery task behind ``runner.CeleryRunner``. Imported only when Celery is used.

A host's Celery app finds it with ``app.autodiscover_tasks()``. The message names a registered job
(``runner.JOBS``) and its JSON arguments; nothing else can be run through it.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from .runner import run_job


@shared_task(name="safety_workflow.run_job", ignore_result=True)
def run_job_task(name: str, kwargs: dict[str, Any]) -> Any:
    return run_job(name, kwargs)
