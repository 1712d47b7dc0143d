"""holds/ (legal holds) and retention/ (the schedule in force, the disposal log).

The monitoring officer and legal place, review and release holds on the cases, subjects and register
entries they can see; information governance and the monitoring officer read every hold, the schedule
and the disposal log. A hold or record the caller may not see answers 404, exactly as a missing one.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import ngettext
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from ..models import DisposalRecord, LegalHold
from ..retention import KINDS, TRIGGERS, schedule
from ..selectors.retention import hold_get, holds_visible_to
from ..services.holds import TARGETS, legal_hold_place, legal_hold_release, legal_hold_review
from . import fields
from .base import (
    DateTimeFilter,
    FilterSet,
    InputSerializer,
    IntegerFilter,
    ModelOutput,
    SafetyAPIMixin,
    TextFilter,
    collection,
)
from .serializers import PersonOutput


class HoldTargetOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[(t, t) for t in TARGETS])
    id = serializers.CharField()
    reference = serializers.CharField(help_text="The case's or entry's reference; empty for a subject.")


class HoldOutput(ModelOutput):
    target = serializers.SerializerMethodField()
    placed_by = PersonOutput()
    placed_at = fields.DateTimeField()
    last_reviewed_at = fields.DateTimeField(allow_null=True)
    released_at = fields.DateTimeField(allow_null=True)
    review_due = serializers.SerializerMethodField()

    class Meta:
        model = LegalHold
        fields = ["id", "state", "target", "reason", "review_on", "review_due", "placed_by", "placed_at",
                  "last_reviewed_at", "review_note", "released_at", "release_reason"]

    @extend_schema_field(HoldTargetOutput)
    def get_target(self, hold: LegalHold) -> dict[str, str]:
        record = hold.case or hold.subject or hold.register_entry
        return {"kind": hold.target_kind, "id": str(record.pk),
                "reference": getattr(record, "reference", "") or ""}

    @extend_schema_field(serializers.BooleanField(help_text="In force and its review date has come."))
    def get_review_due(self, hold: LegalHold) -> bool:
        return hold.state == LegalHold.State.ACTIVE and hold.review_on <= timezone.localdate()


class HoldPlaceInput(InputSerializer):
    target = serializers.ChoiceField(choices=[(t, t) for t in TARGETS],
                                     help_text="What to hold: a case, a subject or a register entry.")
    id = serializers.CharField(max_length=64, help_text="The id of the case, subject or register entry.")
    reason = serializers.CharField(max_length=5000, help_text="Why the records must be kept (litigation...).")
    review_on = fields.DateField(help_text="When the hold must next be reviewed (within three years).")


class HoldReviewInput(InputSerializer):
    note = serializers.CharField(max_length=5000, help_text="Why the hold is still needed.")
    review_on = fields.DateField(help_text="The next review date.")


class HoldReleaseInput(InputSerializer):
    reason = serializers.CharField(max_length=5000, help_text="Why the records need no longer be kept.")


class HoldFilter(FilterSet):
    state = django_filters.ChoiceFilter(choices=LegalHold.State.choices)
    target = django_filters.ChoiceFilter(method="filter_target", choices=[(t, t) for t in TARGETS])
    review = django_filters.ChoiceFilter(method="filter_review", choices=[("due", "due")],
                                         label="due: holds in force whose review date has come.")
    case = IntegerFilter(field_name="case_id")
    subject = django_filters.UUIDFilter(field_name="subject_id")
    register_entry = django_filters.UUIDFilter(field_name="register_entry_id")

    class Meta:
        model = LegalHold
        fields: list[str] = []

    def filter_target(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(**{f"{value}__isnull": False})

    def filter_review(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(state=LegalHold.State.ACTIVE, review_on__lte=timezone.localdate())


class HoldListView(SafetyAPIMixin, GenericAPIView):
    """GET holds/: the holds the caller may see. POST: place a hold (monitoring officer, legal)."""

    serializer_class = HoldOutput
    filter_backends = [DjangoFilterBackend]
    filterset_class = HoldFilter
    access_name = "holds"

    def get_queryset(self) -> QuerySet[LegalHold]:
        return holds_visible_to(self.request.user).order_by("state", "review_on", "placed_at")

    @collection(HoldOutput, summary="List legal holds (soonest review first)")
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(HoldOutput(page, many=True).data)

    @extend_schema(request=HoldPlaceInput, responses={201: HoldOutput},
                   summary="Place a legal hold on a case, a subject or a register entry (logged)")
    def post(self, request: Request) -> Response:
        data = HoldPlaceInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        hold = legal_hold_place(actor=request.user, target=values["target"], target_id=values["id"],
                                reason=values["reason"], review_on=values["review_on"], request=request)
        return Response(HoldOutput(hold).data, status=status.HTTP_201_CREATED)


class HoldView(SafetyAPIMixin, GenericAPIView):
    """A view of one legal hold (``hold_id`` in the path), found through the retention selector."""

    path_parameter_types = {"hold_id": OpenApiTypes.UUID}

    def get_object(self) -> LegalHold:
        return hold_get(self.request.user, self.kwargs["hold_id"])


class HoldDetailView(HoldView):
    access_name = "hold"

    @extend_schema(responses={200: HoldOutput}, summary="Read a legal hold")
    def get(self, request: Request, hold_id: str) -> Response:
        return Response(HoldOutput(self.get_object()).data)


class HoldReviewView(HoldView):
    access_name = "hold-review"

    @extend_schema(request=HoldReviewInput, responses={200: HoldOutput},
                   summary="Review a legal hold: keep it, say why, set the next review date (logged)")
    def post(self, request: Request, hold_id: str) -> Response:
        hold = self.get_object()
        data = HoldReviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        hold = legal_hold_review(hold=hold, actor=request.user, request=request, **data.validated_data)
        return Response(HoldOutput(hold_get(request.user, hold.pk)).data)


class HoldReleaseView(HoldView):
    access_name = "hold-release"

    @extend_schema(request=HoldReleaseInput, responses={200: HoldOutput},
                   summary="Release a legal hold (logged); what it kept is then disposed of on schedule")
    def post(self, request: Request, hold_id: str) -> Response:
        hold = self.get_object()
        data = HoldReleaseInput(data=request.data)
        data.is_valid(raise_exception=True)
        hold = legal_hold_release(hold=hold, actor=request.user, request=request, **data.validated_data)
        return Response(HoldOutput(hold_get(request.user, hold.pk)).data)


class ScheduleRowOutput(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    period = serializers.CharField(help_text='e.g. "6 years"')
    after = serializers.CharField(help_text="The trigger the period is counted from.")
    after_means = serializers.CharField()
    disposal = serializers.ChoiceField(choices=["delete", "anonymise"])
    explanation = serializers.CharField()


class RetentionScheduleView(SafetyAPIMixin, GenericAPIView):
    access_name = "retention-schedule"

    @collection(ScheduleRowOutput, summary="The retention schedule in force (RETENTION), kind by kind")
    def get(self, request: Request) -> Response:
        rows = []
        for kind, rule in schedule().items():
            meta = KINDS[kind]
            period = {"years": ngettext("%(count)s year", "%(count)s years", rule.amount),
                      "months": ngettext("%(count)s month", "%(count)s months", rule.amount),
                      "days": ngettext("%(count)s day", "%(count)s days", rule.amount)}[rule.unit]
            rows.append({"kind": kind, "label": str(meta.label), "period": period % {"count": rule.amount},
                         "after": rule.after, "after_means": str(TRIGGERS[rule.after]), "disposal": meta.action,
                         "explanation": str(meta.explanation)})
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ScheduleRowOutput(page, many=True).data)


class DisposalOutput(ModelOutput):
    disposed_at = fields.DateTimeField()

    class Meta:
        model = DisposalRecord
        fields = ["id", "run", "kind", "reference", "action", "rule", "disposed_at", "files"]


class DisposalFilter(FilterSet):
    kind = django_filters.ChoiceFilter(choices=[(k, k) for k in KINDS])
    run = django_filters.UUIDFilter()
    reference = TextFilter()
    subject = django_filters.UUIDFilter(field_name="subject_ref",
                                        label="What was disposed of about this subject (while their record exists).")
    since = DateTimeFilter(field_name="disposed_at", lookup_expr="gte")
    until = DateTimeFilter(field_name="disposed_at", lookup_expr="lt")

    class Meta:
        model = DisposalRecord
        fields: list[str] = []


class DisposalListView(SafetyAPIMixin, GenericAPIView):
    """GET retention/disposals/: the disposal log (no personal data: kind, reference, when, rule)."""

    serializer_class = DisposalOutput
    filter_backends = [DjangoFilterBackend]
    filterset_class = DisposalFilter
    access_name = "retention-disposals"

    def get_queryset(self) -> QuerySet[DisposalRecord]:
        return DisposalRecord.objects.order_by("-disposed_at", "-id")

    @collection(DisposalOutput, summary="The disposal log (information governance, monitoring officer)")
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(DisposalOutput(page, many=True).data)
