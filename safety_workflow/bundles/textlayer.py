"""An invisible, searchable text layer over the words of an image or a scanned page.

The technique of Tesseract's own PDF output and of OCRmyPDF: each word is written in text render
mode 3 (neither filled nor stroked: invisible, but found by search, selection and copy), with a
"glyphless" font whose every glyph is blank, sized and stretched so that the word covers its box
on the picture. The font is a CID font whose codes are the characters' UTF-16 code units, with a
ToUnicode map saying so, so any text a viewer finds is the text read.

The font is built with fontTools (WeasyPrint's own dependency), deterministically: the same words
give the same bytes.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from typing import Any

from .pdfwriter import OwnRef, PdfStreamWriter, no_remap

TEXT_FONT = "/SWTextLayer"
#: Advance width of every glyph (per 1000 em): a word of n characters is n/2 ems wide before stretching.
GLYPH_WIDTH = 500


@dataclass(frozen=True)
class LayerWord:
    """A word and its box, in points from the top-left corner of the page as displayed."""

    text: str
    left: float
    top: float
    width: float
    height: float


def _glyphless_font() -> bytes | None:
    """A TrueType font with one blank glyph (and .notdef), or None if fontTools is missing."""
    try:
        from fontTools.fontBuilder import FontBuilder
        from fontTools.pens.ttGlyphPen import TTGlyphPen
    except ImportError:
        return None
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", "blank"])
    builder.setupCharacterMap({})
    empty = TTGlyphPen(None).glyph()
    builder.setupGlyf({".notdef": empty, "blank": TTGlyphPen(None).glyph()})
    builder.setupHorizontalMetrics({".notdef": (GLYPH_WIDTH, 0), "blank": (GLYPH_WIDTH, 0)})
    builder.setupHorizontalHeader(ascent=1000, descent=0)
    builder.setupNameTable({"familyName": "GlyphLessFont", "styleName": "Regular",
                            "psName": "GlyphLessFont"})
    builder.setupOS2(sTypoAscender=1000, sTypoDescender=0, usWinAscent=1000, usWinDescent=0)
    builder.setupPost()
    # Fixed timestamps (seconds since 1904): a rebuilt bundle has the same bytes.
    builder.setupHead(unitsPerEm=1000, created=0, modified=0)
    builder.font.recalcTimestamp = False  # fontTools would stamp "modified" with the time of saving
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


_FONT_CACHE: dict[str, bytes | None] = {}


def _to_unicode_cmap() -> bytes:
    """Each 2-byte code is the UTF-16 code unit of the same value (ranges within one high byte, as the
    specification asks)."""
    ranges = "\n".join(f"<{hi:02X}00> <{hi:02X}FF> <{hi:02X}00>" for hi in range(256) if not 0xD8 <= hi <= 0xDF)
    count = 256 - 8
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        f"{count} beginbfrange\n{ranges}\nendbfrange\n"
        "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode("ascii")


def write_font(writer: PdfStreamWriter, font_num: int) -> None:
    """Write the text layer's font (and what it needs) as object ``font_num``."""
    if "font" not in _FONT_CACHE:
        _FONT_CACHE["font"] = _glyphless_font()
    font_file = _FONT_CACHE["font"]
    descriptor: dict[str, Any] = {
        "/Type": "/FontDescriptor", "/FontName": "/GlyphLessFont", "/Flags": 5,
        "/FontBBox": [0, 0, GLYPH_WIDTH, 1000], "/ItalicAngle": 0, "/Ascent": 1000, "/Descent": 0,
        "/CapHeight": 1000, "/StemV": 80,
    }
    if font_file is not None:
        file_num = writer.allocate()
        data = zlib.compress(font_file, 9)
        writer.write_raw_stream(file_num, data, b"/Filter /FlateDecode /Length1 %d " % len(font_file))
        descriptor["/FontFile2"] = OwnRef(file_num)
    descriptor_num = writer.allocate()
    writer.write_object(descriptor_num, _names(descriptor), no_remap)
    gid_map_num = writer.allocate()
    writer.write_raw_stream(gid_map_num, zlib.compress(b"\x00\x01" * 65536, 9), b"/Filter /FlateDecode ")
    cid_num = writer.allocate()
    writer.write_object(cid_num, _names({
        "/Type": "/Font", "/Subtype": "/CIDFontType2", "/BaseFont": "/GlyphLessFont",
        "/CIDSystemInfo": {"/Registry": b"Adobe", "/Ordering": b"Identity", "/Supplement": 0},
        "/FontDescriptor": OwnRef(descriptor_num), "/DW": GLYPH_WIDTH, "/CIDToGIDMap": OwnRef(gid_map_num),
    }), no_remap)
    cmap_num = writer.allocate()
    cmap = zlib.compress(_to_unicode_cmap(), 9)
    writer.write_raw_stream(cmap_num, cmap, b"/Filter /FlateDecode ")
    writer.write_object(font_num, _names({
        "/Type": "/Font", "/Subtype": "/Type0", "/BaseFont": "/GlyphLessFont", "/Encoding": "/Identity-H",
        "/DescendantFonts": [OwnRef(cid_num)], "/ToUnicode": OwnRef(cmap_num),
    }), no_remap)


