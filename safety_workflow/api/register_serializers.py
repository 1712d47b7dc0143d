"""Input and output serializers of the register API. No side effects: views call the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..adapter import get_adapter
from ..matching import MATCH, NO_MATCH, POSSIBLE_MATCH
from ..models import Case, Incident, RegisterEntry, RegisterMitigation, Subject
from ..selectors.cases import cases_visible_to, incidents_visible_to
from ..selectors.patterns import subjects_visible_to
from . import fields
from .base import InputSerializer, ModelOutput, PersonOutput, VisiblePKField
from .serializers import CaseSummary, SubjectSummary

#: How far back a meeting date may be when checking (a check is for a meeting about to happen).
MEETING_DATE_PAST = dt.timedelta(days=1)
MEETING_DATE_FUTURE = dt.timedelta(days=366)


def display(user: Any) -> str | None:
    return get_adapter().display_name(user) if user is not None else None


# The check ---------------------------------------------------------------------------------
class CheckInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=200, help_text="The person's name as you have it.")
    date_of_birth = fields.DateField(required=False, allow_null=True)
    postcode = serializers.CharField(max_length=10, required=False, allow_blank=True)
    address = serializers.CharField(max_length=500, required=False, allow_blank=True)
    meeting_date = fields.DateField()
    purpose = serializers.CharField(max_length=500, min_length=3,
                                    help_text="Why you are meeting them: this is logged with the check.")

    def validate_date_of_birth(self, value: dt.date | None) -> dt.date | None:
        if value is not None and value > timezone.localdate():
            raise serializers.ValidationError(_("This is in the future."))
        return value

    def validate_meeting_date(self, value: dt.date) -> dt.date:
        today = timezone.localdate()
        if value < today - MEETING_DATE_PAST:
            raise serializers.ValidationError(_("The check is for a meeting about to happen, not one in the past."))
        if value > today + MEETING_DATE_FUTURE:
            raise serializers.ValidationError(_("Check nearer the time: entries change."))
        return value


class MitigationOutputSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField(source="get_kind_display")
    detail = serializers.CharField()


class ContactSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True, required=False)
    email = serializers.CharField(allow_blank=True, required=False)


class CheckOutputSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=[MATCH, POSSIBLE_MATCH, NO_MATCH])
    reference = serializers.CharField(help_text="Quote this when you call: it identifies this check.")
    checked_at = fields.DateTimeField()
    meeting_date = fields.DateField()
    advice = serializers.CharField()
    contact = ContactSerializer(allow_null=True)
    mitigations = MitigationOutputSerializer(many=True)


# Entries: input --------------------------------------------------------------------------------
class MitigationInputSerializer(InputSerializer):
    kind = serializers.ChoiceField(choices=RegisterMitigation.Kind.choices)
    detail = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class AddressInputSerializer(InputSerializer):
    address = serializers.CharField(required=False, allow_blank=True, default="")
    postcode = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")


class ContactInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=200, required=False)
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)


class EntryProposeSerializer(InputSerializer):
    subject = VisiblePKField(subjects_visible_to, queryset=Subject.objects.all())
    incidents = VisiblePKField(incidents_visible_to, queryset=Incident.objects.all(), many=True, allow_empty=False,
                               help_text="The recorded incidents about this subject that justify the entry.")
    reasons = serializers.CharField()
    words_used = serializers.CharField(required=False, allow_blank=True, default="")
    date_of_birth = fields.DateField(required=False, allow_null=True, default=None)
    mitigations = MitigationInputSerializer(many=True, allow_empty=False)
    advice_contact = ContactInputSerializer()
    aliases = serializers.ListField(child=serializers.CharField(max_length=200), required=False, default=list)
    addresses = AddressInputSerializer(many=True, required=False, default=list)
    case = VisiblePKField(cases_visible_to, queryset=Case.objects.all(), required=False, allow_null=True,
                          default=None)


class EntryUpdateSerializer(InputSerializer):
    reason = serializers.CharField(help_text="Why the entry is changed: recorded on its history.")
    mitigations = MitigationInputSerializer(many=True, required=False, allow_empty=False)
    aliases = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    addresses = AddressInputSerializer(many=True, required=False)
    advice_contact = ContactInputSerializer(required=False)


class DecisionInputSerializer(InputSerializer):
    decision = serializers.ChoiceField(choices=[("approve", "Approve"), ("refuse", "Refuse")])
    reason = serializers.CharField(required=False, allow_blank=True, default="",
                                   help_text="Required to refuse; recorded either way.")


class NotificationInputSerializer(InputSerializer):
    method = serializers.ChoiceField(choices=RegisterEntry.Notification.choices)
    notified_on = fields.DateField(required=False, allow_null=True, default=None)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, default="",
                                   help_text="Required when the individual is not told: why telling them "
                                   "would create a risk.")


class ReviewInputSerializer(InputSerializer):
    decision = serializers.ChoiceField(choices=[("renew", "Renew"), ("remove", "Remove")])
    reason = serializers.CharField()


class GrantInputSerializer(InputSerializer):
    user = serializers.PrimaryKeyRelatedField(queryset=get_user_model()._default_manager.all(), required=False,
                                              allow_null=True, default=None)
    group = serializers.PrimaryKeyRelatedField(queryset=Group.objects.all(), required=False, allow_null=True,
                                               default=None)
    reason = serializers.CharField(help_text="Why this person or group needs to see the entry.")


# Entries: output --------------------------------------------------------------------------------
class EntryListSerializer(ModelOutput):
    subject = SubjectSummary(allow_null=True)
    state_label = serializers.CharField(source="get_state_display")

    class Meta:
        model = RegisterEntry
        fields = ["id", "reference", "subject", "state", "state_label", "review_due_on", "proposed_at"]


class IncidentBriefSerializer(ModelOutput):
    class Meta:
        model = Incident
        fields = ["id", "reference", "occurred_at", "channel", "words_used"]


class SubjectBriefSerializer(ModelOutput):
    class Meta:
        model = Subject
        fields = ["id", "full_name", "date_of_birth"]


class EventSerializer(serializers.Serializer):
    at = fields.DateTimeField()
    actor = PersonOutput(allow_null=True)
    action = serializers.CharField()
    summary = serializers.CharField()
    reason = serializers.CharField()


class AddressOutputSerializer(serializers.Serializer):
    address = serializers.CharField()
    postcode = serializers.CharField()


class AdviceContactOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()


class EntryDetailSerializer(ModelOutput):
    subject = SubjectBriefSerializer(allow_null=True)
    state_label = serializers.CharField(source="get_state_display")
    incidents = IncidentBriefSerializer(many=True)
    mitigations = MitigationOutputSerializer(many=True)
    aliases = serializers.SerializerMethodField()
    addresses = serializers.SerializerMethodField()
    advice_contact = serializers.SerializerMethodField()
    proposed_by = PersonOutput(allow_null=True)
    decided_by = PersonOutput(allow_null=True)
    notification_recorded_by = PersonOutput(allow_null=True)
    last_reviewed_by = PersonOutput(allow_null=True)
    removed_by = PersonOutput(allow_null=True)
    history = EventSerializer(many=True, source="events")
    notification = serializers.CharField(help_text="How the individual was told (the values of the notification "
                                         "method), or not_notified; blank until recorded.")
    case = serializers.SerializerMethodField(help_text="The case it was proposed from, if you see that case.")

    class Meta:
        model = RegisterEntry
        fields = [
            "id", "reference", "state", "state_label", "subject", "date_of_birth", "case", "reasons", "words_used",
            "incidents", "mitigations", "aliases", "addresses", "advice_contact",
            "proposed_by", "proposed_at", "decided_by", "decided_at", "decision_reason",
            "notification", "notified_on", "notification_reference", "not_notified_reason",
            "notification_recorded_by", "review_due_on", "last_reviewed_at", "last_reviewed_by",
            "removed_at", "removed_by", "removal_reason", "erase_after", "erased_at", "history",
        ]

    @extend_schema_field(CaseSummary(allow_null=True))
    def get_case(self, entry: RegisterEntry) -> dict[str, Any] | None:
        if entry.case_id is None:
            return None
        case = cases_visible_to(self.context["request"].user).filter(pk=entry.case_id).first()
        return CaseSummary(case).data if case else None

    def get_aliases(self, entry: RegisterEntry) -> list[str]:
        return [alias.name for alias in entry.aliases.all()]

    @extend_schema_field(AddressOutputSerializer(many=True))
    def get_addresses(self, entry: RegisterEntry) -> list[dict[str, str]]:
        return [{"address": a.address, "postcode": a.postcode} for a in entry.addresses.all()]

    @extend_schema_field(AdviceContactOutputSerializer)
    def get_advice_contact(self, entry: RegisterEntry) -> dict[str, str]:
        return {"name": entry.advice_contact_name, "phone": entry.advice_contact_phone,
                "email": entry.advice_contact_email}


class GrantOutputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["user", "group"])
    id = serializers.CharField(help_text="The user's or the group's id.")
    name = serializers.CharField()
    granted_by = PersonOutput(allow_null=True)
    granted_at = fields.DateTimeField()
    reason = serializers.CharField()

    @staticmethod
    def row(grant: Any) -> dict[str, Any]:
        is_user = hasattr(grant, "user_id")
        return {
            "kind": "user" if is_user else "group",
            "id": str(grant.user_id if is_user else grant.group_id),
            "name": display(grant.user) if is_user else grant.group.name,
            "granted_by": grant.granted_by,
            "granted_at": grant.granted_at,
            "reason": grant.reason,
        }

