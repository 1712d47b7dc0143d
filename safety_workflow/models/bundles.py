"""Exported case bundles and packs, built in the background by a worker (``background.build_bundle``).

A bundle row is the job and its result. The file, its SHA-256, its size and its page count are
set together with status READY in one transaction at the end of a build: a bundle that is not
READY has no file, so a failed or killed build never leaves anything downloadable.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def bundle_upload_to(instance: Bundle, filename: str) -> str:
    from ..conf import app_settings

    # Never a name from user text; the attempt number keeps a retried build from reusing a name.
    return f"{app_settings.BUNDLE_UPLOAD_PATH}/{instance.id}-{instance.attempts}.pdf"


class Bundle(models.Model):
    class Kind(models.TextChoices):
        INJUNCTION = "injunction", _("Injunction bundle")
        POLICE_REFERRAL = "police_referral", _("Police referral pack")
        LIAISON_MEETING = "liaison_meeting", _("Liaison meeting pack")
        SUBJECT_ACCESS = "subject_access", _("Subject-access export")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Building")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    scope = models.JSONField(default=dict)
    redactions = models.JSONField(default=list, blank=True)
    case = models.ForeignKey(
        "safety_workflow.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="bundles",
        help_text=_("The case the bundle was built for, when its scope is one case."),
    )
    subject = models.ForeignKey(
        "safety_workflow.Subject", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text=_("The subject the bundle is about, when its scope names one."),
    )
    purpose = models.TextField(_("why it was requested"), blank=True)
    language = models.CharField(
        _("language"), max_length=10, default="en",
        choices=[("en", _("English")), ("cy", _("Welsh")), ("bilingual", _("Welsh and English (Welsh first)"))],
        help_text=_("The language it is written in, settled when it was requested (a rebuild writes the same)."),
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Last sign of life from the build; a stale one may be retried."),
    )
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    task_id = models.CharField(
        max_length=64, blank=True, editable=False,
        help_text=_("The id the task backend gave this attempt's build (to tell a build still waiting in the queue "
                    "from one that was lost)."),
    )
    file = models.FileField(upload_to=bundle_upload_to, max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    log = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    supplement_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="supplements",
        help_text=_("The served bundle this one continues: its file is that bundle's bytes, unchanged, with the "
                    "supplementary section appended."),
    )
    contents = models.JSONField(default=dict, blank=True, editable=False, help_text=_(
        "What a ready injunction bundle holds (records, documents, index with pages, bookmarks), so that a "
        "supplement adds only what is new and continues its pages."))

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("bundle")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.id}"

    def is_stale(self, now=None) -> bool:
        """A queued or running build that has shown no sign of life for too long (a dead worker)."""
        from ..conf import app_settings

        if self.status not in (self.Status.QUEUED, self.Status.RUNNING):
            return False
        last = self.heartbeat_at or self.started_at or self.requested_at
        age = ((now or timezone.now()) - last).total_seconds()
        return age > app_settings.BUNDLE_STALE_AFTER_SECONDS


def court_document_upload_to(instance: CourtDocument, filename: str) -> str:
    from ..conf import app_settings

    return f"{app_settings.BUNDLE_UPLOAD_PATH}/court/{instance.id}.pdf"


class CourtDocument(models.Model):
    """A document the legal team puts in an injunction bundle: an uploaded PDF, or one generated from a template.

    The bundle holds them in the order of CPR PD32 para 27 (statements of case, claim form, application notice,
    draft order; witness statements; notices; contemporaneous documents, by date). A document uploaded after a
    bundle was served goes into that bundle's supplementary section. A withdrawn document stays recorded (a
    served bundle may hold it) but goes into no later bundle.
    """

    class Section(models.TextChoices):
        STATEMENT_OF_CASE = "statement_of_case", _("Statement of case")
        CLAIM_FORM = "claim_form", _("Claim form")
        APPLICATION_NOTICE = "application_notice", _("Application notice")
        DRAFT_ORDER = "draft_order", _("Draft order")
        WITNESS_STATEMENT = "witness_statement", _("Witness statement")
        NOTICE = "notice", _("Notice")
        CONTEMPORANEOUS = "contemporaneous", _("Contemporaneous document")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("safety_workflow.Case", on_delete=models.PROTECT, related_name="court_documents")
    section = models.CharField(max_length=30, choices=Section.choices)
    title = models.CharField(max_length=200)
    document_date = models.DateField(null=True, blank=True)
    #: An uploaded PDF; without one, the document is generated from ``injunction/court/<section>.html``.
    file = models.FileField(upload_to=court_document_upload_to, max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    text = models.TextField(blank=True, help_text=_("For a generated document: its body, one paragraph a line."))
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now, editable=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    withdrawal_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["added_at"]
        verbose_name = _("court document")

    def __str__(self) -> str:
        return f"{self.get_section_display()}: {self.title}"
