"""Erase the personal data of register entries past their retention period (RETENTION["register_entry"]).

Each erasure keeps a tombstone, writes an "erase" row to the access log and a row to the disposal log;
an entry under a legal hold is kept. ``safety_workflow_dispose`` does this and every other kind of record;
this command is the register's part alone. Run daily from cron, or let ``safety_workflow_scheduler``
queue ``background.dispose_expired_records``, which disposes of every kind.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from safety_workflow.services.retention import retention_dispose


class Command(BaseCommand):
    help = "Erase removed or refused register entries whose retention period has ended."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List what would be erased; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = retention_dispose(kinds=["register_entry"], dry_run=options["dry_run"])
        erased = report.disposed.get("register_entry", [])
        for reference in erased:
            self.stdout.write(f"{'would erase' if options['dry_run'] else 'erased'}: {reference}")
        if report.held.get("register_entry"):
            self.stdout.write(f"{report.held['register_entry']} kept under a legal hold.")
        if not options["dry_run"]:
            self.stdout.write(f"{len(erased)} entr{'y' if len(erased) == 1 else 'ies'} erased.")
