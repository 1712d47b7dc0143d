"""Assembling the final PDF: rendered pages and exhibit pages, stamped, bookmarked and linked.

The output is written object by object to a file (:class:`PdfStreamWriter`): a page and the
objects it uses are copied from their source, written, and dropped, so memory does not grow with
the number of exhibit pages. Only object numbers and byte offsets are kept until the end.

Every page gets a small overlay that prints "Page N of M" (computer-generated page numbers: bundle
page N is PDF page N, exhibits included). The document also gets one bookmark per document, page
labels 1..M, internal links resolved to explicit destinations, and an open action at 100% zoom.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.utils.translation import gettext as _
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject, TextStringObject

from .pdfwriter import OwnRef, PdfStreamWriter, no_remap

#: Page keys copied to the bundle; the rest (/Parent, /AA actions, structure, thumbnails) are dropped.
PAGE_KEYS = ("/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox", "/Rotate", "/UserUnit", "/Group")
#: Annotations never copied from exhibits: links and actions point outside the bundle, media can run code.
DROPPED_ANNOTATIONS = {"/Link", "/Screen", "/Movie", "/Sound", "/RichMedia", "/FileAttachment", "/3D"}
#: Annotation keys never copied: actions, and the back-reference to the source page.
DROPPED_ANNOTATION_KEYS = {"/A", "/AA", "/P"}
STAMP_FONT = "/SWBundlePageNo"
STAMP_SIZE = 9
STAMP_MARGIN = 20  # points from the bottom edge of the page as displayed
# Helvetica advance widths (per 1000 em) of the characters a stamp uses, to centre it exactly.
_HELVETICA_WIDTHS = {**{str(d): 556 for d in range(10)}, " ": 278, "P": 667, "a": 556, "g": 556, "e": 556,
                     "o": 556, "f": 278}


class AssemblyError(Exception):
    """An exhibit or rendered PDF could not be copied into the bundle."""


@dataclass
class SourcePages:
    """Pages to take from one source PDF, in order."""

    open: Callable[[], BinaryIO]
    pages: list[int]
    #: Keep internal links (the rendered part); exhibits' links are dropped.
    keep_links: bool = False


@dataclass
class PageSlot:
    """One page of the bundle: page ``index`` of source ``source``."""

    source: int
    index: int
    #: Words to lay invisibly over the page (an image's or a scanned page's OCR): ``textlayer.LayerWord``s.
    text_layer: list[Any] | None = None


@dataclass
class Bookmark:
    title: str
    page: int  # 1-based bundle page
    children: list[Bookmark] = field(default_factory=list)


@dataclass
class AssemblyResult:
    page_count: int
    sha256: str
    size: int


def _pdf_text(text: str) -> bytes:
    """A PDF literal string in PDFDocEncoding / WinAnsi (the stamp uses ASCII only)."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1", "replace") + b")"


def _display_box(page: DictionaryObject) -> tuple[float, float, float, float]:
    box = page.get("/CropBox") or page.get("/MediaBox")
    box = box.get_object() if box is not None else None
    if not box or len(box) != 4:
        return 0.0, 0.0, 612.0, 792.0
    x0, y0, x1, y1 = (float(v) for v in box)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _rotation(page: DictionaryObject) -> int:
    value = page.get("/Rotate", 0)
    try:
        value = value.get_object() if isinstance(value, IndirectObject) else value
        return int(value or 0) % 360
    except (TypeError, ValueError):
        return 0


def stamp_content(page: DictionaryObject, text: str) -> bytes:
    """Content that restores the page's graphics state and prints ``text`` centred at the bottom
    of the page as it is displayed (after /Rotate), upright."""
    x0, y0, x1, y1 = _display_box(page)
    rotate = _rotation(page)
    width, height = x1 - x0, y1 - y0
    display_width = height if rotate in (90, 270) else width
    # Display coordinates (u right, v up) -> user space, per rotation.
    matrix = {
        0: (1, 0, 0, 1, x0, y0),
        90: (0, 1, -1, 0, x1, y0),
        180: (-1, 0, 0, -1, x1, y1),
        270: (0, -1, 1, 0, x0, y1),
    }[rotate if rotate in (0, 90, 180, 270) else 0]
    text_width = sum(_HELVETICA_WIDTHS.get(ch, 556) for ch in text) * STAMP_SIZE / 1000
    u = (display_width - text_width) / 2
    cm = " ".join(f"{v:.4f}".rstrip("0").rstrip(".") or "0" for v in matrix)
    return (
        b"Q\nq\n%s cm\nBT\n0 g\n%s %d Tf\n%.2f %d Td\n%s Tj\nET\nQ\n"
        % (cm.encode(), STAMP_FONT.encode(), STAMP_SIZE, u, STAMP_MARGIN, _pdf_text(text))
    )


