"""Reports for the people who run the process: incident trends, open and overdue tasks, police referrals.

Everything is aggregated in the database, in a fixed number of queries whatever the size of the log;
lists are querysets for the API to paginate. Dates are the council's local dates (``TIME_ZONE``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from .. import elections
from ..models import Assessment, ElectionPeriod, Incident, Level, PoliceReferral, ProtectedPerson
from ..roles import CASE_OFFICER_ROLES, has_role

#: A task is open until it is done or cancelled.
OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
#: Zero months are filled in up to this many months; a wider range lists only months with incidents.
MAX_FILLED_MONTHS = 240
NO_WARD = gettext_lazy("No ward recorded")
NOT_ASSESSED = gettext_lazy("Not yet assessed")
OUTSIDE_ELECTIONS = gettext_lazy("Outside any election period")


def may_read_reports(user: Any) -> bool:
    """Reports are for the case officers (members services, health and safety, the monitoring officer)."""
    return has_role(user, *CASE_OFFICER_ROLES)


@dataclass(frozen=True)
class Period:
    """Local dates, both inclusive; either may be open."""

    start: dt.date | None = None
    end: dt.date | None = None

    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """Aware datetimes: the start of ``start`` and the start of the day after ``end`` (exclusive)."""
        tz = timezone.get_current_timezone()
        lower = dt.datetime.combine(self.start, dt.time.min, tzinfo=tz) if self.start else None
        upper = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz) if self.end else None
        return lower, upper

    def filter(self, queryset: QuerySet, field: str) -> QuerySet:
        lower, upper = self.bounds()
        if lower is not None:
            queryset = queryset.filter(**{f"{field}__gte": lower})
        if upper is not None:
            queryset = queryset.filter(**{f"{field}__lt": upper})
        return queryset

    def as_dict(self) -> dict[str, str | None]:
        return {"from": self.start.isoformat() if self.start else None,
                "to": self.end.isoformat() if self.end else None}


# Incident trends ------------------------------------------------------------------------------
def incident_trends(*, period: Period) -> dict[str, Any]:
    """Incidents (by when they happened) by month, channel, assessed level, ward, kind of person harmed (what
    they were when it happened) and election period. Seven queries."""
    incidents = period.filter(Incident.objects.all(), "occurred_at")
    tz = timezone.get_current_timezone()

    by_month = {
        row["month"].astimezone(tz).date().replace(day=1): row["count"]
        for row in incidents.annotate(month=TruncMonth("occurred_at", tzinfo=tz))
        .values("month").annotate(count=Count("pk")).order_by("month")
    }
    by_channel = dict(incidents.values_list("channel").annotate(count=Count("pk")).order_by())
    by_level = first_assessed_levels(period=period)
    by_ward = list(incidents.values("ward").annotate(count=Count("pk")).order_by("-count", "ward"))
    by_kind = dict(incidents.values_list("person_kind").annotate(count=Count("pk")).order_by())
    by_election = dict(incidents.values_list("election_period").annotate(count=Count("pk")).order_by())

    total = sum(by_channel.values())
    by_level[""] = total - sum(by_level.values())
    return {
        **period.as_dict(),
        "total": total,
        "by_month": [{"month": m.strftime("%Y-%m"), "count": by_month.get(m, 0)}
                     for m in _months(period, by_month)],
        "by_channel": [{"channel": value, "label": str(label), "count": by_channel.get(value, 0)}
                       for value, label in Incident.Channel.choices],
        "by_level": [{"level": value, "label": str(label), "count": by_level.get(value, 0)}
                     for value, label in [*Level.choices, ("", NOT_ASSESSED)]],
        "by_ward": [{"ward": row["ward"], "label": row["ward"] or NO_WARD, "count": row["count"]}
                    for row in by_ward],
        "by_person_kind": [{"kind": value, "label": str(label), "count": by_kind.get(value, 0)}
                           for value, label in ProtectedPerson.Kind.choices],
        "by_election_period": [
            *({"election_period": p, "label": p.name, "count": by_election.get(p.pk, 0)}
              for p in election_periods_overlapping(period)),
            {"election_period": None, "label": OUTSIDE_ELECTIONS, "count": by_election.get(None, 0)},
        ],
    }


def election_periods_overlapping(period: Period) -> QuerySet[ElectionPeriod]:
    """The election periods with a day in ``period`` (every one when it is open), earliest poll first."""
    periods = ElectionPeriod.objects.all()
    if period.start:
        periods = periods.filter(ends_on__gte=period.start)
    if period.end:
        periods = periods.filter(starts_on__lte=period.end)
    return periods.order_by("poll_date", "pk")


def election_comparison(*, election: ElectionPeriod) -> dict[str, Any]:
    """The weeks before a poll against the rest of the year (``elections.comparison``): the incidents in the
    election period against those in the rest of the 365 days up to its last day, in all and by kind of person
    harmed, per week, with the period week by week. For a by-election, the rest of the year counts only its
    wards. Three queries."""
    span = elections.Span.of(election)
    first, last = elections.comparison_window(span)
    year = Period(start=first, end=last).filter(Incident.objects.all(), "occurred_at")
    inside = Incident.objects.filter(election_period=election)
    outside = year.exclude(election_period=election)
    if election.wards:
        wards = Q(pk__in=[])
        for ward in election.wards:
            wards |= Q(ward__iexact=ward)
        outside = outside.filter(wards)
    tz = timezone.get_current_timezone()
    by_day = dict(inside.annotate(day=TruncDate("occurred_at", tzinfo=tz)).values_list("day")
                  .annotate(count=Count("pk")).order_by())
    counts = {
        "inside": dict(inside.values_list("person_kind").annotate(count=Count("pk")).order_by()),
        "outside": dict(outside.values_list("person_kind").annotate(count=Count("pk")).order_by()),
    }
    return {"election_period": election, **elections.comparison(
        span, inside=counts["inside"], outside=counts["outside"], by_day=by_day,
        kinds=[(value, str(label)) for value, label in ProtectedPerson.Kind.choices])}


def first_assessed_levels(*, period: Period) -> dict[str, int]:
    """How many incidents (by when they happened) were first assessed at each level. One query.

    The level an incident was assessed at is that of the first assessment covering it, ordered by
    (assessed_at, id), as ``selectors.patterns.first_assessment`` gives it one incident at a time. Here it
    is found set-wise, as the assessment links with no earlier link for the same incident (an anti-join):
    a correlated subquery per incident took 0.7 to 1.1 s over 100,000 incidents on PostgreSQL, this about 0.2 s.
    """
    links = Assessment.incidents.through.objects
    earlier = links.filter(incident_id=OuterRef("incident_id")).filter(
        Q(assessment__assessed_at__lt=OuterRef("assessment__assessed_at"))
        | Q(assessment__assessed_at=OuterRef("assessment__assessed_at"), assessment_id__lt=OuterRef("assessment_id"))
    )
    firsts = period.filter(links.all(), "incident__occurred_at").filter(~Exists(earlier))
    return dict(firsts.values_list("assessment__level").annotate(count=Count("incident_id")).order_by())


def _months(period: Period, found: dict[dt.date, int]) -> list[dt.date]:
    """Every month from the start to the end of the period (or of the data), zeros included."""
    first = period.start.replace(day=1) if period.start else min(found, default=None)
    last = period.end.replace(day=1) if period.end else max(found, default=None)
    if first is None or last is None or first > last:
        return sorted(found)
    span = (last.year - first.year) * 12 + last.month - first.month + 1
    if span > MAX_FILLED_MONTHS:
        return sorted(found)
    months, month = [], first
    for _ in range(span):
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


# Tasks ----------------------------------------------------------------------------------------
def open_tasks(*, period: Period, overdue_only: bool = False, task: str = "",
               now: dt.datetime | None = None) -> QuerySet[Task]:
    """Open human tasks of the package's flows (created in the period), soonest due first."""
    now = now or timezone.now()
    tasks = Task.objects.filter(
        flow_task_type="HUMAN", status__in=OPEN_TASK_STATUSES, flow_task__startswith="safety_workflow/",
    )
    tasks = period.filter(tasks, "created")
    if overdue_only:
        tasks = tasks.filter(deadline__due_at__lt=now)
    if task:
        tasks = tasks.filter(flow_task__endswith=f".{task}")
    return tasks.select_related("owner", "process__case").annotate(
        due_at=F("deadline__due_at"), case_reference=F("process__case__reference"),
    ).order_by(F("deadline__due_at").asc(nulls_last=True), "created", "pk")


