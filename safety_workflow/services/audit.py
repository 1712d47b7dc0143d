"""Writing the case timeline and the access log. Every other service calls these; nothing else writes them.

The access log is one hash chain (``audit_chain.py``). An append locks the chain's head row, so
concurrent writers queue for the few statements of the append and the rows form a single chain
(PostgreSQL: a row lock held until the writer's transaction ends; SQLite serialises writers anyway).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.signals import request_finished, request_started
from django.db import IntegrityError, transaction
from django.db.models import signals
from django.dispatch import receiver
from django.utils.ipv6 import clean_ipv6_address

from .. import audit_chain, matching
from ..adapter import get_adapter
from ..models import AccessLogChain, AccessLogEntry, Case, Incident, TimelineEntry

Outcome = AccessLogEntry.Outcome
CHAIN_ID = 1


def timeline_record(
    *,
    case: Case,
    action: str,
    summary: str,
    actor: Any = None,
    incident: Incident | None = None,
    decision: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
    shared_with_councillor: bool = False,
) -> TimelineEntry:
    entry = timeline_entry(case=case, action=action, summary=summary, actor=actor, incident=incident,
                           decision=decision, reason=reason, data=data, shared_with_councillor=shared_with_councillor)
    entry.save(force_insert=True)
    _published([entry])
    return entry


def timeline_record_many(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """Several steps at once (``timeline_entry`` each): one insert, in the order given."""
    created = TimelineEntry.objects.bulk_create(entries)
    _published(created)
    return created


def _published(entries: list[TimelineEntry]) -> None:
    from ..webhooks import timeline_step_published

    for entry in entries:
        timeline_step_published(entry)


def timeline_entry(
    *,
    case: Case,
    action: str,
    summary: str,
    actor: Any = None,
    incident: Incident | None = None,
    decision: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
    shared_with_councillor: bool = False,
) -> TimelineEntry:
    """A timeline row, not saved yet (``timeline_record_many`` writes several in one statement)."""
    return TimelineEntry(
        case=case,
        incident=incident,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        summary=summary[:500],
        decision=decision[:200],
        reason=reason,
        data=data or {},
        shared_with_councillor=shared_with_councillor,
    )


def client_ip(request: Any) -> str | None:
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR") or None
    if address and ":" in address:
        try:
            address = clean_ipv6_address(address)  # the form the database gives back, so the digest holds
        except Exception:
            return None
    return address


def checked_name_normalised(name: str) -> str:
    """The name typed into a check as the check reads it (``matching.parse_name``): titles, case, accents,
    punctuation and "Surname, Forename" order do not matter. "" when it is not a name."""
    parsed = matching.parse_name(name or "")
    if not parsed.surnames:
        return ""
    surname = max(sorted(parsed.surnames), key=len)  # the whole surname ("smithjones", "obrien")
    return " ".join([*parsed.given, surname])[:200]


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _chain_head() -> AccessLogChain:
    """The chain's head row, locked until the current transaction ends."""
    head = AccessLogChain.objects.select_for_update().filter(pk=CHAIN_ID).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            AccessLogChain.objects.create(pk=CHAIN_ID, last_hash=audit_chain.GENESIS,
                                          anchor_hash=audit_chain.GENESIS)
    except IntegrityError:
        pass  # another writer made it first
    return AccessLogChain.objects.select_for_update().get(pk=CHAIN_ID)


