"""The incidents API: report (idempotent), list and read what the caller may see, the timeline, evidence."""

from __future__ import annotations

import re
from typing import Any

import django_filters
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from ..conf import app_settings
from ..errors import InvalidInput, NotFound
from ..models import EvidenceFile, EvidenceText, Incident, ProtectedPerson, Subject, TimelineEntry
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
    summary_columns,
)
from .task_forms import HandleInput

IMMEDIATE_DANGER_ADVICE = (
    gettext_lazy("If you are in immediate danger, call 999 now. The police referral has been made and the named "
                 "police contact has been told.")
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


class EvidenceTextOutput(serializers.Serializer):
    """What could be read from the file, and how sure the reading is (the text itself: the evidence's own page)."""

    status = serializers.ChoiceField(choices=EvidenceText.Status.choices, help_text=(
        "pending: waiting for a worker; done: read; unavailable: cannot be read here (no OCR engine installed, "
        "or a kind of file with no text: audio, video); failed: the file could not be read (see message)."))
    method = serializers.ChoiceField(choices=EvidenceText.Method.choices, help_text=(
        "ocr: an image read by optical character recognition; pdf: the PDF's text, scanned pages by OCR; "
        "email: headers and body; plain: the text file; empty: not read."))
    engine = serializers.CharField(allow_blank=True, help_text="tesseract, pypdf, email or text.")
    engine_version = serializers.CharField(allow_blank=True)
    language = serializers.CharField(allow_blank=True, help_text="The OCR languages, e.g. eng or eng+cym.")
    confidence = serializers.FloatField(allow_null=True, help_text=(
        "Mean OCR confidence of the words read, 0-100; null when nothing was read by OCR."))
    word_count = serializers.IntegerField()
    page_count = serializers.IntegerField()
    finished_at = fields.DateTimeField(allow_null=True)
    message = serializers.CharField(allow_blank=True, help_text="Why the text is unavailable or failed.")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        text = instance if isinstance(instance, EvidenceText) else EvidenceText(status=EvidenceText.Status.PENDING)
        return {
            "status": text.status, "method": text.method, "engine": text.engine,
            "engine_version": text.engine_version, "language": text.language,
            "confidence": text.confidence, "word_count": text.word_count,
            "page_count": text.page_count,
            "finished_at": fields.DateTimeField().to_representation(text.finished_at) if text.finished_at else None,
            "message": text.message,
        }


class WordOutput(serializers.Serializer):
    text = serializers.CharField()
    left = serializers.IntegerField()
    top = serializers.IntegerField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    confidence = serializers.FloatField(help_text="0-100.")


class TextPageOutput(serializers.Serializer):
    number = serializers.IntegerField(help_text="From 1.")
    ocr = serializers.BooleanField(help_text="Read by OCR (the words have boxes); false: the PDF's own text.")
    width = serializers.IntegerField(allow_null=True, help_text="Pixels, for a page read by OCR.")
    height = serializers.IntegerField(allow_null=True)
    words = WordOutput(many=True, help_text="For a page read by OCR: each word and its box, in pixels of the "
                                            "image as displayed (scanned PDF pages: rendered at EVIDENCE_OCR_DPI).")

    def to_representation(self, page: Any) -> dict[str, Any]:
        return {"number": page.get("number", 1), "ocr": bool(page.get("ocr")), "width": page.get("width"),
                "height": page.get("height"),
                "words": [{"text": w[0], "left": w[1], "top": w[2], "width": w[3], "height": w[4],
                           "confidence": w[5]} for w in page.get("words", [])]}


class HeaderOutput(serializers.Serializer):
    name = serializers.CharField()
    value = serializers.CharField()


class AttachmentOutput(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    type = serializers.CharField()


class EmailOutput(serializers.Serializer):
    headers = HeaderOutput(many=True)
    attachments = AttachmentOutput(many=True)

    def to_representation(self, value: Any) -> dict[str, Any]:
        return {"headers": [{"name": n, "value": v} for n, v in value.get("headers", [])],
                "attachments": [{"name": a.get("name", ""), "type": a.get("type", "")}
                                for a in value.get("attachments", [])]}


class EvidenceTextDetailOutput(EvidenceTextOutput):
    content = serializers.CharField(allow_blank=True, help_text="All the text read, page after page.")
    pages = TextPageOutput(many=True)
    email = EmailOutput(allow_null=True, help_text="An e-mail's headers and attachments; null for other files.")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        summary = super().to_representation(instance)
        text = instance if isinstance(instance, EvidenceText) else None
        return {**summary, "content": text.text if text else "",
                "pages": [TextPageOutput().to_representation(p) for p in (text.pages if text else [])],
                "email": EmailOutput().to_representation(text.fields) if text and text.method == "email" else None}


class EvidenceOutput(ModelOutput):
    uploaded_by = PersonOutput()
    text = serializers.SerializerMethodField(help_text="Reading the file's text (the text: GET the evidence).")

    class Meta:
        model = EvidenceFile
        fields = ["id", "original_name", "content_type", "size", "sha256", "description", "captured_at",
                  "uploaded_by", "uploaded_at", "text"]

    @extend_schema_field(EvidenceTextOutput)
    def get_text(self, evidence: EvidenceFile) -> dict[str, Any]:
        return EvidenceTextOutput(_extraction(evidence)).data


class EvidenceDetailOutput(EvidenceOutput):
    @extend_schema_field(EvidenceTextDetailOutput)
    def get_text(self, evidence: EvidenceFile) -> dict[str, Any]:
        return EvidenceTextDetailOutput(_extraction(evidence)).data


def _extraction(evidence: EvidenceFile) -> EvidenceText | None:
    try:
        return evidence.extraction
    except EvidenceText.DoesNotExist:
        return None


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
        if getattr(incident, "evidence_count", None) == 0:  # counted already: nothing to list
            return []
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
        # Four relations joined, the election period fetched after (no statement when no row of the page is in
        # one), the evidence counted in a subquery: joining all five (and the process row the case extends) and
        # grouping by every column made PostgreSQL spend 10-13 ms planning a page of 25 (its search for a join
        # order grows with each relation), against 1.4 ms now.
        evidence = (EvidenceFile.objects.filter(incident=OuterRef("pk")).order_by().values("incident")
                    .annotate(n=Count("pk")).values("n"))
        # Of the case, its summary's columns (not the process row it extends, nor the rest of the case).
        return (
            incidents_visible_to(self.request.user)
            .select_related("case", "protected_person__user", "reported_by", "subject")
            .only(*(f.name for f in Incident._meta.concrete_fields), *summary_columns("case", "case"),
                  *summary_columns("protected_person", "protected_person"), *summary_columns("reported_by", "person"),
                  *summary_columns("subject", "subject"))
            .prefetch_related("election_period")
            .annotate(evidence_count=Coalesce(Subquery(evidence), 0))
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
                # Logged as a refused read or download of that evidence, whichever of the two was not visible.
                action = "download" if self.action == "evidence_download" else "view"
                refused.access_attempt = {**access_attempt(EvidenceFile, evidence_id, "evidence"), "action": action}
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
            raise InvalidInput(errors={"Idempotency-Key": [_("At most 200 printable ASCII characters.")]})
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
        if result.created:  # the incident as the service left it, with what it read: nothing to read again
            incident = result.incident
            incident.evidence_count = 0
        else:  # a replay: the incident as it is now
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
            claimed_type=getattr(upload, "content_type", "") or "",
            description=serializer.validated_data["description"],
            captured_at=serializer.validated_data["captured_at"],
        )
        return Response(EvidenceOutput(evidence).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=EvidenceDetailOutput, summary="One evidence file, with the text read from it",
                   description="The text read from the file (OCR of an image or a scanned page, a PDF's text, an "
                   "e-mail's headers and body), each OCR'd word with its box, and how sure the reading is. "
                   "For whoever may see the evidence; the read is in the access log.")
    @action(detail=True, methods=["get"], url_path=r"evidence/(?P<evidence_id>[^/]+)")
    def evidence_detail(self, request: Request, pk: str | None = None, evidence_id: str | None = None) -> Response:
        incident = self.get_object()
        evidence = self.evidence
        access_log_record(actor=request.user, action="view", object_type="evidence", object_id=evidence.pk,
                          object_repr=f"{incident.reference} {evidence.original_name}", request=request,
                          subject=incident.subject_id, data={"sha256": evidence.sha256, "part": "text"})
        return Response(EvidenceDetailOutput(evidence).data)

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
