"""Print what changed in the log since the last liaison meeting, for the monitoring officer to take to it.

    manage.py safety_workflow_meeting_brief                   # since the last recorded meeting
    manage.py safety_workflow_meeting_brief --since 2026-03-01
    manage.py safety_workflow_meeting_brief --meeting <id>    # what a recorded meeting had to discuss
    manage.py safety_workflow_meeting_brief --json            # the same data as GET meetings/brief/
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from ...models import AccessLogEntry, LiaisonMeeting
from ...patterns import format_date
from ...selectors.meetings import meeting_brief, meeting_last
from ...services.audit import access_log_record


def parse_when(value: str) -> dt.datetime:
    """A date (the start of that day, local time) or an ISO datetime."""
    when = parse_datetime(value)
    if when is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"Not a date or datetime: {value!r} (use YYYY-MM-DD or an ISO datetime).")
        when = dt.datetime.combine(day, dt.time.min)
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    return when


class Command(BaseCommand):
    help = "Print what changed in the log since the last liaison meeting (or --since, or for --meeting)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="Instead of the last meeting: a date (YYYY-MM-DD) or ISO datetime.")
        parser.add_argument("--meeting", help="The id of a recorded meeting: what it had to discuss.")
        parser.add_argument("--json", action="store_true", help="Print JSON, as the meetings API gives it.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["meeting"] and options["since"]:
            raise CommandError("Give --since or --meeting, not both.")
        if options["meeting"]:
            try:
                meeting = LiaisonMeeting.objects.get(pk=options["meeting"])
            except (LiaisonMeeting.DoesNotExist, ValueError, ValidationError):
                raise CommandError(f"No meeting {options['meeting']!r}.") from None
            last = meeting_last(before=meeting.held_at)
            since, until = (last.held_at if last else None), meeting.held_at
        else:
            last = meeting_last()
            since = parse_when(options["since"]) if options["since"] else (last.held_at if last else None)
            until = None
            if since and since > timezone.now():
                raise CommandError("--since is in the future.")
        brief = meeting_brief(since=since, until=until, last_meeting=last)
        access_log_record(
            actor=None, action=AccessLogEntry.Action.EXPORT, object_type="meeting_brief",
            object_id=options["meeting"] or "", purpose="safety_workflow_meeting_brief command",
            data={"since": since.isoformat() if since else None, "until": brief["until"].isoformat()},
        )
        if options["json"]:
            from ...api.meetings import MeetingBriefSerializer

            self.stdout.write(json.dumps(MeetingBriefSerializer(brief).data, indent=2))
        else:
            self.stdout.write(render_brief(brief))


def _when(value: dt.datetime | None) -> str:
    return f"{format_date(value)} {value:%H:%M}" if value else "the start of the log"


def _wrap(text: str, indent: str = "    ") -> str:
    return textwrap.fill(text, width=100, initial_indent=indent, subsequent_indent=indent)


def _name(subject: dict[str, Any] | None) -> str:
    return subject["name"] if subject else "subject not identified"


def render_brief(brief: dict[str, Any]) -> str:
    """The brief as plain text, in the order the meeting takes it."""
    out: list[str] = ["Councillor safety: what changed since the last meeting",
                      f"From {_when(brief['since'])} to {_when(brief['until'])}."]
    if brief["last_meeting"]:
        meeting = brief["last_meeting"]
        out.append(f"Last meeting: {_when(meeting['held_at'])}"
                   + (f" ({meeting['attendees']})." if meeting["attendees"] else "."))
    else:
        out.append("No earlier meeting is recorded.")

    incidents = brief["incidents"]
    out += ["", f"New incidents: {incidents['count']}"]
    if incidents["by_channel"]:
        out.append("  By channel: " + ", ".join(f"{c['label'].lower()} {c['count']}" for c in incidents["by_channel"]))
    for i in incidents["items"]:
        out.append(f"  {i['reference']}  {format_date(i['occurred_at'])}  {i['channel_label']}  "
                   f"{i['protected_person']['name']} ({i['person_kind']})  {_name(i['subject'])}  "
                   f"{i['level'] or 'not yet assessed'}"
                   + ("  IMMEDIATE DANGER" if i["immediate_danger"] else "") + ("  hate" if i["hate_element"] else "")
                   + (f"  election period ({i['election_period']['name']})" if i["election_period"] else ""))

    for title, key in (("Cases opened", "opened"), ("Cases closed", "closed"), ("Cases merged", "merged")):
        cases = brief["cases"][key]
        out += ["", f"{title}: {len(cases)}"]
        for c in cases:
            out.append(f"  {c['reference']}  {_name(c['subject'])}  {c['level'] or 'not yet assessed'}")
            if key == "closed" and c["outcome_summary"]:
                out.append(_wrap(f"Outcome: {c['outcome_summary']}"))

    referrals = brief["referrals"]
    out += ["", f"Police referrals made: {len(referrals['made'])}"]
    for r in referrals["made"]:
        urgent = "  URGENT" if r["urgent"] else ""
        out.append(f"  {r['case']['reference']}  referred {_when(r['referred_at'])}{urgent}  {r['status_label']}")
    out += ["", f"Police outcomes recorded: {len(referrals['outcomes'])}"]
    for r in referrals["outcomes"]:
        crime = f", crime reference {r['crime_reference']}" if r["crime_reference"] else ""
        out.append(f"  {r['case']['reference']}  {r['status_label']}{crime}")
        if r["outcome_notes"]:
            out.append(_wrap(r["outcome_notes"]))
    out.append(f"Referrals still open: {referrals['open_now']}")

    out += ["", f"New course-of-conduct flags: {len(brief['course_of_conduct_flags'])}"]
    for f in brief["course_of_conduct_flags"]:
        out.append(f"  {_name(f['subject'])} / {f['protected_person']['name']}  "
                   f"(case {f['case']['reference']}, {_when(f['raised_at'])})")
        out.append(_wrap(f["reason"]))
        if f["withdrawn_at"]:
            out.append(_wrap(f"Withdrawn {_when(f['withdrawn_at'])}: {f['withdrawal_reason']}"))
    out += ["", f"New escalation signals: {len(brief['escalation_signals'])}"]
    for s in brief["escalation_signals"]:
        out.append(f"  {_name(s['subject'])}: {s['title']}  (case {s['case']['reference']}, {_when(s['noticed_at'])})")
        out.append(_wrap(s["explanation"]))
        if s["withdrawn_at"]:
            out.append(_wrap(f"Withdrawn {_when(s['withdrawn_at'])}: {s['withdrawal_reason']}"))

    out += ["", f"Tasks overdue now: {brief['tasks']['overdue_now']}", ""]
    return "\n".join(out)
