"""Who sees which support records: a councillor or candidate their own; case officers all of them."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet

from ..roles import CASE_OFFICER_ROLES, SELF_REPORTING_ROLES, roles_for


def support_visible_to(user: Any, model: type[Model]) -> QuerySet:
    roles = roles_for(user)
    records = model._default_manager.all()
    if roles & CASE_OFFICER_ROLES:
        return records
    if roles & SELF_REPORTING_ROLES:
        return records.filter(protected_person__user=user)
    return records.none()
