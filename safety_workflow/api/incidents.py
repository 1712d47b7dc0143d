"""The incidents API: report (idempotent), list and read what the caller may see, the timeline, evidence."""

from __future__ import annotations

import re
from typing import Any

import django_filters
from django.db import transaction
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from ..errors import InvalidInput, NotFound
from ..models import EvidenceFile, Incident, Subject, TimelineEntry
from ..roles import SUBJECT_ROLES, roles_for
from ..selectors.cases import evidence_get, incident_get, incidents_visible_to, timeline_visible_to
from ..selectors.common import access_attempt
from ..services.audit import access_log_record
from ..services.corrections import correction_check_permitted, incident_unlink_subject
from ..services.evidence import evidence_upload
from ..services.incidents import incident_report, request_fingerprint
from .base import SafetyAPIMixin
from .corrections import CorrectionOutput, UnlinkSubjectInput
from .register_serializers import ErrorSerializer
from .serializers import CaseRefOutput, PersonOutput
from .task_forms import HandleInput, UserRef

IMMEDIATE_DANGER_ADVICE = (
    "If you are in immediate danger, call 999 now. The police referral has been made and the named police "
    "contact has been told."
)

class SubjectDetailsInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    aliases = serializers.ListField(child=serializers.CharField(max_length=200), required=False, default=list,
                                    max_length=20)
    handles = HandleInput(many=True, required=False, default=list)


class IncidentReportInput(serializers.Serializer):
    councillor = UserRef(required=False, allow_null=True, default=None,
                         help_text="The councillor it was aimed at; defaults to the reporter.")
    occurred_at = serializers.DateTimeField()
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
    subject = serializers.PrimaryKeyRelatedField(queryset=Subject.objects.all(), required=False, allow_null=True,
                                                 default=None)
    subject_details = SubjectDetailsInput(required=False, default=dict)


class EvidenceOutput(serializers.ModelSerializer):
    uploaded_by = PersonOutput()

    class Meta:
        model = EvidenceFile
        fields = ["id", "original_name", "content_type", "size", "sha256", "description", "captured_at",
                  "uploaded_by", "uploaded_at"]


class IncidentOutput(serializers.ModelSerializer):
    case = CaseRefOutput()
    councillor = PersonOutput()
    reported_by = PersonOutput()
    subject = serializers.SerializerMethodField()
    evidence_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Incident
        fields = ["id", "reference", "case", "councillor", "reported_by", "reported_at", "occurred_at", "location",
                  "ward", "channel", "account", "words_used", "hate_element", "hate_categories", "immediate_danger",
                  "injury", "witnesses", "police_already_informed", "police_reference", "subject",
                  "subject_details", "evidence_count"]

    def get_subject(self, incident: Incident) -> dict[str, str] | None:
        if incident.subject_id is None or not self.context["roles"] & SUBJECT_ROLES:
            return None
        return {"id": str(incident.subject_id), "name": str(incident.subject)}


class IncidentDetailOutput(IncidentOutput):
    evidence = EvidenceOutput(many=True)

    class Meta(IncidentOutput.Meta):
        fields = [*IncidentOutput.Meta.fields, "evidence"]


class ReportResultOutput(IncidentDetailOutput):
    created = serializers.BooleanField()
    linked_to_open_case = serializers.BooleanField()
    safety_advice = serializers.CharField(allow_blank=True)

    class Meta(IncidentDetailOutput.Meta):
        fields = [*IncidentDetailOutput.Meta.fields, "created", "linked_to_open_case", "safety_advice"]


class TimelineOutput(serializers.ModelSerializer):
    actor = PersonOutput(allow_null=True)
    incident = serializers.CharField(source="incident.reference", allow_null=True, default=None)

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


class EvidenceUploadInput(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)  # an empty file is refused as empty_file by the service
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    captured_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class IncidentFilter(django_filters.FilterSet):
    case = django_filters.NumberFilter(field_name="case_id")
    channel = django_filters.ChoiceFilter(choices=Incident.Channel.choices)
    councillor = django_filters.CharFilter(field_name="councillor_id")
    ward = django_filters.CharFilter()
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = Incident
        fields = ["case", "channel", "councillor", "ward", "occurred_after", "occurred_before"]


