"""What the council does about a case: advice, council action, and referral to the police."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .cases import Case, ContactMethod, Incident
from .people import ProtectedPerson


class AdviceTemplate(models.Model):
    class Topic(models.TextChoices):
        SOCIAL_MEDIA = "social_media", _("Social media")
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Phone")
        IN_PERSON = "in_person", _("In person and surgeries")
        HOME = "home", _("Home and family")
        GENERAL = "general", _("General")

    id = models.BigAutoField(primary_key=True)
    code = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=200)
    topic = models.CharField(max_length=20, choices=Topic.choices, default=Topic.GENERAL)
    body = models.TextField()
    title_cy = models.CharField(_("title in Welsh"), max_length=200, blank=True)
    body_cy = models.TextField(_("advice in Welsh"), blank=True,
                               help_text=_("Given to a person whose language is Welsh (or both languages)."))
    for_kinds = models.JSONField(
        default=list, blank=True,
        help_text=_("The kinds of protected person the advice is written for (councillor, candidate, household, "
                    "supporter, staff); empty for everyone."),
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["topic", "title"]
        verbose_name = _("advice template")

    def __str__(self) -> str:
        return self.title

    def text_in(self, language: str) -> tuple[str, str]:
        """The title and the advice in ``language`` (en, cy, or bilingual: the Welsh, then the English); the
        English where no Welsh is written."""
        if language not in ("cy", "bilingual") or not (self.title_cy and self.body_cy):
            return self.title, self.body
        if language == "cy":
            return self.title_cy, self.body_cy
        return f"{self.title_cy} / {self.title}", f"{self.body_cy}\n\n{self.body}"


class AdviceGiven(models.Model):
    """Advice given to a protected person, with the text as it was given (templates may change later)."""

    Method = ContactMethod

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="advice", null=True, blank=True)
    protected_person = models.ForeignKey(ProtectedPerson, on_delete=models.PROTECT, related_name="advice_given")
    template = models.ForeignKey(AdviceTemplate, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    title = models.CharField(max_length=200)
    text = models.TextField()
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.EMAIL)
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    given_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["given_at"]
        verbose_name = _("advice given")
        verbose_name_plural = _("advice given")

    def __str__(self) -> str:
        return f"{self.title} ({self.given_at:%Y-%m-%d})"


class CouncilAction(models.Model):
    """The council's own action on a medium case: a warning letter, an injunction, or none."""

    class Kind(models.TextChoices):
        WARNING_LETTER = "warning_letter", _("Letter to the individual")
        INJUNCTION = "injunction", _("Injunction")
        NO_FURTHER_ACTION = "no_further_action", _("No further action")

    class Basis(models.TextChoices):
        PHA_1997 = "pha_1997", _("Protection from Harassment Act 1997 (CPR 65.28)")
        ASB_2014 = "asb_2014", _("Anti-social Behaviour, Crime and Policing Act 2014 (CPR 65.43)")

    class Court(models.TextChoices):
        COUNTY_COURT = "county_court", _("The County Court")
        HIGH_COURT_KB = "high_court_kb", _("The High Court of Justice, King's Bench Division")

    class Outcome(models.TextChoices):
        GRANTED = "granted", _("Injunction granted")
        UNDERTAKING = "undertaking", _("Undertaking accepted")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="council_actions")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason = models.TextField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    letter_sent_on = models.DateField(null=True, blank=True)
    letter_reference = models.CharField(max_length=100, blank=True)
    basis = models.CharField(max_length=10, choices=Basis.choices, blank=True)
    bundle = models.ForeignKey("safety_workflow.Bundle", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+")
    claim_number = models.CharField(max_length=50, blank=True)
    court = models.CharField(max_length=200, blank=True, help_text=_(
        "As given when the bundle was filed (free text, kept as it was); the court and claim details below are "
        "what the bundle prints."))
    court_kind = models.CharField(_("court"), max_length=20, choices=Court.choices, blank=True)
    hearing_centre = models.CharField(max_length=120, blank=True, help_text=_(
        "The County Court hearing centre (\"Northshire\"), or for the High Court the district registry or "
        "\"Royal Courts of Justice\"."))
    parties = models.JSONField(default=list, blank=True, help_text=_(
        "The parties as the claim names them: [{\"name\", \"role\"}], role claimant, defendant, applicant, "
        "respondent or interested_party."))
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    outcome_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    outcome_notes = models.TextField(blank=True)

    class Meta:
        ordering = ["decided_at"]
        verbose_name = _("council action")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.decided_at:%Y-%m-%d})"


class PoliceContact(models.Model):
    """The named police contact (e.g. a Force Elected Official Adviser)."""

    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=200)
    force = models.CharField(max_length=200)
    role_title = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", help_text=_("Their login, if they use the system."))
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-active", "name"]
        verbose_name = _("police contact")

    def __str__(self) -> str:
        return f"{self.name} ({self.force})"


class PoliceReferral(models.Model):
    class Status(models.TextChoices):
        REFERRED = "referred", _("Referred")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged by the police")
        INVESTIGATING = "investigating", _("Under investigation")
        CHARGED = "charged", _("Charged")
        CAUTIONED = "cautioned", _("Cautioned")
        COMMUNITY_RESOLUTION = "community_resolution", _("Community resolution")
        NO_FURTHER_ACTION = "no_further_action", _("No further police action")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    OPEN_STATUSES = (Status.REFERRED, Status.ACKNOWLEDGED, Status.INVESTIGATING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    contact = models.ForeignKey(
        PoliceContact, on_delete=models.PROTECT, related_name="referrals", null=True, blank=True,
        help_text=_("Empty when no named contact was set up: the referral is made by phone (101 or 999)."),
    )
    incidents = models.ManyToManyField(Incident, related_name="referrals")
    urgent = models.BooleanField(default=False, help_text=_("Immediate danger: referred before assessment."))
    reason = models.TextField()
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+")
    referred_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.REFERRED, db_index=True)
    crime_reference = models.CharField(max_length=50, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                        blank=True, related_name="+")
    acknowledgement_notes = models.TextField(blank=True)
    outcome_notes = models.TextField(blank=True)
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)
    outcome_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                            blank=True, related_name="+")

    class Meta:
        ordering = ["referred_at"]
        verbose_name = _("police referral")

    def __str__(self) -> str:
        return f"{self.case} referral {self.referred_at:%Y-%m-%d}"