def _names(value: Any) -> Any:
    """Plain values for :class:`PdfStreamWriter`: "/Name" strings become names, bytes text strings."""
    from pypdf.generic import NameObject, TextStringObject

    if isinstance(value, dict):
        return {key: _names(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_names(item) for item in value]
    if isinstance(value, str) and value.startswith("/"):
        return NameObject(value)
    if isinstance(value, bytes):
        return TextStringObject(value.decode("ascii"))
    return value


def _encode(text: str) -> bytes:
    """Hex string of the text's UTF-16 code units (characters outside the BMP are left out)."""
    units = "".join(ch for ch in text if ord(ch) <= 0xFFFF and not 0xD800 <= ord(ch) <= 0xDFFF)
    return b"<" + units.encode("utf-16-be").hex().upper().encode() + b">"


def _num(value: float) -> bytes:
    return (f"{value:.3f}".rstrip("0").rstrip(".") or "0").encode()


def words_on_lines(words: list[list[Any]], to_page: Any) -> list[LayerWord]:
    """Stored OCR words (``[text, left, top, width, height, confidence, line]``) as layer words: each word
    takes its line's top and height (one baseline per line, as viewers expect), and ``to_page(x, y)``
    turns a point of the picture into points on the page."""
    lines: dict[Any, tuple[float, float]] = {}
    for w in words:
        top, bottom = lines.get(w[6], (w[2], w[2] + w[4]))
        lines[w[6]] = (min(top, w[2]), max(bottom, w[2] + w[4]))
    result = []
    for w in words:
        top, bottom = lines[w[6]]
        left, upper = to_page(w[1], top)
        right, lower = to_page(w[1] + w[3], bottom)
        result.append(LayerWord(text=str(w[0]), left=left, top=upper, width=right - left, height=lower - upper))
    return result


def _show(text: str, left: float, baseline: float, width: float, size: float) -> bytes:
    """Show ``text`` at ``left``/``baseline``, stretched (Tz) to ``width``."""
    natural = len(text) * GLYPH_WIDTH / 1000 * size
    scale = 100 * width / natural if natural else 100
    return b"%s %s Tf %s Tz 1 0 0 1 %s %s Tm %s Tj\n" % (
        TEXT_FONT.encode(), _num(size), _num(scale), _num(left), _num(baseline), _encode(text))


def layer_content(words: list[LayerWord], box: tuple[float, float, float, float], rotate: int) -> bytes:
    """The content stream that writes ``words`` invisibly on a page with this display ``box`` and ``/Rotate``.

    Words are given top-left, as displayed; each covers its own box, and is followed by a space stretched
    over the gap to the next word of its line, so that searches for phrases find them and copied text has
    its spaces.
    """
    if not words:
        return b""
    x0, y0, x1, y1 = box
    display_height = (x1 - x0) if rotate in (90, 270) else (y1 - y0)
    matrix = {
        0: (1, 0, 0, 1, x0, y0),
        90: (0, 1, -1, 0, x1, y0),
        180: (-1, 0, 0, -1, x1, y1),
        270: (0, -1, 1, 0, x0, y1),
    }.get(rotate, (1, 0, 0, 1, x0, y0))
    parts = [b"q\n", b" ".join(_num(v) for v in matrix) + b" cm\n", b"BT\n3 Tr\n"]
    for n, word in enumerate(words):
        text = word.text
        if not text.strip() or word.width <= 0 or word.height <= 0:
            continue
        following = words[n + 1] if n + 1 < len(words) else None
        same_line = (following is not None and following.left > word.left + word.width
                     and abs((following.top + following.height / 2) - (word.top + word.height / 2))
                     < max(word.height, following.height) / 2)
        size = word.height
        baseline = display_height - (word.top + word.height)
        parts.append(_show(text, word.left, baseline, word.width, size))
        if same_line:  # the space, stretched over the gap to the next word
            gap_start = word.left + word.width
            parts.append(_show(" ", gap_start, baseline, following.left - gap_start, size))
    parts.append(b"ET\nQ\n")
    return b"".join(parts)
