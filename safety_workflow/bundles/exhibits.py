"""Preparing exhibits: a verified private copy of each evidence file, and how it goes into the bundle.

Each file is copied from storage to the build's temporary folder while its SHA-256 is computed;
a file that no longer matches the hash recorded at upload stops the build (a bundle must never
carry evidence that changed). What is merged or embedded is exactly the copy that was hashed.

- images (JPEG, PNG, GIF, WebP) are embedded on their exhibit page, landscape when wider than tall,
  with an invisible text layer over the words read from them (``textlayer.py``);
- PDFs are merged page by page after their exhibit sheet, each page keeping its size and rotation;
  scanned pages get the same text layer;
- e-mails (headers, body, attachments' names) and text files are printed in full on the exhibit's pages;
- everything else (audio, video, documents, unreadable or password-protected PDFs) is listed with
  its hash on the exhibit sheet and in the manifest.

Redactions reach into images: the words a redaction covers are found among the words read from the
image (exact, or near where OCR misread a letter), covered with opaque boxes drawn on a copy of its
pixels, and left out of its text layer. An image whose words could not be read, or were read with a
confidence under ``EVIDENCE_REDACTION_MIN_CONFIDENCE``, is withheld instead, as is a PDF whose text
(or scanned pages) holds something a redaction covers. Images in a bundle that redacts are re-encoded
without their metadata (EXIF, XMP, comments), so nothing can ride along in it. The manifest always
gives the SHA-256 of the original file.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..conf import app_settings
from ..models import EvidenceFile, EvidenceText
from .assemble import AssemblyError, count_pages, extract_text
from .compose import Exhibit
from .redact import Redactor, words_to_cover

EMBEDDED_IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
PDF_TYPE = "application/pdf"
EMAIL_TYPE = "message/rfc822"
TEXT_TYPE = "text/plain"
#: A text or e-mail longer than this is printed up to here, with a note that the rest is in the file.
PRINT_MAX_CHARS = 300_000


@dataclass
class ExhibitText:
    """What the bundle does with an exhibit's text."""

    #: An image: its words (stored OCR form) on the picture as displayed, ``size`` its pixels.
    words: list[list[Any]] = field(default_factory=list)
    size: tuple[int, int] = (0, 0)
    #: A PDF: page index -> (words, rendered width, rendered height, dpi), for its scanned pages.
    pages: dict[int, tuple[list[list[Any]], int, int, int]] = field(default_factory=dict)
    #: An e-mail to print: headers, body, attachments, forwarded messages (redacted).
    email: dict[str, Any] | None = None
    #: A text file to print (redacted).
    body: str = ""
    truncated: bool = False
    #: Areas covered on the picture, and the reasons.
    covered: int = 0
    status: str = ""


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


def _texts(exhibits: list[Exhibit]) -> dict[str, EvidenceText]:
    ids = [e.evidence_id for e in exhibits]
    return {str(t.evidence_id): t for t in EvidenceText.objects.filter(evidence_id__in=ids)}


def _current_text(item: EvidenceFile, text: EvidenceText | None) -> EvidenceText | None:
    """The stored reading of these bytes; read now (in this worker) if it is still waiting, or if it was
    unavailable and the OCR engine is here now."""
    from ..ocr import engine_or_none
    from ..services.evidence_text import evidence_text_extract, evidence_text_is_current

    if evidence_text_is_current(text, item):
        return text
    waiting = text is None or text.status == EvidenceText.Status.PENDING or text.sha256 != item.sha256
    if waiting or (text.status == EvidenceText.Status.UNAVAILABLE and engine_or_none()[0] is not None):
        text = evidence_text_extract(evidence_id=item.pk, force=not waiting)
    return text


def _why_unread(text: EvidenceText | None) -> str:
    if text is None:
        return "it could not be read"
    if text.status == EvidenceText.Status.UNAVAILABLE:
        return "its words could not be read here (no OCR engine)"
    return "its words could not be read"