def open_tasks_summary(tasks: QuerySet[Task], *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Open and overdue counts, by task. One query."""
    now = now or timezone.now()
    rows = (
        tasks.order_by().values("flow_task")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(deadline__due_at__lt=now)),
                  claimed=Count("pk", filter=Q(owner__isnull=False)))
    )
    by_task = []
    for row in rows:
        node = row["flow_task"]
        by_task.append({
            "task": task_name(node), "title": task_title(node),
            "open": row["open"], "overdue": row["overdue"], "claimed": row["claimed"],
        })
    by_task.sort(key=lambda r: (-r["overdue"], -r["open"], r["task"]))
    return {
        "open": sum(r["open"] for r in by_task),
        "overdue": sum(r["overdue"] for r in by_task),
        "by_task": by_task,
    }


def task_name(node: Any) -> str:
    return node.rsplit(".", 1)[-1] if isinstance(node, str) else getattr(node, "name", "")


def task_title(node: Any) -> str:
    return str(getattr(node, "task_title", "") or task_name(node))


# Police referrals -----------------------------------------------------------------------------
def referrals_made(*, period: Period, status: str = "") -> QuerySet[PoliceReferral]:
    """Referrals made in the period, newest first, with their outcome and how many incidents they hold."""
    referrals = period.filter(PoliceReferral.objects.all(), "referred_at")
    if status:
        referrals = referrals.filter(status=status)
    return referrals.select_related("case", "contact").annotate(
        incident_count=Count("incidents", distinct=True)
    ).order_by("-referred_at", "pk")


def referrals_summary(*, period: Period) -> dict[str, Any]:
    """Counts by status (the police outcome), urgent, open, with a crime reference. Two queries."""
    referrals = period.filter(PoliceReferral.objects.all(), "referred_at")
    by_status = dict(referrals.values_list("status").annotate(count=Count("pk")).order_by())
    totals = referrals.aggregate(
        total=Count("pk"),
        urgent=Count("pk", filter=Q(urgent=True)),
        open=Count("pk", filter=Q(status__in=PoliceReferral.OPEN_STATUSES)),
        with_crime_reference=Count("pk", filter=~Q(crime_reference="")),
        acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)),
    )
    return {
        **period.as_dict(),
        **totals,
        "by_status": [{"status": value, "label": str(label), "count": by_status.get(value, 0)}
                      for value, label in PoliceReferral.Status.choices],
    }


# Register reviews -------------------------------------------------------------------------------
def register_reviews(*, user: Any, period: Period, now: dt.datetime | None = None) -> QuerySet:
    """Register entries in force that the user may see, with a review date in the period (soonest first),
    each marked ``overdue`` when its review task is late or its review date passed without one."""
    from ..models import RegisterEntry
    from .register import register_entries_visible_to, register_reviews_overdue

    now = now or timezone.now()
    entries = register_entries_visible_to(user).filter(
        state__in=(RegisterEntry.State.APPROVED, RegisterEntry.State.ACTIVE, RegisterEntry.State.REVIEW_DUE),
        review_due_on__isnull=False,
    )
    if period.start:
        entries = entries.filter(review_due_on__gte=period.start)
    if period.end:
        entries = entries.filter(review_due_on__lte=period.end)
    overdue = register_reviews_overdue(now=now).filter(pk=OuterRef("pk"))
    return entries.annotate(overdue=Exists(overdue)).order_by("review_due_on", "reference")


def register_reviews_summary(entries: QuerySet) -> dict[str, int]:
    # Two counts: a FILTER over the nested EXISTS annotation is not resolved the same way in an aggregate.
    return {"due": entries.count(), "overdue": entries.filter(overdue=True).count()}
