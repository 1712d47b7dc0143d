"""Recording the monitoring officer's liaison meetings, which "since the last meeting" is measured from."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import Forbidden, InvalidInput
from ..models import LiaisonMeeting, PoliceContact
from ..selectors.meetings import may_record_meetings

#: A meeting is recorded once it has been held; this much clock difference is tolerated.
CLOCK_SKEW = dt.timedelta(minutes=5)


def liaison_meeting_record(
    *,
    actor: Any,
    held_at: dt.datetime,
    attendees: str = "",
    notes: str = "",
    police_contact: PoliceContact | None = None,
) -> LiaisonMeeting:
    if not may_record_meetings(actor):
        raise Forbidden(_("Only the monitoring officer or members services record liaison meetings."),
                        code="cannot_record_meeting")
    if held_at > timezone.now() + CLOCK_SKEW:
        raise InvalidInput(errors={"held_at": [_("Record a meeting once it has been held.")]},
                           code="meeting_in_future")
    with transaction.atomic():
        return LiaisonMeeting.objects.create(
            held_at=held_at, attendees=attendees.strip(), notes=notes.strip(), police_contact=police_contact,
            recorded_by=actor,
        )