def access_log_record(
    *,
    actor: Any,
    action: str,
    object_type: str,
    object_id: Any = "",
    object_repr: str = "",
    purpose: str = "",
    result: str = "",
    reference: str = "",
    request: Any = None,
    data: dict[str, Any] | None = None,
    outcome: str = Outcome.ALLOWED,
    subject: Any = None,
    checked_name: str = "",
) -> AccessLogEntry:
    """Record one read, check, grant, revocation or download, appended to the hash chain.

    ``data`` holds identifiers, not content; ``subject`` is the subject (or its id) the record is about.
    """
    known = getattr(actor, "pk", None) is not None
    entry = AccessLogEntry(
        actor=actor if known else None,
        actor_ref=str(actor.pk) if known else "",
        actor_name=get_adapter().display_name(actor) if known else "anonymous",
        action=action,
        outcome=outcome,
        object_type=object_type,
        object_id=str(object_id or "")[:64],
        object_repr=str(object_repr)[:200],
        subject_ref=_uuid_or_none(getattr(subject, "pk", subject)),
        checked_name=checked_name[:200],
        purpose=purpose,
        result=str(result)[:50],
        reference=reference,
        ip_address=client_ip(request),
        data=data or {},
    )
    fields = audit_chain.fields_of(entry)
    entry.content_digest = fields["content_digest"] = audit_chain.content_digest(fields)
    connection = transaction.get_connection()
    signals.pre_save.send(sender=AccessLogEntry, instance=entry, raw=False, using=connection.alias,
                          update_fields=None)
    if connection.vendor != "postgresql" or not _append_in_one(connection, entry, fields):
        with transaction.atomic(savepoint=False):
            with connection.cursor() as cursor:
                last_seq, last_hash = _chain_head_locked(cursor, connection)
                entry.seq = fields["seq"] = last_seq + 1
                entry.prev_hash = last_hash
                entry.row_hash = audit_chain.row_hash(fields, last_hash)
                _append(cursor, connection, entry)
    entry._state.adding = False
    entry._state.db = connection.alias
    signals.post_save.send(sender=AccessLogEntry, instance=entry, created=True, raw=False,
                           using=connection.alias, update_fields=None)
    return entry


# PostgreSQL: the append in one statement -------------------------------------------------------------
# The head row is locked (FOR UPDATE), moved on (its seq + 1, the new row's hash computed by the database
# from the row's canonical form after its seq, ``audit_chain.row_after_seq``, and the head's hash) and the
# row inserted with that seq and those hashes, all in one statement: on its own (autocommit) it is its own
# transaction, committed before the statement returns; inside the caller's transaction the lock is held
# until that ends, as before. One round trip instead of five (BEGIN, lock, insert, move the head, COMMIT),
# and the head is locked for one statement, not four.
_ONE_STATEMENT: dict[str, tuple[str, list[Any]]] = {}


def _one_statement(connection: Any) -> tuple[str, list[Any]]:
    found = _ONE_STATEMENT.get(connection.alias)
    if found is None:
        qn = connection.ops.quote_name
        chain, log = qn(AccessLogChain._meta.db_table), qn(AccessLogEntry._meta.db_table)
        seq, last_hash, ident = qn("last_seq"), qn("last_hash"), qn("id")
        chained = ("seq", "prev_hash", "row_hash")
        columns = [f for f in AccessLogEntry._meta.concrete_fields if not f.primary_key and f.name not in chained]
        sql = (
            f"WITH old AS (SELECT {seq}, {last_hash} FROM {chain} WHERE {ident} = %s FOR UPDATE), "
            f"head AS (UPDATE {chain} SET {seq} = old.{seq} + 1, {last_hash} = encode(sha256("
            f"convert_to('[' || (old.{seq} + 1)::text, 'UTF8') || %s::bytea || convert_to(old.{last_hash}, 'UTF8')"
            f"), 'hex') FROM old WHERE {chain}.{ident} = %s "
            f"RETURNING {chain}.{seq} AS seq, old.{last_hash} AS prev_hash, {chain}.{last_hash} AS row_hash) "
            f"INSERT INTO {log} ({', '.join(qn(AccessLogEntry._meta.get_field(n).column) for n in chained)}, "
            f"{', '.join(qn(f.column) for f in columns)}) "
            f"SELECT head.seq, head.prev_hash, head.row_hash, {', '.join(['%s'] * len(columns))} FROM head "
            f"RETURNING {qn(AccessLogEntry._meta.pk.column)}, "
            f"{', '.join(qn(AccessLogEntry._meta.get_field(n).column) for n in chained)}"
        )
        found = _ONE_STATEMENT[connection.alias] = (sql, columns)
    return found


