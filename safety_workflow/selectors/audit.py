"""Who may read the access log: information governance and the monitoring officer, all of it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ..models import AccessLogEntry
from ..roles import Role, roles_for

#: Roles that read the access log (DOMAIN.md: auditor / information governance; the process owner).
AUDIT_ROLES: frozenset[str] = frozenset({Role.INFORMATION_GOVERNANCE, Role.MONITORING_OFFICER})


def reads_access_log(user: Any) -> bool:
    return bool(roles_for(user) & AUDIT_ROLES)


def access_log_visible_to(user: Any) -> QuerySet[AccessLogEntry]:
    if not reads_access_log(user):
        return AccessLogEntry.objects.none()
    return AccessLogEntry.objects.all()
