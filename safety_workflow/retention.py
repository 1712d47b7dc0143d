"""The retention schedule: how long each kind of record is kept, and after which event.

Pure functions over ``SAFETY_WORKFLOW["RETENTION"]``; disposal itself is ``services.retention``.
``docs/retention.md`` gives the default of each kind and the public guidance it comes from.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

UNITS = ("years", "months", "days")

#: Events a period is counted from.
CASE_CLOSED, ENTRY_REMOVED, CREATED = "case_closed", "entry_removed", "created"
TRIGGERS = {
    CASE_CLOSED: _("the case was closed (a merged case: the case it was merged into)"),
    ENTRY_REMOVED: _("the entry was removed from the register or refused"),
    CREATED: _("the record was made"),
}


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    #: Triggers the period may be counted from, for this kind.
    triggers: tuple[str, ...]
    #: What disposal does: "delete" or "anonymise", and why (shown in docs and the schedule API).
    action: str
    explanation: str


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("case", _("Case file: the case, its incidents, assessments, decisions, referrals and timeline"),
         (CASE_CLOSED,), "delete",
         _("Deleted whole: an incident stripped of the account, the people and the dates is no record at all, "
         "and counts by ward and month can still identify a councillor.")),
    Kind("evidence", _("Evidence files (and the files in storage)"), (CASE_CLOSED,), "delete",
         _("The file is deleted from storage and its record removed; the case keeps a line saying it was.")),
    Kind("bundle", _("Bundles and packs (court bundles, referral packs, liaison packs, subject-access exports)"),
         (CREATED, CASE_CLOSED), "delete",
         _("A bundle is a copy of records held elsewhere: the PDF is deleted from storage with its row. A bundle "
         "a council action relies on (an injunction bundle) stays with its case.")),
    Kind("support", _("Support records: advice given, home security assessments, priority address flags, "
                    "employee-assistance offers, induction training"), (CREATED, CASE_CLOSED), "delete",
         _("Deleted: they name the councillor and describe their home and health. Never while the case they "
         "belong to is open, nor while a priority address flag is in force.")),
    Kind("register_entry", _("Register entries, once removed or refused"), (ENTRY_REMOVED,), "anonymise",
         _("Anonymised to a tombstone (reference, dates, decisions and who took them): the register's own "
         "history stays answerable; the person's name, reasons, mitigations and addresses go.")),
    Kind("access_log", _("Access log rows (who read, checked, changed or downloaded what)"), (CREATED,), "delete",
         _("Deleted oldest first; the chain of hashes is re-anchored on the first row kept, so the rest of the "
         "log still verifies.")),
    Kind("check_query", _("What was typed into register checks (name, date of birth, postcode, address)"),
         (CREATED,), "anonymise",
         _("Anonymised: the log row of the check (who, when, why, result) is kept for the access log's own "
         "period; the details typed about the person checked are erased.")),
    Kind("idempotency", _("Idempotency keys of incident reports"), (CREATED,), "delete",
         _("Deleted: they only stop a retried report from being recorded twice.")),
    Kind("liaison_meeting", _("Liaison meeting records (police and monitoring officer)"), (CREATED,), "delete",
         _("Deleted: the notes and attendees of the meeting.")),
    Kind("subject", _("Subjects (the people incidents are about) no longer in any record"), (CREATED,), "delete",
         _("Deleted with their aliases and contact handles once no case, entry, bundle or flag refers to them.")),
    Kind("protected_person", _("Protected people (councillors, candidates, household members, supporters, staff) "
                             "no longer in any record"), (CREATED,), "delete",
         _("Deleted with their contact details and candidacies once no incident, support record, flag or linked "
         "person refers to them: their incidents go with their cases, their support records on their own period. "
         "A councillor's record is made again, empty, when they next report.")),
    Kind("notification", _("Notifications: who was told what, through which channel, and whether it arrived"),
         (CREATED,), "delete",
         _("Deleted: the notice's text, the address or number it went to and its delivery status. A case's "
           "notifications also go with the case.")),
    Kind("webhook_delivery", _("Webhook deliveries: the events sent to host platforms and each attempt"),
         (CREATED,), "delete",
         _("Deleted: the event as sent (references and ids) and its delivery log.")),
)}

#: Kinds that live inside a case: they cannot be kept longer than the case itself.
WITHIN_CASE = ("evidence", "bundle", "support")


@dataclass(frozen=True)
class Rule:
    kind: str
    amount: int
    unit: str
    after: str

    @property
    def label(self) -> str:
        unit = self.unit[:-1] if self.amount == 1 else self.unit
        return f"{self.kind}: {self.amount} {unit} after {self.after.replace('_', ' ')}"

    def cutoff(self, now: dt.datetime) -> dt.datetime:
        """Records whose trigger is at or before this moment have expired."""
        return subtract_period(now, self.amount, self.unit)

    def expires(self, start: dt.datetime) -> dt.datetime:
        return add_period(start, self.amount, self.unit)

    def approx_days(self) -> float:
        return self.amount * {"years": 365.25, "months": 30.44, "days": 1}[self.unit]


def _shift_months(value: Any, months: int) -> Any:
    month0 = value.month - 1 + months
    year, month = value.year + month0 // 12, month0 % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def add_period(value: Any, amount: int, unit: str) -> Any:
    """``value`` (a date or datetime) plus the period; 29 February plus a year is 28 February."""
    if unit == "days":
        return value + dt.timedelta(days=amount)
    return _shift_months(value, amount * (12 if unit == "years" else 1))


def subtract_period(value: Any, amount: int, unit: str) -> Any:
    if unit == "days":
        return value - dt.timedelta(days=amount)
    return _shift_months(value, -amount * (12 if unit == "years" else 1))


def schedule_problems(schedule: Any) -> list[str]:
    """Why a schedule cannot be applied ([] when it can). The system check reports each one."""
    if not isinstance(schedule, dict):
        return ['RETENTION must be a dict of kind -> {"years"|"months"|"days": N, "after": trigger}.']
    problems = []
    for kind, spec in schedule.items():
        if kind not in KINDS:
            problems.append(f"RETENTION[{kind!r}]: no such kind of record (kinds: {', '.join(KINDS)}).")
            continue
        if not isinstance(spec, dict):
            problems.append(f"RETENTION[{kind!r}] = {spec!r} is not a period.")
            continue
        units = [u for u in UNITS if u in spec]
        extra = sorted(set(spec) - {*UNITS, "after"})
        if len(units) != 1 or extra:
            problems.append(f"RETENTION[{kind!r}] = {spec!r}: give exactly one of years, months or days, "
                            f'and "after".')
            continue
        amount = spec[units[0]]
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            problems.append(f"RETENTION[{kind!r}]: {units[0]} must be a whole number, 0 or more (got {amount!r}).")
        after = spec.get("after")
        if after not in KINDS[kind].triggers:
            allowed = " or ".join(repr(t) for t in KINDS[kind].triggers)
            problems.append(f"RETENTION[{kind!r}]: a {kind} period is counted after {allowed}, not {after!r}.")
    missing = sorted(set(KINDS) - set(schedule))
    if missing:
        problems.append(f"RETENTION has no period for: {', '.join(missing)}.")
    if problems:
        return problems
    rules = {kind: rule_from(kind, spec) for kind, spec in schedule.items()}
    case = rules["case"]
    for kind in WITHIN_CASE:
        rule = rules[kind]
        if rule.after == CASE_CLOSED and rule.approx_days() > case.approx_days():
            problems.append(f"RETENTION[{kind!r}] keeps {kind} records longer after the case is closed than the "
                            f"case itself ({rule.label} > {case.label}): they are disposed of with their case.")
    if rules["check_query"].approx_days() > rules["access_log"].approx_days():
        problems.append("RETENTION['check_query'] is longer than RETENTION['access_log']: what was typed into a "
                        "check is kept on its access-log row and goes with it.")
    return problems


def rule_from(kind: str, spec: dict[str, Any]) -> Rule:
    unit = next(u for u in UNITS if u in spec)
    return Rule(kind=kind, amount=int(spec[unit]), unit=unit, after=spec["after"])


def schedule() -> dict[str, Rule]:
    """The schedule in force. Call only when ``schedule_problems`` is empty (the system check)."""
    from .conf import app_settings

    return {kind: rule_from(kind, spec) for kind, spec in app_settings.RETENTION.items()}
