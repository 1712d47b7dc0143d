"""List the human tasks that are past their due time, and tell the people whose role does them.

Run from cron, e.g. every 15 minutes: ``python manage.py safety_workflow_overdue --notify``, or let
``safety_workflow_scheduler`` queue the task of the same work (``background.notify_overdue_tasks``).
Each task is notified once (the notices are queued and sent by a worker); the list is printed every time.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from ...selectors.tasks import tasks_overdue
from ...services.tasks import tasks_overdue_notify


class Command(BaseCommand):
    help = "List overdue tasks; with --notify, tell the role holders (once per task)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--notify", action="store_true", help="Notify role holders of newly overdue tasks.")
        parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        tasks = list(tasks_overdue(now=now))
        rows = [
            {
                "task": task.pk,
                "case": task.process.case.reference if hasattr(task.process, "case") else str(task.process_id),
                "node": task.flow_task.name,
                "due_at": task.deadline.due_at.isoformat(),
                "hours_late": round((now - task.deadline.due_at).total_seconds() / 3600, 1),
                "owner": task.owner.get_username() if task.owner else "",
            }
            for task in tasks
        ]
        notified = tasks_overdue_notify(tasks=tasks, now=now) if options["notify"] else 0
        if options["json"]:
            self.stdout.write(json.dumps({"overdue": rows, "notified": notified}, indent=2))
            return
        if not rows:
            self.stdout.write("No overdue tasks.")
            return
        self.stdout.write(f"{len(rows)} overdue task(s):")
        for row in rows:
            self.stdout.write(
                f"  {row['case']:<16} {row['node']:<22} due {row['due_at'][:16]}  "
                f"{row['hours_late']:>7} h late  {row['owner'] or '(unclaimed)'}"
            )
        if options["notify"]:
            self.stdout.write(f"Notified {notified} newly overdue task(s).")