class _SourceCopier:
    """Copies pages of one source PDF into the writer, each object once."""

    def __init__(self, writer: PdfStreamWriter, reader: PdfReader, page_numbers: dict[int, int],
                 keep_links: bool, resources_cache: dict[Any, int], font_num: int,
                 text_font_num: int | None = None) -> None:
        self.writer = writer
        self.reader = reader
        # source page object number -> bundle page object number (pages outside the bundle: absent)
        self.page_numbers = page_numbers
        self.keep_links = keep_links
        self.objects: dict[tuple[int, int], int] = {}
        self.pending: deque[tuple[IndirectObject, int]] = deque()
        self.resources_cache = resources_cache
        self.font_num = font_num
        self.text_font_num = text_font_num
        self.named: dict[str, tuple[int, Any, Any]] | None = None

    def remap(self, ref: IndirectObject) -> int | None:
        if ref.idnum in self.page_numbers:
            return self.page_numbers[ref.idnum]
        key = (ref.idnum, ref.generation)
        num = self.objects.get(key)
        if num is None:
            num = self.writer.allocate()
            self.objects[key] = num
            self.pending.append((ref, num))
        return num

    def drain(self) -> None:
        """Write every object referenced so far, and what those reference in turn."""
        while self.pending:
            ref, num = self.pending.popleft()
            try:
                obj: Any = ref.get_object()
            except Exception:  # a broken reference in an exhibit: write null rather than fail the bundle
                obj = None
            if isinstance(obj, DictionaryObject) and not isinstance(obj, StreamObject):
                if obj.get("/Type") in ("/Page", "/Pages", "/Catalog"):
                    obj = None  # never pull in a page outside the bundle or the source's page tree
                elif "/Rect" in obj and "/Subtype" in obj:
                    obj = self._filtered_annotation(obj)
            self.writer.write_object(num, obj, self.remap)
            if isinstance(obj, StreamObject):
                # Streams are the bulk of a PDF: let the reader forget them once written.
                self.reader.resolved_objects.pop((ref.generation, ref.idnum), None)

    def _filtered_annotation(self, annot: DictionaryObject) -> dict | None:
        subtype = annot.get("/Subtype")
        if subtype in DROPPED_ANNOTATIONS:
            return None
        drop = set(DROPPED_ANNOTATION_KEYS)
        if subtype == "/Widget":
            drop.add("/Parent")  # the form field tree belongs to the source's catalog
        return {k: v for k, v in annot.items() if k not in drop}

    def _named_destinations(self) -> dict[str, tuple[int, Any, Any]]:
        if self.named is None:
            self.named = {}
            for name, dest in self.reader.named_destinations.items():
                page = dest.get("/Page")
                if isinstance(page, IndirectObject):
                    self.named[str(name)] = (page.idnum, dest.get("/Left"), dest.get("/Top"))
        return self.named

    def _resolve_link(self, annot: DictionaryObject) -> dict | None:
        """An internal link with its named destination turned into an explicit one in the bundle."""
        dest = annot.get("/Dest")
        if dest is None:
            action = annot.get("/A")
            action = action.get_object() if action is not None else None
            if isinstance(action, DictionaryObject) and action.get("/S") == "/GoTo":
                dest = action.get("/D")
        if isinstance(dest, IndirectObject):
            dest = dest.get_object()
        target: tuple[int, Any, Any] | None = None
        if isinstance(dest, NameObject):
            target = self._named_destinations().get(str(dest)[1:])
        elif isinstance(dest, (str, bytes)):
            name = dest.decode("latin-1") if isinstance(dest, bytes) else str(dest)
            target = self._named_destinations().get(name)
        elif isinstance(dest, ArrayObject) and dest and isinstance(dest[0], IndirectObject):
            target = (dest[0].idnum, None, None)
        if target is None or target[0] not in self.page_numbers:
            return None
        page_id, left, top = target
        link = {k: v for k, v in annot.items() if k not in ("/Dest", "/A", "/AA", "/P", "/StructParent")}
        link["/Dest"] = [OwnRef(self.page_numbers[page_id]), NameObject("/XYZ"), left, top, None]
        return link

    def _annotations(self, page: DictionaryObject) -> list[Any]:
        annots = page.get("/Annots")
        annots = annots.get_object() if annots is not None else None
        if not isinstance(annots, ArrayObject):
            return []
        kept: list[Any] = []
        for item in annots:
            try:
                annot = item.get_object()
            except Exception:
                continue
            if not isinstance(annot, DictionaryObject):
                continue
            subtype = annot.get("/Subtype")
            if subtype == "/Link":
                link = self._resolve_link(annot) if self.keep_links else None
                if link is not None:
                    num = self.writer.allocate()
                    self.writer.write_object(num, link, self.remap)
                    kept.append(OwnRef(num))
            elif subtype not in DROPPED_ANNOTATIONS:
                # By reference: drain() writes the filtered copy once, whoever refers to it.
                kept.append(item if isinstance(item, IndirectObject) else self._filtered_annotation(annot))
        return kept

    def _stamped_resources(self, page: DictionaryObject) -> Any:
        """The page's resources with the stamp font added; shared resources are copied once."""
        raw = page.get("/Resources")
        cache_key = (id(self.reader), raw.idnum, raw.generation) if isinstance(raw, IndirectObject) else None
        if cache_key is not None and cache_key in self.resources_cache:
            return OwnRef(self.resources_cache[cache_key])
        resources = raw.get_object() if raw is not None else None
        copy: dict[str, Any] = dict(resources) if isinstance(resources, DictionaryObject) else {}
        fonts = copy.get("/Font")
        fonts = fonts.get_object() if fonts is not None else None
        font_copy: dict[str, Any] = dict(fonts) if isinstance(fonts, DictionaryObject) else {}
        font_copy[STAMP_FONT] = OwnRef(self.font_num)
        if self.text_font_num is not None:
            from .textlayer import TEXT_FONT

            font_copy[TEXT_FONT] = OwnRef(self.text_font_num)
        copy["/Font"] = font_copy
        if cache_key is None:
            return copy
        num = self.writer.allocate()
        self.writer.write_object(num, copy, self.remap)
        self.resources_cache[cache_key] = num
        return OwnRef(num)

    def copy_page(self, index: int, page_num: int, parent: int, stamp: str, open_num: int,
                  text_layer: list[Any] | None = None) -> None:
        page = self.reader.pages[index]
        new: dict[str, Any] = {"/Type": NameObject("/Page"), "/Parent": OwnRef(parent)}
        for key in PAGE_KEYS:
            if key in page:
                new[key] = page[key]
        if "/MediaBox" not in new:
            new["/MediaBox"] = [0, 0, 612, 792]
        new["/Resources"] = self._stamped_resources(page)
        contents = page.get("/Contents")
        try:
            resolved = contents.get_object() if contents is not None else None
        except Exception:
            resolved = None
        if isinstance(resolved, ArrayObject):
            parts = list(resolved)
        elif isinstance(resolved, StreamObject):
            parts = [contents]
        else:
            parts = []
        stamp_num = self.writer.allocate()
        self.writer.write_raw_stream(stamp_num, stamp_content(page, stamp))
        new["/Contents"] = [OwnRef(open_num), *parts, OwnRef(stamp_num)]
        if text_layer:
            from .textlayer import layer_content

            layer_num = self.writer.allocate()
            self.writer.write_raw_stream(layer_num, layer_content(text_layer, _display_box(page), _rotation(page)))
            new["/Contents"].append(OwnRef(layer_num))
        annots = self._annotations(page)
        if annots:
            new["/Annots"] = annots
        self.writer.write_object(page_num, new, self.remap)
        self.drain()