def _withhold(exhibit: Exhibit, why: str, notes: list[str]) -> None:
    exhibit.kind = "withheld"
    exhibit.note = (f"Withheld from this bundle: {why}, so what a redaction covers cannot be removed from it "
                    "with certainty. Provide a redacted copy separately.")
    notes.append(f"Exhibit {exhibit.mark} withheld: {why}.")


def _clean_copy(exhibit: Exhibit, folder: str, boxes: list[tuple[int, int, int, int]]) -> None:
    """Replace the exhibit's image by an upright copy without metadata, with ``boxes`` painted over."""
    from PIL import ImageDraw

    from ..evidence_text import open_upright

    image = open_upright(exhibit.path).convert("RGB")
    draw = ImageDraw.Draw(image)
    for left, top, right, bottom in boxes:
        pad = max(2, round((bottom - top) * 0.15))
        draw.rectangle((left - pad, top - pad, right + pad, bottom + pad), fill="black")
    jpeg = exhibit.content_type == "image/jpeg"
    target = os.path.join(folder, f"exhibit-{exhibit.number}-copy.{'jpg' if jpeg else 'png'}")
    # Saved with no EXIF, XMP, ICC or comment: only pixels reach the bundle.
    if jpeg:
        image.save(target, "JPEG", quality=92, optimize=True)
    else:
        image.save(target, "PNG", optimize=True)
    exhibit.path = target


def _image_words(exhibit: Exhibit, text: EvidenceText | None) -> tuple[list[list[Any]], tuple[int, int]]:
    if text is None or text.status != EvidenceText.Status.DONE or not text.pages:
        return [], (0, 0)
    page = text.pages[0]
    return list(page.get("words") or []), (int(page.get("width") or 0), int(page.get("height") or 0))


def _prepare_image(exhibit: Exhibit, item: EvidenceFile, text: EvidenceText | None, folder: str,
                   redactor: Redactor, notes: list[str]) -> None:
    landscape, problem = _image_orientation(exhibit.path)
    if problem:
        exhibit.kind, exhibit.note = "listed", problem
        return
    exhibit.kind, exhibit.landscape = "image", landscape
    words, size = _image_words(exhibit, text)
    reading = ExhibitText(words=words, size=size, status=text.status if text else "")
    exhibit.text = reading
    if not redactor.items:
        if words and _exif_turned(exhibit.path):
            _clean_copy(exhibit, folder, [])  # upright, so the words' boxes are where the viewer sees them
        if text is None or text.status != EvidenceText.Status.DONE:
            notes.append(f"Exhibit {exhibit.mark}: no text layer ({_why_unread(text)}).")
        return
    if text is None or text.status != EvidenceText.Status.DONE:
        _withhold(exhibit, _why_unread(text), notes)
        return
    minimum = app_settings.EVIDENCE_REDACTION_MIN_CONFIDENCE
    if words and text.confidence is not None and text.confidence < minimum:
        _withhold(exhibit, f"its words were read with a confidence of {text.confidence:.0f}%, under the "
                           f"{minimum}% needed to be sure every redacted word is found", notes)
        return
    found = words_to_cover(redactor, words)
    boxes = _boxes(words, found.indices)
    _clean_copy(exhibit, folder, boxes)
    reading.words = [w for n, w in enumerate(words) if n not in found.indices]
    reading.covered = len(found.indices)
    if boxes:
        reasons = "; ".join(sorted(found.reasons or ()))
        count = len(found.indices)
        exhibit.note = (f"Redacted: {count} word{'s' if count != 1 else ''} covered on the image, in "
                        f"{len(boxes)} place{'s' if len(boxes) != 1 else ''} ({reasons}).")
        notes.append(f"Exhibit {exhibit.mark}: {count} word(s) covered on the image in {len(boxes)} place(s) "
                     f"({found.exact} exact, {found.near} near match(es) to a redaction).")


