"""Reading and storing the text of evidence files, in the background.

The upload creates a ``pending`` :class:`~safety_workflow.models.EvidenceText` and queues the task
``background.extract_evidence_text`` after the commit; the worker copies the file, checks it still
has its SHA-256, reads it (``evidence_text.read_file``) and stores the text, the word boxes, the
confidence and the engine. Reading twice gives the same result, so running the task twice, or a
bundle build reading an exhibit still waiting in the queue, is harmless.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..conf import app_settings
from ..models import EvidenceFile, EvidenceText

logger = logging.getLogger("safety_workflow")

#: Characters a database text column cannot hold (NUL, lone surrogates), removed from what is read.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _UNSTORABLE.sub("", value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def evidence_text_queue(*, evidence: EvidenceFile, again: bool = False) -> EvidenceText:
    """Mark the evidence's text as waiting to be read, and queue the reading once the transaction commits."""
    from ..background import enqueue_after_commit, extract_evidence_text

    text, created = EvidenceText.objects.get_or_create(evidence=evidence)
    if again and not created and text.status != EvidenceText.Status.PENDING:
        text.status = EvidenceText.Status.PENDING
        text.message = ""
        text.save(update_fields=["status", "message"])
    enqueue_after_commit(extract_evidence_text, queue_name=app_settings.EVIDENCE_TEXT_TASK_QUEUE,
                         evidence_id=str(evidence.pk))
    return text


def _verified_copy(evidence: EvidenceFile, folder: str) -> str | None:
    """A private copy of the stored file, or None if it no longer matches its SHA-256."""
    path = os.path.join(folder, "evidence")
    digest = hashlib.sha256()
    with evidence.file.open("rb") as source, open(path, "wb") as out:
        for chunk in iter(lambda: source.read(1024 * 1024), b""):
            digest.update(chunk)
            out.write(chunk)
    return path if digest.hexdigest() == evidence.sha256 else None


def evidence_text_is_current(text: EvidenceText | None, evidence: EvidenceFile) -> bool:
    return bool(text and text.status == EvidenceText.Status.DONE and text.sha256 == evidence.sha256)


def evidence_text_extract(*, evidence_id: Any, force: bool = False) -> EvidenceText | None:
    """Read one evidence file and store its text. None if the evidence no longer exists.

    Done already (for these bytes) and not ``force``: nothing is read again.
    """
    from ..evidence_text import ReadingFailed, read_file
    from ..ocr import EngineUnavailable

    evidence = EvidenceFile.objects.filter(pk=evidence_id).first()
    if evidence is None:
        return None
    text, _ = EvidenceText.objects.get_or_create(evidence=evidence)
    if evidence_text_is_current(text, evidence) and not force:
        return text
    started = timezone.now()
    EvidenceText.objects.filter(pk=evidence.pk).update(started_at=started)
    values: dict[str, Any] = {"started_at": started, "sha256": evidence.sha256}
    folder = tempfile.mkdtemp(prefix=f"sw-text-{evidence.pk}-")
    try:
        path = _verified_copy(evidence, folder)
        if path is None:
            values.update(status=EvidenceText.Status.FAILED,
                          message="The stored file no longer matches the SHA-256 recorded at upload; not read.")
        else:
            reading = read_file(path, evidence.content_type, dpi=app_settings.EVIDENCE_OCR_DPI)
            status = EvidenceText.Status.UNAVAILABLE if reading.unavailable else EvidenceText.Status.DONE
            message = reading.unavailable
            if reading.unavailable and reading.method == "pdf":
                message = f"Its scanned pages could not be read: {reading.unavailable}."
            values.update(status=status, method=reading.method, text=reading.text, pages=reading.pages,
                          fields=reading.fields, confidence=reading.confidence, word_count=reading.word_count,
                          page_count=len(reading.pages) if reading.pages else (1 if reading.text else 0),
                          engine=reading.engine, engine_version=reading.engine_version,
                          language=reading.language, message=message[:500])
    except EngineUnavailable as exc:
        values.update(status=EvidenceText.Status.UNAVAILABLE, method=EvidenceText.Method.OCR, text="", pages=[],
                      confidence=None, word_count=0, page_count=0,
                      message=f"Text cannot be read from images here: {exc}."[:500])
    except ReadingFailed as exc:
        values.update(status=EvidenceText.Status.FAILED, message=str(exc)[:500])
    except Exception as exc:
        logger.exception("safety_workflow: reading the text of evidence %s failed", evidence.pk)
        values.update(status=EvidenceText.Status.FAILED,
                      message=f"The text could not be read ({exc.__class__.__name__}).")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    values["finished_at"] = timezone.now()
    values = _clean(values)
    with transaction.atomic():
        current = EvidenceText.objects.select_for_update().get(pk=evidence.pk)
        for name, value in values.items():
            setattr(current, name, value)
        current.attempts += 1
        current.save()
    return current


def evidence_texts_requeue(*, statuses: list[str]) -> int:
    """Queue the reading again for evidence whose text is in one of ``statuses`` (after installing the OCR
    engine, for instance). Returns how many were queued."""
    queued = 0
    for evidence in EvidenceFile.objects.filter(extraction__status__in=statuses).iterator():
        evidence_text_queue(evidence=evidence, again=True)
        queued += 1
    for evidence in EvidenceFile.objects.filter(extraction__isnull=True).iterator():
        evidence_text_queue(evidence=evidence)  # uploaded before text was read
        queued += 1
    return queued
