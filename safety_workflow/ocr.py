"""Optical character recognition with Tesseract (through pytesseract): words, boxes and confidence.

Tesseract is a system program (``apt-get install tesseract-ocr tesseract-ocr-eng``), optional at
install: :func:`engine` says whether it can be used here, and why not. Nothing here touches the
database. Every box is given in the pixels of the image as it was passed in (upright, as displayed).

Screenshots are small (text 12-16 px high) and Tesseract reads best at about 30 px, so small images
are enlarged before reading; low-contrast images are stretched; an image whose words read badly is
checked for a quarter- or half-turn (Tesseract's orientation detection, then trying each turn) and
read again the right way up.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from typing import Any

from .conf import app_settings

#: Enlarge images whose longer side is under this many pixels (twice, or three times when tiny).
UPSCALE_BELOW = 800
#: Never read an image larger than this many pixels on its longer side (it is reduced first).
MAX_SIDE = 5000
#: Below this mean confidence a reading is tried the other ways up.
ROTATE_BELOW_CONFIDENCE = 70.0


class EngineUnavailable(Exception):
    """The OCR engine cannot be used here (not installed, or the language data is missing)."""


@dataclass(frozen=True)
class Engine:
    name: str
    version: str
    command: str
    languages: str


@dataclass
class Word:
    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float
    line: int

    def as_list(self) -> list[Any]:
        return [self.text, self.left, self.top, self.width, self.height, round(self.confidence, 1), self.line]


@dataclass
class OcrPage:
    width: int
    height: int
    words: list[Word] = field(default_factory=list)
    rotated: int = 0  # the quarter-turns (degrees, clockwise) the image needed to be read upright

    @property
    def confidence(self) -> float | None:
        scored = [w.confidence for w in self.words if w.confidence >= 0]
        return sum(scored) / len(scored) if scored else None

    @property
    def text(self) -> str:
        lines: dict[int, list[str]] = {}
        for word in self.words:
            lines.setdefault(word.line, []).append(word.text)
        return "\n".join(" ".join(words) for _, words in sorted(lines.items()))


_engine_lock = threading.Lock()
_engine_cache: dict[tuple[str, str | None, str], Engine | str] = {}


def engine() -> Engine:
    """The OCR engine this installation uses; raises :class:`EngineUnavailable` saying why not."""
    command = app_settings.EVIDENCE_OCR_COMMAND or "tesseract"
    languages = app_settings.EVIDENCE_OCR_LANGUAGES or "eng"
    found = shutil.which(command)
    key = (command, found, languages)
    with _engine_lock:
        cached = _engine_cache.get(key)
    if cached is None:
        cached = _probe(command, found, languages)
        with _engine_lock:
            _engine_cache[key] = cached
    if isinstance(cached, str):
        raise EngineUnavailable(cached)
    return cached


def engine_or_none() -> tuple[Engine | None, str]:
    try:
        return engine(), ""
    except EngineUnavailable as exc:
        return None, str(exc)


def _probe(command: str, found: str | None, languages: str) -> Engine | str:
    try:
        import pytesseract  # noqa: F401
    except ImportError:
        return 'pytesseract is not installed (pip install "safety-workflow[ocr]")'
    if found is None:
        return (f"the Tesseract OCR engine ({command!r}) is not installed or not on PATH "
                "(apt-get install tesseract-ocr tesseract-ocr-eng)")
    try:
        out = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=30, check=False)
        version = (out.stdout or out.stderr).split()[1] if (out.stdout or out.stderr).split()[1:] else ""
        listed = subprocess.run([found, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"the Tesseract OCR engine ({found}) cannot be run: {exc.__class__.__name__}"
    installed = {line.strip() for line in (listed.stdout or "").splitlines()[1:] if line.strip()}
    missing = [lang for lang in languages.split("+") if lang not in installed]
    if missing:
        return (f"Tesseract has no language data for {', '.join(missing)} "
                f"(apt-get install {' '.join('tesseract-ocr-' + m for m in missing)})")
    return Engine(name="tesseract", version=version, command=found, languages=languages)


def _prepared(image: Any) -> tuple[Any, float]:
    """A greyscale copy with its contrast stretched, enlarged when small; and the scale used."""
    from PIL import Image, ImageOps

    grey = image.convert("L") if image.mode != "L" else image.copy()
    longest = max(grey.size)
    scale = 1.0
    if longest > MAX_SIDE:
        scale = MAX_SIDE / longest
    elif longest < UPSCALE_BELOW // 2:
        scale = 3.0
    elif longest < UPSCALE_BELOW:
        scale = 2.0
    if scale != 1.0:
        size = (max(1, round(grey.width * scale)), max(1, round(grey.height * scale)))
        grey = grey.resize(size, Image.Resampling.LANCZOS)
    # Low contrast (grey on grey, a faded photocopy): stretch the histogram, ignoring 1% outliers.
    grey = ImageOps.autocontrast(grey, cutoff=1)
    return grey, scale


#: Tesseract's own threads (OpenMP) make it slower on a busy server: one page took 1.84 s with them and
#: 0.67 s without on the 2-core development machine. Pages are read one per worker instead.
_THREADS_ENV = "OMP_THREAD_LIMIT"
#: A word read as a lone "|" in running text is a capital I (Tesseract's commonest slip on screenshots).
_FIXES = {"|": "I"}


def _read(image: Any, eng: Engine) -> list[Word]:
    import pytesseract

    os.environ.setdefault(_THREADS_ENV, "1")  # pytesseract passes os.environ to the engine

    data = pytesseract.image_to_data(image, lang=eng.languages, config="--psm 3",
                                     output_type=pytesseract.Output.DICT,
                                     timeout=app_settings.EVIDENCE_OCR_TIMEOUT_SECONDS or 0)
    words: list[Word] = []
    lines: dict[tuple[int, int, int], int] = {}
    for i, text in enumerate(data["text"]):
        text = (text or "").strip()
        if not text:
            continue
        text = _FIXES.get(text, text)
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        line = lines.setdefault(key, len(lines))
        words.append(Word(text=text, left=int(data["left"][i]), top=int(data["top"][i]),
                          width=int(data["width"][i]), height=int(data["height"][i]),
                          confidence=float(data["conf"][i]), line=line))
    return words


def _score(words: list[Word]) -> float:
    """How well a reading went: the confidence of its words that look like words."""
    return sum(w.confidence for w in words if w.confidence > 40 and any(c.isalnum() for c in w.text))


def _osd_rotation(image: Any, eng: Engine) -> int | None:
    import pytesseract

    try:
        osd = pytesseract.image_to_osd(image, output_type=pytesseract.Output.DICT,
                                       timeout=app_settings.EVIDENCE_OCR_TIMEOUT_SECONDS or 0)
    except Exception:  # too few characters to tell, or no osd data: try every turn instead
        return None
    rotate = int(osd.get("rotate", 0)) % 360
    return rotate if rotate in (90, 180, 270) else None


def _unrotate(words: list[Word], turned: int, width: int, height: int) -> list[Word]:
    """Boxes read on the image turned ``turned`` degrees clockwise, back on the image as given
    (``width`` x ``height`` being the turned image's size)."""
    if not turned:
        return words
    result = []
    for w in words:
        x0, y0, x1, y1 = w.left, w.top, w.left + w.width, w.top + w.height
        if turned == 90:     # turned clockwise: a point (x, y) of the turned image was (y, W' - x)
            box = (y0, width - x1, y1, width - x0)
        elif turned == 180:
            box = (width - x1, height - y1, width - x0, height - y0)
        else:                # 270
            box = (height - y1, x0, height - y0, x1)
        result.append(Word(w.text, box[0], box[1], box[2] - box[0], box[3] - box[1], w.confidence, w.line))
    return result


def ocr_image(image: Any) -> OcrPage:
    """Read ``image`` (a Pillow image, upright as displayed). Raises :class:`EngineUnavailable`."""
    eng = engine()
    prepared, scale = _prepared(image)
    words = _read(prepared, eng)
    turned = 0
    page = OcrPage(width=image.width, height=image.height, words=words)
    if (page.confidence or 0) < ROTATE_BELOW_CONFIDENCE or len(words) < 3:
        hint = _osd_rotation(prepared, eng)
        turns = [90, 270, 180]
        if hint:  # the detector's answer first; the other turns only if it did not help
            turns = [hint, *(t for t in turns if t != hint)]
        best = _score(words)
        for turn in turns:
            # Pillow's rotate() is counter-clockwise: turning clockwise by ``turn`` is rotate(-turn).
            candidate = _read(prepared.rotate(-turn, expand=True), eng)
            if _score(candidate) > best * 1.2 + 50:
                best, words, turned = _score(candidate), candidate, turn
                break
    if turned:
        w, h = prepared.size
        words = _unrotate(words, turned, *((h, w) if turned in (90, 270) else (w, h)))
    if scale != 1.0:
        words = [Word(w.text, round(w.left / scale), round(w.top / scale), max(1, round(w.width / scale)),
                      max(1, round(w.height / scale)), w.confidence, w.line) for w in words]
    return OcrPage(width=image.width, height=image.height, words=words, rotated=turned)
