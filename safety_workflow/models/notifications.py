"""Who was told what, and what the host platforms were sent.

:class:`Notification`: one notice to one recipient through one channel (Django e-mail through the adapter, or
GOV.UK Notify e-mail or text message), with its delivery status, attempts and the provider's reference.
:class:`WebhookSubscription` and :class:`WebhookDelivery`: a host platform's endpoint, and each event sent to it
with its attempts (the delivery log). ``notifications.py`` and ``webhooks.py`` write them; the background tasks
deliver them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..roles import Role
from .cases import Case


class Notification(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail (through the adapter)")
        NOTIFY_EMAIL = "notify_email", _("GOV.UK Notify e-mail")
        NOTIFY_SMS = "notify_sms", _("GOV.UK Notify text message")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Handed to the provider")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        RETRYING = "retrying", _("Failed; will be tried again")
        FAILED = "failed", _("Failed")
        PERMANENT_FAILURE = "permanent-failure", _("Not delivered: the address or number is wrong")
        TEMPORARY_FAILURE = "temporary-failure", _("Not delivered: the inbox was full or the phone off")
        TECHNICAL_FAILURE = "technical-failure", _("Not delivered: the provider failed")

    #: Statuses after which nothing more happens.
    FINAL = (Status.SENT, Status.DELIVERED, Status.FAILED, Status.PERMANENT_FAILURE, Status.TEMPORARY_FAILURE,
             Status.TECHNICAL_FAILURE)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.CharField(max_length=100, db_index=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    #: The queue's reference of the recipient: "user:<pk>", "police_contact:<pk>" or "email:<address>".
    recipient = models.CharField(max_length=300)
    #: The address or phone number used (filled when sent).
    address = models.CharField(max_length=300, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    message = models.TextField(blank=True)
    context = models.JSONField(default=dict, blank=True)
    template_id = models.CharField(max_length=100, blank=True)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.TextField(blank=True)
    provider_reference = models.CharField(max_length=100, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status_at = models.DateTimeField(null=True, blank=True, help_text=_("When the status last changed."))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")

    def __str__(self) -> str:
        return f"{self.event} to {self.recipient} ({self.channel}, {self.status})"


class WebhookSubscription(models.Model):
    """A host platform's endpoint, the events it wants, its signing secret, and the role whose view it gets."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    url = models.URLField(max_length=1000)
    #: Event types (e.g. "case.closed"); empty: every event.
    events = models.JSONField(default=list, blank=True)
    secret = models.CharField(max_length=200)
    role = models.CharField(max_length=40, choices=Role.choices,
                            help_text=_("The subscription receives only what this role may see."))
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "created_at"]
        verbose_name = _("webhook subscription")

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"

    def wants(self, event_type: str) -> bool:
        return self.active and (not self.events or event_type in self.events)


class WebhookDelivery(models.Model):
    """One event for one subscription: the envelope as sent, and each attempt (the delivery log)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        RETRYING = "retrying", _("Failed; will be tried again")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    #: The event's id (the envelope's "id"): the same for every attempt and replay, for receivers to dedupe.
    event_id = models.UUIDField(db_index=True)
    event_type = models.CharField(max_length=100)
    payload = models.JSONField()
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    #: Every attempt: {"at", "status_code", "error", "ms"}.
    log = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.event_type} to {self.subscription_id} ({self.status})"
