"""Due times for human tasks: a number of hours, or of working days, from when the task was created.

Pure: the calendar (which days are working days) is passed in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone


def due_at(
    start: dt.datetime,
    spec: dict[str, float],
    is_working_day: Callable[[dt.date], bool],
) -> dt.datetime:
    """When a task created at ``start`` is due under ``spec`` ({"hours": N} or {"working_days": N}).

    Working days keep the local time of day: a task created at 16:00 on Friday with one working
    day is due at 16:00 on Monday (or Tuesday after a bank holiday Monday).
    """
    if "hours" in spec:
        return start + dt.timedelta(hours=spec["hours"])
    days = int(spec["working_days"])
    local = timezone.localtime(start)
    day = local.date()
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    naive = dt.datetime.combine(day, local.time().replace(tzinfo=None))
    return timezone.make_aware(naive, timezone.get_current_timezone())