def _append_in_one(connection: Any, entry: AccessLogEntry, fields: dict[str, Any]) -> bool:
    """Append ``entry`` in one statement; False (nothing written) when the chain has no head row yet."""
    sql, columns = _one_statement(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [CHAIN_ID, audit_chain.row_after_seq(fields), CHAIN_ID,
                             *[f.get_db_prep_save(f.pre_save(entry, True), connection) for f in columns]])
        row = cursor.fetchone()
    if row is None:
        return False
    entry.pk, entry.seq, entry.prev_hash, entry.row_hash = row
    return True


# The append's statements, written once: the ORM compiled the same three statements on every read, which
# cost more than running them (about 2 ms of a request's 5-40 ms). They are the statements ``Model.save()``
# and ``QuerySet.update()`` ran, with the same lock on the head row, in the same transaction; ``pre_save`` and
# ``post_save`` are sent around the append as ``save()`` sends them.
_STATEMENTS: dict[str, tuple[str, str, str, list[Any]]] = {}


def _statements(connection: Any) -> tuple[str, str, str, list[Any]]:
    found = _STATEMENTS.get(connection.alias)
    if found is None:
        qn = connection.ops.quote_name
        chain, log = qn(AccessLogChain._meta.db_table), qn(AccessLogEntry._meta.db_table)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        head = f"SELECT {qn('last_seq')}, {qn('last_hash')} FROM {chain} WHERE {qn('id')} = %s{lock}"
        columns = [f for f in AccessLogEntry._meta.concrete_fields if not f.primary_key]
        insert = (f"INSERT INTO {log} ({', '.join(qn(f.column) for f in columns)}) "
                  f"VALUES ({', '.join(['%s'] * len(columns))})")
        if connection.features.can_return_columns_from_insert:
            insert += f" RETURNING {qn(AccessLogEntry._meta.pk.column)}"
        update = f"UPDATE {chain} SET {qn('last_seq')} = %s, {qn('last_hash')} = %s WHERE {qn('id')} = %s"
        found = _STATEMENTS[connection.alias] = (head, insert, update, columns)
    return found


def _chain_head_locked(cursor: Any, connection: Any) -> tuple[int, str]:
    """(last_seq, last_hash) of the chain's head row, locked until the current transaction ends."""
    cursor.execute(_statements(connection)[0], [CHAIN_ID])
    row = cursor.fetchone()
    if row is None:  # the first append ever: make the head (``_chain_head``), then lock it
        head = _chain_head()
        return head.last_seq, head.last_hash
    return row[0], row[1]


def _append(cursor: Any, connection: Any, entry: AccessLogEntry) -> None:
    """Insert ``entry`` (its seq and hashes set) and move the head to it."""
    _head, insert, update, columns = _statements(connection)
    cursor.execute(insert, [f.get_db_prep_save(f.pre_save(entry, True), connection) for f in columns])
    if connection.features.can_return_columns_from_insert:
        entry.pk = cursor.fetchone()[0]
    else:
        entry.pk = connection.ops.last_insert_id(cursor, AccessLogEntry._meta.db_table,
                                                 AccessLogEntry._meta.pk.column)
    cursor.execute(update, [entry.seq, entry.row_hash, CHAIN_ID])


# Refused reads -------------------------------------------------------------------------------------
# A refused read answers 404 through the exception handler, which rolls back the request's transaction
# when the host runs requests in one (ATOMIC_REQUESTS). Its log row is then written when the request
# has finished, so that the refusal is never lost with the rollback.
_pending = threading.local()


def _run_pending() -> None:
    for write in getattr(_pending, "writes", []):
        write()
    _pending.writes = []


@receiver(request_started, dispatch_uid="safety_workflow_access_log_request_started")
def _forget_pending(**kwargs: Any) -> None:
    _pending.writes = []


