"""A PDF written object by object to a file, so that only object numbers and offsets stay in memory.

Values are pypdf objects (copied from a source PDF, their references renumbered on the way) or
plain Python values for the objects we make ourselves: dict with name keys, list, bool, int,
float, None, and :class:`OwnRef` for a reference to one of our own objects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from pypdf.generic import IndirectObject, NameObject, PdfObject, StreamObject


@dataclass
class OwnRef:
    """A reference to an object of the bundle being written (never remapped)."""

    num: int

    def write(self, out: BinaryIO) -> None:
        out.write(b"%d 0 R" % self.num)


def _serialize(value: Any, out: BinaryIO, remap: Callable[[IndirectObject], int | None]) -> None:
    """Write a direct PDF value, turning the source's references into references of the bundle.

    Takes pypdf objects (from a source) and plain Python values (our own objects): dict with
    name keys, list, bool, int, float, None, :class:`OwnRef`.
    """
    if isinstance(value, OwnRef):
        value.write(out)
    elif isinstance(value, IndirectObject):
        num = remap(value)
        out.write(b"null" if num is None else b"%d 0 R" % num)
    elif isinstance(value, dict):
        is_stream = isinstance(value, StreamObject)
        out.write(b"<<")
        for key, item in value.items():
            if is_stream and key == "/Length":
                continue
            out.write(b"\n")
            NameObject(key).write_to_stream(out)
            out.write(b" ")
            _serialize(item, out, remap)
        if is_stream:
            out.write(b"\n/Length %d" % len(value._data))
        out.write(b"\n>>")
    elif isinstance(value, list):
        out.write(b"[")
        for item in value:
            out.write(b" ")
            _serialize(item, out, remap)
        out.write(b" ]")
    elif value is None:
        out.write(b"null")
    elif isinstance(value, PdfObject):
        value.write_to_stream(out)
    elif isinstance(value, bool):
        out.write(b"true" if value else b"false")
    elif isinstance(value, int):
        out.write(b"%d" % value)
    elif isinstance(value, float):
        out.write((f"{value:.4f}".rstrip("0").rstrip(".") or "0").encode())
    else:
        raise TypeError(f"Cannot write {type(value).__name__} to a PDF")


class PdfStreamWriter:
    """A PDF written object by object; only the cross-reference offsets stay in memory."""

    def __init__(self, out: BinaryIO, *, first_free: int = 0) -> None:
        """A new PDF; or, with ``first_free``, an incremental update appended where ``out`` stands, to a PDF whose
        objects are numbered below ``first_free`` (its trailer's /Size)."""
        self.out = out
        if first_free:
            self.offsets: list[int] = [0] + [-2] * (first_free - 1)  # -2: an object of the original, untouched
        else:
            self.offsets = [0]
            out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def allocate(self) -> int:
        self.offsets.append(-1)
        return len(self.offsets) - 1

    def write_object(self, num: int, value: Any, remap: Callable[[IndirectObject], int | None]) -> None:
        self.offsets[num] = self.out.tell()
        self.out.write(b"%d 0 obj\n" % num)
        _serialize(value, self.out, remap)
        if isinstance(value, StreamObject):
            self.out.write(b"\nstream\n")
            self.out.write(value._data)
            self.out.write(b"\nendstream")
        self.out.write(b"\nendobj\n")

    def redefine(self, num: int) -> None:
        """An object of the original written again in an incremental update (its new offset goes in the xref)."""
        self.offsets[num] = -1

    def write_raw_stream(self, num: int, data: bytes, extra: bytes = b"") -> None:
        self.offsets[num] = self.out.tell()
        self.out.write(b"%d 0 obj\n<< /Length %d %s>>\nstream\n" % (num, len(data), extra))
        self.out.write(data)
        self.out.write(b"\nendstream\nendobj\n")

    def finish(self, *, root: int, info: int, file_id: bytes) -> None:
        for num, offset in enumerate(self.offsets):
            if num and offset < 0:  # allocated but never written (a dropped reference): make it null
                self.offsets[num] = self.out.tell()
                self.out.write(b"%d 0 obj\nnull\nendobj\n" % num)
        xref = self.out.tell()
        self.out.write(b"xref\n0 %d\n" % len(self.offsets))
        self.out.write(b"0000000000 65535 f\r\n")
        for offset in self.offsets[1:]:
            self.out.write(b"%010d 00000 n\r\n" % offset)
        hex_id = file_id.hex().encode()
        self.out.write(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(self.offsets), root, info, hex_id, hex_id, xref)
        )


    def finish_update(self, *, root: int, info: int | None, first_id: bytes, file_id: bytes, prev: int) -> None:
        """The cross-reference section of an incremental update: only the objects written since, chained to
        the original's with /Prev."""
        for num, offset in enumerate(self.offsets):
            if num and offset == -1:
                self.offsets[num] = self.out.tell()
                self.out.write(b"%d 0 obj\nnull\nendobj\n" % num)
        xref = self.out.tell()
        self.out.write(b"xref\n")
        written = [num for num, offset in enumerate(self.offsets) if num and offset >= 0]
        runs: list[list[int]] = []
        for num in written:
            if runs and runs[-1][-1] == num - 1:
                runs[-1].append(num)
            else:
                runs.append([num])
        for run in runs:
            self.out.write(b"%d %d\n" % (run[0], len(run)))
            for num in run:
                self.out.write(b"%010d 00000 n\r\n" % self.offsets[num])
        info_part = b" /Info %d 0 R" % info if info is not None else b""
        self.out.write(
            b"trailer\n<< /Size %d /Root %d 0 R%s /ID [<%s> <%s>] /Prev %d >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(self.offsets), root, info_part, first_id.hex().encode(), file_id.hex().encode(), prev, xref)
        )


def no_remap(ref: IndirectObject) -> int | None:  # our own objects hold no source references
    return None
