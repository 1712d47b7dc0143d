"""The bundle build job: compose, render, assemble, hash, publish; with progress, atomically.

Run by the task ``background.build_bundle`` with ``bundle_id`` and ``attempt``.
The job claims the bundle only if it is still queued for that attempt, so a stale message or a
build superseded by a retry does nothing. Everything is built in a private temporary folder; the
file is stored, and the row set to READY with its SHA-256, size and page count, in one transaction
at the very end. Any failure marks the bundle FAILED with nothing downloadable; a worker killed
mid-build leaves it RUNNING with an old heartbeat, which the API reports as stale and lets retry, and
which the scheduled ``requeue_stale_bundles`` task queues again. The PDF is deterministic (no build
time, no random file id), so the rebuilt bundle has the same SHA-256 as the lost one would have had.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
import shutil
import tempfile
import time
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import __version__, i18n, signals
from ..conf import app_settings
from ..models import Bundle
from .compose import Composition, CompositionError, compose_in_language
from .redact import Redactor

logger = logging.getLogger("safety_workflow")

#: Share of the progress bar for each stage (they add up to 100).
STAGES = {"collect": (0, 5), "exhibits": (5, 15), "compose": (15, 25), "render": (25, 75),
          "assemble": (75, 97), "publish": (97, 100)}


class Progress:
    """Writes percentage and step to the bundle row as the build goes, at most twice a second."""

    def __init__(self, bundle_id: Any, attempt: int) -> None:
        self.bundle_id = bundle_id
        self.attempt = attempt
        self.last_write = 0.0
        self.last = (-1, "")

    def __call__(self, stage: str, done: float, total: float, step: str, *, force: bool = False) -> None:
        low, high = STAGES[stage]
        fraction = min(max(done / total, 0.0), 1.0) if total else 1.0
        # Never backwards: WeasyPrint lays some pages out twice (when a page number in the index changes).
        percent = max(int(low + (high - low) * fraction), self.last[0])
        now = time.monotonic()
        if not force and (percent, step) == self.last:
            return
        if not force and now - self.last_write < 0.5:
            return
        self.last_write, self.last = now, (percent, step)
        Bundle.objects.filter(pk=self.bundle_id, attempts=self.attempt, status=Bundle.Status.RUNNING).update(
            progress=percent, step=step[:200], heartbeat_at=timezone.now())


def _claim(bundle_id: Any, attempt: int) -> Bundle | None:
    with transaction.atomic():
        bundle = (Bundle.objects.select_for_update().select_related("requested_by")
                  .filter(pk=bundle_id).first())
        if bundle is None or bundle.attempts != attempt or bundle.status != Bundle.Status.QUEUED:
            return None
        now = timezone.now()
        bundle.status = Bundle.Status.RUNNING
        bundle.started_at = bundle.heartbeat_at = now
        bundle.progress, bundle.step, bundle.error = 0, "Collecting the records", ""
        bundle.save(update_fields=["status", "started_at", "heartbeat_at", "progress", "step", "error"])
    return bundle


def _log(event: str, **data: Any) -> dict[str, Any]:
    return {"at": timezone.now().isoformat(), "event": event, **data}


def build(bundle: Bundle, folder: str, progress: Progress) -> tuple[str, Any, list[dict[str, Any]]]:
    path, assembled, log, _ = build_with_contents(bundle, folder, progress)
    return path, assembled, log


def build_with_contents(bundle: Bundle, folder: str, progress: Progress
                        ) -> tuple[str, Any, list[dict[str, Any]], dict[str, Any]]:
    """Build the PDF in ``folder``. Returns its path, the assembly result and log entries."""
    from . import exhibits as exhibit_prep
    from .assemble import PageSlot, SourcePages, append_supplement, assemble
    from .render import make_fetcher, render_html, render_pdf

    log: list[dict[str, Any]] = []
    clock = _Clock()
    composition: Composition = compose_in_language(bundle)
    progress("collect", 1, 1, "Records collected", force=True)
    clock.lap("collect")

    redactor = Redactor(composition.redactions)
    total_exhibits = len(composition.exhibits)
    notes = exhibit_prep.prepare(
        composition.exhibits, composition.evidence, folder, redactor,
        progress=lambda n, t: progress("exhibits", n, t, f"Checked exhibit {n} of {t}"),
    )
    for insert in composition.inserts:
        insert.path = os.path.join(folder, f"court-document-{insert.number}.pdf")
        copy_court_document(insert, insert.path)
    clock.lap("exhibits")
    # Redact everything the templates will see: titles, contexts and the exhibits' own text.
    english = Redactor(composition.redactions_en) if composition.redactions_en is not None else redactor
    for doc in composition.documents:
        doc_redactor = english if doc.language == "en" else redactor
        doc.title = doc_redactor.text(doc.title)
        doc.context = doc_redactor.tree(doc.context)
    for exhibit in composition.exhibits:
        for name in ("description", "original_name", "witness", "note"):
            setattr(exhibit, name, redactor.text(getattr(exhibit, name)))
    composition.title = redactor.text(composition.title)

    # Dated as requested, not as built: a retried build gives the same bytes.
    generated_at = timezone.localtime(bundle.requested_at).isoformat()
    bundle_context = {"bundle": {"id": str(bundle.pk), "kind": bundle.get_kind_display(), "code": bundle.kind,
                                 "title": composition.title, "generated_at": generated_at}}
    html = render_html(composition, bundle_context=bundle_context,
                       progress=lambda n, t: progress("compose", n, t, f"Composed document {n} of {t}"))
    clock.lap("compose")
    estimate = max(len(composition.documents), 1) * 1.3
    rendered_path = os.path.join(folder, "rendered.pdf")
    fetcher = make_fetcher(composition.exhibits)
    result = render_pdf(
        html, rendered_path, fetcher=fetcher, dpi=app_settings.BUNDLE_IMAGE_DPI,
        on_layout_page=lambda page: progress("render", min(page, estimate), estimate, f"Laying out page {page}"),
    )
    progress("render", 1, 1, "Rendered", force=True)
    clock.lap("render")

    # The bundle's pages: each rendered page, except that a placeholder becomes its exhibit's pages, and an
    # uploaded court document's placeholder pages become its pages.
    placeholders = {e.placeholder: (n + 1, e) for n, e in enumerate(composition.exhibits) if e.kind == "pdf"}
    sources = [SourcePages(open=lambda: open(rendered_path, "rb"), pages=[], keep_links=True)]
    for exhibit in composition.exhibits:
        path = exhibit.path
        sources.append(SourcePages(open=lambda path=path: open(path, "rb"), pages=[]))
    insert_pages: dict[str, tuple[int, int]] = {}
    for insert in composition.inserts:
        sources.append(SourcePages(open=lambda path=insert.path: open(path, "rb"), pages=[]))
        for page in range(insert.pages):
            insert_pages[insert.page_anchor(page)] = (len(sources) - 1, page)
    slots: list[PageSlot] = []
    first_page: dict[str, int] = {}
    offset = composition.page_offset
    layers = exhibit_prep.rendered_layers(composition.exhibits, result.images)
    for index, anchors in enumerate(result.anchors):
        placeholder = next((placeholders[a] for a in anchors if a in placeholders), None)
        inserted = next((insert_pages[a] for a in anchors if a in insert_pages), None)
        for anchor in anchors:
            first_page.setdefault(anchor, offset + len(slots) + 1)
        if inserted is not None:
            slots.append(PageSlot(source=inserted[0], index=inserted[1]))
        elif placeholder is None:
            slots.append(PageSlot(source=0, index=index, text_layer=layers.get(index)))
        else:
            source, exhibit = placeholder
            slots.extend(PageSlot(source=source, index=p, text_layer=exhibit_prep.pdf_page_layer(exhibit, p))
                         for p in range(exhibit.pages))

    bookmarks, index_entries = outline(composition, first_page)
    output = os.path.join(folder, "bundle.pdf")
    file_id = hashlib.sha256(str(bundle.pk).encode()).digest()[:16]
    on_page = lambda n, t: progress("assemble", n, t, f"Assembled page {n} of {t}")  # noqa: E731
    # Translators: the stamp at the foot of every page of a bundle; ASCII letters only (the stamp's font).
    page_label = i18n.text(composition.language, lambda: _("Page %(page)s of %(total)s"))
    if bundle.supplement_of_id:
        served_path = os.path.join(folder, "served.pdf")
        copy_served(bundle.supplement_of, served_path)
        served_marks = [_bookmark_from(item) for item in bundle.supplement_of.contents.get("bookmarks", [])]
        assembled = append_supplement(served=served_path, target=output, sources=sources, slots=slots,
                                      bookmarks=[*served_marks, *bookmarks], progress=on_page, file_id=file_id,
                                      page_label=page_label)
        index_entries = [*bundle.supplement_of.contents.get("index", []), *index_entries]
        bookmarks = [*served_marks, *bookmarks]
    else:
        assembled = assemble(
            target=output, sources=sources, slots=slots, bookmarks=bookmarks, title=composition.title,
            producer=f"safety_workflow {__version__}", file_id=file_id, progress=on_page,
            lang=i18n.html_lang(composition.language), page_label=page_label,
        )
    if composition.contents:
        composition.contents.update(pages=assembled.page_count, index=index_entries,
                                    bookmarks=[_bookmark_dict(b) for b in bookmarks])
    clock.lap("assemble")
    log.extend(_log("note", message=note) for note in notes)
    if result.refused:
        log.append(_log("fetch_refused", count=len(result.refused)))
    for entry in redactor.log():
        log.append(_log("redaction", **entry))
    log.append(_log("exhibits", count=total_exhibits, merged=sum(e.kind == "pdf" for e in composition.exhibits),
                    embedded=sum(e.kind == "image" for e in composition.exhibits),
                    printed=sum(e.kind in ("email", "text") for e in composition.exhibits),
                    text_layers=sum(bool(slot.text_layer) for slot in slots),
                    listed=sum(e.kind == "listed" for e in composition.exhibits),
                    withheld=sum(e.kind == "withheld" for e in composition.exhibits)))
    log.append(_log("timings", **clock.laps))
    return output, assembled, log, composition.contents


def outline(composition: Composition, first_page: dict[str, int]) -> tuple[list[Any], list[dict[str, Any]]]:
    """The bookmarks ("Title (p. N)", grouped by section) and the index entries with their pages: both from
    where each document landed, so they agree with each other and with the page numbers stamped on the pages."""
    from .assemble import Bookmark

    bookmarks: list[Bookmark] = []
    groups: dict[str, Bookmark] = {}
    entries: list[dict[str, Any]] = []
    for doc in composition.documents:
        page = first_page.get(doc.anchor)
        if page is None:
            raise RuntimeError(f"Document {doc.anchor} was not laid out.")
        mark = Bookmark(title=f"{_short(doc.title)} (p. {page})", page=page)
        entries.append({"title": doc.title, "page": page, "group": doc.group})
        if doc.group:
            if doc.group not in groups:
                groups[doc.group] = Bookmark(title=f"{doc.group} (p. {page})", page=page)
                bookmarks.append(groups[doc.group])
            groups[doc.group].children.append(mark)
        else:
            bookmarks.append(mark)
    return bookmarks, entries


def _short(title: str, limit: int = 200) -> str:
    """A bookmark's title, cut at ``limit`` characters (viewers show no more), so that its page is never cut."""
    title = " ".join(title.split())
    return title if len(title) <= limit else title[:limit - 1].rstrip() + "\u2026"