def _write_outline(writer: PdfStreamWriter, bookmarks: list[Bookmark], page_nums: list[int],
                   tops: list[float]) -> int | None:
    if not bookmarks:
        return None
    root = writer.allocate()

    def write_level(items: list[Bookmark], parent: int) -> tuple[int, int, int]:
        nums = [writer.allocate() for _ in items]
        total = len(items)
        for i, (item, num) in enumerate(zip(items, nums, strict=True)):
            child_first = child_last = None
            child_count = 0
            if item.children:
                child_first, child_last, child_count = write_level(item.children, num)
                total += child_count
            entry: dict[str, Any] = {
                "/Title": TextStringObject(item.title[:250]),
                "/Parent": OwnRef(parent),
                "/Dest": [OwnRef(page_nums[item.page - 1]), NameObject("/XYZ"), 0, tops[item.page - 1], None],
            }
            if i > 0:
                entry["/Prev"] = OwnRef(nums[i - 1])
            if i < len(items) - 1:
                entry["/Next"] = OwnRef(nums[i + 1])
            if child_first is not None:
                entry["/First"] = OwnRef(child_first)
                entry["/Last"] = OwnRef(child_last)
                entry["/Count"] = child_count
            writer.write_object(num, entry, no_remap)
        return nums[0], nums[-1], total

    first, last, count = write_level(bookmarks, root)
    writer.write_object(root, {"/Type": NameObject("/Outlines"), "/First": OwnRef(first),
                               "/Last": OwnRef(last), "/Count": count}, no_remap)
    return root


