"""Evidence files: the type is sniffed from the bytes, the size is limited, and the SHA-256 is kept.

The bytes decide what a file is. The type the client claimed (the part's Content-Type) and the file
name's extension must agree with them; HTML, scripts and executables are refused whatever they are
called. After the upload its text is read in the background (``services/evidence_text.py``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from typing import IO, Any

import filetype
from django.core.files.base import File
from django.db import transaction
from django.utils.translation import gettext as _

from ..conf import app_settings
from ..errors import Forbidden, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from ..models import EvidenceFile, Incident
from ..roles import CASE_OFFICER_ROLES, Role, roles_for
from .audit import timeline_record
from .evidence_text import evidence_text_queue

SNIFF_BYTES = 8192
EMAIL_HEADERS = (b"from:", b"received:", b"return-path:", b"message-id:", b"date:", b"subject:", b"to:",
                 b"mime-version:", b"delivered-to:")

#: Programs, whatever they are called or claimed to be.
EXECUTABLE_TYPES = frozenset({
    "application/x-msdownload", "application/x-executable", "application/x-mach-binary", "application/wasm",
    "application/x-shockwave-flash", "application/x-google-chrome-extension", "application/x-deb",
    "application/x-rpm", "application/vnd.microsoft.portable-executable", "application/java-archive",
    "application/x-java-applet",
})
#: Bytes that start a program or a script (the first bytes, ignoring a BOM and leading white space).
ACTIVE_STARTS = (b"#!", b"<?php", b"<%", b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<svg",
                 b"<iframe", b"<?xml-stylesheet", b"@echo off")
#: Markup or code anywhere in a text file: a browser would run it if it ever rendered the file.
ACTIVE_ANYWHERE = re.compile(
    rb"<\s*(script|iframe|object|embed|svg|html|body|meta\s+http-equiv|form|frameset|applet|link\s+rel)\b"
    rb"|<\?php|<%@|\bjavascript\s*:|\bvbscript\s*:|<!doctype\s+html",
    re.IGNORECASE,
)
#: Extensions people give each kind of evidence, and the types a client may claim for it besides its own.
EXTENSIONS = {
    "image/jpeg": {"jpg", "jpeg", "jpe", "jfif"},
    "image/png": {"png"},
    "image/gif": {"gif"},
    "image/webp": {"webp"},
    "image/heic": {"heic", "heif"},
    "application/pdf": {"pdf"},
    "text/plain": {"txt", "text", "log", "eml", "csv", "md"},
    "message/rfc822": {"eml", "txt", "text", "mbox", "mime"},
    "audio/mpeg": {"mp3"},
    "audio/mp4": {"m4a", "mp4", "aac"},
    "audio/x-wav": {"wav", "wave"},
    "video/mp4": {"mp4", "m4v"},
    "video/quicktime": {"mov", "qt"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"docx"},
}
CLAIM_ALIASES = {
    "image/jpeg": {"image/jpg", "image/pjpeg"},
    "image/png": {"image/x-png"},
    "image/heic": {"image/heif", "image/heic-sequence", "image/heif-sequence"},
    "application/pdf": {"application/x-pdf"},
    "text/plain": {"text/*", "message/rfc822"},
    "message/rfc822": {"text/plain", "application/eml"},
    "audio/mpeg": {"audio/mp3", "audio/mpeg3"},
    "audio/mp4": {"audio/m4a", "audio/x-m4a", "audio/aac", "video/mp4"},
    "audio/x-wav": {"audio/wav", "audio/wave", "audio/vnd.wave"},
    "video/mp4": {"audio/mp4", "video/x-m4v"},
    "video/quicktime": set(),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"application/zip"},
}
#: Claims that say nothing (what browsers send for a file they do not know).
NO_CLAIM = {"", "application/octet-stream", "binary/octet-stream", "application/unknown", "application/x-unknown"}
#: Text claims never accepted for a text file (it would be markup or code).
ACTIVE_CLAIMS = re.compile(r"html|javascript|ecmascript|x-sh|x-php|x-python|x-perl|svg|xml|x-msdos|x-bat",
                           re.IGNORECASE)


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


def active_content(head: bytes, sniffed: str | None) -> str:
    """Why these bytes are a program, a script or a page a browser would run ("" if they are not)."""
    if sniffed in EXECUTABLE_TYPES:
        return _("an executable program")
    start = head.lstrip(b"\xef\xbb\xbf").lstrip().lower()
    if sniffed is None or sniffed.startswith("text/") or sniffed == "message/rfc822":
        if start.startswith(ACTIVE_STARTS):
            return _("a script or a web page")
    if sniffed == "text/plain" and ACTIVE_ANYWHERE.search(head):
        return _("a web page or a script")
    return ""


def _scan_text_for_markup(upload: IO[bytes]) -> bool:
    """A text file holding markup or script anywhere (beyond the sniffed start), read in 1 MB overlapping blocks."""
    upload.seek(0)
    tail = b""
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        if ACTIVE_ANYWHERE.search(tail + chunk):
            return True
        tail = chunk[-64:]
    return False


def type_disagreement(sniffed: str, claimed: str, name: str) -> str:
    """How the client's claim or the file name disagrees with the sniffed type ("" when they agree)."""
    claimed = (claimed or "").split(";")[0].strip().lower()
    if claimed not in NO_CLAIM and claimed != sniffed:
        aliases = CLAIM_ALIASES.get(sniffed, set())
        family = f"{claimed.split('/')[0]}/*"
        if claimed not in aliases and family not in aliases:
            return (_("it was sent as %(claimed)s, but its bytes are %(sniffed)s")
                    % {"claimed": claimed, "sniffed": sniffed})
        if sniffed == "text/plain" and ACTIVE_CLAIMS.search(claimed):
            return _("it was sent as %(claimed)s") % {"claimed": claimed}
    extension = os.path.splitext(name or "")[1].lower().lstrip(".")
    if extension and sniffed in EXTENSIONS and extension not in EXTENSIONS[sniffed]:
        return _("its name ends in .%(extension)s, but its bytes are %(sniffed)s") % {"extension": extension,
                                                                                 "sniffed": sniffed}
    return ""


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
    claimed_type: str = "",
    description: str = "",
    captured_at: dt.datetime | None = None,
) -> EvidenceFile:
    if not evidence_may_upload(uploaded_by, incident):
        raise Forbidden(_("You cannot add evidence to this incident."), code="cannot_add_evidence")
    if size > app_settings.EVIDENCE_MAX_BYTES:
        raise PayloadTooLarge(_("Files may be up to %(size)s MB.")
                              % {"size": app_settings.EVIDENCE_MAX_BYTES // (1024 * 1024)})
    if size == 0:
        raise InvalidInput(errors={"file": [_("The file is empty.")]}, code="empty_file")
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    content_type = sniff_content_type(head)
    active = active_content(head, content_type)
    if not active and content_type == "text/plain" and size > len(head) and _scan_text_for_markup(upload):
        active = _("a web page or a script")
    if active:
        raise UnsupportedMediaType(
            _("This file is %(what)s, which is never accepted as evidence, whatever it is called. "
              "Send a screenshot or a PDF of it instead.") % {"what": active}, code="active_content")
    if content_type not in app_settings.EVIDENCE_ALLOWED_TYPES:
        raise UnsupportedMediaType(
            _("Files of this type (%(type)s) are not accepted as evidence.") % {"type": content_type or _("unknown")}
        )
    disagreement = type_disagreement(content_type, claimed_type, original_name)
    if disagreement:
        raise UnsupportedMediaType(
            _("The file is not what it says it is: %(why)s. Send it with its own name and type.")
            % {"why": disagreement},
            code="file_type_mismatch")
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
            evidence_text_queue(evidence=evidence)
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
