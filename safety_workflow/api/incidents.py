"""The incidents API: report (idempotent), list and read what the caller may see, the timeline, evidence."""

from __future__ import annotations

import re
from typing import Any

import django_filters
from django.db import transaction
from django.db.models import Count
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from ..conf import app_settings
from ..errors import InvalidInput, NotFound
from ..models import EvidenceFile, Incident, ProtectedPerson, Subject, TimelineEntry
from ..roles import SUBJECT_ROLES, roles_for
from ..selectors.cases import (
    evidence_get,
    evidence_of,
    incident_get,
    incidents_visible_to,
    may_see_evidence,
    timeline_visible_to,
)
from ..selectors.common import access_attempt
from ..selectors.patterns import subjects_visible_to
from ..selectors.people import protected_people_visible_to
from ..services.audit import access_log_record
from ..services.corrections import correction_check_permitted, incident_unlink_subject
from ..services.evidence import evidence_upload
from ..services.incidents import incident_report, request_fingerprint
from . import fields
from .base import (
    BooleanFilter,
    DateTimeFilter,
    FilterSet,
    InputSerializer,
    IntegerFilter,
    KeyFilter,
    ModelOutput,
    SafetyAPIMixin,
    TextFilter,
    VisiblePKField,
    collection,
    download,
)
from .corrections import CorrectionOutput, UnlinkSubjectInput
from .people import NewProtectedPersonInput
from .serializers import (
    CaseSummary,
    ElectionPeriodSummary,
    IncidentSummary,
    PersonOutput,
    ProtectedPersonSummary,
    SubjectSummary,
)
from .task_forms import HandleInput

IMMEDIATE_DANGER_ADVICE = (
    "If you are in immediate danger, call 999 now. The police referral has been made and the named police "
    "contact has been told."
)