def _bookmark_dict(mark: Any) -> dict[str, Any]:
    return {"title": mark.title, "page": mark.page, "children": [_bookmark_dict(c) for c in mark.children]}


def _bookmark_from(data: dict[str, Any]) -> Any:
    from .assemble import Bookmark

    return Bookmark(title=data["title"], page=data["page"], children=[_bookmark_from(c) for c in data["children"]])


def copy_court_document(insert: Any, target: str) -> None:
    """A private copy of an uploaded court document, checked against the SHA-256 recorded at upload."""
    from django.core.files.storage import default_storage

    from .exhibits import EvidenceIntegrityError

    digest = hashlib.sha256()
    with default_storage.open(insert.storage_name, "rb") as source, open(target, "wb") as out:
        for chunk in iter(lambda: source.read(1024 * 1024), b""):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != insert.sha256:
        raise EvidenceIntegrityError(f"The court document \u201c{insert.title}\u201d no longer matches the SHA-256 "
                                     "recorded when it was added; the bundle was not built.")


def copy_served(served: Bundle, target: str) -> None:
    """The served bundle's file, checked against its SHA-256: a supplement continues exactly what was served."""
    from .exhibits import EvidenceIntegrityError

    digest = hashlib.sha256()
    with served.file.open("rb") as source, open(target, "wb") as out:
        for chunk in iter(lambda: source.read(1024 * 1024), b""):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != served.sha256:
        raise EvidenceIntegrityError("The served bundle no longer matches its SHA-256; the supplement was not built.")


