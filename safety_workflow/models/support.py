"""Support for the people the process protects: home security, police priority-response flags, counselling,
induction training."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .cases import Case
from .people import ProtectedPerson


class HomeSecurityAssessment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    protected_person = models.ForeignKey(ProtectedPerson, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="home_security_assessments")
    assessed_on = models.DateField()
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    findings = models.TextField()
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["assessed_on"]
        verbose_name = _("home security assessment")

    def __str__(self) -> str:
        return f"Home security assessment {self.assessed_on}"


class SecurityMeasure(models.Model):
    class Status(models.TextChoices):
        RECOMMENDED = "recommended", _("Recommended")
        INSTALLED = "installed", _("Installed")
        DECLINED = "declined", _("Declined by the person")

    id = models.BigAutoField(primary_key=True)
    assessment = models.ForeignKey(HomeSecurityAssessment, on_delete=models.CASCADE, related_name="measures")
    description = models.CharField(max_length=300)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECOMMENDED)
    completed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description


class PriorityAddressFlag(models.Model):
    """An address the police have flagged for a priority response."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    protected_person = models.ForeignKey(ProtectedPerson, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    address = models.TextField()
    postcode = models.CharField(max_length=10, blank=True)
    police_reference = models.CharField(max_length=50, blank=True)
    flagged_on = models.DateField()
    review_due = models.DateField(db_index=True)
    active = models.BooleanField(default=True)
    removed_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["review_due"]
        verbose_name = _("priority-response address flag")

    def __str__(self) -> str:
        return f"Priority flag {self.postcode or self.address[:20]} (review {self.review_due})"


class EmployeeAssistanceOffer(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    protected_person = models.ForeignKey(ProtectedPerson, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    offered_on = models.DateField()
    offered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accepted = models.BooleanField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["offered_on"]
        verbose_name = _("employee-assistance offer")

    def __str__(self) -> str:
        return f"Employee assistance offered {self.offered_on}"


class InductionTraining(models.Model):
    class Course(models.TextChoices):
        HEALTH_AND_SAFETY = "health_and_safety", _("Health and safety induction")
        POLICE_ROLE = "police_role", _("The police's role (briefing by the named contact)")
        PERSONAL_SAFETY = "personal_safety", _("Personal safety and lone working")
        ONLINE_SAFETY = "online_safety", _("Online safety and social media")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    protected_person = models.ForeignKey(ProtectedPerson, on_delete=models.PROTECT, related_name="+")
    course = models.CharField(max_length=30, choices=Course.choices)
    completed_on = models.DateField()
    delivered_by = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["completed_on"]
        verbose_name = _("induction training record")

    def __str__(self) -> str:
        return f"{self.get_course_display()} {self.completed_on}"
