"""What every "get one record the caller may see" shares."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet

from ..errors import NotFound


def get_or_not_found(queryset: QuerySet, pk: Any, *, log_as: str = "") -> Model:
    """The record with this primary key in ``queryset`` (already narrowed to what the caller may see).

    Missing, not visible and malformed ids (a bad UUID, text for an integer, an integer too large for the
    database) all answer the same
    ``NotFound``: a refusal must not reveal whether a record exists. With ``log_as`` (the access
    log's object type: "incident", "case", "register_entry", "bundle"...), the ``NotFound`` carries
    the attempt, which the API writes to the access log as refused (the record exists) or
    not_found (it does not); the caller sees the same 404 either way.
    """
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError, ValidationError):
        refusal = NotFound()
        if log_as:
            refusal.access_attempt = access_attempt(queryset.model, pk, log_as)
        raise refusal from None


def access_attempt(model: type[Model], pk: Any, object_type: str) -> dict[str, Any]:
    """What the access log records of a read that found nothing the caller may see."""
    fields = ["pk"] + (["subject_id"] if any(f.name == "subject" for f in model._meta.fields) else [])
    try:
        row = model._default_manager.filter(pk=pk).values(*fields).first()
    except (ValueError, TypeError, OverflowError, ValidationError):
        row = None
    return {
        "object_type": object_type,
        "object_id": str(pk)[:64],
        "outcome": "refused" if row else "not_found",
        "subject": row.get("subject_id") if row else None,
    }
