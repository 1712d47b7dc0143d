"""Evidence files: the type is sniffed from the bytes, the size is limited, and the SHA-256 is kept."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import IO, Any

import filetype
from django.core.files.base import File
from django.db import transaction

from ..conf import app_settings
from ..errors import Forbidden, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from ..models import EvidenceFile, Incident
from ..roles import CASE_OFFICER_ROLES, Role, roles_for
from .audit import timeline_record

SNIFF_BYTES = 8192
EMAIL_HEADERS = (b"from:", b"received:", b"return-path:", b"message-id:", b"date:", b"subject:", b"to:",
                 b"mime-version:", b"delivered-to:")


def sniff_content_type(head: bytes) -> str | None:
    """The type the bytes say they are (never the name or the client's claim); None when unknown."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character may be cut at the end of the sniffed block.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return None
    if "\x00" in text:
        return None
    first = text.lstrip().lower().encode()
    if first.startswith(EMAIL_HEADERS):
        return "message/rfc822"
    return "text/plain"


def evidence_may_upload(user: Any, incident: Incident) -> bool:
    roles = roles_for(user)
    return bool(roles & (CASE_OFFICER_ROLES | {Role.LEGAL, Role.ELECTORAL_SERVICES})) or user.pk in (
        incident.protected_person.user_id, incident.reported_by_id,
    )


def evidence_upload(
    *,
    incident: Incident,
    uploaded_by: Any,
    upload: IO[bytes],
    original_name: str,
    size: int,
    description: str = "",
    captured_at: dt.datetime | None = None,
) -> EvidenceFile:
    if not evidence_may_upload(uploaded_by, incident):
        raise Forbidden("You cannot add evidence to this incident.", code="cannot_add_evidence")
    if size > app_settings.EVIDENCE_MAX_BYTES:
        raise PayloadTooLarge(f"Files may be up to {app_settings.EVIDENCE_MAX_BYTES // (1024 * 1024)} MB.")
    if size == 0:
        raise InvalidInput(errors={"file": ["The file is empty."]}, code="empty_file")
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    content_type = sniff_content_type(head)
    if content_type not in app_settings.EVIDENCE_ALLOWED_TYPES:
        raise UnsupportedMediaType(
            f"Files of this type ({content_type or 'unknown'}) are not accepted as evidence."
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    evidence = EvidenceFile(
            incident=incident,
        original_name=(original_name or "evidence")[:255],
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
        description=description,
        captured_at=captured_at,
        uploaded_by=uploaded_by,
    )
    evidence.file.save("evidence", File(upload), save=False)
    try:
        with transaction.atomic():
            evidence.save()
            timeline_record(
                case=incident.case, incident=incident, actor=uploaded_by, action="evidence_added",
                summary=f"Evidence added to {incident.reference}: {evidence.original_name} "
                        f"(SHA-256 {evidence.sha256[:12]}...).",
                data={"evidence": str(evidence.pk), "sha256": evidence.sha256}, shared_with_councillor=True,
            )
    except BaseException:
        evidence.file.storage.delete(evidence.file.name)  # no stored file without its record
        raise
    return evidence
