"""The cases/ and referrals/ APIs: case files as each role may see them, and police referrals."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ..models import Assessment, Case, CouncilAction, PoliceReferral
from ..roles import CASE_OFFICER_ROLES, SUBJECT_ROLES, Role, roles_for
from ..selectors.cases import case_get, cases_visible_to, incidents_visible_to, sees_whole_case
from ..selectors.common import get_or_not_found
from ..selectors.patterns import conduct_flags_for_case, conduct_flags_withdrawn_from_case, flag_as_dict
from ..selectors.tasks import task_queue
from ..services.audit import access_log_record
from ..services.corrections import case_split, correction_check_permitted
from ..services.police import police_referral_update
from .base import SafetyAPIMixin
from .corrections import CorrectionOutput, SplitInput
from .register_serializers import ErrorSerializer
from .serializers import PersonOutput


class CaseOutput(serializers.ModelSerializer):
    opened_at = serializers.DateTimeField(source="created")
    subject = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = ["id", "reference", "state", "level", "route", "immediate_danger", "opened_at", "closed_at",
                  "merged_into", "subject"]

    def get_subject(self, case: Case) -> dict[str, str] | None:
        if case.subject_id is None or not self.context["roles"] & SUBJECT_ROLES:
            return None
        return {"id": str(case.subject_id), "name": str(case.subject)}


class AssessmentOutput(serializers.ModelSerializer):
    assessed_by = PersonOutput()
    decision_table_version = serializers.IntegerField(source="decision_table.version")

    class Meta:
        model = Assessment
        fields = ["id", "assessed_at", "assessed_by", "decision_table_version", "answers", "computed_level",
                  "matched_rules", "override_level", "override_reason", "level", "route", "propose_register",
                  "home_security", "employee_assistance", "notes"]


class CouncilActionOutput(serializers.ModelSerializer):
    decided_by = PersonOutput()

    class Meta:
        model = CouncilAction
        fields = ["id", "kind", "reason", "decided_by", "decided_at", "letter_sent_on", "letter_reference", "basis",
                  "bundle", "claim_number", "court", "outcome", "outcome_on", "expires_on", "outcome_notes"]


class ReferralOutput(serializers.ModelSerializer):
    case = serializers.CharField(source="case.reference")
    contact = serializers.SerializerMethodField()
    incidents = serializers.SlugRelatedField(slug_field="reference", many=True, read_only=True)

    class Meta:
        model = PoliceReferral
        fields = ["id", "case", "contact", "incidents", "urgent", "reason", "referred_at", "status",
                  "crime_reference", "acknowledged_at", "acknowledgement_notes", "outcome_notes",
                  "outcome_recorded_at"]

    def get_contact(self, referral: PoliceReferral) -> dict[str, str] | None:
        c = referral.contact
        return {"name": c.name, "force": c.force, "role_title": c.role_title} if c else None


class CaseDetailOutput(CaseOutput):
    incidents = serializers.SerializerMethodField()
    assessments = serializers.SerializerMethodField()
    council_actions = serializers.SerializerMethodField()
    referrals = serializers.SerializerMethodField()
    open_tasks = serializers.SerializerMethodField()
    course_of_conduct = serializers.SerializerMethodField()
    course_of_conduct_withdrawn = serializers.SerializerMethodField()
    outcome_summary = serializers.CharField()

    class Meta(CaseOutput.Meta):
        fields = [*CaseOutput.Meta.fields, "outcome_summary", "incidents", "assessments", "council_actions",
                  "referrals", "open_tasks", "course_of_conduct", "course_of_conduct_withdrawn"]

    def get_course_of_conduct(self, case: Case) -> list[dict[str, Any]]:
        """Course-of-conduct flags in force (two or more incidents by the subject against one councillor)."""
        if not self.context["roles"] & SUBJECT_ROLES:
            return []
        return [flag_as_dict(flag) for flag in conduct_flags_for_case(case)]

    def get_course_of_conduct_withdrawn(self, case: Case) -> list[dict[str, Any]]:
        """Flags once raised on this case and withdrawn by a correction, with who withdrew them and why."""
        if not self.context["roles"] & SUBJECT_ROLES:
            return []
        return [flag_as_dict(flag) for flag in conduct_flags_withdrawn_from_case(case)]

    def _officer(self, case: Case) -> bool:
        return sees_whole_case(self.context["request"].user, case)

    def get_incidents(self, case: Case) -> list[dict[str, Any]]:
        user = self.context["request"].user
        return [
            {"id": str(i.pk), "reference": i.reference, "occurred_at": i.occurred_at, "channel": i.channel}
            for i in incidents_visible_to(user).filter(case=case).order_by("occurred_at")
        ]

    def get_assessments(self, case: Case) -> list[dict[str, Any]]:
        if not (self._officer(case) or Role.POLICE_LIAISON in self.context["roles"]):
            return []
        items = case.assessments.select_related("assessed_by", "decision_table").order_by("assessed_at")
        return AssessmentOutput(items, many=True).data

    def get_council_actions(self, case: Case) -> list[dict[str, Any]]:
        if not self._officer(case):
            return []
        return CouncilActionOutput(case.council_actions.select_related("decided_by"), many=True).data

    def get_referrals(self, case: Case) -> list[dict[str, Any]]:
        if not (self._officer(case) or Role.POLICE_LIAISON in self.context["roles"]):
            return []
        items = case.referrals.select_related("contact", "case").prefetch_related("incidents")
        return ReferralOutput(items, many=True).data

    def get_open_tasks(self, case: Case) -> list[dict[str, Any]]:
        user = self.context["request"].user
        return [{"id": t.pk, "node": t.flow_task.name, "owner": t.owner_id} for t in
                task_queue(user).filter(process_id=case.pk)]


class CaseFilter(django_filters.FilterSet):
    opened_after = django_filters.IsoDateTimeFilter(field_name="created", lookup_expr="gte")
    opened_before = django_filters.IsoDateTimeFilter(field_name="created", lookup_expr="lt")

    class Meta:
        model = Case
        fields = ["state", "level", "route", "immediate_danger", "opened_after", "opened_before"]


class CaseViewSet(SafetyAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Case files: the incidents about one subject, the assessments, the actions and referrals."""

    serializer_class = CaseOutput
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = CaseFilter

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["roles"] = roles_for(self.request.user)
        return context

    def get_queryset(self):
        return cases_visible_to(self.request.user).select_related("subject").order_by("-created")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        access_log_record(actor=request.user, action="list", object_type="case", result=str(len(page)),
                          request=request, data={"cases": [c.pk for c in page],
                                                 "filters": dict(request.query_params.items())})
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses=CaseDetailOutput)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case = case_get(request.user, kwargs["pk"])
        access_log_record(actor=request.user, action="view", object_type="case", object_id=case.pk,
                          object_repr=case.reference, request=request, subject=case.subject_id)
        return Response(CaseDetailOutput(case, context=self.get_serializer_context()).data)

    @extend_schema(
        request=SplitInput,
        responses={201: CorrectionOutput, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer,
                   409: ErrorSerializer},
        summary="Split incidents out of the case into a new case",
        description="Members services or health and safety, with a reason, for an open case. The incidents keep "
        "their references. The new case starts at the assessment (at triage when no subject is linked), beside a "
        "police referral when its incidents were in an open one (the police contact is told they left one "
        "referral and joined another); when its subject has another open case it is merged into it. This case's "
        "assessment is re-opened, and flags and signals move to the case that now holds their incidents.",
    )
    @action(detail=True, methods=["post"])
    def split(self, request: Request, pk: str | None = None) -> Response:
        case = case_get(request.user, pk)
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


class ReferralUpdateInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=[(s.value, s.label) for s in PoliceReferral.OPEN_STATUSES[1:]],
                                     required=False, allow_null=True, default=None)
    crime_reference = serializers.CharField(max_length=50, required=False, allow_null=True, default=None)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class ReferralViewSet(SafetyAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Police referrals of the cases the caller may see."""

    serializer_class = ReferralOutput
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_fields = ["status", "urgent"]

    def get_queryset(self):
        user = self.request.user
        roles = roles_for(user)
        if not roles & (CASE_OFFICER_ROLES | {Role.POLICE_LIAISON, Role.LEGAL}):
            return PoliceReferral.objects.none()
        return (
            PoliceReferral.objects.filter(case__in=cases_visible_to(user).values("pk"))
            .select_related("contact", "case")
            .prefetch_related("incidents")
            .order_by("-referred_at")
        )

    def get_object(self) -> PoliceReferral:
        return get_or_not_found(self.get_queryset(), self.kwargs["pk"])

    @extend_schema(request=ReferralUpdateInput, responses=ReferralOutput)
    @action(detail=True, methods=["post"], url_path="update")
    def update_status(self, request: Request, pk: str | None = None) -> Response:
        """An interim update while the police work on it: under investigation, a crime reference, a note."""
        referral = self.get_object()
        serializer = ReferralUpdateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        referral = police_referral_update(referral=referral, actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(referral).data)

