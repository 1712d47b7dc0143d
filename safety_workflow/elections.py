"""Election periods: which one an incident falls in, and how the weeks before a poll compare with the rest
of the year. Pure functions over plain values (no database); ``services.elections`` and
``selectors.reports`` give them their data.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from .matching import fold

#: The year an election period is compared with: the days up to and including the period's last day.
COMPARISON_DAYS = 365
#: The period's last day, when none is given: the count, the day after the poll.
DAYS_AFTER_POLL = 1
#: An election period longer than this is a mistake in the dates (a year of campaigning is not a period).
MAX_PERIOD_DAYS = 183


@dataclass(frozen=True)
class Span:
    """What the rule needs to know about one election period."""

    id: Any
    poll_date: dt.date
    starts_on: dt.date
    ends_on: dt.date
    wards: frozenset[str] = frozenset()  # folded; empty: the whole council's area

    @classmethod
    def of(cls, period: Any) -> Span:
        return cls(id=period.pk, poll_date=period.poll_date, starts_on=period.starts_on, ends_on=period.ends_on,
                   wards=frozenset(fold(w) for w in (period.wards or []) if fold(w)))

    def holds(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on


def period_for(*, day: dt.date, ward: str, standing_in: Iterable[Any], spans: Sequence[Span]) -> Any:
    """The id of the election period an incident on ``day`` falls in, or None.

    A period holds the day, and covers the whole council or the incident's ward, or the person harmed stands
    in that election (``standing_in``: the election ids of their candidacies). Where several periods hold it
    (a by-election beside the main elections), the one the person stands in wins, then the nearest poll.
    """
    standing = set(standing_in)
    ward_key = fold(ward or "")
    found = [s for s in spans if s.holds(day) and (not s.wards or ward_key in s.wards or s.id in standing)]
    if not found:
        return None
    return min(found, key=lambda s: (s.id not in standing, abs((s.poll_date - day).days), str(s.id))).id


def period_problems(*, poll_date: dt.date, starts_on: dt.date, ends_on: dt.date) -> dict[str, list[str]]:
    """Why these dates cannot be an election period ({} when they can)."""
    errors: dict[str, list[str]] = {}
    if starts_on > poll_date:
        errors["starts_on"] = [_("The period starts on or before polling day.")]
    if ends_on < poll_date:
        errors["ends_on"] = [_("The period ends on or after polling day.")]
    if not errors and (ends_on - starts_on).days + 1 > MAX_PERIOD_DAYS:
        errors["starts_on"] = [_("An election period is at most %(days)s days long.") % {"days": MAX_PERIOD_DAYS}]
    return errors


# The weeks before a poll against the rest of the year ---------------------------------------------------
def comparison_window(span: Span) -> tuple[dt.date, dt.date]:
    """The first and last day of the year the period is compared with (both inclusive)."""
    return span.ends_on - dt.timedelta(days=COMPARISON_DAYS - 1), span.ends_on


def per_week(count: int, days: int) -> float | None:
    return round(count * 7 / days, 2) if days > 0 else None


def weeks(span: Span) -> list[dict[str, Any]]:
    """The weeks of the period counted back from polling day: week 1 is the seven days ending on polling day
    (the earliest week may be short, starting on the period's first day), then the days after the poll."""
    rows = []
    count = math.ceil(((span.poll_date - span.starts_on).days + 1) / 7)
    for n in range(count, 0, -1):
        last = span.poll_date - dt.timedelta(days=7 * (n - 1))
        first = max(span.starts_on, last - dt.timedelta(days=6))
        rows.append({"weeks_before_poll": n, "from": first, "to": last})
    if span.ends_on > span.poll_date:
        rows.append({"weeks_before_poll": 0, "from": span.poll_date + dt.timedelta(days=1), "to": span.ends_on})
    return rows


def comparison(span: Span, *, inside: Mapping[str, int], outside: Mapping[str, int],
               by_day: Mapping[dt.date, int], kinds: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The period against the rest of its year: counts, incidents per week and their ratio, overall and by kind
    of person (``inside``/``outside``: kind -> incidents), and the period week by week (``by_day``)."""
    first, last = comparison_window(span)
    period_days = (span.ends_on - span.starts_on).days + 1
    rest_days = COMPARISON_DAYS - period_days

    def block(n_in: int, n_out: int) -> dict[str, Any]:
        rate_in, rate_out = per_week(n_in, period_days), per_week(n_out, rest_days)
        ratio = round(rate_in / rate_out, 2) if rate_in is not None and rate_out else None
        return {"in_period": n_in, "rest_of_year": n_out, "per_week_in_period": rate_in,
                "per_week_rest_of_year": rate_out, "ratio": ratio}

    total = block(sum(inside.values()), sum(outside.values()))
    by_kind = [{"kind": kind, "label": label, **block(inside.get(kind, 0), outside.get(kind, 0))}
               for kind, label in kinds]
    by_week = [{**w, "count": sum(n for day, n in by_day.items() if w["from"] <= day <= w["to"])}
               for w in weeks(span)]
    return {"year_from": first, "year_to": last, "period_days": period_days, "rest_of_year_days": rest_days,
            **total, "by_kind": by_kind, "by_week": by_week}
