"""The people the process protects, and the elections that bring candidates into it.

A protected person is whoever an incident was aimed at: a councillor (linked to their user account), a
candidate in an election (who need not have an account, and keeps their history if elected), a member of a
councillor's or candidate's household, someone who supports them (a ward assistant, an election agent), or a
member of the council's staff. Their contact details are held for the process only (to tell them the outcome,
to give advice), with the same care as a subject's: seen by the roles that need them, kept under the retention
schedule (``protected_person``), and listed in their subject-access export.

An election period is data: the election, its poll date, the weeks before the poll that count as the period
(from the notice of election to the count), the wards a by-election covers, and the candidates standing.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    """The language of the documents the council writes to or for someone (docs/language.md)."""

    ENGLISH = "en", _("English")
    WELSH = "cy", _("Welsh")
    BILINGUAL = "bilingual", _("Welsh and English (Welsh first)")


class ContactMethod(models.TextChoices):
    """How someone was told something (advice, the outcome of their case), or how they prefer to be."""

    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    MEETING = "meeting", _("In person")
    LETTER = "letter", _("Letter")


class ElectionPeriod(models.Model):
    """The weeks before a poll: reports in them are flagged, and trends compare them with the rest of the year."""

    id = models.BigAutoField(primary_key=True)
    name = models.CharField(_("election"), max_length=200,
                            help_text=_("e.g. Northshire County Council elections 2027, or Riverside by-election."))
    poll_date = models.DateField(_("polling day"), db_index=True)
    starts_on = models.DateField(_("first day of the period"),
                                 help_text=_("Usually the notice of election (25 working days before the poll)."))
    ends_on = models.DateField(_("last day of the period"), help_text=_("Usually the day of the count."))
    wards = models.JSONField(
        default=list, blank=True,
        help_text=_("The wards or divisions a by-election covers; empty for an election across the whole council."),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-poll_date", "name"]
        verbose_name = _("election period")
        constraints = [
            models.CheckConstraint(condition=models.Q(starts_on__lte=models.F("poll_date"),
                                                      poll_date__lte=models.F("ends_on")),
                                   name="sw_election_period_dates"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (poll {self.poll_date:%d %B %Y})"


class ProtectedPerson(models.Model):
    """Someone an incident may be aimed at. Need not be a user."""

    class Kind(models.TextChoices):
        COUNCILLOR = "councillor", _("Councillor")
        CANDIDATE = "candidate", _("Candidate for election")
        HOUSEHOLD = "household", _("Member of a councillor's or candidate's household")
        SUPPORTER = "supporter", _("Supporter of a councillor or candidate (ward assistant, agent)")
        STAFF = "staff", _("Member of the council's staff")

    #: Kinds whose person is linked to the councillor or candidate they live with or support.
    LINKED_KINDS = (Kind.HOUSEHOLD, Kind.SUPPORTER)
    #: Kinds a household member or supporter may be linked to.
    LINKABLE_KINDS = (Kind.COUNCILLOR, Kind.CANDIDATE)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True,
                                 help_text=_("For a user, their name is the host's display name."))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="safety_protected_person",
        help_text=_("Their login, if they have one (a councillor always has)."),
    )
    linked_to = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="linked_people",
        help_text=_("For a household member or supporter: the councillor or candidate."),
    )
    relationship = models.CharField(_("relationship"), max_length=100, blank=True,
                                    help_text=_("e.g. partner, son, ward assistant, election agent."))
    share_with_linked = models.BooleanField(
        _("the councillor or candidate may see incidents about them"), default=False,
        help_text=_("They agreed that the councillor or candidate they are linked to may see incidents reported "
                    "about them by others (those the councillor or candidate reports are always theirs to see)."),
    )
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    workplace = models.CharField(_("service or workplace"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    phone = models.CharField(_("phone number"), max_length=50, blank=True)
    address = models.TextField(_("postal address"), blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    preferred_contact = models.CharField(_("how they prefer to be contacted"), max_length=10, blank=True,
                                         choices=ContactMethod.choices)
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=Language.choices,
        help_text=_("The language of the documents written for them (their subject-access export, the bundles "
                    "about what happened to them); blank: the council's default."),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["full_name", "created_at"]
        verbose_name = _("protected person")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """How the person is named everywhere: a user by the host's display name, anyone else by their name."""
        if self.user_id is not None:
            from ..adapter import get_adapter

            return get_adapter().display_name(self.user)
        return self.full_name or str(_("Unnamed person"))


class Candidacy(models.Model):
    """A person standing in an election, for a ward or division."""

    id = models.BigAutoField(primary_key=True)
    person = models.ForeignKey(ProtectedPerson, on_delete=models.CASCADE, related_name="candidacies")
    election = models.ForeignKey(ElectionPeriod, on_delete=models.PROTECT, related_name="candidacies")
    ward = models.CharField(_("ward or division"), max_length=100)
    elected = models.BooleanField(null=True, blank=True, help_text=_("Empty until the result is recorded."))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["election__poll_date", "id"]
        verbose_name = _("candidacy")
        verbose_name_plural = _("candidacies")
        constraints = [
            models.UniqueConstraint(fields=["person", "election"], name="sw_candidacy_once_per_election"),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.ward}, {self.election.name})"
