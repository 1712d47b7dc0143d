"""The cases/ and referrals/ APIs: case files as each role may see them, and police referrals."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from ..models import Assessment, Case, CouncilAction, Incident, Level, PoliceReferral, Route
from ..roles import CASE_OFFICER_ROLES, SUBJECT_ROLES, Role, roles_for
from ..selectors.cases import case_get, case_parts_present, cases_visible_to, incidents_visible_to, sees_whole_case
from ..selectors.common import get_or_not_found
from ..selectors.patterns import conduct_flags_of_case
from ..selectors.tasks import task_queue_of_case
from ..services.audit import access_log_record
from ..services.corrections import case_split, correction_check_permitted
from ..services.court import court_claim_update, court_document_add, current_injunction
from ..services.police import police_referral_update
from . import fields
from .base import (
    BooleanFilter,
    DateTimeFilter,
    FilterSet,
    InputSerializer,
    ModelOutput,
    SafetyAPIMixin,
    collection,
)
from .corrections import CorrectionOutput, SplitInput
from .court import CourtClaimInput, CourtClaimOutput, CourtDocumentInput, CourtDocumentOutput
from .serializers import (
    CaseSummary,
    ElectionPeriodSummary,
    IncidentSummary,
    PersonOutput,
    ProtectedPersonSummary,
    SubjectSummary,
    summary_columns,
)

#: A referral's incidents, with their election period (the flag the police see first).
REFERRAL_INCIDENTS = Prefetch("incidents", queryset=Incident.objects.select_related("election_period"))


class CaseOutput(ModelOutput):
    opened_at = fields.DateTimeField(source="created")
    subject = serializers.SerializerMethodField(help_text="Who the case is about, for the roles that see subjects.")
    merged_into = serializers.SerializerMethodField(help_text="The case this one was merged into, if you see it.")

    class Meta:
        model = Case
        fields = ["id", "reference", "state", "level", "route", "immediate_danger", "opened_at", "closed_at",
                  "merged_into", "subject"]

    @extend_schema_field(SubjectSummary(allow_null=True))
    def get_subject(self, case: Case) -> dict[str, str] | None:
        if case.subject_id is None or not self.context["roles"] & SUBJECT_ROLES:
            return None
        return SubjectSummary(case.subject).data

    @extend_schema_field(CaseSummary(allow_null=True))
    def get_merged_into(self, case: Case) -> dict[str, Any] | None:
        if case.merged_into_id is None:
            return None
        visible = self.context.get("visible_merge_targets")
        if visible is None:
            visible = merge_targets_visible(self.context["request"].user, [case])
        return CaseSummary(case.merged_into).data if case.merged_into_id in visible else None


def merge_targets_visible(user: Any, cases: list[Case]) -> set[Any]:
    """Which of the cases these were merged into the user may see (one query for a page)."""
    targets = {c.merged_into_id for c in cases if c.merged_into_id}
    if not targets:
        return set()
    return set(cases_visible_to(user).filter(pk__in=targets).values_list("pk", flat=True))


class AssessmentOutput(ModelOutput):
    assessed_by = PersonOutput()
    decision_table_version = serializers.IntegerField(source="decision_table.version")

    class Meta:
        model = Assessment
        fields = ["id", "assessed_at", "assessed_by", "decision_table_version", "answers", "computed_level",
                  "matched_rules", "override_level", "override_reason", "level", "route", "propose_register",
                  "home_security", "employee_assistance", "notes"]


class CouncilActionOutput(ModelOutput):
    decided_by = PersonOutput()
    bundle = serializers.UUIDField(source="bundle_id", allow_null=True, help_text="The injunction bundle filed.")

    class Meta:
        model = CouncilAction
        fields = ["id", "kind", "reason", "decided_by", "decided_at", "letter_sent_on", "letter_reference", "basis",
                  "bundle", "claim_number", "court", "outcome", "outcome_on", "expires_on", "outcome_notes"]


class ReferralContactOutput(serializers.Serializer):
    name = serializers.CharField()
    force = serializers.CharField()
    role_title = serializers.CharField()


class ReferralOutput(ModelOutput):
    case = CaseSummary()
    contact = serializers.SerializerMethodField()
    incidents = IncidentSummary(many=True)
    election_period = serializers.SerializerMethodField(
        help_text="The election period its incidents fall in (the latest poll, if several); null outside them. "
                  "Forces run election operations: the police contact sees this first.")

    class Meta:
        model = PoliceReferral
        fields = ["id", "case", "contact", "election_period", "incidents", "urgent", "reason", "referred_at",
                  "status", "crime_reference", "acknowledged_at", "acknowledgement_notes", "outcome_notes",
                  "outcome_recorded_at"]

    @extend_schema_field(ElectionPeriodSummary(allow_null=True))
    def get_election_period(self, referral: PoliceReferral) -> dict[str, Any] | None:
        periods = [i.election_period for i in referral.incidents.all() if i.election_period_id]
        if not periods:
            return None
        return ElectionPeriodSummary(max(periods, key=lambda p: (p.poll_date, p.pk))).data

    @extend_schema_field(ReferralContactOutput(allow_null=True))
    def get_contact(self, referral: PoliceReferral) -> dict[str, str] | None:
        c = referral.contact
        return {"name": c.name, "force": c.force, "role_title": c.role_title} if c else None


class OpenTaskOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    node = serializers.CharField(source="flow_task.name")
    owner = PersonOutput(allow_null=True)


class CaseDetailOutput(CaseOutput):
    incidents = serializers.SerializerMethodField()
    protected_people = serializers.SerializerMethodField(
        help_text="The people harmed in the incidents you see (a councillor, their partner, a candidate...).")
    assessments = serializers.SerializerMethodField()
    council_actions = serializers.SerializerMethodField()
    referrals = serializers.SerializerMethodField()
    open_tasks = serializers.SerializerMethodField()
    course_of_conduct = serializers.SerializerMethodField()
    course_of_conduct_withdrawn = serializers.SerializerMethodField()
    outcome_summary = serializers.CharField()

    class Meta(CaseOutput.Meta):
        fields = [*CaseOutput.Meta.fields, "outcome_summary", "incidents", "protected_people", "assessments",
                  "council_actions",
                  "referrals", "open_tasks", "course_of_conduct", "course_of_conduct_withdrawn"]

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_course_of_conduct(self, case: Case) -> list[dict[str, Any]]:
        """Course-of-conduct flags in force (two or more incidents by the subject against one person): for
        those who see the whole case (the flags count incidents across the subject's cases)."""
        from .subjects import ConductFlagSerializer

        if not self._officer(case):
            return []
        return ConductFlagSerializer(self._flags(case)[0], many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_course_of_conduct_withdrawn(self, case: Case) -> list[dict[str, Any]]:
        """Flags once raised on this case and withdrawn by a correction, with who withdrew them and why."""
        from .subjects import ConductFlagSerializer

        if not self._officer(case):
            return []
        return ConductFlagSerializer(self._flags(case)[1], many=True).data

    # What several fields of one case share, read once per case: whether the caller sees the whole case, the
    # incidents they see (their people are the protected people), the flags in force and withdrawn.
    def _once(self, case: Case, key: str, read: Any) -> Any:
        cache = self.__dict__.setdefault("_read_once", {})
        if (case.pk, key) not in cache:
            cache[(case.pk, key)] = read()
        return cache[(case.pk, key)]

    def _officer(self, case: Case) -> bool:
        return self._once(case, "officer", lambda: sees_whole_case(self.context["request"].user, case))

    def _incidents(self, case: Case) -> list[Incident]:
        user = self.context["request"].user
        return self._once(case, "incidents", lambda: list(
            incidents_visible_to(user).filter(case=case).select_related("protected_person__user")
            .order_by("occurred_at")))

    def _flags(self, case: Case) -> tuple[list[Any], list[Any]]:
        return self._once(case, "flags", lambda: conduct_flags_of_case(case))

    @extend_schema_field(IncidentSummary(many=True))
    def get_incidents(self, case: Case) -> list[dict[str, Any]]:
        return IncidentSummary(self._incidents(case), many=True).data

    @extend_schema_field(ProtectedPersonSummary(many=True))
    def get_protected_people(self, case: Case) -> list[dict[str, Any]]:
        """The people the incidents the caller sees were aimed at (from those incidents: no query of its own)."""
        people = list({i.protected_person_id: i.protected_person for i in self._incidents(case)}.values())
        return ProtectedPersonSummary(sorted(people, key=lambda p: (p.kind != "councillor", p.name)), many=True).data

    @extend_schema_field(AssessmentOutput(many=True))
    def get_assessments(self, case: Case) -> list[dict[str, Any]]:
        if not (self._officer(case) or Role.POLICE_LIAISON in self.context["roles"]):
            return []
        items = case.assessments.select_related("assessed_by", "decision_table").order_by("assessed_at")
        return AssessmentOutput(items, many=True).data

    @extend_schema_field(CouncilActionOutput(many=True))
    def get_council_actions(self, case: Case) -> list[dict[str, Any]]:
        if not self._officer(case) or not getattr(case, "has_council_actions", True):
            return []
        return CouncilActionOutput(case.council_actions.select_related("decided_by"), many=True).data

    @extend_schema_field(ReferralOutput(many=True))
    def get_referrals(self, case: Case) -> list[dict[str, Any]]:
        if not (self._officer(case) or Role.POLICE_LIAISON in self.context["roles"]):
            return []
        if not getattr(case, "has_referrals", True):
            return []
        items = case.referrals.select_related("contact", "case").prefetch_related(REFERRAL_INCIDENTS)
        return ReferralOutput(items, many=True).data

    @extend_schema_field(OpenTaskOutput(many=True))
    def get_open_tasks(self, case: Case) -> list[dict[str, Any]]:
        """The caller's open tasks of the case (it came from ``case_get``: they see it)."""
        if not getattr(case, "has_open_tasks", True):
            return []
        user = self.context["request"].user
        return OpenTaskOutput(task_queue_of_case(user, case.pk, sees_case=True), many=True).data


class CaseFilter(FilterSet):
    state = django_filters.ChoiceFilter(choices=Case.State.choices)
    level = django_filters.ChoiceFilter(choices=Level.choices)
    route = django_filters.ChoiceFilter(choices=Route.choices)
    immediate_danger = BooleanFilter()
    opened_after = DateTimeFilter(field_name="created", lookup_expr="gte")
    opened_before = DateTimeFilter(field_name="created", lookup_expr="lt")

    class Meta:
        model = Case
        fields: list[str] = []


class CaseViewSet(SafetyAPIMixin, viewsets.GenericViewSet):
    """Case files: the incidents about one subject, the assessments, the actions and referrals."""

    serializer_class = CaseOutput
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = CaseFilter

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["roles"] = roles_for(self.request.user)
        return context

    def get_queryset(self):
        """The list's cases, with the columns it shows (not the process's data, nor the outcome's text)."""
        return (cases_visible_to(self.request.user).select_related("subject", "merged_into")
                .only("reference", "state", "level", "route", "immediate_danger", "created", "closed_at",
                      "merged_into", "subject", *summary_columns("merged_into", "case"),
                      *summary_columns("subject", "subject"))
                .order_by("-created"))

    def get_object(self) -> Case:
        return case_get(self.request.user, self.kwargs["pk"])

    @collection(CaseOutput)
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {**self.get_serializer_context(), "visible_merge_targets": merge_targets_visible(request.user, page)}
        access_log_record(actor=request.user, action="list", object_type="case", result=str(len(page)),
                          request=request, data={"cases": [c.pk for c in page],
                                                 "filters": dict(request.query_params.items())})
        return self.get_paginated_response(CaseOutput(page, many=True, context=context).data)

    @extend_schema(responses=CaseDetailOutput)
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        case = case_get(request.user, self.kwargs["pk"], **case_parts_present())
        access_log_record(actor=request.user, action="view", object_type="case", object_id=case.pk,
                          object_repr=case.reference, request=request, subject=case.subject_id)
        return Response(CaseDetailOutput(case, context=self.get_serializer_context()).data)

    @extend_schema(
        request=SplitInput,
        responses={201: CorrectionOutput},
        summary="Split incidents out of the case into a new case",
        description="Members services or health and safety, with a reason, for an open case. The incidents keep "
        "their references. The new case starts at the assessment (at triage when no subject is linked), beside a "
        "police referral when its incidents were in an open one (the police contact is told they left one "
        "referral and joined another); when its subject has another open case it is merged into it. This case's "
        "assessment is re-opened, and flags and signals move to the case that now holds their incidents.",
    )
    @action(detail=True, methods=["post"])
    def split(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        correction_check_permitted(request.user)
        serializer = SplitInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            result = case_split(case=case, actor=request.user, **serializer.validated_data)
            access_log_record(actor=request.user, action="change", object_type="case", object_id=case.pk,
                              object_repr=case.reference, purpose=serializer.validated_data["reason"],
                              result="split", request=request,
                              data={"new_case": result.new_case.reference if result.new_case else ""})
        return Response(CorrectionOutput(result, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


    @extend_schema(responses=CourtClaimOutput, summary="The court and claim details of the case's injunction",
                   description="What the injunction bundle's cover and witness statements print. 409 "
                   "`no_injunction` when no injunction has been decided on the case.")
    @action(detail=True, methods=["get"], url_path="court-claim")
    def court_claim(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        action_ = current_injunction(case)
        access_log_record(actor=request.user, action="view", object_type="case", object_id=case.pk,
                          object_repr=case.reference, request=request, subject=case.subject_id,
                          data={"part": "court_claim"})
        return Response(CourtClaimOutput(action_).data)

    @extend_schema(request=CourtClaimInput, responses=CourtClaimOutput,
                   summary="Set the court and claim details (court, hearing centre, claim number, parties, Act)",
                   description="Validated together: a High Court claim number looks like KB-2026-001234, a County "
                   "Court one like K00NT123; \"County Court at\" in front of a hearing centre is dropped (the cover "
                   "prints the court's own words); the parties name at least one claimant and one defendant.")
    @court_claim.mapping.put
    def court_claim_update(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        serializer = CourtClaimInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        action_ = court_claim_update(case=case, user=request.user, data=serializer.validated_data)
        access_log_record(actor=request.user, action="change", object_type="case", object_id=case.pk,
                          object_repr=case.reference, request=request, subject=case.subject_id,
                          result="court_claim", data={"claim_number": action_.claim_number})
        return Response(CourtClaimOutput(action_).data)

    @collection(CourtDocumentOutput)
    @action(detail=True, methods=["get"], url_path="court-documents", parser_classes=[MultiPartParser])
    def court_documents(self, request: Request, pk: str | None = None) -> Response:
        """The documents the legal team has added to the case's injunction bundle, in the order they were added."""
        case = self.get_object()
        page = self.paginate_queryset(case.court_documents.select_related("added_by").order_by("added_at", "id"))
        access_log_record(actor=request.user, action="list", object_type="case", object_id=case.pk,
                          object_repr=case.reference, result=str(len(page)), request=request,
                          subject=case.subject_id, data={"part": "court_documents"})
        return self.get_paginated_response(CourtDocumentOutput(page, many=True).data)

    @extend_schema(request={"multipart/form-data": CourtDocumentInput}, responses={201: CourtDocumentOutput},
                   summary="Add a document to the injunction bundle: an uploaded PDF, or one generated from a template",
                   description="Statements of case, the claim form, the application notice and the draft order, "
                   "witness statements, notices and contemporaneous documents (with their date). Without a file, a "
                   "claim form, application notice, draft order, statement of case or notice is generated from the "
                   "template `injunction/court/<section>.html` (a council may override it) with `text` as its body. "
                   "400 `unreadable_pdf` for a file pypdf cannot read. Added after a bundle was served, it goes into "
                   "that bundle's supplementary section (`POST bundles/{id}/supplement/`).")
    @court_documents.mapping.post
    def court_document_add(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        serializer = CourtDocumentInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data.get("file")
        document = court_document_add(case=case, user=request.user, section=data["section"], title=data["title"],
                                      document_date=data.get("document_date"), text=data.get("text", ""),
                                      upload=upload, size=upload.size if upload is not None else 0)
        return Response(CourtDocumentOutput(document).data, status=status.HTTP_201_CREATED)


class ReferralUpdateInput(InputSerializer):
    status = serializers.ChoiceField(choices=[(s.value, s.label) for s in PoliceReferral.OPEN_STATUSES[1:]],
                                     required=False, allow_null=True, default=None)
    crime_reference = serializers.CharField(max_length=50, required=False, allow_null=True, default=None)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class ReferralFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=PoliceReferral.Status.choices)
    urgent = BooleanFilter()

    class Meta:
        model = PoliceReferral
        fields: list[str] = []


class ReferralViewSet(SafetyAPIMixin, viewsets.GenericViewSet):
    """Police referrals of the cases the caller may see."""

    serializer_class = ReferralOutput
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = ReferralFilter

    def get_queryset(self):
        user = self.request.user
        roles = roles_for(user)
        if not roles & (CASE_OFFICER_ROLES | {Role.POLICE_LIAISON, Role.LEGAL}):
            return PoliceReferral.objects.none()
        return (
            PoliceReferral.objects.filter(case__in=cases_visible_to(user).values("pk"))
            .select_related("contact", "case")
            .prefetch_related(REFERRAL_INCIDENTS)
            .order_by("-referred_at")
        )

    def get_object(self) -> PoliceReferral:
        return get_or_not_found(self.get_queryset(), self.kwargs["pk"])

    @collection(ReferralOutput)
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses=ReferralOutput)
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=ReferralUpdateInput, responses=ReferralOutput)
    @action(detail=True, methods=["post"], url_path="update")
    def update_status(self, request: Request, pk: str | None = None) -> Response:
        """An interim update while the police work on it: under investigation, a crime reference, a note."""
        referral = self.get_object()
        serializer = ReferralUpdateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        referral = police_referral_update(referral=referral, actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(referral).data)

