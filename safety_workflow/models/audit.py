"""Append-only records: the case timeline, the access log, and task due times."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task

from .cases import Case, Incident


class AppendOnly(models.Model):
    """Rows are written once; saving an existing row or deleting through the ORM instance is refused."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{type(self).__name__} rows are append-only.")


class TimelineEntry(AppendOnly):
    """One step in a case: who did what, when, the decision and its reason."""

    id = models.BigAutoField(primary_key=True)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="timeline")
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=50)
    summary = models.CharField(max_length=500)
    decision = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    shared_with_councillor = models.BooleanField(
        default=False, help_text=_("Shown to the councillors whose incidents are in the case."),
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.summary}"


class AccessLogEntry(AppendOnly):
    """Who read, checked, granted or downloaded what, when and why: for information governance.

    Rows are chained: ``row_hash`` is SHA-256 over the row's canonical form and the previous row's
    hash (``audit_chain.py``), so an altered, inserted or deleted row breaks the chain at that row.
    What may later be erased (what was typed into a check, the purpose, the address, the data) is
    covered by ``content_digest``, so erasing it under the retention schedule keeps the chain whole.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        LIST = "list", _("Listed")
        CHECK = "check", _("Register check")
        GRANT = "grant", _("Granted access")
        REVOKE = "revoke", _("Revoked access")
        DOWNLOAD = "download", _("Downloaded")
        CHANGE = "change", _("Changed")
        ERASE = "erase", _("Erased")
        EXPORT = "export", _("Exported")
        HOLD = "hold", _("Legal hold placed")
        HOLD_REVIEW = "hold_review", _("Legal hold reviewed")
        HOLD_RELEASE = "hold_release", _("Legal hold released")
        DISPOSE = "dispose", _("Disposal run")

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", _("Allowed")
        REFUSED = "refused", _("Refused (the caller was told: not found, or not permitted)")
        NOT_FOUND = "not_found", _("No such record")
        FAILED = "failed", _("Failed")

    id = models.BigAutoField(primary_key=True)
    seq = models.BigIntegerField(unique=True, null=True, editable=False,
                                 help_text=_("Position in the hash chain (1, 2, 3...)."))
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    actor_ref = models.CharField(max_length=64, blank=True, help_text=_("The actor's id, kept if the user goes."))
    actor_name = models.CharField(max_length=200, help_text=_("Kept if the user is later deleted."))
    action = models.CharField(max_length=20, choices=Action.choices, db_index=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.ALLOWED, db_index=True)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    subject_ref = models.UUIDField(null=True, blank=True, db_index=True,
                                   help_text=_("The subject the record read is about, if any."))
    checked_name = models.CharField(max_length=200, blank=True, db_index=True,
                                    help_text=_("For a check: the name typed, normalised as the check reads it."))
    purpose = models.TextField(blank=True)
    result = models.CharField(max_length=50, blank=True)
    reference = models.CharField(max_length=64, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    content_digest = models.CharField(max_length=64, blank=True, editable=False)
    redacted_at = models.DateTimeField(null=True, blank=True, editable=False,
                                       help_text=_("When what was typed into the check was erased."))
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    row_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="sw_access_object"),
            models.Index(fields=["actor", "at"], name="sw_access_actor_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_type} {self.object_id}"


class AccessLogChain(models.Model):
    """The head of the access log's hash chain (one row). Appends lock it, so they form one chain.

    ``anchor_seq``/``anchor_hash``: the first row still held and the hash it must follow; they move
    forward when old rows are disposed of under the retention schedule.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)
    anchor_seq = models.BigIntegerField(default=1)
    anchor_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("access log chain head")

    def __str__(self) -> str:
        return f"access log chain at {self.last_seq}"


class TaskDeadline(models.Model):
    """When a human task is due, from the SLA in settings."""

    task = models.OneToOneField(Task, on_delete=models.CASCADE, primary_key=True, related_name="deadline")
    due_at = models.DateTimeField(db_index=True)
    sla = models.CharField(max_length=50)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("task due time")

    def __str__(self) -> str:
        return f"{self.sla} due {self.due_at:%Y-%m-%d %H:%M}"
