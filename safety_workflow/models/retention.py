"""Legal holds, the disposal log, and files waiting to be deleted from storage."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .audit import AppendOnly
from .cases import Case
from .register import RegisterEntry
from .subjects import Subject


class LegalHold(models.Model):
    """A hold on a case, a subject or a register entry: while it is in force nothing it covers is disposed of.

    Placed by the monitoring officer or legal with a reason and a review date (litigation, a complaint
    to the ICO, a police investigation...). Reviewed until released; every step is in the access log.
    """

    class State(models.TextChoices):
        ACTIVE = "active", _("In force")
        RELEASED = "released", _("Released")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE, db_index=True)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="legal_holds")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="legal_holds")
    register_entry = models.ForeignKey(RegisterEntry, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="legal_holds")
    reason = models.TextField(_("why the records must be kept"))
    review_on = models.DateField(_("review by"), db_index=True)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(default=timezone.now)
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    last_reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                         blank=True, related_name="+")
    review_note = models.TextField(blank=True)
    review_notified_on = models.DateField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    release_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["review_on", "placed_at"]
        verbose_name = _("legal hold")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(case__isnull=False, subject__isnull=True, register_entry__isnull=True)
                    | models.Q(case__isnull=True, subject__isnull=False, register_entry__isnull=True)
                    | models.Q(case__isnull=True, subject__isnull=True, register_entry__isnull=False)
                ),
                name="sw_hold_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"Legal hold on {self.target_kind} ({self.get_state_display()})"

    @property
    def target_kind(self) -> str:
        return "case" if self.case_id else "subject" if self.subject_id else "register_entry"


class DisposalRecord(AppendOnly):
    """One record disposed of under the retention schedule. Holds no personal data: the kind, the
    record's reference or id, what was done, when and under which rule.

    ``subject_ref`` is the id of the subject the record was about, kept only while that subject's own
    record exists (so a subject-access export can say what was disposed of); it is cleared when the
    subject is disposed of.
    """

    class Action(models.TextChoices):
        DELETED = "deleted", _("Deleted")
        ANONYMISED = "anonymised", _("Anonymised")

    id = models.BigAutoField(primary_key=True)
    run = models.UUIDField(db_index=True)
    kind = models.CharField(max_length=30, db_index=True)
    reference = models.CharField(max_length=100, db_index=True)
    action = models.CharField(max_length=12, choices=Action.choices)
    rule = models.CharField(max_length=200)
    disposed_at = models.DateTimeField(default=timezone.now, db_index=True)
    files = models.PositiveIntegerField(default=0, help_text=_("Files deleted from storage with it."))
    subject_ref = models.UUIDField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-disposed_at", "-id"]
        verbose_name = _("disposal record")
        verbose_name_plural = _("disposal log")

    def __str__(self) -> str:
        return f"{self.disposed_at:%Y-%m-%d} {self.action} {self.kind} {self.reference}"


class PendingFileDeletion(models.Model):
    """A stored file whose record was disposed of: deleted from storage after the transaction commits,
    and retried by the next disposal run if storage failed. The path holds ids only, never names."""

    id = models.BigAutoField(primary_key=True)
    field = models.CharField(max_length=20, help_text=_('"evidence" or "bundle": whose storage holds it.'))
    name = models.CharField(max_length=300)
    queued_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("file awaiting deletion")

    def __str__(self) -> str:
        return self.name