def _boxes(words: list[list[Any]], indices: set[int]) -> list[tuple[int, int, int, int]]:
    """One box per run of covered words on a line (no gaps showing between the words of a name)."""
    boxes: list[tuple[int, int, int, int]] = []
    previous = None
    for n in sorted(indices):
        w = words[n]
        box = (w[1], w[2], w[1] + w[3], w[2] + w[4])
        if previous is not None and previous == n - 1 and words[previous][6] == w[6]:
            left, top, right, bottom = boxes[-1]
            boxes[-1] = (min(left, box[0]), min(top, box[1]), max(right, box[2]), max(bottom, box[3]))
        else:
            boxes.append(box)
        previous = n
    return boxes


def _exif_turned(path: str) -> bool:
    try:
        from PIL import Image

        with Image.open(path) as image:
            return image.getexif().get(0x0112, 1) not in (1, None)
    except Exception:
        return False


def _prepare_pdf(exhibit: Exhibit, item: EvidenceFile, text: EvidenceText | None, redactor: Redactor,
                 notes: list[str]) -> None:
    try:
        with open(exhibit.path, "rb") as handle:
            pages = count_pages(handle)
        found = []
        if redactor.items:
            with open(exhibit.path, "rb") as handle:
                for page_text in extract_text(handle):
                    found.extend(redactor.found_in(page_text))
        scanned = [p for p in (text.pages if text and text.status in ("done", "unavailable") else [])
                   if p.get("ocr") or p.get("scanned")]
        if found:
            reasons = sorted({r.reason for r in found})
            exhibit.kind = "withheld"
            exhibit.note = ("Withheld from this bundle: its text contains material covered by a redaction "
                            f"({'; '.join(reasons)}). Provide a redacted copy separately.")
            notes.append(f"Exhibit {exhibit.mark} withheld: it contains redacted material.")
            return
        if redactor.items and scanned:
            unread = [p for p in scanned if not p.get("ocr")]
            low = [p for p in scanned if p.get("ocr") and _page_confidence(p) is not None
                   and _page_confidence(p) < app_settings.EVIDENCE_REDACTION_MIN_CONFIDENCE]
            covered = [p for p in scanned if p.get("ocr") and words_to_cover(redactor, p.get("words") or []).indices]
            if unread:
                _withhold(exhibit, "its scanned pages could not be read here (no OCR engine)", notes)
                return
            if low:
                _withhold(exhibit, f"its scanned page {low[0]['number']} was read with too low a confidence", notes)
                return
            if covered:
                reasons = sorted({r.reason for p in covered
                                  for r in redactor.found_in(" ".join(str(w[0]) for w in p.get("words") or []))}
                                 or {"a redaction"})
                _withhold(exhibit, f"a scanned page shows material covered by a redaction ({'; '.join(reasons)})",
                          notes)
                return
        elif text is None or text.status != EvidenceText.Status.DONE:
            if text is not None and text.status == EvidenceText.Status.UNAVAILABLE:
                notes.append(f"Exhibit {exhibit.mark}: its scanned pages have no text layer (no OCR engine).")
        exhibit.kind, exhibit.pages = "pdf", len(pages)
        exhibit.landscape = any((w > h) != (rot in (90, 270)) for w, h, rot in pages)
        reading = ExhibitText(status=text.status if text else "")
        for page in scanned:
            if page.get("ocr") and page.get("words") and page["number"] <= len(pages):
                reading.pages[page["number"] - 1] = (page["words"], int(page["width"]), int(page["height"]),
                                                     int(page.get("dpi") or app_settings.EVIDENCE_OCR_DPI))
        exhibit.text = reading
    except AssemblyError as exc:
        exhibit.kind, exhibit.note = "listed", f"{exc} Listed with its hash; not merged."
        notes.append(f"Exhibit {exhibit.mark} could not be merged: {exc}")


def _page_confidence(page: dict[str, Any]) -> float | None:
    scored = [w[5] for w in page.get("words") or [] if w[5] >= 0]
    return sum(scored) / len(scored) if scored else None