class _Clock:
    """Seconds spent in each stage, for the bundle's log (and the benchmark)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self.last, 3)
        self.last = now


def _publish(bundle: Bundle, attempt: int, path: str, assembled: Any, log: list[dict[str, Any]],
             contents: dict[str, Any]) -> bool:
    """Store the file and mark the bundle READY in one go; False if the attempt was superseded."""
    name = None
    try:
        with transaction.atomic():
            current = Bundle.objects.select_for_update().get(pk=bundle.pk)
            if current.attempts != attempt or current.status != Bundle.Status.RUNNING:
                return False
            with open(path, "rb") as handle:
                current.file.save(f"{bundle.pk}.pdf", File(handle), save=False)
            name = current.file.name
            current.status = Bundle.Status.READY
            current.sha256 = assembled.sha256
            current.size = assembled.size
            current.page_count = assembled.page_count
            current.contents = contents
            current.progress, current.step = 100, "Ready"
            current.finished_at = current.heartbeat_at = timezone.now()
            current.log = [*current.log, *log, _log("ready", sha256=assembled.sha256, pages=assembled.page_count,
                                                    attempt=attempt)]
            current.save(update_fields=["file", "status", "sha256", "size", "page_count", "contents", "progress",
                                        "step", "finished_at", "heartbeat_at", "log"])
            _timeline(current, "bundle_ready",
                      f"{current.get_kind_display()} ready ({assembled.page_count} pages, "
                      f"SHA-256 {assembled.sha256[:12]}...).")
            signals.send_on_commit(signals.bundle_ready, bundle=current)
    except Exception:
        if name:
            default_storage.delete(name)  # never leave a stored file that no READY row points to
        raise
    return True


def _timeline(bundle: Bundle, action: str, summary: str) -> None:
    if bundle.case_id:
        from ..services.audit import timeline_record

        timeline_record(case=bundle.case, action=action, summary=summary, data={"bundle": str(bundle.pk)})


def _fail(bundle_id: Any, attempt: int, message: str) -> None:
    with transaction.atomic():
        current = Bundle.objects.select_for_update().filter(pk=bundle_id).first()
        if current is None or current.attempts != attempt or current.status != Bundle.Status.RUNNING:
            return
        current.status = Bundle.Status.FAILED
        current.error = message[:2000]
        current.finished_at = current.heartbeat_at = timezone.now()
        current.step = "Failed"
        current.log = [*current.log, _log("failed", message=message[:500], attempt=attempt)]
        current.save(update_fields=["status", "error", "finished_at", "heartbeat_at", "step", "log"])


def _remove_leftovers(bundle_id: Any) -> None:
    """Delete the temporary folders of earlier attempts at this bundle that died here (a killed worker)."""
    for folder in glob.glob(os.path.join(tempfile.gettempdir(), f"sw-bundle-{bundle_id}-*")):
        shutil.rmtree(folder, ignore_errors=True)


def bundle_build_job(*, bundle_id: str, attempt: int) -> str:
    """The build, as the task ``background.build_bundle`` runs it. Returns the outcome of this attempt."""
    bundle = _claim(bundle_id, attempt)
    if bundle is None:
        return "skipped"
    progress = Progress(bundle.pk, attempt)
    _remove_leftovers(bundle.pk)
    folder = tempfile.mkdtemp(prefix=f"sw-bundle-{bundle.pk}-{attempt}-")
    try:
        path, assembled, log, contents = build_with_contents(bundle, folder, progress)
        progress("publish", 0, 1, "Storing the bundle", force=True)
        return "ready" if _publish(bundle, attempt, path, assembled, log, contents) else "superseded"
    except (CompositionError, Exception) as exc:  # everything ends as FAILED, with nothing downloadable
        from .exhibits import EvidenceIntegrityError

        if isinstance(exc, (CompositionError, EvidenceIntegrityError)):
            message = str(exc)
        else:
            logger.exception("safety_workflow: bundle %s failed", bundle_id)
            message = f"The bundle could not be built ({exc.__class__.__name__}). Retry, or ask an administrator " \
                      "to look at the server log."
        _fail(bundle.pk, attempt, message)
        return "failed"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
