"""The support/ API: advice given, home security assessments, police priority-response address flags,
employee-assistance offers and induction training records, each for a protected person (of any kind)."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ..models import (
    AdviceGiven,
    AdviceTemplate,
    Case,
    EmployeeAssistanceOffer,
    HomeSecurityAssessment,
    InductionTraining,
    PriorityAddressFlag,
    ProtectedPerson,
    SecurityMeasure,
)
from ..selectors.cases import cases_visible_to
from ..selectors.common import get_or_not_found
from ..selectors.people import protected_people_visible_to
from ..selectors.support import support_visible_to
from ..services import support
from . import fields
from .base import (
    BooleanFilter,
    DateFilter,
    FilterSet,
    InputSerializer,
    KeyFilter,
    ModelOutput,
    SafetyAPIMixin,
    VisiblePKField,
    collection,
)
from .serializers import CaseSummary, PersonOutput, ProtectedPersonSummary
from .task_forms import MeasureInput


def _case_field() -> VisiblePKField:
    return VisiblePKField(cases_visible_to, queryset=Case.objects.all(), required=False, allow_null=True,
                          default=None, help_text="The case it belongs to, if any.")


def _person_field() -> VisiblePKField:
    return VisiblePKField(protected_people_visible_to, queryset=ProtectedPerson.objects.all(),
                          help_text="The protected person it is for (protected-persons/).")


class PersonFilter(FilterSet):
    protected_person = KeyFilter(field_name="protected_person_id", model=lambda: ProtectedPerson,
                                 help_text="For this protected person.")

    class Meta:
        fields: list[str] = []


class SupportViewSet(SafetyAPIMixin, viewsets.GenericViewSet):
    model: type = None  # type: ignore[assignment]
    input_serializer: type[serializers.Serializer] = None  # type: ignore[assignment]
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class: Any = PersonFilter

    def get_queryset(self):
        return support_visible_to(self.request.user, self.model).select_related("protected_person__user")

    def get_object(self):
        return get_or_not_found(self.get_queryset(), self.kwargs["pk"])

    @collection()
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request: Request) -> Response:
        serializer = self.input_serializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        item = self.perform(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(item).data, status=status.HTTP_201_CREATED)

    def perform(self, **kwargs: Any) -> Any:
        raise NotImplementedError


# Advice ---------------------------------------------------------------------------------------
class AdviceOutput(ModelOutput):
    case = CaseSummary(allow_null=True)
    protected_person = ProtectedPersonSummary()
    given_by = PersonOutput()
    template = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = AdviceGiven
        fields = ["id", "case", "protected_person", "template", "title", "text", "method", "given_by", "given_at"]


class AdviceRecordInput(InputSerializer):
    protected_person = _person_field()
    template = serializers.SlugRelatedField(slug_field="code", queryset=AdviceTemplate.objects.filter(active=True),
                                            required=False, allow_null=True, default=None)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    text = serializers.CharField(required=False, allow_blank=True, default="")
    method = serializers.ChoiceField(choices=AdviceGiven.Method.choices)
    case = _case_field()


@extend_schema(request=AdviceRecordInput)
class AdviceViewSet(SupportViewSet):
    model = AdviceGiven
    serializer_class = AdviceOutput
    input_serializer = AdviceRecordInput

    def get_queryset(self):
        return super().get_queryset().select_related("given_by", "template").order_by("-given_at")

    def perform(self, **kwargs: Any) -> Any:
        return support.advice_give(**kwargs)


# Home security --------------------------------------------------------------------------------
class MeasureOutput(ModelOutput):
    class Meta:
        model = SecurityMeasure
        fields = ["description", "status", "completed_on"]


class HomeSecurityOutput(ModelOutput):
    case = CaseSummary(allow_null=True)
    protected_person = ProtectedPersonSummary()
    assessed_by = PersonOutput()
    measures = MeasureOutput(many=True)

    class Meta:
        model = HomeSecurityAssessment
        fields = ["id", "case", "protected_person", "assessed_on", "assessed_by", "findings", "measures", "recorded_at"]


class HomeSecurityRecordInput(InputSerializer):
    protected_person = _person_field()
    assessed_on = fields.DateField()
    findings = serializers.CharField(max_length=20000)
    measures = MeasureInput(many=True, required=False, default=list, max_length=50)
    case = _case_field()


@extend_schema(request=HomeSecurityRecordInput)
class HomeSecurityViewSet(SupportViewSet):
    model = HomeSecurityAssessment
    serializer_class = HomeSecurityOutput
    input_serializer = HomeSecurityRecordInput

    def get_queryset(self):
        return super().get_queryset().select_related("assessed_by").prefetch_related("measures").order_by(
            "-assessed_on")

    def perform(self, **kwargs: Any) -> Any:
        return support.home_security_record(**kwargs)


# Priority-response address flags ----------------------------------------------------------------
class PriorityFlagOutput(ModelOutput):
    case = CaseSummary(allow_null=True)
    protected_person = ProtectedPersonSummary()

    class Meta:
        model = PriorityAddressFlag
        fields = ["id", "case", "protected_person", "address", "postcode", "police_reference", "flagged_on",
                  "review_due", "active", "removed_on"]


class PriorityFlagRecordInput(InputSerializer):
    protected_person = _person_field()
    address = serializers.CharField(max_length=500)
    postcode = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    police_reference = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    flagged_on = fields.DateField()
    review_due = fields.DateField()
    case = _case_field()


class PriorityFlagReviewInput(InputSerializer):
    review_due = fields.DateField(required=False, allow_null=True, default=None)
    remove = serializers.BooleanField(required=False, default=False)


class PriorityFlagFilter(PersonFilter):
    active = BooleanFilter()
    review_due_before = DateFilter(field_name="review_due", lookup_expr="lte")


@extend_schema(request=PriorityFlagRecordInput)
class PriorityFlagViewSet(SupportViewSet):
    model = PriorityAddressFlag
    serializer_class = PriorityFlagOutput
    input_serializer = PriorityFlagRecordInput
    filterset_class = PriorityFlagFilter

    def perform(self, **kwargs: Any) -> Any:
        return support.priority_flag_create(**kwargs)

    @extend_schema(request=PriorityFlagReviewInput, responses=PriorityFlagOutput)
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str | None = None) -> Response:
        flag = self.get_object()
        serializer = PriorityFlagReviewInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        flag = support.priority_flag_review(actor=request.user, flag=flag, **serializer.validated_data)
        return Response(self.get_serializer(flag).data)


# Employee assistance --------------------------------------------------------------------------
class EmployeeAssistanceOutput(ModelOutput):
    case = CaseSummary(allow_null=True)
    protected_person = ProtectedPersonSummary()
    offered_by = PersonOutput()

    class Meta:
        model = EmployeeAssistanceOffer
        fields = ["id", "case", "protected_person", "offered_on", "offered_by", "accepted", "notes"]


class EmployeeAssistanceRecordInput(InputSerializer):
    protected_person = _person_field()
    offered_on = fields.DateField()
    accepted = serializers.BooleanField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    case = _case_field()


@extend_schema(request=EmployeeAssistanceRecordInput)
class EmployeeAssistanceViewSet(SupportViewSet):
    model = EmployeeAssistanceOffer
    serializer_class = EmployeeAssistanceOutput
    input_serializer = EmployeeAssistanceRecordInput

    def get_queryset(self):
        return super().get_queryset().select_related("offered_by").order_by("-offered_on")

    def perform(self, **kwargs: Any) -> Any:
        return support.employee_assistance_offer(**kwargs)


# Induction training -----------------------------------------------------------------------------
class InductionOutput(ModelOutput):
    protected_person = ProtectedPersonSummary()

    class Meta:
        model = InductionTraining
        fields = ["id", "protected_person", "course", "completed_on", "delivered_by", "notes"]


class InductionTrainingFilter(PersonFilter):
    course = django_filters.ChoiceFilter(choices=InductionTraining.Course.choices)


class InductionRecordInput(InputSerializer):
    protected_person = _person_field()
    course = serializers.ChoiceField(choices=InductionTraining.Course.choices)
    completed_on = fields.DateField()
    delivered_by = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")


@extend_schema(request=InductionRecordInput)
class InductionViewSet(SupportViewSet):
    model = InductionTraining
    serializer_class = InductionOutput
    input_serializer = InductionRecordInput
    filterset_class = InductionTrainingFilter

    def get_queryset(self):
        return super().get_queryset().order_by("-completed_on")

    def perform(self, **kwargs: Any) -> Any:
        return support.induction_training_record(**kwargs)
