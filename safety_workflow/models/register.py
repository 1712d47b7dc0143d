"""The Potentially Violent Persons Register: entries, their mitigations and matching keys, and who may see them.

An entry rests on specific incidents about one subject. Its life (propose, approve, notify,
review, remove, erase) is RegisterFlow's process (:class:`RegisterProcess`, one per entry).
Frontline staff never read entries: they run the check, which reads only the matching keys
and, for a match, the mitigations. Full entries are seen by the register's officers by role and
by others only through a guardian grant on that entry (the direct-foreign-key permission
tables below, so that lists are filtered with a join in the database).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from viewflow.workflow.models import Process

from .audit import AccessLogEntry
from .cases import Case, Incident
from .subjects import Subject


class RegisterEntry(models.Model):
    """One person's entry on the register, with the incidents and reasons that justify it."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed, awaiting approval")
        APPROVED = "approved", _("Approved, individual not yet told")
        ACTIVE = "active", _("Active")
        REVIEW_DUE = "review_due", _("Active, review due")
        REJECTED = "rejected", _("Not approved")
        REMOVED = "removed", _("Removed")
        ERASED = "erased", _("Erased")

    #: States in which the check finds the entry: from approval until removal.
    CHECKABLE = (State.APPROVED, State.ACTIVE, State.REVIEW_DUE)
    #: States of an entry still in force or on its way (one per subject at a time).
    LIVE = (State.PROPOSED, State.APPROVED, State.ACTIVE, State.REVIEW_DUE)
    #: States waiting out the retention period before erasure.
    RETAINED = (State.REJECTED, State.REMOVED)

    class Notification(models.TextChoices):
        LETTER = "letter", _("Letter")
        EMAIL = "email", _("E-mail")
        HAND_DELIVERED = "hand_delivered", _("Letter delivered by hand")
        NOT_NOTIFIED = "not_notified", _("Not told: telling them would create a risk")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, null=True, blank=True, related_name="register_entries",
        help_text=_("Cleared when the entry is erased."),
    )
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="register_entries",
        help_text=_("The case whose assessment led to the proposal, if any."),
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.PROPOSED, db_index=True)
    incidents = models.ManyToManyField(Incident, related_name="register_entries", blank=True)
    reasons = models.TextField(_("why the person is a risk to staff or councillors"))
    words_used = models.TextField(_("the words used, as recorded"), blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    advice_contact_name = models.CharField(_("whom to call"), max_length=200)
    advice_contact_phone = models.CharField(max_length=50, blank=True)
    advice_contact_email = models.EmailField(blank=True)
    match_profile = models.JSONField(
        default=dict, blank=True, editable=False,
        help_text=_("Names, date of birth and postcodes as the check compares them (matching.py)."),
    )

    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    notification = models.CharField(max_length=20, choices=Notification.choices, blank=True)
    notified_on = models.DateField(null=True, blank=True)
    notification_reference = models.CharField(max_length=100, blank=True)
    not_notified_reason = models.TextField(blank=True)
    notification_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_due_on = models.DateField(null=True, blank=True, db_index=True)
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    last_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    removal_reason = models.TextField(blank=True)
    erase_after = models.DateField(null=True, blank=True, db_index=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at"]
        verbose_name = _("register entry")
        verbose_name_plural = _("register entries")
        constraints = [
            models.UniqueConstraint(
                fields=["subject"],
                condition=models.Q(state__in=["proposed", "approved", "active", "review_due"]),
                name="sw_register_one_live_entry_per_subject",
            ),
        ]
        indexes = [models.Index(fields=["state", "review_due_on"], name="sw_register_state_review")]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_checkable(self) -> bool:
        return self.state in self.CHECKABLE


class RegisterProcess(Process):
    """RegisterFlow's process: the workflow state of one entry."""

    entry = models.OneToOneField(RegisterEntry, on_delete=models.PROTECT, related_name="process")

    class Meta:
        verbose_name = _("register entry process")


class RegisterMitigation(models.Model):
    """What staff must do when they meet the person: the only part of an entry a check discloses."""

    class Kind(models.TextChoices):
        MEET_IN_PAIRS = "meet_in_pairs", _("Meet only in pairs")
        NAMED_OFFICE = "named_office", _("Meet only at a named office")
        NO_HOME_VISITS = "no_home_visits", _("No home visits")
        LETTER_ONLY = "letter_only", _("Contact by letter only")
        PHONE_ONLY = "phone_only", _("Contact by phone only")
        NO_LONE_WORKING = "no_lone_working", _("Never alone with the person")
        SECURITY_PRESENT = "security_present", _("Security or police present")
        OTHER = "other", _("Other")

    #: Kinds that need a detail (which office, what else).
    NEEDS_DETAIL = (Kind.NAMED_OFFICE, Kind.OTHER)

    id = models.BigAutoField(primary_key=True)
    entry = models.ForeignKey(RegisterEntry, on_delete=models.CASCADE, related_name="mitigations")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    detail = models.CharField(max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["entry_id", "order", "id"]
        verbose_name = _("mitigation")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.detail}" if self.detail else self.get_kind_display()


class RegisterAlias(models.Model):
    """Another name the person uses or is known by: it is matched like the main name."""

    id = models.BigAutoField(primary_key=True)
    entry = models.ForeignKey(RegisterEntry, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["entry_id", "name"]
        verbose_name = _("register alias")
        verbose_name_plural = _("register aliases")

    def __str__(self) -> str:
        return self.name


class RegisterAddress(models.Model):
    """An address linked to the person: its postcode separates namesakes in a check."""

    id = models.BigAutoField(primary_key=True)
    entry = models.ForeignKey(RegisterEntry, on_delete=models.CASCADE, related_name="addresses")
    address = models.TextField()
    postcode = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["entry_id", "id"]
        verbose_name = _("register address")
        verbose_name_plural = _("register addresses")

    def __str__(self) -> str:
        return self.postcode or self.address[:40]


class RegisterMatchKey(models.Model):
    """One key under which a checkable entry's names are filed (see ``matching.keys``).

    Rows exist only while the entry is checkable: a check is one indexed look-up of its keys.
    """

    id = models.BigAutoField(primary_key=True)
    entry = models.ForeignKey(RegisterEntry, on_delete=models.CASCADE, related_name="match_keys")
    key = models.CharField(max_length=100)

    class Meta:
        verbose_name = _("register matching key")
        constraints = [
            models.UniqueConstraint(fields=["key", "entry"], name="sw_register_key_unique"),
        ]

    def __str__(self) -> str:
        return self.key


class RegisterEntryEvent(models.Model):
    """The entry's history: each decision with who made it, when and why. Written by services only."""

    id = models.BigAutoField(primary_key=True)
    entry = models.ForeignKey(RegisterEntry, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=30)
    summary = models.CharField(max_length=300)
    reason = models.TextField(blank=True)
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("register entry event")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class RegisterCheckHit(models.Model):
    """An entry a check found (as a match or a possible match): lets information governance list
    every look-up that touched an entry, not only those that matched it."""

    id = models.BigAutoField(primary_key=True)
    access_log = models.ForeignKey(AccessLogEntry, on_delete=models.PROTECT, related_name="register_hits")
    entry = models.ForeignKey(RegisterEntry, on_delete=models.PROTECT, related_name="check_hits")
    outcome = models.CharField(max_length=20)

    class Meta:
        verbose_name = _("register check hit")

    def __str__(self) -> str:
        return f"{self.outcome}: {self.entry_id}"


class RegisterEntryUserGrant(UserObjectPermissionBase):
    """guardian's per-user object permission on an entry, with a direct foreign key (fast joins)."""

    content_object = models.ForeignKey(RegisterEntry, on_delete=models.CASCADE, related_name="user_grants")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("register entry grant to a person")


class RegisterEntryGroupGrant(GroupObjectPermissionBase):
    """guardian's per-group object permission on an entry, with a direct foreign key."""

    content_object = models.ForeignKey(RegisterEntry, on_delete=models.CASCADE, related_name="group_grants")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("register entry grant to a group")
