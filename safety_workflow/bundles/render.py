"""Rendering a composition to HTML (Django templates) and to PDF (WeasyPrint), safely.

Safety: every piece of user text reaches the HTML through Django's auto-escaping, and WeasyPrint
gets :class:`EvidenceOnlyFetcher`, which refuses every URL (file, http(s), ftp, data, anything)
except ``sw-evidence:<uuid>`` for an exhibit of this bundle, resolved by id to the verified copy
of the evidence file. There is no base URL, so a relative URL resolves to nothing.

Page numbers: a merged PDF exhibit is stood in for by one placeholder page whose named page adds
the exhibit's page count to the page counter, so ``target-counter()`` in the index gives the page
each document will have once the exhibit's pages replace the placeholder.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from ..i18n import BILINGUAL, WELSH, html_lang
from .compose import TEMPLATE_DIR, Composition, Exhibit

EVIDENCE_URL = re.compile(r"sw-evidence:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
LAYOUT_PAGE = re.compile(r"Step 5 - Creating layout - Page (\d+)")


def evidence_url(exhibit: Exhibit) -> str:
    return f"sw-evidence:{exhibit.evidence_id}"


def make_fetcher(exhibits: list[Exhibit]) -> Any:
    """A WeasyPrint URL fetcher that serves only this bundle's image exhibits, by id."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    allowed = {e.evidence_id: e for e in exhibits if e.kind == "image" and e.path}

    class EvidenceOnlyFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(timeout=1, allowed_protocols=("sw-evidence",), allow_redirects=False)
            self.handlers = []  # no urllib handler is ever used: fetch() below is the only way in
            self.refused: list[str] = []
            self.served: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            match = EVIDENCE_URL.fullmatch(url or "")
            exhibit = allowed.get(match[1]) if match else None
            if exhibit is None:
                self.refused.append((url or "")[:120])
                raise ValueError("safety_workflow bundles fetch nothing but their own evidence images")
            self.served.append(exhibit.evidence_id)
            with open(exhibit.path, "rb") as handle:
                data = handle.read()
            return URLFetcherResponse(url, body=data, headers={"Content-Type": exhibit.content_type})

        def open(self, url: Any, data: Any = None, timeout: Any = None) -> URLFetcherResponse:
            return self.fetch(getattr(url, "full_url", url))

        def __call__(self, url: str) -> URLFetcherResponse:
            return self.fetch(url)

    return EvidenceOnlyFetcher()


def render_html(composition: Composition, *, bundle_context: dict[str, Any],
                progress: Callable[[int, int], None] | None = None) -> str:
    """The bundle's HTML: each document rendered from its own template, then the page around them."""
    parts = []
    total = len(composition.documents)
    for n, doc in enumerate(composition.documents, 1):
        language = doc.language or composition.language
        context = {**bundle_context, **doc.context, "doc": doc, "exhibit": doc.exhibit,
                   "bilingual": language == BILINGUAL}
        if doc.exhibit is not None:
            context["evidence_url"] = evidence_url(doc.exhibit)
        with translation.override(WELSH if language == BILINGUAL else language or None):
            html = render_to_string(doc.template, context)
        parts.append({"doc": doc, "html": mark_safe(html), "lang": html_lang(language)})  # noqa: S308
        if progress is not None:
            progress(n, total)
    page_counts = sorted({e.pages for e in composition.exhibits if e.kind == "pdf" and e.pages})
    with translation.override(WELSH if composition.language == BILINGUAL else composition.language or None):
        return render_to_string(f"{TEMPLATE_DIR}/base.html", {
            **bundle_context,
            "lang": html_lang(composition.language),
            "title": composition.title,
            "documents": parts,
            # Our own integers only: one named page per distinct exhibit length.
            "placeholder_pages": page_counts,
            # A supplementary section's first page is numbered on from the served bundle's last.
            "page_offset": int(composition.page_offset or 0),
        })


@dataclass
class PlacedImage:
    """Where an evidence image was laid out: its page (0-based) and box, in points from the page's top left."""

    page: int
    evidence_id: str
    left: float
    top: float
    width: float
    height: float