def _page_top(reader: PdfReader, index: int) -> float:
    x0, y0, x1, y1 = _display_box(reader.pages[index])
    return y1


def _open_reader(handle: BinaryIO) -> PdfReader:
    reader = PdfReader(handle, strict=False)
    if reader.is_encrypted:
        # Evidence PDFs with an owner password only (no password to open) are still readable.
        if not reader.decrypt(""):
            raise AssemblyError(_("The PDF is password-protected."))
    return reader


def _write_shared_objects(writer: Any, slots: list) -> tuple[int, int, int | None]:
    """The objects every page written shares: the stamp's font, the stream that opens each page's content (``q``),
    and the text layer's font when a slot has one. Returns their object numbers."""
    font_num = writer.allocate()
    writer.write_object(font_num, {
        "/Type": NameObject("/Font"), "/Subtype": NameObject("/Type1"),
        "/BaseFont": NameObject("/Helvetica"), "/Encoding": NameObject("/WinAnsiEncoding"),
    }, no_remap)
    open_num = writer.allocate()
    writer.write_raw_stream(open_num, b"q\n")
    text_font_num = None
    if any(slot.text_layer for slot in slots):
        from .textlayer import write_font

        text_font_num = writer.allocate()
        write_font(writer, text_font_num)
    return font_num, open_num, text_font_num


