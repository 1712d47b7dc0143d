"""Preparing exhibits: a verified private copy of each evidence file, and how it goes into the bundle.

Each file is copied from storage to the build's temporary folder while its SHA-256 is computed;
a file that no longer matches the hash recorded at upload stops the build (a bundle must never
carry evidence that changed). What is merged or embedded is exactly the copy that was hashed.

- images (JPEG, PNG, GIF, WebP) are embedded on their exhibit page, landscape when wider than tall;
- PDFs are merged page by page after their exhibit sheet, each page keeping its size and rotation;
- everything else (audio, video, documents, unreadable or password-protected PDFs) is listed with
  its hash on the exhibit sheet and in the manifest;
- a PDF whose text contains something a redaction covers is withheld, with the reason.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable

from ..models import EvidenceFile
from .assemble import AssemblyError, count_pages, extract_text
from .compose import Exhibit
from .redact import Redactor

EMBEDDED_IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
PDF_TYPE = "application/pdf"


class EvidenceIntegrityError(Exception):
    """A stored evidence file no longer matches the SHA-256 recorded when it was uploaded."""


def copy_verified(evidence: EvidenceFile, target: str) -> None:
    digest = hashlib.sha256()
    with evidence.file.open("rb") as source, open(target, "wb") as out:
        for chunk in iter(lambda: source.read(1024 * 1024), b""):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != evidence.sha256:
        raise EvidenceIntegrityError(
            f"Evidence {evidence.pk} no longer matches the SHA-256 recorded at upload; the bundle was not built."
        )


def _image_orientation(path: str) -> tuple[bool, str]:
    """(landscape, "") for a readable image, else (False, reason)."""
    try:
        from PIL import Image

        with Image.open(path) as image:
            width, height = image.size
            try:
                orientation = image.getexif().get(0x0112, 1)
            except Exception:
                orientation = 1
        if orientation in (5, 6, 7, 8):  # stored rotated a quarter turn: displayed the other way round
            width, height = height, width
        return width > height, ""
    except Exception as exc:
        return False, f"The image cannot be read ({exc.__class__.__name__}); listed with its hash."


def prepare(exhibits: list[Exhibit], evidence: dict[str, EvidenceFile], folder: str, redactor: Redactor,
            progress: Callable[[int, int], None] | None = None) -> list[str]:
    """Copy, verify and classify every exhibit. Returns notes for the bundle log."""
    notes: list[str] = []
    for n, exhibit in enumerate(exhibits, 1):
        item = evidence[exhibit.evidence_id]
        exhibit.path = os.path.join(folder, f"exhibit-{exhibit.number}")
        copy_verified(item, exhibit.path)
        content_type = item.content_type
        if content_type in EMBEDDED_IMAGE_TYPES:
            landscape, problem = _image_orientation(exhibit.path)
            if problem:
                exhibit.kind, exhibit.note = "listed", problem
            else:
                exhibit.kind, exhibit.landscape = "image", landscape
                if redactor.items:
                    notes.append(f"Exhibit {exhibit.mark} is an image: its pixels were not checked for redacted text.")
        elif content_type == PDF_TYPE:
            try:
                with open(exhibit.path, "rb") as handle:
                    pages = count_pages(handle)
                found = []
                if redactor.items:
                    with open(exhibit.path, "rb") as handle:
                        for text in extract_text(handle):
                            found.extend(redactor.found_in(text))
                if found:
                    reasons = sorted({r.reason for r in found})
                    exhibit.kind = "withheld"
                    exhibit.note = ("Withheld from this bundle: its text contains material covered by a redaction "
                                    f"({'; '.join(reasons)}). Provide a redacted copy separately.")
                    notes.append(f"Exhibit {exhibit.mark} withheld: it contains redacted material.")
                else:
                    exhibit.kind, exhibit.pages = "pdf", len(pages)
                    exhibit.landscape = any((w > h) != (rot in (90, 270)) for w, h, rot in pages)
            except AssemblyError as exc:
                exhibit.kind, exhibit.note = "listed", f"{exc} Listed with its hash; not merged."
                notes.append(f"Exhibit {exhibit.mark} could not be merged: {exc}")
        else:
            exhibit.kind = "listed"
            exhibit.note = "This kind of file cannot be reproduced on paper; it is provided separately and " \
                           "identified by its SHA-256."
        if progress is not None:
            progress(n, len(exhibits))
    return notes