@dataclass
class RenderResult:
    #: For each rendered page, the ids of the elements that start on it.
    anchors: list[list[str]]
    refused: list[str] = field(default_factory=list)
    #: Every evidence image laid out (for the text layer placed over its words).
    images: list[PlacedImage] = field(default_factory=list)


#: CSS pixels to PDF points (WeasyPrint lays out at 96 px to the inch).
PX_TO_PT = 0.75


def placed_images(document: Any) -> list[PlacedImage]:
    """The evidence images in a laid-out WeasyPrint document, with the box each one fills."""
    from weasyprint.formatting_structure.boxes import ReplacedBox

    found = []
    for index, page in enumerate(document.pages):
        for box in page._page_box.descendants():
            if not isinstance(box, ReplacedBox) or box.element is None:
                continue
            match = EVIDENCE_URL.fullmatch(box.element.get("src") or "")
            if match and box.width and box.height:
                found.append(PlacedImage(page=index, evidence_id=match[1], left=box.content_box_x() * PX_TO_PT,
                                         top=box.content_box_y() * PX_TO_PT, width=box.width * PX_TO_PT,
                                         height=box.height * PX_TO_PT))
    return found


class _LayoutProgress(logging.Handler):
    def __init__(self, thread: int, callback: Callable[[int], None]) -> None:
        super().__init__(logging.INFO)
        self.thread = thread
        self.callback = callback

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return
        match = LAYOUT_PAGE.match(record.getMessage())
        if match:
            self.callback(int(match[1]))


_progress_lock = threading.Lock()
_progress_users = 0
_progress_saved: tuple[int, bool] = (logging.NOTSET, True)

#: fontTools (WeasyPrint's font subsetter when HarfBuzz-Subset is missing) stamps each subset font with
#: the time it was written, unless SOURCE_DATE_EPOCH is set (reproducible-builds.org). A fixed stamp
#: keeps a rebuilt bundle byte for byte the same. A value the host has set is left alone.
_epoch_lock = threading.Lock()
_epoch_users = 0
_epoch_set = False


@contextmanager
def _reproducible_fonts() -> Any:
    global _epoch_users, _epoch_set
    with _epoch_lock:
        if not _epoch_users and "SOURCE_DATE_EPOCH" not in os.environ:
            os.environ["SOURCE_DATE_EPOCH"] = "0"
            _epoch_set = True
        _epoch_users += 1
    try:
        yield
    finally:
        with _epoch_lock:
            _epoch_users -= 1
            if not _epoch_users and _epoch_set:
                os.environ.pop("SOURCE_DATE_EPOCH", None)
                _epoch_set = False


def render_pdf(html: str, target: str, *, fetcher: Any, dpi: int | None = None,
               on_layout_page: Callable[[int], None] | None = None) -> RenderResult:
    """Lay out ``html`` with WeasyPrint and write the PDF to ``target``."""
    global _progress_users, _progress_saved
    from weasyprint import HTML
    from weasyprint.logger import PROGRESS_LOGGER

    handler = None
    if on_layout_page is not None:
        handler = _LayoutProgress(threading.get_ident(), on_layout_page)
        with _progress_lock:
            if not _progress_users:
                _progress_saved = (PROGRESS_LOGGER.level, PROGRESS_LOGGER.propagate)
            _progress_users += 1
            PROGRESS_LOGGER.addHandler(handler)
            PROGRESS_LOGGER.setLevel(logging.INFO)
            PROGRESS_LOGGER.propagate = False  # progress lines are for us, not for the host's logs
    try:
        options = {"dpi": dpi} if dpi else {}
        # The options go to render() too: images are prepared (and resampled to ``dpi``) as they load.
        document = HTML(string=html, base_url=None, url_fetcher=fetcher).render(**options)
        anchors = [list(page.anchors) for page in document.pages]
        images = placed_images(document)
        with _reproducible_fonts():
            document.write_pdf(target, **options)
        del document
    finally:
        if handler is not None:
            with _progress_lock:
                PROGRESS_LOGGER.removeHandler(handler)
                _progress_users -= 1
                if not _progress_users:
                    PROGRESS_LOGGER.setLevel(_progress_saved[0])
                    PROGRESS_LOGGER.propagate = _progress_saved[1]
    return RenderResult(anchors=anchors, refused=list(getattr(fetcher, "refused", [])), images=images)
