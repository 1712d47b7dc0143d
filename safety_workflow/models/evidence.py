"""The text read from an evidence file: OCR of images and scanned pages, PDF text, e-mail and plain text."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .cases import EvidenceFile


class EvidenceText(models.Model):
    """What could be read from one evidence file, and how sure the reading is.

    Made by the ``extract_evidence_text`` task after the upload (never in the request). It follows
    its file: disposed of with it (cascade), and shown to whoever may see the file.

    ``pages`` keeps, for images and OCR'd PDF pages, every word with its box, so that bundles can
    place an invisible text layer over the words and cover redacted words on the pixels::

        [{"number": 1, "width": 1080, "height": 1920, "unit": "px", "ocr": true,
          "words": [["Watch", 40, 210, 96, 28, 96.1, 0], ...]}]     # text, left, top, width, height,
                                                                   # confidence (0-100), line number
    Boxes are in the page's own pixels (images: as displayed, after any EXIF rotation; PDF pages:
    rendered at ``EVIDENCE_OCR_DPI``, as displayed).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be read")
        DONE = "done", _("Read")
        UNAVAILABLE = "unavailable", _("Cannot be read here (no OCR engine, or a kind of file with no text)")
        FAILED = "failed", _("Reading failed")

    class Method(models.TextChoices):
        NONE = "", _("Not read")
        OCR = "ocr", _("Optical character recognition of an image")
        PDF = "pdf", _("The PDF's text, with OCR of its scanned pages")
        EMAIL = "email", _("The e-mail's headers and text")
        PLAIN = "plain", _("Plain text")

    evidence = models.OneToOneField(EvidenceFile, on_delete=models.CASCADE, primary_key=True,
                                    related_name="extraction")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    method = models.CharField(max_length=10, choices=Method.choices, blank=True, default="")
    text = models.TextField(blank=True, default="")
    pages = models.JSONField(default=list, blank=True)
    #: Headers of an e-mail (from, to, cc, date, subject) and its attachments' names, for printing it.
    fields = models.JSONField(default=dict, blank=True)
    #: Mean OCR confidence of the words read (0-100); None when nothing was OCR'd.
    confidence = models.FloatField(null=True, blank=True)
    word_count = models.PositiveIntegerField(default=0)
    page_count = models.PositiveIntegerField(default=0)
    engine = models.CharField(max_length=50, blank=True, default="")
    engine_version = models.CharField(max_length=50, blank=True, default="")
    language = models.CharField(max_length=50, blank=True, default="")
    #: The SHA-256 of the bytes that were read (the evidence file's, checked before reading).
    sha256 = models.CharField(max_length=64, blank=True, default="")
    message = models.CharField(max_length=500, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("evidence text")
        verbose_name_plural = _("evidence texts")

    def __str__(self) -> str:
        return f"Text of {self.evidence_id} ({self.status})"

    @property
    def ocr_pages(self) -> list[dict]:
        return [p for p in self.pages or [] if p.get("ocr")]