@receiver(request_finished, dispatch_uid="safety_workflow_access_log_request_finished")
def _write_pending(**kwargs: Any) -> None:
    _run_pending()


def access_log_refusal(**fields: Any) -> None:
    """Record a refused or failed attempt (``access_log_record`` arguments) so that it outlives the refusal."""
    connection = transaction.get_connection()
    if connection.settings_dict.get("ATOMIC_REQUESTS") and connection.in_atomic_block:
        if not hasattr(_pending, "writes"):
            _pending.writes = []
        _pending.writes.append(lambda: access_log_record(**fields))
    else:
        access_log_record(**fields)


# Verification --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChainBreak:
    seq: int | None
    id: int | None
    problem: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_seq: int | None
    last_seq: int | None
    last_hash: str
    unchained: int
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def _rows(batch: int) -> Iterator[AccessLogEntry]:
    after = None
    while True:
        rows = AccessLogEntry.objects.filter(seq__isnull=False).order_by("seq")
        if after is not None:
            rows = rows.filter(seq__gt=after)
        page = list(rows[:batch])
        if not page:
            return
        yield from page
        after = page[-1].seq


def access_log_verify(*, batch: int = 2000, on_progress: Callable[[int], None] | None = None) -> ChainReport:
    """Walk the chain from its anchor and report the first row that does not follow from the one before.

    Detects an altered row (its hash no longer matches), a deleted row (a gap, or the next row's
    ``prev_hash`` no longer matches), an inserted or re-ordered row, an altered erasable field (the
    ``content_digest``), and a chain whose head does not match its last row (rows cut from the end).
    """
    head = AccessLogChain.objects.filter(pk=CHAIN_ID).first()
    anchor_seq = head.anchor_seq if head else 1
    prev_hash = head.anchor_hash if head else audit_chain.GENESIS
    expected_seq = anchor_seq
    checked, first, last, broken = 0, None, None, None
    unchained = AccessLogEntry.objects.filter(seq__isnull=True).count()
    for row in _rows(batch):
        fields = audit_chain.fields_of(row)
        problem = ""
        if row.seq < anchor_seq:
            problem = f"row {row.seq} is older than the chain's anchor ({anchor_seq}): it should have been disposed of"
        elif row.seq != expected_seq:
            problem = f"rows {expected_seq} to {row.seq - 1} are missing"
        elif row.prev_hash != prev_hash:
            problem = "its previous-row hash does not match the row before it (a row was removed or replaced)"
        elif audit_chain.row_hash(fields, row.prev_hash) != row.row_hash:
            problem = "its contents do not match its hash (the row was altered)"
        elif row.redacted_at is None and audit_chain.content_digest(fields) != row.content_digest:
            problem = "its purpose, name, address or data do not match their digest (the row was altered)"
        if problem:
            broken = ChainBreak(seq=row.seq, id=row.pk, problem=problem)
            break
        checked += 1
        first = row.seq if first is None else first
        last = row.seq
        prev_hash = row.row_hash
        expected_seq = row.seq + 1
        if on_progress and checked % batch == 0:
            on_progress(checked)
    if broken is None and head is not None and (head.last_seq != (last or anchor_seq - 1)
                                                 or head.last_hash != prev_hash):
        broken = ChainBreak(seq=last, id=None,
                            problem=f"the chain's head says it ends at row {head.last_seq}, but the rows end at "
                                    f"{last}: rows were removed from the end, or the head was altered")
    if broken is None and unchained:
        broken = ChainBreak(seq=None, id=AccessLogEntry.objects.filter(seq__isnull=True).order_by("id")
                            .values_list("id", flat=True).first(),
                            problem=f"{unchained} row(s) are outside the chain (written around it)")
    return ChainReport(checked=checked, first_seq=first, last_seq=last, last_hash=prev_hash,
                       unchained=unchained, broken=broken)
