"""Queue again the notifications and webhook deliveries whose retry time has come.

Run from cron every minute (``* * * * * manage.py safety_workflow_retry_deliveries``), or let
``safety_workflow_scheduler`` queue the task of the same work (``background.retry_deliveries``).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from ...notifications import notifications_retry_due
from ...webhooks import webhooks_retry_due


class Command(BaseCommand):
    help = "Queue again the notifications and webhook deliveries whose retry time has come."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="Print the counts as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = {"notifications": notifications_retry_due(), "webhooks": webhooks_retry_due()}
        if options["json"]:
            self.stdout.write(json.dumps(counts))
            return
        self.stdout.write(f"{counts['notifications']} notification(s) and {counts['webhooks']} webhook "
                          "delivery(ies) queued again.")
