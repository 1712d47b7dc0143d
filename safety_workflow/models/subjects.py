"""The people incidents are about: subjects, their aliases and contact handles."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Subject(models.Model):
    """A person whose conduct is recorded. May be unidentified (an account, a voice on the phone)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    description = models.TextField(
        _("description"), blank=True,
        help_text=_("How to recognise the person when the name is not known."),
    )
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["full_name", "created_at"]
        verbose_name = _("subject")

    def __str__(self) -> str:
        return self.full_name or _("Unidentified subject (%(id)s)") % {"id": str(self.id)[:8]}

    @property
    def is_identified(self) -> bool:
        return bool(self.full_name)


class SubjectAlias(models.Model):
    id = models.BigAutoField(primary_key=True)
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["name"]
        verbose_name = _("alias")
        verbose_name_plural = _("aliases")
        constraints = [
            models.UniqueConstraint(fields=["subject", "name"], name="sw_alias_unique_per_subject"),
        ]

    def __str__(self) -> str:
        return self.name


class ContactHandle(models.Model):
    """A way the subject contacts people: an e-mail address, a phone number, a social-media account."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("E-mail address")
        PHONE = "phone", _("Phone number")
        SOCIAL = "social", _("Social-media account")
        ADDRESS = "address", _("Postal address")
        OTHER = "other", _("Other")

    id = models.BigAutoField(primary_key=True)
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="handles")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    platform = models.CharField(
        _("platform"), max_length=50, blank=True, help_text=_("For social media: X, Facebook...")
    )
    value = models.CharField(_("value"), max_length=300)
    normalised = models.CharField(max_length=300, db_index=True, editable=False)

    class Meta:
        ordering = ["kind", "value"]
        verbose_name = _("contact handle")
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "kind", "normalised"], name="sw_handle_unique_per_subject"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"

    def save(self, *args, **kwargs) -> None:
        from ..matching import normalise_handle

        self.normalised = normalise_handle(self.kind, self.value)
        super().save(*args, **kwargs)
