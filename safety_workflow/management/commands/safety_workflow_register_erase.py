"""Erase the personal data of register entries past their retention period (REGISTER_RETENTION_DAYS).

Each erasure keeps a tombstone and writes an "erase" row to the access log. Run daily from cron, or let
``safety_workflow_scheduler`` queue the task of the same work (``background.erase_register_entries``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from safety_workflow.models import RegisterEntry
from safety_workflow.services.register import register_entries_erase_due


class Command(BaseCommand):
    help = "Erase removed or refused register entries whose retention period has ended."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List what would be erased; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        if options["dry_run"]:
            due = RegisterEntry.objects.filter(state__in=RegisterEntry.RETAINED, erase_after__lte=today)
            for reference in due.order_by("erase_after").values_list("reference", flat=True):
                self.stdout.write(f"would erase: {reference}")
            return
        erased = register_entries_erase_due(today=today)
        for entry in erased:
            self.stdout.write(f"erased: {entry.reference}")
        self.stdout.write(f"{len(erased)} entr{'y' if len(erased) == 1 else 'ies'} erased.")
