"""Evidence images made with Pillow, as councillors send them: screenshots, a photo of a letter, and worse.

Each maker returns ``(png_or_jpeg_bytes, words)`` where ``words`` are the words drawn, in order, for
measuring recall. Shared by the tests and ``bench/ocr_engines.py``.
"""

from __future__ import annotations

import io
import os
import random

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_PATHS = {
    "sans": ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"],
    "bold": ["/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"],
    "serif": ["/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"],
}

THREAT = "I know where you live and you will regret this"
THIRD_PARTY = "Janet Oduya"
POST_LINES = [
    "Councillor Amira Patel thinks she can ignore us.",
    f"{THREAT}.",
    f"Ask {THIRD_PARTY} what happened to her windows.",
    "Watch your back at the next meeting.",
]
LETTER_LINES = [
    "27 Larch Avenue, Riverside",
    "",
    "To the councillor,",
    "",
    "You voted to close the library and everyone",
    "on this street knows it was you.",
    f"{THREAT}.",
    "Keep away from the Riverside hall on Friday",
    "or your family will see what we can do.",
    "",
    "A neighbour",
]


def font(kind: str, size: int) -> ImageFont.FreeTypeFont:
    for path in FONT_PATHS[kind]:
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def words_of(lines: list[str]) -> list[str]:
    return [w for line in lines for w in line.split()]


def _encode(image: Image.Image, kind: str = "PNG", **options) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def social_post(*, scale: float = 1.0, handle: str = "@mgreaves_rs", name: str = "Martin Greaves",
                lines: list[str] | None = None, fg: str = "#0f1419", bg: str = "#ffffff",
                muted: str = "#536471") -> Image.Image:
    """A social-media post as a phone screenshot (``scale`` 1.0: 1080 px wide, text 34 px)."""
    lines = POST_LINES if lines is None else lines
    width = int(1080 * scale)
    size = max(10, int(34 * scale))
    height = int((260 + 56 * len(lines)) * scale)
    image = Image.new("RGB", (width, height), bg)
    draw = ImageDraw.Draw(image)
    pad = int(40 * scale)
    draw.ellipse((pad, pad, pad + int(90 * scale), pad + int(90 * scale)), fill="#1d9bf0")
    draw.text((pad + int(110 * scale), pad + int(6 * scale)), name, font=font("bold", size), fill=fg)
    draw.text((pad + int(110 * scale), pad + int(48 * scale)), f"{handle} · 2h", font=font("sans", size),
              fill=muted)
    y = pad + int(130 * scale)
    for line in lines:
        draw.text((pad, y), line, font=font("sans", size), fill=fg)
        y += int(56 * scale)
    draw.text((pad, y + int(20 * scale)), "12 Replies   48 Reposts   230 Likes", font=font("sans", int(size * 0.8)),
              fill=muted)
    return image


def screenshot_png(**kwargs) -> tuple[bytes, list[str]]:
    image = social_post(**kwargs)
    lines = kwargs.get("lines") or POST_LINES
    return _encode(image), words_of(lines)


def desktop_screenshot_png() -> tuple[bytes, list[str]]:
    """A desktop screenshot at 1x: small text (15 px), the hardest size for OCR."""
    return screenshot_png(scale=0.45)


def letter_page(lines: list[str] | None = None) -> Image.Image:
    lines = LETTER_LINES if lines is None else lines
    image = Image.new("RGB", (1240, 1754), "white")  # A4 at 150 dpi
    draw = ImageDraw.Draw(image)
    y = 160
    for line in lines:
        draw.text((150, y), line, font=font("serif", 34), fill="#111111")
        y += 58
    return image


def photo_of_letter_jpeg(*, angle: float = 2.5, seed: int = 7) -> tuple[bytes, list[str]]:
    """A phone photo of a printed letter: off-white paper lit unevenly, tilted, soft, grainy, on a desk."""
    page = letter_page()
    paper = Image.linear_gradient("L").resize(page.size).point(lambda v: 200 + v * 45 // 255)
    tinted = Image.merge("RGB", (paper, paper, paper.point(lambda v: max(0, v - 12))))
    page = Image.composite(page, tinted, page.convert("L").point(lambda v: 255 if v < 128 else 0))
    desk = Image.new("RGB", (1500, 2000), "#6b5844")
    desk.paste(page.rotate(angle, expand=True, fillcolor="#6b5844", resample=Image.Resampling.BICUBIC), (60, 40))
    photo = desk.filter(ImageFilter.GaussianBlur(0.8))
    rng = random.Random(seed)
    noise = Image.effect_noise(photo.size, 18).convert("L")
    photo = Image.blend(photo, Image.merge("RGB", (noise, noise, noise)), 0.08 + rng.random() * 0.01)
    return _encode(photo, "JPEG", quality=82), words_of(LETTER_LINES)


def rotated_screenshot_png(turn: int = 90) -> tuple[bytes, list[str]]:
    """A screenshot saved a quarter-turn round (a phone held sideways, no EXIF to say so)."""
    image = social_post().rotate(turn, expand=True)
    return _encode(image), words_of(POST_LINES)


def low_contrast_png() -> tuple[bytes, list[str]]:
    """Grey text on a grey background (a dimmed screenshot, a faded photocopy)."""
    image = social_post(fg="#8a8a8a", bg="#b4b4b4", muted="#9a9a9a")
    return _encode(image), words_of(POST_LINES)


def scanned_letter_pdf(dpi: int = 150) -> tuple[bytes, list[str]]:
    """A scanned letter: one image-only A4 page (no text layer), as a scanner makes them."""
    image = letter_page().convert("L")
    out = io.BytesIO()
    image.save(out, "PDF", resolution=dpi)
    return out.getvalue(), words_of(LETTER_LINES)


def normalise_word(word: str) -> str:
    return "".join(ch for ch in word.lower() if ch.isalnum())


def recall(expected: list[str], text: str) -> float:
    """The share of the expected words found (as whole words, case and punctuation ignored)."""
    found = {normalise_word(w) for w in text.split()}
    wanted = [normalise_word(w) for w in expected if normalise_word(w)]
    return sum(w in found for w in wanted) / len(wanted) if wanted else 1.0
