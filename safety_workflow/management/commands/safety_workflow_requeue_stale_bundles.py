"""Queue again the bundle builds that died (a worker killed mid-build, a message lost), and give up on the ones
that died ``BUNDLE_MAX_ATTEMPTS`` times.

Run from cron every few minutes (``*/5 * * * * manage.py safety_workflow_requeue_stale_bundles``), or let
``safety_workflow_scheduler`` queue the task of the same work (``background.requeue_stale_bundles``).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from ...services.bundles import bundles_requeue_stale


class Command(BaseCommand):
    help = "Queue again bundle builds with no sign of life for BUNDLE_STALE_AFTER_SECONDS."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="Print the counts as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = bundles_requeue_stale()
        if options["json"]:
            self.stdout.write(json.dumps(counts))
            return
        self.stdout.write(f"{counts['requeued']} bundle build(s) queued again, {counts['failed']} given up, "
                          f"{counts['waiting']} still waiting in the queue.")
