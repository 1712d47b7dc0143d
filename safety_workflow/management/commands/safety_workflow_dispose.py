"""Dispose of every record whose retention period has ended (docs/retention.md). Run daily from cron:

    manage.py safety_workflow_dispose              # dispose, and print what was done
    manage.py safety_workflow_dispose --dry-run    # list what would go; change nothing
    manage.py safety_workflow_dispose --kind case --kind evidence
    manage.py safety_workflow_dispose --json       # the report as JSON

Records under a legal hold are kept (and counted). Exit status 0; 1 if files could not be deleted
from storage (they are retried by the next run).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...retention import KINDS
from ...services.retention import retention_dispose


class Command(BaseCommand):
    help = "Delete or anonymise the records whose retention period has ended (legal holds respected)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List what would be disposed of; change nothing.")
        parser.add_argument("--kind", action="append", choices=sorted(KINDS), help="Only this kind (repeatable).")
        parser.add_argument("--batch-size", type=int, help="Records per transaction (DISPOSAL_BATCH_SIZE).")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument("--list", action="store_true", help="Also list every reference disposed of.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] is not None and options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        report = retention_dispose(dry_run=options["dry_run"], kinds=options["kind"],
                                   batch_size=options["batch_size"])
        if options["json"]:
            body = report.as_dict()
            if options["list"] or options["dry_run"]:
                body["references"] = report.disposed
            self.stdout.write(json.dumps(body, indent=2))
        else:
            verb = "would dispose of" if report.dry_run else "disposed of"
            self.stdout.write(f"Retention run {report.run} ({'dry run' if report.dry_run else 'done'}):")
            for kind in KINDS:
                refs = report.disposed.get(kind, [])
                held = report.held.get(kind, 0)
                if refs or held:
                    line = f"  {kind}: {verb} {len(refs)}"
                    self.stdout.write(line + (f"; {held} kept under a legal hold" if held else ""))
                    if options["list"] or options["dry_run"]:
                        for ref in refs:
                            self.stdout.write(f"    {ref}")
            if not report.total and not report.held:
                self.stdout.write("  nothing has expired.")
            if report.files_deleted or report.files_failed:
                self.stdout.write(f"  files deleted from storage: {report.files_deleted}; "
                                  f"awaiting deletion: {report.files_failed}")
            if report.holds_due_for_review:
                self.stdout.write(f"  legal holds due for review: {len(report.holds_due_for_review)}")
        if report.files_failed:
            raise SystemExit(1)