class SubjectDetailsInput(InputSerializer):
    """What the reporter knows of the person (all optional); triage links it to a subject record."""

    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    aliases = serializers.ListField(child=serializers.CharField(max_length=200), required=False, max_length=20)
    handles = HandleInput(many=True, required=False, max_length=20)
    email = serializers.CharField(max_length=300, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    social = serializers.CharField(max_length=300, required=False, allow_blank=True,
                                   help_text="A social-media handle or profile address.")
    address = serializers.CharField(max_length=500, required=False, allow_blank=True)


class IncidentReportInput(InputSerializer):
    protected_person = VisiblePKField(
        protected_people_visible_to, queryset=ProtectedPerson.objects.all(), required=False, allow_null=True,
        default=None, help_text="Whom it was aimed at: someone recorded (protected-persons/). A councillor or "
        "candidate reporting for themselves leaves it out.")
    new_protected_person = NewProtectedPersonInput(
        required=False, allow_null=True, default=None,
        help_text="Whom it was aimed at, recorded now: a candidate, a household member, a supporter, a member of "
                  "staff. Instead of protected_person.")
    occurred_at = fields.DateTimeField()
    channel = serializers.ChoiceField(choices=Incident.Channel.choices)
    account = serializers.CharField(max_length=50000, help_text="What was said or done, in your own words.")
    location = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    ward = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    words_used = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    hate_element = serializers.BooleanField(required=False, default=False)
    hate_categories = serializers.ListField(child=serializers.ChoiceField(choices=Incident.HateCategory.choices),
                                            required=False, default=list)
    immediate_danger = serializers.BooleanField(required=False, default=False)
    injury = serializers.BooleanField(required=False, default=False)
    witnesses = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    police_already_informed = serializers.BooleanField(required=False, default=False)
    police_reference = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    subject = VisiblePKField(subjects_visible_to, queryset=Subject.objects.all(), required=False, allow_null=True,
                             default=None, help_text="A recorded subject (case officers only).")
    subject_details = SubjectDetailsInput(required=False, default=dict)


class EvidenceOutput(ModelOutput):
    uploaded_by = PersonOutput()

    class Meta:
        model = EvidenceFile
        fields = ["id", "original_name", "content_type", "size", "sha256", "description", "captured_at",
                  "uploaded_by", "uploaded_at"]


class IncidentOutput(ModelOutput):
    case = CaseSummary()
    protected_person = ProtectedPersonSummary(help_text="Whom it was aimed at.")
    person_kind = serializers.ChoiceField(
        choices=ProtectedPerson.Kind.choices,
        help_text="What they were when it happened (a candidate elected since stays a candidate here).")
    election_period = ElectionPeriodSummary(allow_null=True, help_text="The election period it happened in.")
    reported_by = PersonOutput()
    subject = serializers.SerializerMethodField(help_text="Who it is about, for the roles that see subjects.")
    subject_details = serializers.DictField(help_text="What the reporter knew of the person, as reported.")
    evidence_count = serializers.SerializerMethodField(help_text="null: your role does not see evidence.")

    class Meta:
        model = Incident
        fields = ["id", "reference", "case", "protected_person", "person_kind", "election_period", "reported_by",
                  "reported_at", "occurred_at", "location",
                  "ward", "channel", "account", "words_used", "hate_element", "hate_categories", "immediate_danger",
                  "injury", "witnesses", "police_already_informed", "police_reference", "subject",
                  "subject_details", "evidence_count"]

    @extend_schema_field(SubjectSummary(allow_null=True))
    def get_subject(self, incident: Incident) -> dict[str, str] | None:
        if incident.subject_id is None or not self.context["roles"] & SUBJECT_ROLES:
            return None
        return SubjectSummary(incident.subject).data

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_evidence_count(self, incident: Incident) -> int | None:
        if not self.context["sees_evidence"]:
            return None
        return incident.evidence_count


class IncidentDetailOutput(IncidentOutput):
    evidence = serializers.SerializerMethodField(help_text="null: your role does not see evidence.")

    @extend_schema_field(EvidenceOutput(many=True, allow_null=True))
    def get_evidence(self, incident: Incident) -> list[dict[str, Any]] | None:
        if not self.context["sees_evidence"]:
            return None
        return EvidenceOutput(evidence_of(incident), many=True).data

    class Meta(IncidentOutput.Meta):
        fields = [*IncidentOutput.Meta.fields, "evidence"]


class ReportResultOutput(IncidentDetailOutput):
    created = serializers.BooleanField()
    linked_to_open_case = serializers.BooleanField()
    safety_advice = serializers.CharField(allow_blank=True)

    class Meta(IncidentDetailOutput.Meta):
        fields = [*IncidentDetailOutput.Meta.fields, "created", "linked_to_open_case", "safety_advice"]


class TimelineOutput(ModelOutput):
    actor = PersonOutput(allow_null=True)
    incident = IncidentSummary(allow_null=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "at", "action", "summary", "decision", "reason", "actor", "incident"]


class UnlinkResultOutput(CorrectionOutput):
    incident = serializers.SerializerMethodField()

    @extend_schema_field(IncidentDetailOutput)
    def get_incident(self, result: Any) -> dict[str, Any]:
        incident = incident_get(self.context["request"].user, result.incidents[0].pk)
        incident.evidence_count = incident.evidence.count()
        return IncidentDetailOutput(incident, context=self.context).data


class EvidenceUploadInput(InputSerializer):
    # An empty file reaches the service, which refuses it as ``empty_file``.
    file = serializers.FileField(max_length=255, allow_empty_file=True)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    captured_at = fields.DateTimeField(required=False, allow_null=True, default=None)


class IncidentFilter(FilterSet):
    case = IntegerFilter(field_name="case_id")
    channel = django_filters.ChoiceFilter(choices=Incident.Channel.choices)
    protected_person = KeyFilter(field_name="protected_person_id", model=lambda: ProtectedPerson,
                                 help_text="Aimed at this protected person.")
    person_kind = django_filters.ChoiceFilter(choices=ProtectedPerson.Kind.choices,
                                              help_text="What the person harmed was when it happened.")
    election_period = IntegerFilter(field_name="election_period_id", help_text="In this election period.")
    in_election_period = BooleanFilter(field_name="election_period", lookup_expr="isnull", exclude=True,
                                       help_text="true: in any election period; false: outside them.")
    ward = TextFilter()
    occurred_after = DateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = DateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = Incident
        fields: list[str] = []


def _safe_filename(name: str) -> str:
    cleaned = re.sub(r"[^\w.\- ]+", "_", name.replace("\x00", "")).strip() or "evidence"
    return cleaned[:120]


def _evidence_types() -> list[str]:
    """What a download may be served as: the accepted evidence types (read when the schema is built)."""
    return list(dict.fromkeys(app_settings.EVIDENCE_ALLOWED_TYPES))


class IncidentViewSet(SafetyAPIMixin, viewsets.GenericViewSet):
    """Incidents: what happened, in the reporter's words."""

    serializer_class = IncidentOutput
    path_parameter_types = {"evidence_id": OpenApiTypes.UUID}
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = IncidentFilter

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["roles"] = roles_for(self.request.user)
        context["sees_evidence"] = may_see_evidence(self.request.user)
        return context

    def get_queryset(self):
        return (
            incidents_visible_to(self.request.user)
            .select_related("case", "protected_person__user", "election_period", "reported_by", "subject")
            .annotate(evidence_count=Count("evidence"))
            .order_by("-occurred_at", "-reported_at")
        )

    def get_object(self) -> Incident:
        if "evidence_id" not in self.kwargs:
            incident = incident_get(self.request.user, self.kwargs["pk"])
        else:  # a file: not found unless the caller may see the incident and its evidence
            evidence_id = self.kwargs["evidence_id"]
            try:
                incident = incident_get(self.request.user, self.kwargs["pk"])
                if not may_see_evidence(self.request.user):
                    raise NotFound()
                self.evidence = evidence_get(self.request.user, incident, evidence_id)
            except NotFound as refused:
                # Logged as a refused download of that evidence, whichever of the two was not visible.
                refused.access_attempt = {**access_attempt(EvidenceFile, evidence_id, "evidence"), "action": "download"}
                raise
        incident.evidence_count = incident.evidence.count()
        return incident

    @collection(IncidentOutput)
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        access_log_record(actor=request.user, action="list", object_type="incident", result=str(len(page)),
                          request=request, data={"incidents": [str(i.pk) for i in page],
                                                 "filters": dict(request.query_params.items())})
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=IncidentReportInput,
        responses={201: ReportResultOutput, 200: OpenApiResponse(ReportResultOutput, description=(
            "The same Idempotency-Key and body were sent before: the incident then reported."))},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER,
                                     description="Send the same key again to get the same incident, not a new one "
                                                 "(printable ASCII, at most 200 characters).")],
    )
    def create(self, request: Request) -> Response:
        key = request.headers.get("Idempotency-Key", "").strip() or None
        if key is not None and (len(key) > 200 or not key.isascii() or not key.isprintable()):
            raise InvalidInput(errors={"Idempotency-Key": ["At most 200 printable ASCII characters."]})
        serializer = IncidentReportInput(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        details = data.pop("subject_details")
        result = incident_report(
            reporter=request.user,
            subject_details=details,
            idempotency_key=key,
            fingerprint=request_fingerprint(request.data) if key else "",
            **data,
        )
        incident = incident_get(request.user, result.incident.pk)
        incident.evidence_count = incident.evidence.count()
        incident.created = result.created
        incident.linked_to_open_case = result.linked_to_open_case
        incident.safety_advice = IMMEDIATE_DANGER_ADVICE if incident.immediate_danger else ""
        body = ReportResultOutput(incident, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    @extend_schema(responses=IncidentDetailOutput)
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        access_log_record(actor=request.user, action="view", object_type="incident", object_id=incident.pk,
                          object_repr=incident.reference, request=request, subject=incident.subject_id)
        return Response(IncidentDetailOutput(incident, context=self.get_serializer_context()).data)

    @collection(TimelineOutput)
    @action(detail=True, methods=["get"])
    def timeline(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        entries = timeline_visible_to(request.user, incident.case)
        page = self.paginate_queryset(entries)
        access_log_record(actor=request.user, action="view", object_type="case", object_id=incident.case_id,
                          object_repr=incident.case.reference, request=request, subject=incident.subject_id,
                          data={"part": "timeline", "incident": str(incident.pk)})
        return self.get_paginated_response(TimelineOutput(page, many=True).data)

    @extend_schema(
        request=UnlinkSubjectInput,
        responses={200: UnlinkResultOutput},
        summary="Unlink the incident from the wrong subject (and link the right one)",
        description="Members services or health and safety, with a reason. Course-of-conduct flags and escalation "
        "signals that rested on the link are withdrawn (kept, with why), the subject's register review date is "
        "worked out again, the case's assessment is re-opened and the police contact is told when the incident "
        "is in an open referral. The timeline shows the correction and who made it.",
    )
    @action(detail=True, methods=["post"], url_path="unlink-subject")
    def unlink_subject(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        correction_check_permitted(request.user)
        serializer = UnlinkSubjectInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            result = incident_unlink_subject(incident=incident, actor=request.user, **serializer.validated_data)
            access_log_record(actor=request.user, action="change", object_type="incident", object_id=incident.pk,
                              object_repr=incident.reference, purpose=serializer.validated_data["reason"],
                              result="subject_unlinked", request=request)
        return Response(UnlinkResultOutput(result, context=self.get_serializer_context()).data)

    @collection(EvidenceOutput)
    @action(detail=True, methods=["get"], parser_classes=[MultiPartParser])
    def evidence(self, request: Request, pk: str | None = None) -> Response:
        """The evidence files of the incident (not for the police liaison: they get the police pack)."""
        incident = self.get_object()
        page = self.paginate_queryset(evidence_of(incident))
        access_log_record(actor=request.user, action="list", object_type="evidence", result=str(len(page)),
                          object_repr=incident.reference, request=request, subject=incident.subject_id,
                          data={"incident": str(incident.pk), "evidence": [str(e.pk) for e in page]})
        return self.get_paginated_response(EvidenceOutput(page, many=True).data)

    @extend_schema(request={"multipart/form-data": EvidenceUploadInput}, responses={201: EvidenceOutput})
    @evidence.mapping.post
    def evidence_upload(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        serializer = EvidenceUploadInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        evidence = evidence_upload(
            incident=incident, uploaded_by=request.user, upload=upload,
            original_name=_safe_filename(upload.name or "evidence"), size=upload.size,
            description=serializer.validated_data["description"],
            captured_at=serializer.validated_data["captured_at"],
        )
        return Response(EvidenceOutput(evidence).data, status=status.HTTP_201_CREATED)

    @download(_evidence_types, "The file as uploaded, served as the type sniffed from its bytes.")
    @action(detail=True, methods=["get"], url_path=r"evidence/(?P<evidence_id>[^/]+)/download")
    def evidence_download(self, request: Request, pk: str | None = None, evidence_id: str | None = None):
        incident = self.get_object()
        evidence = self.evidence
        access_log_record(actor=request.user, action="download", object_type="evidence", object_id=evidence.pk,
                          object_repr=f"{incident.reference} {evidence.original_name}", request=request,
                          subject=incident.subject_id, data={"sha256": evidence.sha256})
        response = FileResponse(evidence.file.open("rb"), content_type=evidence.content_type, as_attachment=True,
                                filename=_safe_filename(evidence.original_name))
        response["X-Content-SHA256"] = evidence.sha256
        response["X-Content-Type-Options"] = "nosniff"
        return response