def _prepare_printed(exhibit: Exhibit, redactor: Redactor, notes: list[str]) -> None:
    """An e-mail or a text file, printed in full (redacted as the rest of the bundle's text)."""
    from ..evidence_text import ReadingFailed, read_email_fields, read_plain

    try:
        if exhibit.content_type == EMAIL_TYPE:
            fields = read_email_fields(exhibit.path)
            body = fields.get("body", "")
            truncated = len(body) > PRINT_MAX_CHARS
            fields["body"] = body[:PRINT_MAX_CHARS]
            exhibit.text = ExhibitText(email=redactor.tree(fields), truncated=truncated)
            exhibit.kind = "email"
        else:
            body = read_plain(exhibit.path).text
            exhibit.text = ExhibitText(body=redactor.text(body[:PRINT_MAX_CHARS]),
                                       truncated=len(body) > PRINT_MAX_CHARS)
            exhibit.kind = "text"
    except (ReadingFailed, OSError) as exc:
        exhibit.kind, exhibit.note = "listed", f"{exc} Listed with its hash; provided separately."
        notes.append(f"Exhibit {exhibit.mark} could not be printed: {exc}")
        return
    if exhibit.text.truncated:
        notes.append(f"Exhibit {exhibit.mark}: printed up to {PRINT_MAX_CHARS:,} characters; the rest is in the "
                     "file identified by its SHA-256.")


def prepare(exhibits: list[Exhibit], evidence: dict[str, EvidenceFile], folder: str, redactor: Redactor,
            progress: Callable[[int, int], None] | None = None) -> list[str]:
    """Copy, verify, read and classify every exhibit. Returns notes for the bundle log."""
    notes: list[str] = []
    texts = _texts(exhibits)
    for n, exhibit in enumerate(exhibits, 1):
        item = evidence[exhibit.evidence_id]
        exhibit.path = os.path.join(folder, f"exhibit-{exhibit.number}")
        copy_verified(item, exhibit.path)
        content_type = item.content_type
        if content_type in EMBEDDED_IMAGE_TYPES:
            text = _current_text(item, texts.get(exhibit.evidence_id))
            _prepare_image(exhibit, item, text, folder, redactor, notes)
        elif content_type == PDF_TYPE:
            text = _current_text(item, texts.get(exhibit.evidence_id))
            _prepare_pdf(exhibit, item, text, redactor, notes)
        elif content_type in (EMAIL_TYPE, TEXT_TYPE):
            _prepare_printed(exhibit, redactor, notes)
        else:
            exhibit.kind = "listed"
            exhibit.note = "This kind of file cannot be reproduced on paper; it is provided separately and " \
                           "identified by its SHA-256."
        if progress is not None:
            progress(n, len(exhibits))
    return notes


def image_layer(exhibit: Exhibit, left: float, top: float, width: float, height: float) -> list[Any]:
    """The text layer of an image exhibit laid out at this box (points from the page's top left)."""
    from .textlayer import words_on_lines

    reading = exhibit.text
    if not isinstance(reading, ExhibitText) or not reading.words or not all(reading.size):
        return []
    sx, sy = width / reading.size[0], height / reading.size[1]
    return words_on_lines(reading.words, lambda x, y: (left + x * sx, top + y * sy))


def pdf_page_layer(exhibit: Exhibit, index: int) -> list[Any] | None:
    """The text layer of page ``index`` of a PDF exhibit, if it is a scanned page that was read."""
    from .textlayer import words_on_lines

    reading = exhibit.text
    if not isinstance(reading, ExhibitText) or index not in reading.pages:
        return None
    words, _, _, dpi = reading.pages[index]
    scale = 72 / dpi
    return words_on_lines(words, lambda x, y: (x * scale, y * scale)) or None


def rendered_layers(exhibits: list[Exhibit], images: list[Any]) -> dict[int, list[Any]]:
    """The text layers of the rendered pages: rendered page index -> words over its evidence images."""
    by_id = {e.evidence_id: e for e in exhibits if e.kind == "image"}
    layers: dict[int, list[Any]] = {}
    for placed in images:
        exhibit = by_id.get(placed.evidence_id)
        if exhibit is not None:
            words = image_layer(exhibit, placed.left, placed.top, placed.width, placed.height)
            if words:
                layers.setdefault(placed.page, []).extend(words)
    return layers