def assemble(
    *,
    target: str,
    sources: list[SourcePages],
    slots: Iterable[PageSlot],
    bookmarks: list[Bookmark],
    title: str,
    producer: str,
    lang: str = "en-GB",
    progress: Callable[[int, int], None] | None = None,
    file_id: bytes | None = None,
    page_label: str = "Page %(page)s of %(total)s",
) -> AssemblyResult:
    """Write the bundle to ``target`` page by page, then hash it.

    ``page_label`` is the stamp on every page (ASCII: the stamp font's), with ``%(page)s`` and ``%(total)s``.

    ``slots`` lists the bundle's pages in order. An exhibit's pages come in one run: it is opened
    for that run and closed after it, so only one exhibit is ever in memory.
    """
    slots = list(slots)
    total = len(slots)
    with open(target, "wb") as out:
        writer = PdfStreamWriter(out)
        pages_num = writer.allocate()
        font_num, open_num, text_font_num = _write_shared_objects(writer, slots)
        page_nums = [writer.allocate() for _ in slots]
        tops: list[float] = [0.0] * total
        _copy_pages(writer, sources, slots, page_nums, tops, pages_num=pages_num, open_num=open_num,
                    font_num=font_num, text_font_num=text_font_num,
                    stamp=lambda n: page_label % {"page": n + 1, "total": total}, progress=progress)

        writer.write_object(pages_num, {
            "/Type": NameObject("/Pages"), "/Kids": [OwnRef(n) for n in page_nums], "/Count": total,
        }, no_remap)
        outline = _write_outline(writer, bookmarks, page_nums, tops)
        labels = writer.allocate()
        # Page labels 1..M: viewers show the same numbers as the stamps.
        writer.write_object(labels, {"/Nums": [0, {"/S": NameObject("/D")}]}, no_remap)
        catalog: dict[str, Any] = {
            "/Type": NameObject("/Catalog"),
            "/Pages": OwnRef(pages_num),
            "/PageLabels": OwnRef(labels),
            "/Lang": TextStringObject(lang),
            "/ViewerPreferences": {"/DisplayDocTitle": True},
        }
        if total:
            # Open at the first page, at 100% zoom (judiciary guidance on electronic bundles).
            catalog["/OpenAction"] = [OwnRef(page_nums[0]), NameObject("/XYZ"), None, None, 1]
        if outline is not None:
            catalog["/Outlines"] = OwnRef(outline)
            catalog["/PageMode"] = NameObject("/UseOutlines")
        root = writer.allocate()
        writer.write_object(root, catalog, no_remap)
        info = writer.allocate()
        writer.write_object(info, {"/Title": TextStringObject(title), "/Producer": TextStringObject(producer)},
                            no_remap)
        # The trailer's /ID is derived, never random (and the Info has no dates): the same records
        # give the same bytes, so a rebuilt bundle has the same SHA-256.
        if file_id is None:
            file_id = hashlib.sha256(f"{title}\0{producer}".encode()).digest()[:16]
        writer.finish(root=root, info=info, file_id=file_id)
    digest = hashlib.sha256()
    size = 0
    with open(target, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
            size += len(chunk)
    return AssemblyResult(page_count=total, sha256=digest.hexdigest(), size=size)


def _copy_pages(writer: PdfStreamWriter, sources: list[SourcePages], slots: list[PageSlot], page_nums: list[int],
                tops: list[float], *, pages_num: int, open_num: int, font_num: int, text_font_num: int | None,
                stamp: Callable[[int], str], progress: Callable[[int, int], None] | None) -> None:
    """Copy every slot's page to ``page_nums[n]``, stamped ``stamp(n)``; ``tops[n]`` gets its top edge."""
    total = len(slots)
    resources_cache: dict[Any, int] = {}
    # A source with pages in several runs (the rendered document, between exhibits) stays open,
    # with one copier, so its shared objects (fonts, images) are written once; an exhibit is
    # opened for its one run and closed after it.
    runs: dict[int, int] = {}
    for n, slot in enumerate(slots):
        if n == 0 or slots[n - 1].source != slot.source:
            runs[slot.source] = runs.get(slot.source, 0) + 1
    kept: dict[int, tuple[BinaryIO, _SourceCopier]] = {}
    position = 0
    try:
        while position < total:
            source_index = slots[position].source
            run_end = position
            while run_end < total and slots[run_end].source == source_index:
                run_end += 1
            keep = runs[source_index] > 1
            if source_index in kept:
                handle, copier = kept[source_index]
            else:
                handle = sources[source_index].open()
                try:
                    copier = _open_copier(writer, handle, sources[source_index], source_index, slots,
                                          page_nums, resources_cache, font_num, text_font_num)
                except Exception:
                    handle.close()
                    raise
                if keep:
                    kept[source_index] = (handle, copier)
            try:
                for n in range(position, run_end):
                    tops[n] = _page_top(copier.reader, slots[n].index)
                    copier.copy_page(slots[n].index, page_nums[n], pages_num, stamp(n),
                                     open_num, slots[n].text_layer)
                    if progress is not None:
                        progress(n + 1, total)
            except AssemblyError:
                raise
            except Exception as exc:
                raise AssemblyError(f"Could not copy pages from source {source_index}: {exc}") from exc
            finally:
                if not keep:
                    handle.close()
                    del copier
            position = run_end
    finally:
        for handle, _ in kept.values():
            handle.close()


def append_supplement(
    *,
    served: str,
    target: str,
    sources: list[SourcePages],
    slots: list[PageSlot],
    bookmarks: list[Bookmark],
    progress: Callable[[int, int], None] | None = None,
    file_id: bytes | None = None,
    page_label: str = "Page %(page)s of %(total)s",
) -> AssemblyResult:
    """A supplementary section appended to the served bundle ``served`` as a PDF incremental update.

    The target is the served file's bytes, unchanged, followed by the new pages and the objects they use, the
    served page tree and catalogue redefined (the same object numbers: every served page still points at its
    parent) with the new pages after the old and the whole outline, and a cross-reference section chained to the
    served one (``/Prev``). So the first bytes of the new file are exactly the served bundle (its SHA-256 still
    verifies) and its pages keep their numbers; the new ones are numbered on from its last page."""
    import re
    import shutil

    with open(served, "rb") as handle:
        served_reader = PdfReader(handle, strict=False)
        trailer = served_reader.trailer
        root_ref = trailer.raw_get("/Root")
        info_ref = trailer.raw_get("/Info")
        root = root_ref.get_object()
        pages_ref = root.raw_get("/Pages")
        old_pages = [page.indirect_reference.idnum for page in served_reader.pages]
        old_tops = [_display_box(page)[3] for page in served_reader.pages]
        size = int(trailer["/Size"])
        ids = trailer.get("/ID")
        first = ids[0] if ids else b""
        first_id = first.original_bytes if hasattr(first, "original_bytes") else bytes(first)
        catalog: dict[str, Any] = {k: v for k, v in root.items() if k not in ("/Outlines", "/Pages")}
        handle.seek(0, 2)
        length = handle.tell()
        handle.seek(max(0, length - 1024))
        tail = handle.read()
    found = re.findall(rb"startxref\s+(\d+)", tail)
    if not found:
        raise AssemblyError(_("The served bundle has no cross-reference table to continue."))
    prev_xref = int(found[-1])
    shutil.copyfile(served, target)
    total_old = len(old_pages)
    total = total_old + len(slots)
    with open(target, "r+b") as out:
        out.seek(0, 2)
        if not tail.endswith(b"\n"):
            out.write(b"\n")
        writer = PdfStreamWriter(out, first_free=size)
        pages_num = pages_ref.idnum
        font_num, open_num, text_font_num = _write_shared_objects(writer, slots)
        new_pages = [writer.allocate() for _ in slots]
        tops: list[float] = [0.0] * len(slots)
        _copy_pages(writer, sources, slots, new_pages, tops, pages_num=pages_num, open_num=open_num,
                    font_num=font_num, text_font_num=text_font_num,
                    stamp=lambda n: page_label % {"page": total_old + n + 1, "total": total}, progress=progress)
        page_nums = [*old_pages, *new_pages]
        writer.redefine(pages_num)
        writer.write_object(pages_num, {
            "/Type": NameObject("/Pages"), "/Kids": [OwnRef(n) for n in page_nums], "/Count": total,
        }, no_remap)
        outline = _write_outline(writer, bookmarks, page_nums, [*old_tops, *tops])

        def keep(ref: IndirectObject) -> int | None:  # the served catalogue's own references stay as they are
            return ref.idnum

        catalog["/Pages"] = OwnRef(pages_num)
        if outline is not None:
            catalog["/Outlines"] = OwnRef(outline)
            catalog["/PageMode"] = NameObject("/UseOutlines")
        writer.redefine(root_ref.idnum)
        writer.write_object(root_ref.idnum, catalog, keep)
        file_id = file_id or hashlib.sha256(first_id + b"supplement").digest()[:16]
        writer.finish_update(root=root_ref.idnum, info=info_ref.idnum if info_ref is not None else None,
                             first_id=first_id or file_id, file_id=file_id, prev=prev_xref)
    digest = hashlib.sha256()
    length = 0
    with open(target, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
            length += len(chunk)
    return AssemblyResult(page_count=total, sha256=digest.hexdigest(), size=length)


def _open_copier(writer: PdfStreamWriter, handle: BinaryIO, source: SourcePages, source_index: int,
                 slots: list[PageSlot], page_nums: list[int], resources_cache: dict[Any, int],
                 font_num: int, text_font_num: int | None = None) -> _SourceCopier:
    """Open a source and map every one of its pages in the bundle to the bundle's page object."""
    try:
        reader = _open_reader(handle)
        page_map: dict[int, int] = {}
        for n, slot in enumerate(slots):
            if slot.source == source_index:
                ref = reader.pages[slot.index].indirect_reference
                if ref is not None:
                    page_map[ref.idnum] = page_nums[n]
    except AssemblyError:
        raise
    except Exception as exc:
        raise AssemblyError(f"Could not open source {source_index}: {exc}") from exc
    return _SourceCopier(writer, reader, page_map, source.keep_links, resources_cache, font_num, text_font_num)


def count_pages(handle: BinaryIO) -> list[tuple[float, float, int]]:
    """Each page's displayed box size and rotation; raises AssemblyError if the PDF cannot be used."""
    try:
        reader = _open_reader(handle)
        result = []
        for page in reader.pages:
            x0, y0, x1, y1 = _display_box(page)
            result.append((x1 - x0, y1 - y0, _rotation(page)))
    except AssemblyError:
        raise
    except Exception as exc:
        raise AssemblyError(f"The PDF cannot be read: {exc.__class__.__name__}") from exc
    if not result:
        raise AssemblyError(_("The PDF has no pages."))
    return result


def extract_text(handle: BinaryIO) -> Iterable[str]:
    """The text of each page (for checking exhibits against requested redactions)."""
    reader = _open_reader(handle)
    for page in reader.pages:
        try:
            yield page.extract_text() or ""
        except Exception:
            yield ""
