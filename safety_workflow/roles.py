"""The roles of the councillor-safety process, and how a user's roles are found."""

from __future__ import annotations

import threading
from typing import Any

from django.core.signals import request_finished, request_started
from django.db import models
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COUNCILLOR = "councillor", _("Councillor")
    CANDIDATE = "candidate", _("Candidate for election")
    MEMBERS_SERVICES = "members_services", _("Members services")
    HEALTH_AND_SAFETY = "health_and_safety", _("Health and safety")
    LEGAL = "legal", _("Legal")
    MONITORING_OFFICER = "monitoring_officer", _("Monitoring officer")
    ELECTORAL_SERVICES = "electoral_services", _("Electoral services")
    POLICE_LIAISON = "police_liaison", _("Police liaison")
    FRONTLINE = "frontline", _("Frontline staff")
    INFORMATION_GOVERNANCE = "information_governance", _("Information governance")


KNOWN_ROLES: frozenset[str] = frozenset(Role.values)

#: Roles that see every case (they run or own the process).
CASE_OFFICER_ROLES: frozenset[str] = frozenset(
    {Role.MEMBERS_SERVICES, Role.HEALTH_AND_SAFETY, Role.MONITORING_OFFICER}
)


#: Roles whose users are themselves protected: they report for themselves and see their own incidents.
SELF_REPORTING_ROLES: frozenset[str] = frozenset({Role.COUNCILLOR, Role.CANDIDATE})

#: Roles that report on behalf of others (a councillor or candidate reports for themselves and their own
#: household and supporters): the case officers for anyone, electoral services for candidates.
REPORT_ON_BEHALF_ROLES: frozenset[str] = CASE_OFFICER_ROLES | {Role.ELECTORAL_SERVICES}


#: Roles that see who an incident is about (the subject record), not only what the reporter wrote.
SUBJECT_ROLES: frozenset[str] = CASE_OFFICER_ROLES | {Role.LEGAL, Role.POLICE_LIAISON}


_request = threading.local()
#: Where ``roles_for`` keeps a user object's roles.
ROLES_ATTRIBUTE = "_safety_workflow_roles"


def roles_for(user: Any) -> frozenset[str]:
    """The roles a user holds, as resolved by the host adapter. Anonymous users hold none.

    The adapter is asked once per user object, the way Django's ``ModelBackend`` keeps a user's permissions
    (``_perm_cache``): the answer is kept on the object, so a user loaded for a request, a task or a command
    has its roles resolved once however many checks follow, and a change of groups shows on the next object
    loaded. Inside a request the answer is also kept per user until the request finishes, for the other objects
    of the same user that the request loads (a task's owner, a case's officer).
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    roles = getattr(user, ROLES_ATTRIBUTE, None)
    if roles is not None:
        return roles
    cache = getattr(_request, "roles", None)
    key = (type(user), user.pk)
    if cache is not None and key in cache:
        roles = cache[key]
    else:
        from .adapter import get_adapter

        roles = frozenset(get_adapter().get_user_roles(user)) & KNOWN_ROLES
        if cache is not None:
            cache[key] = roles
    setattr(user, ROLES_ATTRIBUTE, roles)
    return roles


@receiver(request_started, dispatch_uid="safety_workflow_roles_request_started")
def _remember_roles(**kwargs: Any) -> None:
    _request.roles = {}


@receiver(request_finished, dispatch_uid="safety_workflow_roles_request_finished")
def _forget_roles(**kwargs: Any) -> None:
    _request.roles = None


def has_role(user: Any, *roles: str) -> bool:
    return bool(roles_for(user) & set(roles))
