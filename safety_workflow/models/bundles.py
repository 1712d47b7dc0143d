"""Exported case bundles and packs, built in the background."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def bundle_upload_to(instance: Bundle, filename: str) -> str:
    from ..conf import app_settings

    return f"{app_settings.BUNDLE_UPLOAD_PATH}/{instance.id}.pdf"


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
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to=bundle_upload_to, max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    log = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("bundle")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.id}"
