"""Human-readable references: numbered per year (cases) or per case (incidents), never reused."""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from ..adapter import get_adapter
from ..models import Case, ReferenceSequence


def sequence_next(*, key: str) -> int:
    """The next number for ``key``; the row stays locked until the caller's transaction ends.

    One statement (an insert that adds one on conflict), so no savepoint is needed inside the caller's
    transaction; PostgreSQL and SQLite (3.35+) both run it.
    """
    quote = connection.ops.quote_name
    table = quote(ReferenceSequence._meta.db_table)
    key_column = quote(ReferenceSequence._meta.get_field("key").column)
    value_column = quote(ReferenceSequence._meta.get_field("value").column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_column}, {value_column}) VALUES (%s, 1) "
            f"ON CONFLICT ({key_column}) DO UPDATE SET {value_column} = {table}.{value_column} + 1 "
            f"RETURNING {value_column}",
            [key],
        )
        return cursor.fetchone()[0]


def case_reference_next() -> str:
    year = timezone.localdate().year
    number = sequence_next(key=f"case:{year}")
    return get_adapter().format_case_reference(year=year, number=number)


def incident_reference_next(*, case: Case) -> str:
    number = sequence_next(key=f"incident:{case.reference}")
    return get_adapter().format_incident_reference(case_reference=case.reference, number=number)
