"""The monitoring officer's brief: what changed in the log since the last liaison meeting.

One function, :func:`meeting_brief`, gives plain data (JSON-ready) to both the meetings API and the
``safety_workflow_meeting_brief`` command, in a fixed number of queries whatever the period holds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from ..models import (
    Case,
    CourseOfConductFlag,
    EscalationSignal,
    Incident,
    LiaisonMeeting,
    PoliceReferral,
)
from ..roles import CASE_OFFICER_ROLES, Role, has_role
from .patterns import incidents_with_level
from .reports import Period, open_tasks

#: Who may record a meeting: the monitoring officer, and members services taking the minutes.
MEETING_RECORDERS = frozenset({Role.MONITORING_OFFICER, Role.MEMBERS_SERVICES})


def may_read_meetings(user: Any) -> bool:
    return has_role(user, *CASE_OFFICER_ROLES)


def may_record_meetings(user: Any) -> bool:
    return has_role(user, *MEETING_RECORDERS)


def meetings_visible_to(user: Any) -> QuerySet[LiaisonMeeting]:
    if not may_read_meetings(user):
        return LiaisonMeeting.objects.none()
    return LiaisonMeeting.objects.select_related("police_contact", "recorded_by").order_by("-held_at", "-recorded_at")


def meeting_last(*, before: dt.datetime | None = None) -> LiaisonMeeting | None:
    """The latest meeting held before ``before`` (default: now)."""
    before = before or timezone.now()
    return LiaisonMeeting.objects.filter(held_at__lt=before).order_by("-held_at", "-recorded_at").first()


def _between(queryset: QuerySet, field: str, since: dt.datetime | None, until: dt.datetime) -> QuerySet:
    queryset = queryset.filter(**{f"{field}__lte": until})
    return queryset.filter(**{f"{field}__gt": since}) if since else queryset


def _when(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value) if value else None


def meeting_brief(*, since: dt.datetime | None, until: dt.datetime | None = None,
                  last_meeting: LiaisonMeeting | None = None) -> dict[str, Any]:
    """What changed after ``since`` up to ``until`` (default now): ``since`` None means from the start of the log.

    New incidents (by when they were reported), cases opened, closed and merged, referrals made and
    police outcomes recorded, new course-of-conduct flags and escalation signals (and those a correction
    withdrew, with why), and tasks overdue now.
    """
    until = until or timezone.now()

    incidents = list(
        incidents_with_level(_between(Incident.objects.all(), "reported_at", since, until))
        .select_related("protected_person__user", "election_period", "subject", "case")
        .order_by("reported_at", "reference")
    )
    cases = list(
        Case.objects.filter(
            Q(created__lte=until, **({"created__gt": since} if since else {}))
            | Q(closed_at__lte=until, **({"closed_at__gt": since} if since else {}))
        ).select_related("subject").order_by("created")
    )
    opened = [c for c in cases if c.created <= until and (since is None or c.created > since)]
    ended = [c for c in cases if c.closed_at and c.closed_at <= until and (since is None or c.closed_at > since)]
    referrals = list(
        PoliceReferral.objects.filter(
            Q(referred_at__lte=until, **({"referred_at__gt": since} if since else {}))
            | Q(outcome_recorded_at__lte=until, **({"outcome_recorded_at__gt": since} if since else {}))
        ).select_related("case", "contact").annotate(incident_count=Count("incidents", distinct=True))
        .order_by("referred_at")
    )
    made = [r for r in referrals if r.referred_at <= until and (since is None or r.referred_at > since)]
    outcomes = [r for r in referrals if r.outcome_recorded_at and r.outcome_recorded_at <= until
                and (since is None or r.outcome_recorded_at > since)]
    # Raised in the period, or raised before it and withdrawn by a correction in it (the police may have
    # been told of it at the last meeting): each says whether and why it was withdrawn.
    refs_prefetch = Prefetch("incidents", queryset=Incident.objects.only("pk", "reference", "occurred_at", "channel")
                             .order_by("occurred_at"))
    flags = list(
        (_between(CourseOfConductFlag.objects.all(), "raised_at", since, until)
         | _between(CourseOfConductFlag.objects.all(), "withdrawn_at", since, until))
        .select_related("subject", "protected_person__user", "case").prefetch_related(refs_prefetch)
        .order_by("raised_at")
    )
    signals = list(
        (_between(EscalationSignal.objects.all(), "noticed_at", since, until)
         | _between(EscalationSignal.objects.all(), "withdrawn_at", since, until))
        .select_related("subject", "case").prefetch_related(refs_prefetch).order_by("noticed_at")
    )
    open_referrals = PoliceReferral.objects.filter(status__in=PoliceReferral.OPEN_STATUSES).count()
    overdue = open_tasks(period=Period(), overdue_only=True, now=until).count()

    by_channel: dict[str, int] = {}
    for incident in incidents:
        by_channel[incident.channel] = by_channel.get(incident.channel, 0) + 1

    return {
        "since": _when(since),
        "until": _when(until),
        "last_meeting": _meeting(last_meeting) if last_meeting else None,
        "incidents": {
            "count": len(incidents),
            "by_channel": sorted(
                ({"channel": value, "label": str(label), "count": by_channel[value]}
                 for value, label in Incident.Channel.choices if by_channel.get(value)),
                key=lambda row: -row["count"],
            ),
            "items": [
                {
                    "id": str(i.pk), "reference": i.reference, "occurred_at": _when(i.occurred_at),
                    "reported_at": _when(i.reported_at), "channel": i.channel,
                    "channel_label": i.get_channel_display(), "ward": i.ward,
                    "protected_person": protected_person_summary(i.protected_person),
                    "person_kind": i.person_kind,
                    "election_period": _election(i.election_period),
                    "subject": _subject(i.subject), "level": i.assessed_level,
                    "case": _case_summary(i.case) if i.case_id else None,
                    "immediate_danger": i.immediate_danger, "hate_element": i.hate_element,
                }
                for i in incidents
            ],
        },
        "cases": {
            "opened": [_case(c) for c in opened],
            "closed": [_case(c) for c in ended if c.state == Case.State.CLOSED],
            "merged": [_case(c) for c in ended if c.state == Case.State.MERGED],
        },
        "referrals": {
            "made": [_referral(r) for r in made],
            "outcomes": [_referral(r) for r in outcomes],
            "open_now": open_referrals,
        },
        "course_of_conduct_flags": [
            {
                "id": str(f.pk), "subject": _subject(f.subject),
                "protected_person": protected_person_summary(f.protected_person),
                "case": _case_summary(f.case), "raised_at": _when(f.raised_at), "incident_count": f.incident_count,
                "reason": f.reason, "incidents": [_incident(i) for i in f.incidents.all()],
                **_withdrawal(f, until),
            }
            for f in flags
        ],
        "escalation_signals": [
            {
                "id": str(s.pk), "subject": _subject(s.subject), "kind": s.kind, "title": s.get_kind_display(),
                "case": _case_summary(s.case), "noticed_at": _when(s.noticed_at), "explanation": s.explanation,
                "incidents": [_incident(i) for i in s.incidents.all()],
                **_withdrawal(s, until),
            }
            for s in signals
        ],
        "tasks": {"overdue_now": overdue},
    }


def _withdrawal(item: Any, until: dt.datetime) -> dict[str, Any]:
    """Whether a correction withdrew the flag or signal by ``until``, and why."""
    if item.withdrawn_at is None or item.withdrawn_at > until:
        return {"withdrawn_at": None, "withdrawal_reason": ""}
    return {"withdrawn_at": _when(item.withdrawn_at), "withdrawal_reason": item.withdrawal_reason}


def _subject(subject: Any) -> dict[str, Any] | None:
    if subject is None:
        return None
    return {"id": str(subject.pk), "name": str(subject)}


def protected_person_summary(person: Any) -> dict[str, str]:
    return {"id": str(person.pk), "name": person.name, "kind": person.kind}


def _election(period: Any) -> dict[str, Any] | None:
    if period is None:
        return None
    return {"id": period.pk, "name": period.name, "poll_date": period.poll_date}


def _case_summary(case: Case) -> dict[str, Any]:
    return {"id": case.pk, "reference": case.reference, "state": case.state, "level": case.level,
            "route": case.route}


def _incident(incident: Incident) -> dict[str, Any]:
    return {"id": str(incident.pk), "reference": incident.reference, "occurred_at": _when(incident.occurred_at),
            "channel": incident.channel}


def _case(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk, "reference": case.reference, "subject": _subject(case.subject),
        "state": case.state, "level": case.level, "route": case.route,
        "opened_at": _when(case.created), "closed_at": _when(case.closed_at),
        "outcome_summary": case.outcome_summary,
    }


def _referral(referral: PoliceReferral) -> dict[str, Any]:
    return {
        "id": str(referral.pk), "case": _case_summary(referral.case), "referred_at": _when(referral.referred_at),
        "urgent": referral.urgent, "status": referral.status, "status_label": referral.get_status_display(),
        "crime_reference": referral.crime_reference, "incident_count": referral.incident_count,
        "contact": str(referral.contact) if referral.contact_id else "",
        "outcome_recorded_at": _when(referral.outcome_recorded_at), "outcome_notes": referral.outcome_notes,
    }


def _meeting(meeting: LiaisonMeeting) -> dict[str, Any]:
    return {"id": str(meeting.pk), "held_at": _when(meeting.held_at), "attendees": meeting.attendees}
