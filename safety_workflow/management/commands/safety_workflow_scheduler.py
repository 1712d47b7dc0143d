"""Queue safety_workflow's scheduled work as tasks, each as often as ``SAFETY_WORKFLOW["SCHEDULE"]`` says.

    manage.py safety_workflow_scheduler           # runs until stopped (SIGTERM or Ctrl-C)
    manage.py safety_workflow_scheduler --once    # queue each scheduled task once, then exit

For hosts without cron (containers), and for `make demo`. It only queues: the workers do the work.
Each task is safe to run twice (overdue tasks are notified once, a stale bundle is requeued under a
lock), so a second scheduler, or cron running the commands as well, does no harm.
"""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from ...background import SCHEDULED, enqueue_after_commit
from ...conf import app_settings


class Command(BaseCommand):
    help = "Queue the scheduled tasks (stale bundles, overdue tasks, register reviews and erasure) when due."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Queue every scheduled task once and exit.")
        parser.add_argument("--tick", type=float, default=1.0, help="Seconds between looks at the clock.")

    def handle(self, *args: Any, **options: Any) -> None:
        schedule = {name: every for name, every in (app_settings.SCHEDULE or {}).items() if every}
        if options["once"]:
            for name in schedule:
                self.queue(name)
            return
        stopping = []

        def stop(signum: int, frame: Any) -> None:
            stopping.append(signum)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("Scheduling: " + ", ".join(f"{name} every {every} s" for name, every in schedule.items()))
        due = dict.fromkeys(schedule, 0.0)
        while not stopping:
            now = time.monotonic()
            for name, every in schedule.items():
                if now >= due[name]:
                    self.queue(name)
                    due[name] = now + float(every)
            close_old_connections()
            time.sleep(max(0.05, float(options["tick"])))
        self.stdout.write("Scheduler stopped.")

    def queue(self, name: str) -> None:
        enqueue_after_commit(SCHEDULED[name])  # outside a transaction: queued at once
        self.stdout.write(f"queued {name}")
