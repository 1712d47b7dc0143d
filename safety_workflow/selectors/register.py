"""Who may see which register entries, and the reads behind the check and the review reports.

- the monitoring officer and health and safety see every entry (they run the register);
- anyone else with a role other than frontline sees an entry only while they, or one of their
  groups, hold guardian's ``view_registerentry`` permission on that entry (a grant);
- frontline staff (and people with no role) see no entry: they run the check;
- Django superuser status and model-wide permissions give nothing: access to the register is a
  need-to-know decision recorded per entry, not an IT privilege.

Every list is filtered in the database (``EXISTS`` over the direct-foreign-key grant tables).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from viewflow.workflow.status import STATUS

from ..models import (
    RegisterEntry,
    RegisterEntryGroupGrant,
    RegisterEntryUserGrant,
    RegisterMatchKey,
    RegisterMitigation,
    TaskDeadline,
)
from ..roles import Role, roles_for
from .common import get_or_not_found

#: Roles that see every entry and run the register (propose, decide, review, grant).
REGISTER_OFFICER_ROLES: frozenset[str] = frozenset({Role.MONITORING_OFFICER, Role.HEALTH_AND_SAFETY})
#: Roles that propose entries.
REGISTER_PROPOSER_ROLES: frozenset[str] = frozenset({Role.HEALTH_AND_SAFETY})
#: guardian permission codename of a grant.
VIEW_PERMISSION = "view_registerentry"
#: A check scores at most this many entries: those that share most blocking keys with it.
CHECK_CANDIDATE_LIMIT = 50
#: What a check reads of each candidate.
CHECK_FIELDS = ("id", "subject", "match_profile", "advice_contact_name", "advice_contact_phone",
                "advice_contact_email")


def sees_every_entry(user: Any) -> bool:
    return bool(roles_for(user) & REGISTER_OFFICER_ROLES)


def may_propose_entries(user: Any) -> bool:
    return bool(roles_for(user) & REGISTER_PROPOSER_ROLES)


def purpose_required_to_read(user: Any) -> bool:
    """Whether this user must say why they read a register entry (REGISTER_PURPOSE_REQUIRED_ROLES)."""
    from ..conf import app_settings

    return bool(roles_for(user) & set(app_settings.REGISTER_PURPOSE_REQUIRED_ROLES or ()))


def may_read_entries(user: Any) -> bool:
    """Whether the user may hold grants at all: any role but frontline."""
    return bool(roles_for(user) - {Role.FRONTLINE})


def register_entries_visible_to(user: Any) -> QuerySet[RegisterEntry]:
    roles = roles_for(user)
    entries = RegisterEntry.objects.all()
    if roles & REGISTER_OFFICER_ROLES:
        return entries
    if not roles - {Role.FRONTLINE}:
        return entries.none()
    by_user = RegisterEntryUserGrant.objects.filter(
        content_object=OuterRef("pk"), user=user, permission__codename=VIEW_PERMISSION
    )
    by_group = RegisterEntryGroupGrant.objects.filter(
        content_object=OuterRef("pk"), group__in=user.groups.all(), permission__codename=VIEW_PERMISSION
    )
    return entries.filter(Q(Exists(by_user)) | Q(Exists(by_group))).exclude(state=RegisterEntry.State.ERASED)


def register_entry_get(user: Any, entry_id: Any) -> RegisterEntry:
    """The entry, if the user may see it; otherwise ``NotFound``, exactly as for a missing one."""
    return get_or_not_found(register_entries_visible_to(user).select_related("subject"), entry_id,
                            log_as="register_entry")


def register_entry_detail(user: Any, entry_id: Any) -> RegisterEntry:
    """The entry with everything its full view shows, in a fixed number of queries."""
    entries = (
        register_entries_visible_to(user)
        .select_related("subject", "proposed_by", "decided_by", "notification_recorded_by",
                        "last_reviewed_by", "removed_by")
        .prefetch_related("mitigations", "aliases", "addresses", "incidents", "events__actor")
    )
    return get_or_not_found(entries, entry_id, log_as="register_entry")


def register_entries_for_case_proposal(user: Any, case: Any) -> QuerySet[RegisterEntry]:
    """Entries an IncidentFlow ``register_proposal`` task may record: proposed from this case (POST
    register/entries/ with ``case``), about its subject, and visible to the user."""
    return register_entries_visible_to(user).filter(case=case, subject_id=case.subject_id)


def register_grants(entry: RegisterEntry) -> tuple[list[RegisterEntryUserGrant], list[RegisterEntryGroupGrant]]:
    users = list(RegisterEntryUserGrant.objects.filter(content_object=entry).select_related("user", "granted_by"))
    groups = list(
        RegisterEntryGroupGrant.objects.filter(content_object=entry).select_related("group", "granted_by")
    )
    return users, groups


def register_reviews_due(*, on: dt.date | None = None) -> QuerySet[RegisterEntry]:
    """Entries in force whose review date has come."""
    on = on or timezone.localdate()
    return RegisterEntry.objects.filter(
        state__in=(RegisterEntry.State.ACTIVE, RegisterEntry.State.REVIEW_DUE), review_due_on__lte=on
    )


def _review_task_late(now: dt.datetime) -> QuerySet:
    return TaskDeadline.objects.filter(
        task__process__registerprocess__entry=OuterRef("pk"), sla="review",
        task__status__in=(STATUS.NEW, STATUS.ASSIGNED), due_at__lt=now,
    )


def register_reviews_overdue(*, now: dt.datetime | None = None) -> QuerySet[RegisterEntry]:
    """Entries whose review task is past its due time (SLA "review"), or whose review date has
    passed without a review task being opened (the reviews command has not run)."""
    now = now or timezone.now()
    return RegisterEntry.objects.filter(
        Q(Exists(_review_task_late(now)), state=RegisterEntry.State.REVIEW_DUE)
        | Q(state=RegisterEntry.State.ACTIVE, review_due_on__lt=timezone.localdate(now))
    )


def _mitigations_column(entry_pk: str) -> str | None:
    """A column with each candidate's mitigations as a JSON array of [order, id, kind, detail], so that a
    match needs no further query; None on a database other than PostgreSQL or SQLite (then they are read
    separately)."""
    quote, meta = connection.ops.quote_name, RegisterMitigation._meta
    order, pk, kind, detail, entry = (quote(meta.get_field(name).column)
                                      for name in ("order", "id", "kind", "detail", "entry"))
    where = f"FROM {quote(meta.db_table)} WHERE {entry} = {entry_pk}"
    if connection.vendor == "postgresql":
        return f"(SELECT json_agg(json_build_array({order}, {pk}, {kind}, {detail})) {where})"
    if connection.vendor == "sqlite":
        return f"(SELECT json_group_array(json_array({order}, {pk}, {kind}, {detail})) {where})"
    return None


def register_check_candidates_sql(*, keys: set[str], limit: int | None = None) -> tuple[str, list[Any]]:
    """The candidate query: checkable entries filed under any of ``keys``, the ``limit`` sharing most
    keys with the check, with their mitigations. One query whatever the register's size: the ranking
    (``GROUP BY entry ORDER BY count``) runs on the key index inside a subquery, and only the entries it
    keeps are read.

    Written as SQL (SQLite and PostgreSQL) because it runs on every check and the ORM's compilation of
    the same query cost more than its execution (bench/README.md)."""
    quote = connection.ops.quote_name
    entry, key = RegisterEntry._meta, RegisterMatchKey._meta
    table = quote(entry.db_table)
    columns = [f"{table}.{quote(entry.get_field(f).column)}" for f in CHECK_FIELDS]
    mitigations = _mitigations_column(f"{table}.{quote(entry.pk.column)}")
    columns.append(mitigations or "NULL")
    states = list(RegisterEntry.CHECKABLE)
    ordered = sorted(keys)
    entry_id = quote(key.get_field("entry").column)
    sql = (
        f"SELECT {', '.join(columns)} FROM {table} "
        f"WHERE {table}.{quote(entry.get_field('state').column)} IN ({', '.join(['%s'] * len(states))}) "
        f"AND {table}.{quote(entry.pk.column)} IN (SELECT {entry_id} FROM {quote(key.db_table)} "
        f"WHERE {quote(key.get_field('key').column)} IN ({', '.join(['%s'] * len(ordered))}) "
        f"GROUP BY {entry_id} ORDER BY COUNT(*) DESC, {entry_id} LIMIT %s)"
    )
    return sql, [*states, *ordered, CHECK_CANDIDATE_LIMIT if limit is None else limit]


@dataclass(frozen=True)
class CheckCandidate:
    """What a check reads of an entry it may be about: its matching profile and whom to call."""

    pk: Any
    subject_id: Any
    match_profile: dict[str, Any]
    advice_contact_name: str
    advice_contact_phone: str
    advice_contact_email: str
    #: (order, id, kind, detail) of each mitigation, or None where they were not read with the entry.
    mitigations: list[tuple[int, int, str, str]] | None = None


def register_check_candidates(*, keys: set[str], limit: int | None = None) -> list[CheckCandidate]:
    """The entries a check scores: at most CHECK_CANDIDATE_LIMIT, those sharing most keys with it."""
    if not keys:
        return []
    sql, params = register_check_candidates_sql(keys=keys, limit=limit)
    to_pk = RegisterEntry._meta.pk.to_python
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    fetched = connection.vendor in ("postgresql", "sqlite")  # see _mitigations_column
    return [CheckCandidate(pk=to_pk(pk), subject_id=subject_id, match_profile=_json(profile),
                           advice_contact_name=name, advice_contact_phone=phone, advice_contact_email=email,
                           mitigations=[tuple(m) for m in _json(mitigations) or []] if fetched else None)
            for pk, subject_id, profile, name, phone, email, mitigations in rows]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value
