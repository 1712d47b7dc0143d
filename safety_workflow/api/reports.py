"""The reports/ resource: incident trends, election periods against the rest of the year, open and overdue tasks,
police referrals and their outcomes.

For the case officers (members services, health and safety, the monitoring officer); anyone else gets
403. Every figure is computed in the database, filterable by a date range (``?from=`` and ``?to=``,
local dates, both inclusive); lists are paginated and come with a summary of the whole filtered set.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from viewflow.workflow.models import Task

from ..models import AccessLogEntry, ElectionPeriod, PoliceReferral
from ..selectors import reports
from ..services.audit import access_log_record
from . import fields
from .base import InputSerializer, Pagination, SafetyAPIMixin, query
from .serializers import CaseSummary, ElectionPeriodSummary, PersonOutput, SubjectSummary


# Input -------------------------------------------------------------------------------------------
class PeriodQuerySerializer(InputSerializer):
    # "from" is a Python keyword: declared through the class namespace.
    locals()["from"] = fields.DateField(required=False, help_text="First day (YYYY-MM-DD), inclusive.")
    to = fields.DateField(required=False, help_text="Last day (YYYY-MM-DD), inclusive.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": [_("The end of the range is before its start.")]})
        return attrs

    @property
    def period(self) -> reports.Period:
        return reports.Period(start=self.validated_data.get("from"), end=self.validated_data.get("to"))


class PageQuerySerializer(PeriodQuerySerializer):
    page = serializers.IntegerField(required=False, min_value=1, help_text="A page number.")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=Pagination.max_page_size,
                                         help_text="Results per page.")


class TaskQuerySerializer(PageQuerySerializer):
    overdue = serializers.BooleanField(required=False, default=False, help_text="Only tasks past their due time.")
    task = serializers.CharField(required=False, allow_blank=True, default="", max_length=100,
                                 help_text="Only this task, by name (triage, assess, ...).")


class ElectionQuerySerializer(InputSerializer):
    election = serializers.PrimaryKeyRelatedField(queryset=ElectionPeriod.objects.all(),
                                                  help_text="The election period (election-periods/).")


class ReferralQuerySerializer(PageQuerySerializer):
    status = serializers.ChoiceField(choices=PoliceReferral.Status.choices, required=False,
                                     default="")


# Output ------------------------------------------------------------------------------------------
class TrendsSerializer(serializers.Serializer):
    locals()["from"] = fields.DateField(allow_null=True)
    to = fields.DateField(allow_null=True)
    total = serializers.IntegerField()
    by_month = inline_serializer("MonthCount", {"month": serializers.CharField(help_text="YYYY-MM"),
                                                "count": serializers.IntegerField()}, many=True)
    by_channel = inline_serializer("ChannelCount", {"channel": serializers.CharField(),
                                                    "label": serializers.CharField(),
                                                    "count": serializers.IntegerField()}, many=True)
    by_level = inline_serializer("LevelCount", {"level": serializers.CharField(help_text='"" = not yet assessed'),
                                                "label": serializers.CharField(),
                                                "count": serializers.IntegerField()}, many=True)
    by_ward = inline_serializer("WardCount", {"ward": serializers.CharField(), "label": serializers.CharField(),
                                              "count": serializers.IntegerField()}, many=True)
    by_person_kind = inline_serializer(
        "PersonKindCount", {"kind": serializers.CharField(help_text="What the person harmed was when it happened."),
                            "label": serializers.CharField(), "count": serializers.IntegerField()}, many=True)
    by_election_period = inline_serializer(
        "ElectionPeriodCount", {"election_period": ElectionPeriodSummary(
            allow_null=True, help_text="null: the incidents outside any election period."),
            "label": serializers.CharField(), "count": serializers.IntegerField()}, many=True)


class RatesSerializer(serializers.Serializer):
    in_period = serializers.IntegerField(help_text="Incidents in the election period.")
    rest_of_year = serializers.IntegerField(help_text="Incidents in the rest of the year up to its last day.")
    per_week_in_period = serializers.FloatField(allow_null=True)
    per_week_rest_of_year = serializers.FloatField(allow_null=True, help_text="null: the period is the whole year.")
    ratio = serializers.FloatField(allow_null=True, help_text="Per week in the period / per week in the rest of "
                                                               "the year; null when the rest of the year had none.")


class KindRatesSerializer(RatesSerializer):
    kind = serializers.CharField(help_text="What the person harmed was when it happened.")
    label = serializers.CharField()


class WeekCountSerializer(serializers.Serializer):
    weeks_before_poll = serializers.IntegerField(help_text="1: the seven days up to polling day; 0: after the poll.")
    locals()["from"] = fields.DateField()
    to = fields.DateField()
    count = serializers.IntegerField()


class ElectionComparisonSerializer(RatesSerializer):
    election_period = ElectionPeriodSummary()
    year_from = fields.DateField(help_text="The year compared: the 365 days up to the period's last day.")
    year_to = fields.DateField()
    period_days = serializers.IntegerField()
    rest_of_year_days = serializers.IntegerField()
    by_kind = KindRatesSerializer(many=True)
    by_week = WeekCountSerializer(many=True)


class OpenTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    task = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField()
    status = serializers.CharField()
    case = serializers.SerializerMethodField()
    created = fields.DateTimeField()
    due_at = fields.DateTimeField(allow_null=True)
    overdue = serializers.SerializerMethodField()
    claimed_by = PersonOutput(source="owner", allow_null=True)

    @extend_schema_field(CaseSummary(allow_null=True))
    def get_case(self, task: Task) -> dict[str, Any] | None:
        case = getattr(task.process, "case", None)
        return CaseSummary(case).data if case is not None else None

    def get_task(self, task: Task) -> str:
        return reports.task_name(task.flow_task)

    def get_title(self, task: Task) -> str:
        return reports.task_title(task.flow_task)

    def get_overdue(self, task: Task) -> bool:
        return task.due_at is not None and task.due_at < self.context["now"]


class TaskSummarySerializer(serializers.Serializer):
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    by_task = inline_serializer("TaskCount", {
        "task": serializers.CharField(), "title": serializers.CharField(), "open": serializers.IntegerField(),
        "overdue": serializers.IntegerField(), "claimed": serializers.IntegerField()}, many=True)


class ReferralRowSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    case = CaseSummary()
    referred_at = fields.DateTimeField()
    urgent = serializers.BooleanField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    crime_reference = serializers.CharField()
    contact = serializers.CharField(source="contact.__str__", allow_null=True)
    incident_count = serializers.IntegerField()
    acknowledged_at = fields.DateTimeField(allow_null=True)
    outcome_recorded_at = fields.DateTimeField(allow_null=True)


class ReferralSummarySerializer(serializers.Serializer):
    locals()["from"] = fields.DateField(allow_null=True)
    to = fields.DateField(allow_null=True)
    total = serializers.IntegerField()
    urgent = serializers.IntegerField()
    open = serializers.IntegerField()
    acknowledged = serializers.IntegerField()
    with_crime_reference = serializers.IntegerField()
    by_status = inline_serializer("StatusCount", {"status": serializers.CharField(), "label": serializers.CharField(),
                                                  "count": serializers.IntegerField()}, many=True)


class RegisterReviewRowSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    reference = serializers.CharField()
    subject = SubjectSummary()
    state = serializers.CharField()
    review_due_on = fields.DateField()
    overdue = serializers.BooleanField()


class RegisterReviewSummarySerializer(serializers.Serializer):
    due = serializers.IntegerField()
    overdue = serializers.IntegerField()


def paginated_with_summary(name: str, summary: type[serializers.Serializer],
                           row: type[serializers.Serializer]) -> serializers.Serializer:
    return inline_serializer(name, {
        "count": serializers.IntegerField(), "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True), "summary": summary(), "results": row(many=True),
    })


class SummaryPagination(Pagination):
    """The usual page, with a summary of everything the filters matched (not only this page)."""

    def get_paginated_response(self, data: Any, summary: Any = None) -> Response:
        response = super().get_paginated_response(data)
        response.data = {**{k: response.data[k] for k in ("count", "next", "previous")},
                         "summary": summary, "results": response.data["results"]}
        return response


# Views -------------------------------------------------------------------------------------------
class ReportViewSet(SafetyAPIMixin, viewsets.ViewSet):
    """Reports for the people who run the process."""

    pagination_class = SummaryPagination

    def _period(self) -> reports.Period:
        return reports.Period(start=self.query.get("from"), end=self.query.get("to"))

    def _page(self, queryset: Any, row: type[serializers.Serializer], summary: Any, context: dict) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response(row(page, many=True, context=context).data, summary=summary)

    @extend_schema(responses=inline_serializer("ReportIndex", {
        "sections": serializers.ListField(child=serializers.CharField())}))
    def list(self, request: Request) -> Response:
        return Response({"sections": ["trends", "elections", "tasks", "referrals", "register-reviews"]})

    @query(PeriodQuerySerializer)
    @extend_schema(responses=TrendsSerializer)
    @action(detail=False, methods=["get"])
    def trends(self, request: Request) -> Response:
        """Incidents (by when they happened) by month, channel, assessed level, ward, kind of person harmed and
        election period."""
        return Response(TrendsSerializer(reports.incident_trends(period=self._period())).data)

    @query(ElectionQuerySerializer)
    @extend_schema(responses=ElectionComparisonSerializer)
    @action(detail=False, methods=["get"])
    def elections(self, request: Request) -> Response:
        """The weeks before a poll against the rest of the year: incidents per week in the election period and
        in the rest of the 365 days up to its last day, in all and by kind of person harmed, and the period
        week by week counted back from polling day."""
        return Response(ElectionComparisonSerializer(reports.election_comparison(election=self.query["election"]))
                        .data)

    @query(TaskQuerySerializer)
    @extend_schema(responses=paginated_with_summary("OpenTasksReport", TaskSummarySerializer, OpenTaskSerializer))
    @action(detail=False, methods=["get"])
    def tasks(self, request: Request) -> Response:
        """Open tasks (created in the range), soonest due first, and how many are overdue."""
        now = timezone.now()
        tasks = reports.open_tasks(period=self._period(), overdue_only=self.query["overdue"],
                                   task=self.query["task"], now=now)
        summary = reports.open_tasks_summary(tasks, now=now)
        return self._page(tasks, OpenTaskSerializer, TaskSummarySerializer(summary).data, {"now": now})

    @query(ReferralQuerySerializer)
    @extend_schema(responses=paginated_with_summary("ReferralsReport", ReferralSummarySerializer,
                                                    ReferralRowSerializer))
    @action(detail=False, methods=["get"])
    def referrals(self, request: Request) -> Response:
        """Police referrals made in the range, newest first, with their outcomes."""
        summary = reports.referrals_summary(period=self._period())
        rows = reports.referrals_made(period=self._period(), status=self.query["status"])
        return self._page(rows, ReferralRowSerializer, ReferralSummarySerializer(summary).data, {})

    @query(PageQuerySerializer)
    @extend_schema(responses=paginated_with_summary("RegisterReviewsReport", RegisterReviewSummarySerializer,
                                                    RegisterReviewRowSerializer))
    @action(detail=False, methods=["get"], url_path="register-reviews")
    def register_reviews(self, request: Request) -> Response:
        """Register entries you may see whose review falls in the range (soonest first), and which are overdue.

        Only entries the caller may read are listed or counted; the read is logged like any list of entries.
        """
        period = self._period()
        entries = reports.register_reviews(user=request.user, period=period).select_related("subject")
        summary = reports.register_reviews_summary(entries)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(entries, request, view=self)
        access_log_record(actor=request.user, action=AccessLogEntry.Action.LIST, object_type="register_entry",
                          purpose="register reviews report", result=str(len(page)), request=request,
                          data={"entries": [str(e.pk) for e in page], "period": period.as_dict()})
        return paginator.get_paginated_response(RegisterReviewRowSerializer(page, many=True).data,
                                                summary=RegisterReviewSummarySerializer(summary).data)
