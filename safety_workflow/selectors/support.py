"""Who sees which support records: the councillor their own; case officers all of them."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet

from ..roles import CASE_OFFICER_ROLES, Role, roles_for


def support_visible_to(user: Any, model: type[Model]) -> QuerySet:
    roles = roles_for(user)
    records = model._default_manager.all()
    if roles & CASE_OFFICER_ROLES:
        return records
    if Role.COUNCILLOR in roles:
        return records.filter(councillor=user)
    return records.none()
