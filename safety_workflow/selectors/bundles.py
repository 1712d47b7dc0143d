"""Who may request, see and download which bundles.

- injunction bundle: legal and the monitoring officer, for a case (or a subject's incidents) they can see;
- police referral pack: members services, health and safety, the monitoring officer and police liaison,
  for a case referred to the police that they can see;
- liaison meeting pack: the monitoring officer and members services;
- subject-access export: information governance only.

A bundle is visible to someone who could request that kind of bundle for that scope now, whoever
requested it; anyone else gets ``not_found``, exactly as for a bundle that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from ..models import Bundle
from ..roles import Role, roles_for
from .cases import cases_visible_to, incidents_visible_to
from .common import get_or_not_found

KIND_ROLES: dict[str, frozenset[str]] = {
    Bundle.Kind.INJUNCTION: frozenset({Role.LEGAL, Role.MONITORING_OFFICER}),
    Bundle.Kind.POLICE_REFERRAL: frozenset({Role.MEMBERS_SERVICES, Role.HEALTH_AND_SAFETY, Role.MONITORING_OFFICER,
                                            Role.POLICE_LIAISON}),
    Bundle.Kind.LIAISON_MEETING: frozenset({Role.MONITORING_OFFICER, Role.MEMBERS_SERVICES}),
    Bundle.Kind.SUBJECT_ACCESS: frozenset({Role.INFORMATION_GOVERNANCE}),
}


def bundle_kinds_for(user: Any) -> set[str]:
    """The kinds of bundle this user's roles allow them to request."""
    roles = roles_for(user)
    return {kind for kind, allowed in KIND_ROLES.items() if roles & allowed}


def bundles_visible_to(user: Any) -> QuerySet[Bundle]:
    kinds = bundle_kinds_for(user)
    rule = Q(pk__in=[])
    if Bundle.Kind.INJUNCTION in kinds:
        rule |= Q(kind=Bundle.Kind.INJUNCTION, case__in=cases_visible_to(user))
        rule |= Q(kind=Bundle.Kind.INJUNCTION, case__isnull=True,
                  subject__in=incidents_visible_to(user).filter(subject__isnull=False).values("subject"))
    if Bundle.Kind.POLICE_REFERRAL in kinds:
        rule |= Q(kind=Bundle.Kind.POLICE_REFERRAL, case__in=cases_visible_to(user))
    for kind in (Bundle.Kind.LIAISON_MEETING, Bundle.Kind.SUBJECT_ACCESS):
        if kind in kinds:
            rule |= Q(kind=kind)
    return Bundle.objects.filter(rule).select_related("requested_by")


def bundle_get(user: Any, bundle_id: Any) -> Bundle:
    return get_or_not_found(bundles_visible_to(user), bundle_id, log_as="bundle")
