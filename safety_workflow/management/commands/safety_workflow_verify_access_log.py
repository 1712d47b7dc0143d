"""Verify the access log's hash chain and report the first broken row. Run daily, and before an audit:

    manage.py safety_workflow_verify_access_log
    manage.py safety_workflow_verify_access_log --json

Exit status 0 when the chain is whole, 2 when it is broken. The last hash printed can be kept outside
the database (e.g. in the information-governance officer's records): a later run that does not reach
it means the log was rewritten from that point on.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...services.audit import access_log_verify


class Command(BaseCommand):
    help = "Verify the access log's hash chain; report the first row that was altered, inserted or removed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = access_log_verify()
        if options["json"]:
            self.stdout.write(json.dumps({
                "ok": report.ok, "checked": report.checked, "first_seq": report.first_seq,
                "last_seq": report.last_seq, "last_hash": report.last_hash,
                "broken": None if report.ok else {"seq": report.broken.seq, "id": report.broken.id,
                                                  "problem": report.broken.problem},
            }, indent=2))
        elif report.ok:
            self.stdout.write(f"Access log chain intact: {report.checked} rows "
                              f"({report.first_seq or '-'} to {report.last_seq or '-'}); last hash {report.last_hash}.")
        else:
            broken = report.broken
            self.stdout.write(f"Access log chain BROKEN at row {broken.seq} (id {broken.id}): {broken.problem}. "
                              f"{report.checked} rows before it verified.")
        if not report.ok:
            raise SystemExit(2)
