"""What the log's patterns leave behind: course-of-conduct flags, escalation signals as first noticed,
and the monitoring officer's liaison meetings that "since the last meeting" is measured from.

Flags and signals are written once, when first noticed (so people are told once), by
``services.patterns.conduct_flags_update``; the live picture is computed by ``selectors.patterns``.
A correction (an incident unlinked from the subject, or split into another case) withdraws the ones
that rested on it, with who and why: they stay in the history, and one flag or signal per subject
and protected person (or key) is in force at a time.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .actions import PoliceContact
from .cases import Case, Incident
from .people import ProtectedPerson
from .subjects import Subject


class Withdrawable(models.Model):
    """A finding that a correction can withdraw. Withdrawn rows are kept, with who withdrew them and why."""

    withdrawn_at = models.DateTimeField(null=True, blank=True, db_index=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    withdrawal_reason = models.TextField(blank=True)

    class Meta:
        abstract = True

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None


class CourseOfConductFlag(Withdrawable):
    """A subject reached two or more incidents against the same person (Protection from Harassment Act 1997)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="conduct_flags")
    protected_person = models.ForeignKey(ProtectedPerson, on_delete=models.PROTECT, related_name="conduct_flags")
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="conduct_flags",
        help_text=_("The case holding the incident that reached the threshold."),
    )
    incidents = models.ManyToManyField(Incident, related_name="conduct_flags",
                                       help_text=_("The incidents behind the flag when it was raised."))
    incident_count = models.PositiveIntegerField()
    reason = models.TextField(_("reason"), help_text=_("In plain English, naming the incidents and dates."))
    raised_at = models.DateTimeField(default=timezone.now, db_index=True)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")

    class Meta:
        ordering = ["raised_at"]
        verbose_name = _("course-of-conduct flag")
        constraints = [
            models.UniqueConstraint(fields=["subject", "protected_person"],
                                    condition=models.Q(withdrawn_at__isnull=True),
                                    name="sw_conduct_flag_once"),
        ]

    def __str__(self) -> str:
        return f"{self.subject}: course of conduct ({self.incident_count} incidents)"


class EscalationSignal(Withdrawable):
    """An escalation signal as first noticed. ``key`` changes only when the signal says something new."""

    class Kind(models.TextChoices):
        FREQUENCY_RISING = "frequency_rising", _("Incidents are becoming more frequent")
        SEVERITY_RISING = "severity_rising", _("The incidents are becoming more serious")
        MOVED_IN_PERSON = "moved_in_person", _("Contact has moved from online to in person")
        REACHED_HOME = "reached_home", _("The subject has come to the home of someone the process protects")
        SEVERAL_PEOPLE = "several_people", _("Several people targeted by the same subject")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="escalation_signals")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    key = models.CharField(max_length=60)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="escalation_signals",
                             help_text=_("The case holding the latest incident behind the signal."))
    incidents = models.ManyToManyField(Incident, related_name="escalation_signals")
    explanation = models.TextField()
    noticed_at = models.DateTimeField(default=timezone.now, db_index=True)
    noticed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["noticed_at"]
        verbose_name = _("escalation signal")
        constraints = [
            models.UniqueConstraint(fields=["subject", "key"], condition=models.Q(withdrawn_at__isnull=True),
                                    name="sw_escalation_signal_once"),
        ]

    def __str__(self) -> str:
        return f"{self.subject}: {self.get_kind_display()}"


class LiaisonMeeting(models.Model):
    """A monitoring officer's meeting with the police (or internal review) where the log is discussed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    held_at = models.DateTimeField(_("when it was held"), db_index=True)
    police_contact = models.ForeignKey(PoliceContact, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="meetings")
    attendees = models.TextField(blank=True)
    notes = models.TextField(_("what was agreed"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-held_at"]
        verbose_name = _("liaison meeting")

    def __str__(self) -> str:
        return f"Liaison meeting {self.held_at:%Y-%m-%d}"
