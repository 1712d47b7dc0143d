"""The pre-meeting register check: match, possible match or no match, logged and rate-limited.

What a check discloses, and nothing more:

- ``match``: the entry's mitigations and whom to call (the entry's advice contact);
- ``possible_match``: that someone of a similar name is on the register, whom to call to confirm
  (``REGISTER_ADVICE_CONTACT``, never the entry's own contact, which could identify it) and what
  to do meanwhile; no mitigations, since they might be another person's;
- ``no_match``: nothing found, with a reminder that this is not a clearance.

Never the reasons, the incidents, the entry's reference or other entries. Every check is written
to the access log with who, whom, when, why and the result, and the reference returned to the
caller, with the evidence that decided each entry it found (``data.evidence``); refused checks are
logged too. A check costs a fixed number of queries whatever the size of the register: a per-user
lock row, the rate count, one indexed candidate query (which also brings the candidates'
mitigations), and the log with the entries found.
How names are compared is ``matching`` (docs/register.md).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import matching
from ..conf import app_settings
from ..errors import Forbidden, InvalidInput, TooManyRequests
from ..models import AccessLogEntry, ReferenceSequence, RegisterCheckHit, RegisterEntry, RegisterMitigation
from ..roles import roles_for
from ..selectors.register import CheckCandidate, register_check_candidates
from .audit import access_log_record, checked_name_normalised

ANSWERED = (matching.MATCH, matching.POSSIBLE_MATCH, matching.NO_MATCH)
REFUSED_ROLE, RATE_LIMITED = "refused", "rate_limited"
WINDOW = dt.timedelta(hours=1)

ADVICE = {
    matching.MATCH: gettext_lazy(
        "This person is on the Potentially Violent Persons Register. Follow every mitigation below for this "
        "meeting. If you cannot, do not hold the meeting: call the contact first."
    ),
    matching.POSSIBLE_MATCH: gettext_lazy(
        "Someone with a similar name is on the register, but the details given do not confirm it is this "
        "person. Call the contact before the meeting, quoting the check reference. Until it is confirmed, "
        "do not meet alone or away from council premises."
    ),
    matching.NO_MATCH: gettext_lazy(
        "No entry was found for these details. This is not a clearance: follow your usual lone-working "
        "and personal-safety practice."
    ),
}


@dataclass(frozen=True)
class CheckOutcome:
    result: str
    reference: str
    checked_at: dt.datetime
    meeting_date: dt.date
    advice: str
    contact: dict[str, str] | None = None
    mitigations: list[RegisterMitigation] = field(default_factory=list)


def check_reference_new() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    token = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{app_settings.REFERENCE_PREFIX}-CHK-{token[:5]}-{token[5:]}"


# The statements a check always runs are written as SQL: on a check the ORM's compilation of them
# cost more than the database's work (bench/README.md). Table and column names come from the models.
def _lock_checks_of(actor: Any) -> None:
    """Serialise one user's checks (a row lock until the transaction ends), so that parallel requests
    cannot each see "under the limit". A real lock on PostgreSQL; SQLite serialises writes anyway."""
    key = f"register-checks:{actor.pk}"
    meta, quote = ReferenceSequence._meta, connection.ops.quote_name
    value, key_column = quote(meta.get_field("value").column), quote(meta.get_field("key").column)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {quote(meta.db_table)} SET {value} = {value} + 1 WHERE {key_column} = %s", [key])
        if cursor.rowcount:
            return
    try:
        with transaction.atomic():
            ReferenceSequence.objects.create(key=key, value=1)
    except IntegrityError:
        ReferenceSequence.objects.filter(key=key).update(value=F("value") + 1)


def _answered_checks_since(actor: Any, since: dt.datetime) -> int:
    """How many checks ``actor`` had answered since ``since`` (the access log, index on actor and time)."""
    meta, quote = AccessLogEntry._meta, connection.ops.quote_name
    column = {name: quote(meta.get_field(name).column) for name in ("actor", "action", "result", "at")}
    actor_id = meta.get_field("actor").target_field.get_db_prep_value(actor.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {quote(meta.db_table)} WHERE {column['actor']} = %s AND {column['action']} = %s "
            f"AND {column['result']} IN ({', '.join(['%s'] * len(ANSWERED))}) AND {column['at']} >= %s",
            [actor_id, AccessLogEntry.Action.CHECK.value, *ANSWERED, connection.ops.adapt_datetimefield_value(since)],
        )
        return int(cursor.fetchone()[0])


def _log(*, actor: Any, result: str, reference: str, name: str, purpose: str, meeting_date: dt.date,
         date_of_birth: dt.date | None, postcode: str, address: str, request: Any,
         matched: Any = None, subject: Any = None, extra: dict[str, Any] | None = None) -> AccessLogEntry:
    return access_log_record(
        actor=actor, action=AccessLogEntry.Action.CHECK, object_type="register_check",
        object_id=matched or "", object_repr=name, purpose=purpose, result=result, reference=reference,
        request=request, checked_name=checked_name_normalised(name), subject=subject,
        outcome=AccessLogEntry.Outcome.ALLOWED if result in ANSWERED else AccessLogEntry.Outcome.REFUSED,
        data={
            "name": name,
            "date_of_birth": date_of_birth.isoformat() if date_of_birth else None,
            "postcode": postcode,
            "address": address,
            "meeting_date": meeting_date.isoformat(),
            **(extra or {}),
        },
    )


def register_check(
    *,
    actor: Any,
    name: str,
    meeting_date: dt.date,
    purpose: str,
    date_of_birth: dt.date | None = None,
    postcode: str = "",
    address: str = "",
    request: Any = None,
) -> CheckOutcome:
    """Check whether the person about to be met is on the register.

    Raises ``Forbidden`` (role) and ``TooManyRequests`` (over REGISTER_CHECKS_PER_HOUR) only after
    the refused attempt has been committed to the access log.
    """
    name = matching.clean_text(name)
    purpose = (purpose or "").strip()
    postcode_given = matching.clean_text(postcode)
    address = (address or "").strip()
    details = {"name": name, "purpose": purpose, "meeting_date": meeting_date, "date_of_birth": date_of_birth,
               "postcode": postcode_given, "address": address, "request": request}
    reference = check_reference_new()
    if not roles_for(actor) & set(app_settings.REGISTER_CHECK_ROLES):
        with transaction.atomic():
            _log(actor=actor, result=REFUSED_ROLE, reference=reference, **details)
        raise Forbidden(_("Your role does not use the register check."), code="register_check_not_permitted")
    postcode = matching.postcode_query(postcode_given) if postcode_given else matching.postcode_in(address)
    try:
        query = matching.check_query(name=name, date_of_birth=date_of_birth, postcode=postcode, address=address)
    except matching.NameTooShort as exc:
        raise InvalidInput(errors={"name": [str(exc)]}) from None
    if postcode_given and not postcode:
        raise InvalidInput(errors={"postcode": [_("This is not a UK postcode.")]})

    now = timezone.now()
    limit = int(app_settings.REGISTER_CHECKS_PER_HOUR)
    with transaction.atomic():
        _lock_checks_of(actor)
        if _answered_checks_since(actor, now - WINDOW) >= limit:
            first = AccessLogEntry.objects.filter(
                actor=actor, action=AccessLogEntry.Action.CHECK, result__in=ANSWERED, at__gte=now - WINDOW
            ).aggregate(first=Min("at"))["first"]
            _log(actor=actor, result=RATE_LIMITED, reference=reference, **details)
            retry = max(1, int((first + WINDOW - now).total_seconds()) + 1)
            refused = TooManyRequests(
                _("You have made %(count)s register checks in the last hour. Try again later, or call the "
                  "contact for the register if a meeting cannot wait.") % {"count": limit},
            )
            refused.retry_after = retry
        else:
            refused = None
            entries = register_check_candidates(keys=matching.query_keys(query))
            by_pk = {entry.pk: entry for entry in entries}
            decision = matching.check_decide(
                query, [matching.candidate_from_profile(pk, e.match_profile) for pk, e in by_pk.items()]
            )
            evidence = [{"entry": str(pk), **found.as_dict()} for pk, found in (decision.evidence or {}).items()]
            matched = by_pk.get(decision.matched)
            log = _log(actor=actor, result=decision.result, reference=reference, matched=decision.matched,
                       subject=matched.subject_id if matched is not None else None,
                       extra={"candidates": len(decision.hits), "scored": len(by_pk), "evidence": evidence},
                       **details)
            _record_hits(log, decision.hits)
    if refused is not None:
        raise refused
    return _outcome(decision, by_pk, reference=reference, checked_at=log.at, meeting_date=meeting_date)


def _record_hits(log: AccessLogEntry, hits: tuple[tuple[Any, str], ...]) -> None:
    """One ``RegisterCheckHit`` row per entry the check found, in one statement."""
    if not hits:
        return
    meta, quote = RegisterCheckHit._meta, connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in ("access_log", "entry", "outcome"))
    entry_pk = RegisterEntry._meta.pk
    params = [value for pk, outcome in hits
              for value in (log.pk, entry_pk.get_db_prep_value(pk, connection), outcome)]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "
                       + ", ".join(["(%s, %s, %s)"] * len(hits)), params)


def _mitigations_of(entry: CheckCandidate) -> list[RegisterMitigation]:
    if entry.mitigations is not None:  # read with the candidates
        return [RegisterMitigation(id=pk, entry_id=entry.pk, kind=kind, detail=detail, order=order)
                for order, pk, kind, detail in sorted(entry.mitigations)]
    meta, quote = RegisterMitigation._meta, connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in ("id", "entry", "kind", "detail", "order"))
    entry_column, order = quote(meta.get_field("entry").column), quote(meta.get_field("order").column)
    entry_id = RegisterEntry._meta.pk.get_db_prep_value(entry.pk, connection)
    sql = f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {entry_column} = %s ORDER BY {order}, {quote('id')}"
    return list(RegisterMitigation.objects.raw(sql, [entry_id]))


def _outcome(decision: matching.CheckDecision, entries: dict[Any, CheckCandidate], *, reference: str,
             checked_at: dt.datetime, meeting_date: dt.date) -> CheckOutcome:
    common = {"result": decision.result, "reference": reference, "checked_at": checked_at,
              "meeting_date": meeting_date, "advice": str(ADVICE[decision.result])}
    if decision.result == matching.MATCH:
        entry = entries[decision.matched]
        contact = {"name": entry.advice_contact_name, "phone": entry.advice_contact_phone,
                   "email": entry.advice_contact_email}
        return CheckOutcome(**common, contact=contact, mitigations=_mitigations_of(entry))
    if decision.result == matching.POSSIBLE_MATCH:
        configured = app_settings.REGISTER_ADVICE_CONTACT or {}
        contact = {key: str(configured.get(key, "")) for key in ("name", "phone", "email")}
        return CheckOutcome(**common, contact=contact)
    return CheckOutcome(**common)


def register_check_refused(*, actor: Any, raw: Any, request: Any = None) -> AccessLogEntry:
    """Log a check refused to the caller's role (before its body was read: ``raw`` is what was sent)."""
    raw = raw if isinstance(raw, dict) else {}

    def text(key: str, limit: int) -> str:
        value = raw.get(key)
        return " ".join(value.split())[:limit] if isinstance(value, str) else ""

    with transaction.atomic():
        return access_log_record(
            actor=actor, action=AccessLogEntry.Action.CHECK, object_type="register_check",
            object_repr=text("name", 200), purpose=text("purpose", 500), result=REFUSED_ROLE,
            reference=check_reference_new(), request=request,
            data={"name": text("name", 200), "postcode": text("postcode", 10), "address": text("address", 500),
                  "meeting_date": text("meeting_date", 10) or None, "date_of_birth": text("date_of_birth", 10) or None},
        )
