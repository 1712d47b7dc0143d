"""What every "get one record the caller may see" shares."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet

from ..errors import NotFound


def get_or_not_found(queryset: QuerySet, pk: Any) -> Model:
    """The record with this primary key in ``queryset`` (already narrowed to what the caller may see).

    Missing, not visible and malformed ids (a bad UUID, text for an integer) all answer the same
    ``NotFound``: a refusal must not reveal whether a record exists.
    """
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound() from None
