"""Reading the text of an evidence file: images (OCR), PDFs (text layer, OCR of scanned pages), e-mail, text.

Pure: a file on disk and its sniffed type in, a :class:`Reading` out; nothing touches the database
(``services/evidence_text.py`` stores it). E-mail is read with the standard library's ``email``
package (RFC 5322 and MIME, with its modern policy); a part in HTML only is turned into text by
``html.parser`` (never rendered, never fetched). PDF text comes from pypdf; a page with no text
but an image is a scanned page, rendered with pypdfium2 and read by OCR.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from .ocr import Engine, EngineUnavailable, OcrPage, engine, ocr_image

IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
PDF_TYPE = "application/pdf"
EMAIL_TYPE = "message/rfc822"
TEXT_TYPE = "text/plain"
#: A PDF page with fewer characters of text than this, and an image, is taken to be scanned.
SCANNED_PAGE_MAX_CHARS = 20
#: Headers printed (and searched) for an e-mail, in this order.
EMAIL_HEADERS = ("From", "Sender", "Reply-To", "To", "Cc", "Date", "Subject")


class ReadingFailed(Exception):
    """The file could not be read (corrupt, password-protected, too large); the message says why."""


@dataclass
class Reading:
    method: str
    text: str = ""
    pages: list[dict[str, Any]] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    confidence: float | None = None
    engine: str = ""
    engine_version: str = ""
    language: str = ""
    #: Set when part of the file could not be read here (a scanned page and no OCR engine).
    unavailable: str = ""

    @property
    def word_count(self) -> int:
        return len(self.text.split())


def _ocr_page_dict(number: int, page: OcrPage) -> dict[str, Any]:
    return {"number": number, "width": page.width, "height": page.height, "unit": "px", "ocr": True,
            "rotated": page.rotated, "words": [w.as_list() for w in page.words]}


def _mean_confidence(pages: list[OcrPage]) -> float | None:
    scored = [w.confidence for p in pages for w in p.words if w.confidence >= 0]
    return round(sum(scored) / len(scored), 1) if scored else None


def open_upright(path: str) -> Any:
    """The image as displayed: EXIF orientation applied, first frame, RGB or L."""
    from PIL import Image, ImageOps

    image = Image.open(path)
    image.seek(0)
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    return image


def read_image(path: str) -> Reading:
    eng = engine()
    try:
        image = open_upright(path)
    except Exception as exc:
        raise ReadingFailed(f"The image cannot be opened ({exc.__class__.__name__}).") from exc
    page = ocr_image(image)
    return Reading(method="ocr", text=page.text, pages=[_ocr_page_dict(1, page)],
                   confidence=_mean_confidence([page]), **_engine_fields(eng))


def _engine_fields(eng: Engine | None) -> dict[str, str]:
    if eng is None:
        return {}
    return {"engine": eng.name, "engine_version": eng.version, "language": eng.languages}


def read_pdf(path: str, *, dpi: int) -> Reading:
    """Each page's text layer; pages without one but with an image are rendered and OCR'd."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReadingFailed("The PDF is password-protected.")
        page_count = len(reader.pages)
    except ReadingFailed:
        raise
    except Exception as exc:
        raise ReadingFailed(f"The PDF cannot be read ({exc.__class__.__name__}).") from exc
    texts: list[str] = []
    pages: list[dict[str, Any]] = []
    ocr_pages: list[OcrPage] = []
    eng: Engine | None = None
    unavailable = ""
    pdfium_doc = None
    try:
        for index in range(page_count):
            page = reader.pages[index]
            try:
                text = page.extract_text() or ""
            except Exception:
                text = ""
            if len(text.strip()) >= SCANNED_PAGE_MAX_CHARS or not _has_images(page):
                texts.append(text.strip())
                pages.append({"number": index + 1, "ocr": False, "chars": len(text.strip())})
                continue
            try:
                eng = engine()
            except EngineUnavailable as exc:
                unavailable = str(exc)
                texts.append(text.strip())
                pages.append({"number": index + 1, "ocr": False, "chars": len(text.strip()), "scanned": True})
                continue
            if pdfium_doc is None:
                import pypdfium2

                pdfium_doc = pypdfium2.PdfDocument(path)
            # Rendered as displayed (its /Rotate applied), at the OCR resolution.
            bitmap = pdfium_doc[index].render(scale=dpi / 72)
            image = bitmap.to_pil().convert("RGB")
            result = ocr_image(image)
            ocr_pages.append(result)
            texts.append(result.text)
            pages.append({**_ocr_page_dict(index + 1, result), "dpi": dpi})
    finally:
        if pdfium_doc is not None:
            pdfium_doc.close()
    reading = Reading(method="pdf", text="\n\f\n".join(texts).strip(), pages=pages,
                      confidence=_mean_confidence(ocr_pages), unavailable=unavailable,
                      **(_engine_fields(eng) if ocr_pages else {"engine": "pypdf"}))
    return reading


