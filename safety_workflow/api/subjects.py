"""The subjects/ resource: the people incidents are about, their aliases and contact handles, their course of
conduct and escalation signals, and link proposals for an incident at triage.

For the case officers only (members services, health and safety, the monitoring officer): anyone else
gets 403 on the collection and 404 on a subject, exactly as for one that does not exist. Councillors
never see subjects. Every read of a subject and every change is in the access log.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from .. import patterns
from ..matching import normalise_handle
from ..models import AccessLogEntry, Case, ContactHandle, CourseOfConductFlag, Incident, ProtectedPerson, Subject
from ..selectors.cases import incident_get
from ..selectors.linking import subject_suggestions
from ..selectors.patterns import INCIDENT_SUMMARY, open_case_of, subject_conduct, subject_get, subjects_listed
from ..services.audit import access_log_record
from ..services.subjects import subject_add_details, subject_create
from . import fields
from .base import InputSerializer, SafetyAPIMixin, collection
from .serializers import CaseSummary, IncidentSummary, PersonOutput, ProtectedPersonSummary, SubjectSummary


def _case(case_id: Any, reference: str, level: str = "", route: str = "", state: str = "") -> dict[str, Any]:
    return {"id": case_id, "reference": reference, "state": state, "level": level, "route": route}


def _person(record: patterns.IncidentRecord) -> dict[str, str]:
    return {"id": str(record.person_id), "name": record.person_name, "kind": record.person_current_kind}


# Output ------------------------------------------------------------------------------------------


class AliasSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class HandleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ContactHandle.Kind.choices)
    platform = serializers.CharField()
    value = serializers.CharField()


class ConductFlagSerializer(serializers.Serializer):
    """A course-of-conduct flag with its reason. Prefetch ``incidents`` when serializing many."""

    id = serializers.UUIDField()
    subject = SubjectSummary()
    protected_person = ProtectedPersonSummary()
    case = CaseSummary()
    incident_count = serializers.IntegerField()
    incidents = IncidentSummary(many=True, source="incidents.all")
    reason = serializers.CharField()
    raised_at = fields.DateTimeField()
    withdrawn_at = fields.DateTimeField(allow_null=True, help_text="When a correction withdrew it; null in force.")
    withdrawn_by = PersonOutput(allow_null=True, help_text="Who withdrew it; null while in force.")
    withdrawal_reason = serializers.CharField(help_text="Why it was withdrawn; empty while in force.")


class SubjectListSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    full_name = serializers.CharField()
    display_name = serializers.CharField(source="__str__")
    identified = serializers.BooleanField(source="is_identified")
    description = serializers.CharField()
    aliases = serializers.SerializerMethodField()
    incident_count = serializers.IntegerField()
    open_case = serializers.SerializerMethodField()
    course_of_conduct_flagged = serializers.BooleanField(source="flagged")
    created_at = fields.DateTimeField()

    @extend_schema_field(CaseSummary(allow_null=True))
    def get_open_case(self, subject: Subject) -> dict[str, Any] | None:
        return open_case_of(subject)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_aliases(self, subject: Subject) -> list[str]:
        return [a.name for a in subject.aliases.all()]


class SubjectCaseSerializer(CaseSummary):
    incident_count = serializers.IntegerField()


class SubjectDetailSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    full_name = serializers.CharField()
    display_name = serializers.CharField(source="__str__")
    identified = serializers.BooleanField(source="is_identified")
    description = serializers.CharField()
    date_of_birth = fields.DateField(allow_null=True)
    aliases = AliasSerializer(many=True, source="aliases.all")
    handles = HandleSerializer(many=True, source="handles.all")
    cases = SubjectCaseSerializer(many=True, source="cases.all")
    course_of_conduct_flags = ConductFlagSerializer(many=True, source="flags_in_force")
    course_of_conduct_flags_withdrawn = ConductFlagSerializer(
        many=True, source="flags_withdrawn", help_text="Flags a correction withdrew, with who and why.")
    created_at = fields.DateTimeField()


def subject_detail(subject_id: Any) -> Subject:
    """The subject with everything the detail shows, in a fixed number of queries."""
    flags = (CourseOfConductFlag.objects.select_related("protected_person__user", "case", "subject", "withdrawn_by")
             .prefetch_related(Prefetch("incidents", queryset=INCIDENT_SUMMARY))
             .order_by("raised_at"))
    return Subject.objects.prefetch_related(
        "aliases", "handles",
        Prefetch("cases", queryset=Case.objects.annotate(incident_count=Count("incidents")).order_by("created")),
        Prefetch("conduct_flags", queryset=flags.filter(withdrawn_at__isnull=True), to_attr="flags_in_force"),
        Prefetch("conduct_flags", queryset=flags.filter(withdrawn_at__isnull=False), to_attr="flags_withdrawn"),
    ).get(pk=subject_id)


class IncidentRecordSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    reference = serializers.CharField()
    occurred_at = fields.DateTimeField()
    channel = serializers.ChoiceField(choices=Incident.Channel.choices)
    level = serializers.CharField(help_text="The level the incident was assessed at; empty if not assessed.")
    protected_person = serializers.SerializerMethodField()
    person_kind = serializers.ChoiceField(choices=ProtectedPerson.Kind.choices,
                                          help_text="What the person harmed was when it happened.")
    case = serializers.SerializerMethodField()

    @extend_schema_field(ProtectedPersonSummary)
    def get_protected_person(self, record: patterns.IncidentRecord) -> dict[str, str]:
        return _person(record)

    @extend_schema_field(CaseSummary(allow_null=True))
    def get_case(self, record: patterns.IncidentRecord) -> dict[str, Any] | None:
        if record.case_id is None:
            return None
        return _case(record.case_id, record.case_reference, record.case_level, record.case_route,
                     record.case_state)


class CourseOfConductSerializer(serializers.Serializer):
    protected_person = serializers.SerializerMethodField()
    incident_count = serializers.IntegerField(source="count")
    reaches_threshold = serializers.BooleanField()
    first_occurred_at = fields.DateTimeField(source="first.occurred_at")
    last_occurred_at = fields.DateTimeField(source="last.occurred_at")
    explanation = serializers.CharField()
    flag = serializers.SerializerMethodField()
    incidents = IncidentRecordSerializer(many=True)

    @extend_schema_field(ProtectedPersonSummary)
    def get_protected_person(self, group: patterns.CourseOfConduct) -> dict[str, str]:
        return _person(group.last)

    @extend_schema_field(ConductFlagSerializer(allow_null=True))
    def get_flag(self, group: patterns.CourseOfConduct) -> dict[str, Any] | None:
        flag = self.context["flags"].get(group.person_id)
        return ConductFlagSerializer(flag).data if flag else None


class SignalSerializer(serializers.Serializer):
    kind = serializers.CharField()
    title = serializers.CharField()
    explanation = serializers.CharField()
    noticed_at = serializers.SerializerMethodField()
    incidents = IncidentRecordSerializer(many=True)

    @extend_schema_field(fields.DateTimeField(allow_null=True))
    def get_noticed_at(self, signal: patterns.Signal) -> Any:
        noticed = self.context["noticed"].get(signal.key)
        return fields.format_api_datetime(noticed.noticed_at) if noticed else None


class NoticedSignalSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    title = serializers.CharField(source="get_kind_display")
    case = CaseSummary()
    noticed_at = fields.DateTimeField()
    explanation = serializers.CharField()
    withdrawn_at = fields.DateTimeField(allow_null=True, help_text="When a correction withdrew it; null in force.")
    withdrawn_by = PersonOutput(allow_null=True, help_text="Who withdrew it; null while in force.")
    withdrawal_reason = serializers.CharField(help_text="Why it was withdrawn; empty while in force.")


class ConductSerializer(serializers.Serializer):
    subject = serializers.SerializerMethodField()
    incident_count = serializers.SerializerMethodField()
    course_of_conduct = CourseOfConductSerializer(many=True)
    signals = SignalSerializer(many=True)
    course_of_conduct_flags = ConductFlagSerializer(many=True, source="flags")
    signals_noticed = NoticedSignalSerializer(many=True, source="noticed")
    course_of_conduct_flags_withdrawn = ConductFlagSerializer(many=True, source="flags_withdrawn")
    signals_withdrawn = NoticedSignalSerializer(many=True, source="noticed_withdrawn")

    @extend_schema_field(SubjectSummary)
    def get_subject(self, conduct: Any) -> dict[str, str]:
        return SubjectSummary(conduct.subject).data

    def get_incident_count(self, conduct: Any) -> int:
        return len(conduct.records)


class MatchSerializer(serializers.Serializer):
    on = serializers.CharField(help_text="name, alias, email, phone, social, address or other")
    kind = serializers.CharField(help_text="exact, partial, or evidence (a contact detail read from the "
                                           "incident's evidence: a screenshot, a scan, an e-mail)")
    reported = serializers.CharField()
    recorded = serializers.CharField()


class SuggestionSerializer(serializers.Serializer):
    """One of ``selectors.linking.subject_suggestions(incident)``: for the triage task to show."""

    subject = SubjectListSerializer()
    strength = serializers.CharField(help_text="strong (a contact handle or the exact full name) or possible")
    explanation = serializers.CharField()
    matched = MatchSerializer(many=True)
    incident_count = serializers.IntegerField()
    open_case = CaseSummary(allow_null=True)


# Input -------------------------------------------------------------------------------------------
class ContactHandleInputSerializer(InputSerializer):
    kind = serializers.ChoiceField(choices=ContactHandle.Kind.choices)
    value = serializers.CharField(max_length=300)
    platform = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not normalise_handle(attrs["kind"], attrs["value"]):
            raise serializers.ValidationError({"value": [_("This is not a usable contact detail.")]})
        return attrs


class AliasInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=200)


class SubjectInputSerializer(InputSerializer):
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    date_of_birth = fields.DateField(required=False, allow_null=True, default=None)
    aliases = serializers.ListField(child=serializers.CharField(max_length=200), required=False, default=list)
    handles = ContactHandleInputSerializer(many=True, required=False, default=list)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not (attrs["full_name"].strip() or attrs["description"].strip() or attrs["aliases"] or attrs["handles"]):
            raise serializers.ValidationError(
                _("Give a name, or describe the person (an alias, a contact handle or a description)."))
        return attrs


class SuggestionQuerySerializer(InputSerializer):
    incident = serializers.UUIDField(help_text="The incident being triaged.")


class SubjectListQuerySerializer(InputSerializer):
    q = serializers.CharField(required=False, allow_blank=True, default="", max_length=200,
                              help_text="Part of a name, alias, contact handle or description.")


# Views -------------------------------------------------------------------------------------------
class SubjectViewSet(SafetyAPIMixin, viewsets.GenericViewSet):
    queryset = Subject.objects.none()  # the schema reads the key type here; every read goes through selectors
    """The people incidents are about. Case officers only."""

    serializer_class = SubjectDetailSerializer
    lookup_value_regex = "[^/]+"

    def get_object(self) -> Subject:
        return subject_get(self.request.user, self.kwargs["pk"])

    def _get(self, pk: Any) -> Subject:
        return subject_get(self.request.user, pk)

    def _log(self, action: str, subject: Subject, *, purpose: str = "", data: dict | None = None) -> None:
        access_log_record(actor=self.request.user, action=action, object_type="subject", object_id=subject.pk,
                          object_repr=str(subject), purpose=purpose, request=self.request, data=data)

    def _detail(self, subject: Subject, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(SubjectDetailSerializer(subject_detail(subject.pk)).data, status=status_code)

    @collection(SubjectListSerializer, query=SubjectListQuerySerializer)
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(subjects_listed(request.user, search=self.query["q"]))
        return self.get_paginated_response(SubjectListSerializer(page, many=True).data)

    @extend_schema(request=SubjectInputSerializer, responses={201: SubjectDetailSerializer})
    def create(self, request: Request) -> Response:
        data = SubjectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            subject = subject_create(actor=request.user, **data.validated_data)
            self._log(AccessLogEntry.Action.CHANGE, subject, purpose="Subject recorded")
        return self._detail(subject, status.HTTP_201_CREATED)

    @extend_schema(responses=SubjectDetailSerializer)
    def retrieve(self, request: Request, pk: Any = None) -> Response:
        subject = self._get(pk)
        self._log(AccessLogEntry.Action.VIEW, subject)
        return self._detail(subject)

    @extend_schema(request=AliasInputSerializer, responses={201: SubjectDetailSerializer})
    @action(detail=True, methods=["post"])
    def aliases(self, request: Request, pk: Any = None) -> Response:
        subject = self._get(pk)
        data = AliasInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            subject_add_details(subject=subject, aliases=[data.validated_data["name"]], actor=request.user)
            self._log(AccessLogEntry.Action.CHANGE, subject, purpose="Alias added")
        return self._detail(subject, status.HTTP_201_CREATED)

    @extend_schema(request=ContactHandleInputSerializer, responses={201: SubjectDetailSerializer})
    @action(detail=True, methods=["post"])
    def handles(self, request: Request, pk: Any = None) -> Response:
        subject = self._get(pk)
        data = ContactHandleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            subject_add_details(subject=subject, handles=[data.validated_data])
            self._log(AccessLogEntry.Action.CHANGE, subject, purpose="Contact handle added",
                      data={"kind": data.validated_data["kind"]})
        return self._detail(subject, status.HTTP_201_CREATED)

    @extend_schema(responses=ConductSerializer)
    @action(detail=True, methods=["get"])
    def conduct(self, request: Request, pk: Any = None) -> Response:
        """Course of conduct per person harmed (of any kind) and escalation signals, each explained, with the
        incidents behind it."""
        subject = self._get(pk)
        conduct = subject_conduct(subject)
        self._log(AccessLogEntry.Action.VIEW, subject, purpose="Course of conduct")
        context = {
            "flags": {flag.protected_person_id: flag for flag in conduct.flags},
            "noticed": {signal.key: signal for signal in conduct.noticed},
        }
        return Response(ConductSerializer(conduct, context=context).data)

    @collection(SuggestionSerializer, query=SuggestionQuerySerializer)
    @action(detail=False, methods=["get"])
    def suggestions(self, request: Request) -> Response:
        """Subjects the incident may be about, from what the reporter knew: for the triage officer to decide."""
        incident = incident_get(request.user, self.query["incident"])
        page = self.paginate_queryset(subject_suggestions(incident))
        return self.get_paginated_response(SuggestionSerializer(page, many=True).data)
