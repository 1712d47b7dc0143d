"""Cases and the incidents in them. A case is the IncidentFlow's process: one per subject's course of conduct."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from .people import ContactMethod, ElectionPeriod, ProtectedPerson
from .subjects import Subject

__all__ = ["LEVEL_ORDER", "Case", "ContactMethod", "EvidenceFile", "IdempotencyRecord", "Incident", "Level",
           "ReferenceSequence", "Route"]


class Level(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium: serious but under the police threshold")
    SERIOUS = "serious", _("Serious or explicitly violent")


#: Severity order of levels, lowest first.
LEVEL_ORDER = {Level.LOW: 0, Level.MEDIUM: 1, Level.SERIOUS: 2}


class Route(models.TextChoices):
    ADVICE = "advice", _("Logged, with advice to the person harmed")
    COUNCIL_ACTION = "council_action", _("Council action")
    POLICE = "police", _("Referral to the police")


class Case(Process):
    """One case file: the incidents about one subject (or one unidentified source) while it is open."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        MERGED = "merged", _("Merged into another case")

    reference = models.CharField(_("reference"), max_length=40, unique=True)
    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN, db_index=True)
    level = models.CharField(
        _("current level"), max_length=10, choices=Level.choices, blank=True,
        help_text=_("The final level of the latest assessment."),
    )
    route = models.CharField(_("current route"), max_length=20, choices=Route.choices, blank=True)
    immediate_danger = models.BooleanField(default=False)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_cases"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome_summary = models.TextField(_("outcome told to the people harmed"), blank=True)
    person_informed_at = models.DateTimeField(null=True, blank=True)
    person_informed_by = models.CharField(
        _("how the people harmed were told"), max_length=20, blank=True, choices=ContactMethod.choices,
    )

    class Meta:
        verbose_name = _("case")
        indexes = [models.Index(fields=["state", "level"], name="sw_case_state_level")]

    def __str__(self) -> str:
        return self.reference


class Incident(models.Model):
    """One occasion of abuse, harassment or intimidation, in the reporter's words."""

    class Channel(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        LETTER = "letter", _("Letter")
        SOCIAL_MEDIA = "social_media", _("Social media")
        AT_HOME = "at_home", _("At the person's home")
        SURGERY = "surgery", _("At a surgery")
        ONLINE_MEETING = "online_meeting", _("Online meeting")

    class HateCategory(models.TextChoices):
        RACE = "race", _("Race or ethnicity")
        RELIGION = "religion", _("Religion or belief")
        SEXUAL_ORIENTATION = "sexual_orientation", _("Sexual orientation")
        DISABILITY = "disability", _("Disability")
        TRANSGENDER = "transgender", _("Transgender identity")
        SEX = "sex", _("Sex or gender")
        OTHER = "other", _("Other")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=50, unique=True)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="incidents", null=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    protected_person = models.ForeignKey(
        ProtectedPerson, on_delete=models.PROTECT, related_name="incidents",
        help_text=_("The person the incident was aimed at."),
    )
    person_kind = models.CharField(
        _("what the person was when it happened"), max_length=20, choices=ProtectedPerson.Kind.choices,
        db_index=True, help_text=_("A candidate elected later stays a candidate here."),
    )
    election_period = models.ForeignKey(
        ElectionPeriod, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents",
        help_text=_("The election period it happened in (worked out from the date, the ward and the person)."),
    )
    reported_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    occurred_at = models.DateTimeField(_("when it happened"), db_index=True)
    location = models.CharField(_("where"), max_length=300, blank=True)
    ward = models.CharField(_("ward"), max_length=100, blank=True, db_index=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, db_index=True)
    account = models.TextField(_("what was said or done, in the reporter's words"))
    words_used = models.TextField(_("the exact words used, where known"), blank=True)
    hate_element = models.BooleanField(default=False)
    hate_categories = models.JSONField(default=list, blank=True)
    immediate_danger = models.BooleanField(_("the person feels in immediate danger"), default=False)
    injury = models.BooleanField(default=False)
    witnesses = models.TextField(blank=True)
    police_already_informed = models.BooleanField(default=False)
    police_reference = models.CharField(max_length=50, blank=True)
    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents"
    )
    subject_details = models.JSONField(
        default=dict, blank=True,
        help_text=_("What the reporter knows of the person: name, handles, description."),
    )

    class Meta:
        ordering = ["occurred_at", "reported_at"]
        verbose_name = _("incident")
        indexes = [
            models.Index(fields=["subject", "protected_person", "occurred_at"], name="sw_inc_subject_person"),
        ]

    def __str__(self) -> str:
        return self.reference


class IdempotencyRecord(models.Model):
    """Remembers an Idempotency-Key so a retried report creates one incident."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="sw_idempotency_unique"),
        ]

    def __str__(self) -> str:
        return self.key


def evidence_upload_to(instance: EvidenceFile, filename: str) -> str:
    from ..conf import app_settings

    # Never the uploader's file name: it is user text.
    return f"{app_settings.EVIDENCE_UPLOAD_PATH}/{instance.incident_id}/{instance.id}"


class EvidenceFile(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to=evidence_upload_to, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    description = models.CharField(max_length=500, blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name = _("evidence file")

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]})"


class ReferenceSequence(models.Model):
    """Counters behind human-readable references, incremented under a row lock."""

    key = models.CharField(max_length=100, primary_key=True)
    value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.value}"
