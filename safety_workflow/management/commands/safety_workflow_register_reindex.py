"""Refile every register entry for the check: its matching profile and blocking keys.

Run after upgrading safety_workflow (the migrations do it once) or after changing
``SAFETY_WORKFLOW["REGISTER_NAME_VARIANTS"]``: entries are filed under their forenames' variants, so
new variant groups only find existing entries once they are refiled. Safe to run at any time.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from safety_workflow.services.register import register_entries_reindex


class Command(BaseCommand):
    help = "Refile every register entry's matching profile and keys (after changing REGISTER_NAME_VARIANTS)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="Entries refiled per transaction.")

    def handle(self, *args: Any, **options: Any) -> None:
        count = register_entries_reindex(batch_size=max(1, options["batch_size"]))
        self.stdout.write(f"{count} entr{'y' if count == 1 else 'ies'} refiled.")