def _has_images(page: Any) -> bool:
    try:
        resources = page.get("/Resources")
        resources = resources.get_object() if resources is not None else None
        xobjects = resources.get("/XObject") if resources else None
        xobjects = xobjects.get_object() if xobjects is not None else None
        if not xobjects:
            return False
        return any(x.get_object().get("/Subtype") in ("/Image", "/Form") for x in xobjects.values())
    except Exception:
        return True  # cannot tell: let OCR look


class _HTMLText(HTMLParser):
    """The text of an HTML part, with line breaks where blocks end; scripts and styles dropped."""

    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)

    def text(self) -> str:
        joined = "".join(self.parts)
        lines = [" ".join(line.split()) for line in joined.splitlines()]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(markup: str) -> str:
    parser = _HTMLText()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:
        return html.unescape(re.sub(r"<[^>]+>", " ", markup))
    return parser.text()


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _message_fields(message: Any, depth: int = 0) -> dict[str, Any]:
    headers = []
    for name in EMAIL_HEADERS:
        for value in message.get_all(name, []) or []:
            text = " ".join(str(value).split())
            if text:
                headers.append([name, text])
    body = ""
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except Exception:
        part = None
    if part is not None:
        try:
            content = part.get_content()
        except Exception:
            payload = part.get_payload(decode=True) or b""
            content = _decode(payload)
        body = html_to_text(content) if part.get_content_type() == "text/html" else str(content)
    elif not message.is_multipart():
        payload = message.get_payload(decode=True) or b""
        body = _decode(payload)
    attachments = []
    forwarded = []
    if message.is_multipart():
        for item in message.iter_attachments():
            name = item.get_filename() or ""
            kind = item.get_content_type()
            if kind == "message/rfc822" and depth < 3:
                inner = item.get_payload()
                inner = inner[0] if isinstance(inner, list) and inner else inner
                if hasattr(inner, "get_all"):
                    forwarded.append(_message_fields(inner, depth + 1))
                    continue
            attachments.append({"name": " ".join(name.split())[:200], "type": kind})
    return {"headers": headers, "body": body.replace("\r\n", "\n").strip(), "attachments": attachments,
            "forwarded": forwarded}


def email_text(fields: dict[str, Any]) -> str:
    parts = [f"{name}: {value}" for name, value in fields.get("headers", [])]
    parts.append("")
    parts.append(fields.get("body", ""))
    if fields.get("attachments"):
        parts.append("")
        parts.append("Attachments: " + "; ".join(a["name"] or a["type"] for a in fields["attachments"]))
    for inner in fields.get("forwarded", []):
        parts.append("")
        parts.append("---------- Attached message ----------")
        parts.append(email_text(inner))
    return "\n".join(parts).strip()


def read_email_fields(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            message = email.message_from_binary_file(handle, policy=email.policy.default)
        return _message_fields(message)
    except Exception as exc:
        raise ReadingFailed(f"The e-mail cannot be read ({exc.__class__.__name__}).") from exc


def read_email(path: str) -> Reading:
    fields = read_email_fields(path)
    return Reading(method="email", text=email_text(fields), fields=fields, engine="email")


def read_plain(path: str) -> Reading:
    with open(path, "rb") as handle:
        text = _decode(handle.read())
    return Reading(method="plain", text=text.replace("\r\n", "\n").strip(), engine="text")


def needs_ocr(content_type: str) -> bool:
    return content_type in IMAGE_TYPES or content_type == PDF_TYPE


def read_file(path: str, content_type: str, *, dpi: int = 300) -> Reading:
    """Read ``path`` as ``content_type`` (sniffed at upload). Raises :class:`EngineUnavailable` for an
    image when there is no OCR engine, :class:`ReadingFailed` for a file that cannot be read."""
    if content_type in IMAGE_TYPES:
        return read_image(path)
    if content_type == PDF_TYPE:
        return read_pdf(path, dpi=dpi)
    if content_type == EMAIL_TYPE:
        return read_email(path)
    if content_type == TEXT_TYPE:
        return read_plain(path)
    return Reading(method="", unavailable="No text is read from this kind of file.")
