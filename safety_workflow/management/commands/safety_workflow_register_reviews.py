"""Open the review of every register entry whose review date has come, and report overdue reviews.

Run daily from cron, or let ``safety_workflow_scheduler`` queue the task of the same work
(``background.open_register_reviews``). Exits with status 0; overdue reviews are printed (cron can mail
them) so that the monitoring officer sees them.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from safety_workflow.selectors.register import register_reviews_due, register_reviews_overdue
from safety_workflow.services.register import register_reviews_open


class Command(BaseCommand):
    help = "Open reviews of register entries that are due, and list overdue reviews."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--report-only", action="store_true", help="List due and overdue reviews; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        if not options["report_only"]:
            opened = register_reviews_open(today=today)
            for entry in opened:
                self.stdout.write(f"review opened: {entry.reference} (due {entry.review_due_on:%Y-%m-%d})")
        due = list(register_reviews_due(on=today).order_by("review_due_on").values_list("reference", "review_due_on"))
        overdue = list(register_reviews_overdue().order_by("review_due_on").values_list("reference", "review_due_on"))
        self.stdout.write(f"{len(due)} review(s) due, {len(overdue)} overdue.")
        for reference, due_on in overdue:
            self.stdout.write(self.style.WARNING(f"OVERDUE: {reference} (review was due {due_on:%Y-%m-%d})"))