def _safe_filename(name: str) -> str:
    cleaned = re.sub(r"[^\w.\- ]+", "_", name).strip() or "evidence"
    return cleaned[:120]


class IncidentViewSet(SafetyAPIMixin, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    """Incidents: what happened, in the reporter's words."""

    serializer_class = IncidentOutput
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = IncidentFilter
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["roles"] = roles_for(self.request.user)
        return context

    def get_queryset(self):
        from django.db.models import Count

        return (
            incidents_visible_to(self.request.user)
            .select_related("case", "councillor", "reported_by", "subject")
            .annotate(evidence_count=Count("evidence"))
            .order_by("-occurred_at", "-reported_at")
        )

    def get_object(self) -> Incident:
        incident = incident_get(self.request.user, self.kwargs["pk"])
        incident.evidence_count = incident.evidence.count()
        return incident

    @extend_schema(
        request=IncidentReportInput,
        responses={201: ReportResultOutput, 200: ReportResultOutput},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER,
                                     description="Send the same key again to get the same incident, not a new one.")],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get("Idempotency-Key", "").strip() or None
        if key is not None and len(key) > 200:
            raise InvalidInput(errors={"Idempotency-Key": ["At most 200 characters."]})
        serializer = IncidentReportInput(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        councillor = data.pop("councillor") or request.user
        details = data.pop("subject_details")
        result = incident_report(
            reporter=request.user,
            councillor=councillor,
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

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        access_log_record(actor=request.user, action="list", object_type="incident", result=str(len(page)),
                          request=request, data={"incidents": [str(i.pk) for i in page],
                                                 "filters": dict(request.query_params.items())})
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses=IncidentDetailOutput)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incident = self.get_object()
        access_log_record(actor=request.user, action="view", object_type="incident", object_id=incident.pk,
                          object_repr=incident.reference, request=request, subject=incident.subject_id)
        return Response(IncidentDetailOutput(incident, context=self.get_serializer_context()).data)

    @extend_schema(responses=TimelineOutput(many=True))
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
        responses={200: UnlinkResultOutput, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer,
                   409: ErrorSerializer},
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

    @extend_schema(methods=["GET"], responses=EvidenceOutput(many=True))
    @extend_schema(methods=["POST"], request={"multipart/form-data": EvidenceUploadInput},
                   responses={201: EvidenceOutput})
    @action(detail=True, methods=["get", "post"])
    def evidence(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        if request.method == "GET":
            items = list(incident.evidence.select_related("uploaded_by").order_by("uploaded_at"))
            access_log_record(actor=request.user, action="list", object_type="evidence", result=str(len(items)),
                              object_repr=incident.reference, request=request, subject=incident.subject_id,
                              data={"incident": str(incident.pk), "evidence": [str(e.pk) for e in items]})
            return Response(EvidenceOutput(items, many=True).data)
        serializer = EvidenceUploadInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        evidence = evidence_upload(
            incident=incident, uploaded_by=request.user, upload=upload, original_name=upload.name,
            size=upload.size, description=serializer.validated_data["description"],
            captured_at=serializer.validated_data["captured_at"],
        )
        return Response(EvidenceOutput(evidence).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"evidence/(?P<evidence_id>[0-9a-fA-F-]{36})/download")
    def evidence_download(self, request: Request, pk: str | None = None, evidence_id: str | None = None):
        try:
            incident = self.get_object()
            evidence = evidence_get(request.user, incident, evidence_id)
        except NotFound as refused:
            # Logged as a refused download of that evidence, whichever of the two was not visible.
            refused.access_attempt = {**access_attempt(EvidenceFile, evidence_id, "evidence"), "action": "download"}
            raise
        access_log_record(actor=request.user, action="download", object_type="evidence", object_id=evidence.pk,
                          object_repr=f"{incident.reference} {evidence.original_name}", request=request,
                          subject=incident.subject_id, data={"sha256": evidence.sha256})
        response = FileResponse(evidence.file.open("rb"), content_type=evidence.content_type, as_attachment=True,
                                filename=_safe_filename(evidence.original_name))
        response["X-Content-SHA256"] = evidence.sha256
        response["X-Content-Type-Options"] = "nosniff"
        return response
