"""The access log's hash chain: the canonical form of a row and the hashes over it. Pure functions.

``row_hash = SHA-256(canonical(row) + prev_hash)``, where ``canonical(row)`` is a JSON array of the
row's fixed fields in a fixed order, and the fields that retention may erase later (what was typed
into a check, the purpose, the client address, the data) enter only through ``content_digest``
(SHA-256 of their own canonical form). Erasing them therefore leaves the chain verifiable; altering
them is detected while they are held.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

GENESIS = "0" * 64

#: Fields covered by the row hash directly, in this order.
CHAINED = ("seq", "at", "actor_ref", "actor_name", "action", "outcome", "object_type", "object_id", "subject_ref",
           "result", "reference", "content_digest")
#: Fields covered through ``content_digest`` (erasable under the retention schedule).
CONTENT = ("object_repr", "checked_name", "purpose", "ip_address", "data")


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if value is None or isinstance(value, (str, int, bool, list, dict, float)):
        return value
    return str(value)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def content_digest(fields: dict[str, Any]) -> str:
    return hashlib.sha256(_dumps([_value(fields.get(name)) for name in CONTENT])).hexdigest()


def row_hash(fields: dict[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(_dumps([_value(fields.get(name)) for name in CHAINED]) + prev_hash.encode()).hexdigest()


def row_after_seq(fields: dict[str, Any]) -> bytes:
    """The row's canonical form after its ``seq``: ``canonical(row) == b"[" + str(seq) + row_after_seq(row)``
    (``seq`` is the first chained field, an integer), so the database can hash a row whose ``seq`` it is the
    one to give: ``row_hash == SHA-256(b"[" + str(seq) + row_after_seq + prev_hash)``."""
    return b"," + _dumps([_value(fields.get(name)) for name in CHAINED[1:]])[1:]


def fields_of(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in (*CHAINED, *CONTENT)}
