"""Queue the reading of evidence text again: after installing the OCR engine (``--unavailable``), after a
failure was put right (``--failed``), or for files uploaded before text was read (always included).

    python manage.py safety_workflow_read_evidence --unavailable --failed
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from ...models import EvidenceText
from ...services.evidence_text import evidence_texts_requeue


class Command(BaseCommand):
    help = "Queue the reading of evidence text again (OCR, PDF text, e-mail) for the statuses named."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--unavailable", action="store_true", help="Text marked unavailable (no OCR engine).")
        parser.add_argument("--failed", action="store_true", help="Text whose reading failed.")
        parser.add_argument("--pending", action="store_true", help="Text still waiting (a lost task).")

    def handle(self, *args: Any, **options: Any) -> None:
        statuses = [status for status, flag in ((EvidenceText.Status.UNAVAILABLE, "unavailable"),
                                                (EvidenceText.Status.FAILED, "failed"),
                                                (EvidenceText.Status.PENDING, "pending")) if options[flag]]
        with transaction.atomic():
            queued = evidence_texts_requeue(statuses=statuses)
        self.stdout.write(f"{queued} evidence file(s) queued to be read.")
