"""Election periods: recording them, and flagging the incidents that fall in them.

An incident's election period is worked out when it is reported (``elections.period_for``: its date, its ward
and whether the person harmed stands in the election), and again whenever what it depends on changes: a
period recorded or its dates or wards corrected, a candidacy added, the ward corrected at triage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import elections
from ..errors import Forbidden, InvalidInput
from ..models import Candidacy, ElectionPeriod, Incident
from ..roles import Role, has_role

#: Who records election periods: electoral services (the returning officer's team), members services and the
#: monitoring officer.
ELECTION_WRITERS = (Role.ELECTORAL_SERVICES, Role.MEMBERS_SERVICES, Role.MONITORING_OFFICER)
BATCH = 500


def election_period_check_writer(*, actor: Any) -> None:
    if not has_role(actor, *ELECTION_WRITERS):
        raise Forbidden(_("Electoral services, members services or the monitoring officer record election periods."),
                        code="cannot_record_election")


def _clean_wards(wards: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(" ".join(w.split()) for w in wards if w and w.strip()))


def _check(poll_date: dt.date, starts_on: dt.date, ends_on: dt.date) -> None:
    errors = elections.period_problems(poll_date=poll_date, starts_on=starts_on, ends_on=ends_on)
    if errors:
        raise InvalidInput(_("These dates do not make an election period."), errors=errors)


def _local_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (dt.datetime.combine(first, dt.time.min, tzinfo=tz),
            dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz))


def election_period_create(*, actor: Any, name: str, poll_date: dt.date, starts_on: dt.date,
                           ends_on: dt.date | None = None, wards: Iterable[str] = ()) -> ElectionPeriod:
    """Record an election period (``ends_on`` defaults to the count, the day after the poll) and flag the
    incidents already logged in it."""
    election_period_check_writer(actor=actor)
    ends_on = ends_on or poll_date + dt.timedelta(days=elections.DAYS_AFTER_POLL)
    _check(poll_date, starts_on, ends_on)
    with transaction.atomic():
        period = ElectionPeriod.objects.create(name=" ".join(name.split()), poll_date=poll_date, starts_on=starts_on,
                                               ends_on=ends_on, wards=_clean_wards(wards), created_by=actor)
        election_periods_reflag(incidents=_occurred_between(starts_on, ends_on))
    return period


def election_period_update(*, actor: Any, period: ElectionPeriod, **changes: Any) -> ElectionPeriod:
    """Correct a period's name, dates or wards; the incidents in the old and the new dates are flagged again."""
    election_period_check_writer(actor=actor)
    if not changes:
        raise InvalidInput(_("Nothing to update."), code="nothing_to_update")
    before = (period.starts_on, period.ends_on)
    if "name" in changes:
        changes["name"] = " ".join(changes["name"].split())
    if "wards" in changes:
        changes["wards"] = _clean_wards(changes["wards"])
    for name, value in changes.items():
        setattr(period, name, value)
    _check(period.poll_date, period.starts_on, period.ends_on)
    with transaction.atomic():
        period.save(update_fields=list(changes))
        affected = _occurred_between(*before) | _occurred_between(period.starts_on, period.ends_on)
        election_periods_reflag(incidents=affected)
    return period


def _occurred_between(first: dt.date, last: dt.date) -> QuerySet[Incident]:
    lower, upper = _local_bounds(first, last)
    return Incident.objects.filter(occurred_at__gte=lower, occurred_at__lt=upper)


def election_period_of(*, occurred_at: dt.datetime, ward: str, person: Any) -> ElectionPeriod | None:
    """The election period a new incident falls in (two queries)."""
    day = timezone.localdate(occurred_at)
    periods = list(ElectionPeriod.objects.filter(starts_on__lte=day, ends_on__gte=day))
    if not periods:
        return None
    standing = (set(Candidacy.objects.filter(person=person).values_list("election_id", flat=True))
                if getattr(person, "pk", None) else set())
    found = elections.period_for(day=day, ward=ward, standing_in=standing,
                                 spans=[elections.Span.of(p) for p in periods])
    return next((p for p in periods if p.pk == found), None)


def election_periods_reflag(*, incidents: QuerySet[Incident]) -> int:
    """Work out the election period of each of these incidents again; returns how many changed.

    Reads every election period once (a council has a few a year), the candidacies of the people harmed once,
    and the incidents in batches; writes only the ones whose period changed.
    """
    spans = [elections.Span.of(p) for p in ElectionPeriod.objects.all()]
    rows = incidents.order_by().values_list("pk", "occurred_at", "ward", "protected_person_id", "election_period_id")
    standing: dict[Any, set[Any]] = {}
    for person_id, election_id in Candidacy.objects.filter(
            person__in=incidents.order_by().values("protected_person_id")).values_list("person_id", "election_id"):
        standing.setdefault(person_id, set()).add(election_id)
    changes: dict[Any, list[Any]] = {}
    for pk, occurred_at, ward, person_id, current in rows.iterator(chunk_size=BATCH):
        found = elections.period_for(day=timezone.localdate(occurred_at), ward=ward,
                                     standing_in=standing.get(person_id, ()), spans=spans) if spans else None
        if found != current:
            changes.setdefault(found, []).append(pk)
    for period_id, pks in changes.items():
        for n in range(0, len(pks), BATCH):
            Incident.objects.filter(pk__in=pks[n:n + BATCH]).update(election_period_id=period_id)
    return sum(len(pks) for pks in changes.values())
