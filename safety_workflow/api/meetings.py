"""The meetings/ resource: the monitoring officer's liaison meetings, and what changed since the last one.

Read by the case officers; recorded by the monitoring officer or members services. Anyone else gets
403 on the collection and 404 on a meeting. Every brief read is in the access log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ..models import AccessLogEntry, LiaisonMeeting, PoliceContact
from ..selectors.common import get_or_not_found
from ..selectors.meetings import meeting_brief, meeting_last, meetings_visible_to
from ..services.audit import access_log_record
from ..services.meetings import liaison_meeting_record
from . import fields
from .base import InputSerializer, SafetyAPIMixin, collection, query
from .serializers import (
    CaseSummary,
    ElectionPeriodSummary,
    IncidentSummary,
    PersonOutput,
    ProtectedPersonSummary,
    SubjectSummary,
)


# Input -------------------------------------------------------------------------------------------
class DateOrDateTimeField(serializers.DateTimeField):
    """An ISO datetime, or a date meaning the start of that day (local time)."""

    def to_internal_value(self, value: Any) -> dt.datetime:
        if isinstance(value, str) and len(value.strip()) == 10:
            day = fields.DateField().to_internal_value(value.strip())
            return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())
        return super().to_internal_value(value)


class MeetingInputSerializer(InputSerializer):
    held_at = fields.DateTimeField()
    attendees = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=50000, required=False, allow_blank=True, default="")
    police_contact = serializers.PrimaryKeyRelatedField(queryset=PoliceContact.objects.all(), required=False,
                                                        allow_null=True, default=None)


class BriefQuerySerializer(InputSerializer):
    since = DateOrDateTimeField(required=False, help_text="Instead of the last meeting: a date or datetime.")

    def validate_since(self, value: dt.datetime) -> dt.datetime:
        if value > timezone.now():
            raise serializers.ValidationError(_("This is in the future."))
        return value


# Output ------------------------------------------------------------------------------------------
class MeetingSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    held_at = fields.DateTimeField()
    police_contact = serializers.CharField(source="police_contact.__str__", allow_null=True)
    attendees = serializers.CharField()
    notes = serializers.CharField()
    recorded_by = PersonOutput()
    recorded_at = fields.DateTimeField()


_subject = SubjectSummary(allow_null=True)


class BriefIncidentSerializer(serializers.Serializer):
    id = serializers.CharField()
    reference = serializers.CharField()
    occurred_at = fields.DateTimeField()
    reported_at = fields.DateTimeField()
    channel = serializers.CharField()
    channel_label = serializers.CharField()
    ward = serializers.CharField()
    protected_person = ProtectedPersonSummary()
    person_kind = serializers.CharField(help_text="What the person harmed was when it happened.")
    election_period = ElectionPeriodSummary(allow_null=True)
    subject = _subject
    level = serializers.CharField()
    case = CaseSummary(allow_null=True)
    immediate_danger = serializers.BooleanField()
    hate_element = serializers.BooleanField()


class BriefCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    subject = _subject
    state = serializers.CharField()
    level = serializers.CharField()
    route = serializers.CharField()
    opened_at = fields.DateTimeField()
    closed_at = fields.DateTimeField(allow_null=True)
    outcome_summary = serializers.CharField()


class BriefReferralSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    case = CaseSummary()
    referred_at = fields.DateTimeField()
    urgent = serializers.BooleanField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    crime_reference = serializers.CharField()
    incident_count = serializers.IntegerField()
    contact = serializers.CharField()
    outcome_recorded_at = fields.DateTimeField(allow_null=True)
    outcome_notes = serializers.CharField()


class BriefFlagSerializer(serializers.Serializer):
    id = serializers.CharField()
    subject = _subject
    protected_person = ProtectedPersonSummary()
    case = CaseSummary()
    raised_at = fields.DateTimeField()
    incident_count = serializers.IntegerField()
    reason = serializers.CharField()
    incidents = IncidentSummary(many=True)
    withdrawn_at = fields.DateTimeField(allow_null=True, help_text="Withdrawn by a correction; null in force.")
    withdrawal_reason = serializers.CharField()


class BriefSignalSerializer(serializers.Serializer):
    id = serializers.CharField()
    subject = _subject
    kind = serializers.CharField()
    title = serializers.CharField()
    case = CaseSummary()
    noticed_at = fields.DateTimeField()
    explanation = serializers.CharField()
    incidents = IncidentSummary(many=True)
    withdrawn_at = fields.DateTimeField(allow_null=True, help_text="Withdrawn by a correction; null in force.")
    withdrawal_reason = serializers.CharField()


class MeetingBriefSerializer(serializers.Serializer):
    since = fields.DateTimeField(allow_null=True, help_text="null: from the start of the log")
    until = fields.DateTimeField()
    last_meeting = inline_serializer("BriefMeeting", {
        "id": serializers.CharField(), "held_at": fields.DateTimeField(),
        "attendees": serializers.CharField()}, allow_null=True)
    incidents = inline_serializer("BriefIncidents", {
        "count": serializers.IntegerField(),
        "by_channel": inline_serializer("BriefChannelCount", {
            "channel": serializers.CharField(), "label": serializers.CharField(),
            "count": serializers.IntegerField()}, many=True),
        "items": BriefIncidentSerializer(many=True)})
    cases = inline_serializer("BriefCases", {
        "opened": BriefCaseSerializer(many=True), "closed": BriefCaseSerializer(many=True),
        "merged": BriefCaseSerializer(many=True)})
    referrals = inline_serializer("BriefReferrals", {
        "made": BriefReferralSerializer(many=True), "outcomes": BriefReferralSerializer(many=True),
        "open_now": serializers.IntegerField()})
    course_of_conduct_flags = BriefFlagSerializer(many=True)
    escalation_signals = BriefSignalSerializer(many=True)
    tasks = inline_serializer("BriefTasks", {"overdue_now": serializers.IntegerField()})


# Views -------------------------------------------------------------------------------------------
class MeetingViewSet(SafetyAPIMixin, viewsets.GenericViewSet):
    """Liaison meetings, and the brief of what changed since the last one."""

    serializer_class = MeetingSerializer
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> Any:
        return meetings_visible_to(self.request.user)

    def get_object(self) -> LiaisonMeeting:
        return get_or_not_found(self.get_queryset(), self.kwargs["pk"])

    def _brief(self, *, since: dt.datetime | None, until: dt.datetime | None,
               last_meeting: LiaisonMeeting | None) -> Response:
        brief = meeting_brief(since=since, until=until, last_meeting=last_meeting)
        access_log_record(
            actor=self.request.user, action=AccessLogEntry.Action.VIEW, object_type="meeting_brief",
            object_id=last_meeting.pk if last_meeting else "", purpose="Liaison meeting brief",
            request=self.request,
            data={"since": since.isoformat() if since else None, "until": brief["until"].isoformat()},
        )
        return Response(MeetingBriefSerializer(brief).data)

    @collection(MeetingSerializer)
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(MeetingSerializer(page, many=True).data)

    @extend_schema(request=MeetingInputSerializer, responses={201: MeetingSerializer})
    def create(self, request: Request) -> Response:
        data = MeetingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = liaison_meeting_record(actor=request.user, **data.validated_data)
        return Response(MeetingSerializer(meeting).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=MeetingSerializer)
    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(MeetingSerializer(self.get_object()).data)

    @query(BriefQuerySerializer)
    @extend_schema(responses=MeetingBriefSerializer, operation_id="safety_meetings_brief_since_last")
    @action(detail=False, methods=["get"])
    def brief(self, request: Request) -> Response:
        """What changed since the last meeting (or since ``?since=``), up to now."""
        last = meeting_last()
        since = self.query.get("since") or (last.held_at if last else None)
        return self._brief(since=since, until=None, last_meeting=last)

    @extend_schema(responses=MeetingBriefSerializer, operation_id="safety_meetings_brief_for_meeting")
    @action(detail=True, methods=["get"], url_path="brief", url_name="detail-brief")
    def meeting_brief(self, request: Request, pk: Any = None) -> Response:
        """What changed between the meeting before this one and this one: what this meeting had to discuss."""
        meeting = self.get_object()
        previous = meeting_last(before=meeting.held_at)
        return self._brief(since=previous.held_at if previous else None, until=meeting.held_at,
                           last_meeting=previous)
