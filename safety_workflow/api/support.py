"""The support/ API: advice given, home security assessments, police priority-response address flags,
employee-assistance offers and induction training records."""

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
    SecurityMeasure,
)
from ..selectors.cases import cases_visible_to
from ..selectors.common import get_or_not_found
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
from .serializers import CaseSummary, PersonOutput
from .task_forms import MeasureInput, UserRef


def _user_model() -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model()


def _case_field() -> VisiblePKField:
    return VisiblePKField(cases_visible_to, queryset=Case.objects.all(), required=False, allow_null=True,
                          default=None, help_text="The case it belongs to, if any.")


class CouncillorFilter(FilterSet):
    councillor = KeyFilter(field_name="councillor_id", model=_user_model, help_text="A councillor's user id.")

    class Meta:
        fields: list[str] = []


class SupportViewSet(SafetyAPIMixin, viewsets.GenericViewSet):
    model: type = None  # type: ignore[assignment]
    input_serializer: type[serializers.Serializer] = None  # type: ignore[assignment]
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class: Any = CouncillorFilter

    def get_queryset(self):
        return support_visible_to(self.request.user, self.model).select_related("councillor")

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
    councillor = PersonOutput()
    given_by = PersonOutput()
    template = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = AdviceGiven
        fields = ["id", "case", "councillor", "template", "title", "text", "method", "given_by", "given_at"]


class AdviceRecordInput(InputSerializer):
    councillor = UserRef()
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
    councillor = PersonOutput()
    assessed_by = PersonOutput()
    measures = MeasureOutput(many=True)

    class Meta:
        model = HomeSecurityAssessment
        fields = ["id", "case", "councillor", "assessed_on", "assessed_by", "findings", "measures", "recorded_at"]


class HomeSecurityRecordInput(InputSerializer):
    councillor = UserRef()
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
    councillor = PersonOutput()

    class Meta:
        model = PriorityAddressFlag
        fields = ["id", "case", "councillor", "address", "postcode", "police_reference", "flagged_on", "review_due",
                  "active", "removed_on"]


class PriorityFlagRecordInput(InputSerializer):
    councillor = UserRef()
    address = serializers.CharField(max_length=500)
    postcode = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    police_reference = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    flagged_on = fields.DateField()
    review_due = fields.DateField()
    case = _case_field()


class PriorityFlagReviewInput(InputSerializer):
    review_due = fields.DateField(required=False, allow_null=True, default=None)
    remove = serializers.BooleanField(required=False, default=False)


class PriorityFlagFilter(CouncillorFilter):
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
    councillor = PersonOutput()
    offered_by = PersonOutput()

    class Meta:
        model = EmployeeAssistanceOffer
        fields = ["id", "case", "councillor", "offered_on", "offered_by", "accepted", "notes"]


class EmployeeAssistanceRecordInput(InputSerializer):
    councillor = UserRef()
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
    councillor = PersonOutput()

    class Meta:
        model = InductionTraining
        fields = ["id", "councillor", "course", "completed_on", "delivered_by", "notes"]


class InductionTrainingFilter(CouncillorFilter):
    course = django_filters.ChoiceFilter(choices=InductionTraining.Course.choices)


class InductionRecordInput(InputSerializer):
    councillor = UserRef()
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
