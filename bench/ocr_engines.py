"""Compare OCR engines on the test suite's evidence images: word recall, confidence, time per image.

    .venv/bin/python bench/ocr_engines.py                 # Tesseract, as safety_workflow.ocr runs it
    /path/to/other/venv/bin/python bench/ocr_engines.py   # RapidOCR too, where rapidocr-onnxruntime is installed

Each engine runs in the interpreter that has it (RapidOCR and its 400 MB of dependencies are not part of
the project). Recall is the share of the words drawn on the image that the engine's text contains, as whole
words, case and punctuation ignored (``tests/evidence_images.recall``). Times are the median of 3 runs.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from PIL import Image  # noqa: E402

from tests import evidence_images as ei  # noqa: E402

CASES = {
    "phone screenshot (1080 px, 34 px text)": ei.screenshot_png,
    "desktop screenshot (486 px, 15 px text)": ei.desktop_screenshot_png,
    "photo of a letter (tilted 2.5 deg, JPEG)": ei.photo_of_letter_jpeg,
    "screenshot turned 90 deg": lambda: ei.rotated_screenshot_png(90),
    "screenshot turned 270 deg": lambda: ei.rotated_screenshot_png(270),
    "low contrast (grey on grey)": ei.low_contrast_png,
}


def tesseract_engine():
    try:
        import django
        from django.conf import settings

        if not settings.configured:
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
            django.setup()
        from safety_workflow.ocr import engine, ocr_image

        eng = engine()
    except Exception as exc:  # not installed in this interpreter
        print(f"tesseract: skipped ({exc.__class__.__name__}: {exc})")
        return None

    def read(image):
        page = ocr_image(image)
        return page.text, page.confidence

    return f"tesseract {eng.version} (pytesseract, safety_workflow.ocr)", read


def rapidocr_engine():
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as exc:
        print(f"rapidocr: skipped ({exc})")
        return None
    reader = RapidOCR()

    def read(image):
        import numpy

        result, _ = reader(numpy.array(image.convert("RGB")))
        lines = [item[1] for item in result or []]
        confidences = [float(item[2]) * 100 for item in result or []]
        return "\n".join(lines), (statistics.mean(confidences) if confidences else None)

    from importlib.metadata import version

    return f"rapidocr-onnxruntime {version('rapidocr-onnxruntime')}", read


def main() -> None:
    engines = [e for e in (tesseract_engine(), rapidocr_engine()) if e]
    images = {name: make() for name, make in CASES.items()}
    for label, read in engines:
        print(f"\n{label}")
        print("| image | recall | mean confidence | seconds (median of 3) |")
        print("| --- | --- | --- | --- |")
        recalls = []
        for name, (data, words) in images.items():
            image = Image.open(io.BytesIO(data)).convert("RGB")
            times = []
            for _ in range(3):
                started = time.perf_counter()
                text, confidence = read(image)
                times.append(time.perf_counter() - started)
            value = ei.recall(words, text)
            recalls.append(value)
            conf = f"{confidence:.1f}" if confidence is not None else "-"
            print(f"| {name} | {value:.2f} | {conf} | {statistics.median(times):.2f} |")
        print(f"| all | {statistics.mean(recalls):.3f} | | |")


if __name__ == "__main__":
    main()
