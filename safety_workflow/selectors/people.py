"""Who sees which protected people, and the election periods.

- case officers (members services, health and safety, the monitoring officer): everyone;
- electoral services: people standing in an election (candidates, councillors standing again) and the
  household members and supporters linked to them;
- a councillor or candidate: their own record and the people linked to them (their household, their supporters);
- nobody else: a record they may not see is ``not_found``, as one that does not exist.

Election periods hold no personal data (an election's name and dates): everyone with a role reads them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from ..models import Candidacy, ElectionPeriod, ProtectedPerson
from ..roles import CASE_OFFICER_ROLES, SELF_REPORTING_ROLES, Role, roles_for
from .common import get_or_not_found


def protected_people_visible_to(user: Any) -> QuerySet[ProtectedPerson]:
    roles = roles_for(user)
    people = ProtectedPerson.objects.all()
    if roles & CASE_OFFICER_ROLES:
        return people
    rule = Q(pk__in=[])
    if roles & SELF_REPORTING_ROLES:
        rule |= Q(user=user) | Q(linked_to__user=user)
    if Role.ELECTORAL_SERVICES in roles:
        rule |= (Q(Exists(Candidacy.objects.filter(person=OuterRef("pk"))))
                 | Q(Exists(Candidacy.objects.filter(person=OuterRef("linked_to")))))
    return people.filter(rule)


def protected_people_listed(user: Any) -> QuerySet[ProtectedPerson]:
    """The list, with what each row shows, in a fixed number of queries whatever the page size.

    ``incident_count`` counts only the incidents aimed at the person that the user may see (a councillor sees
    how many of their partner's incidents were shared with them, not how many there are)."""
    from .cases import incidents_visible_to

    visible = (incidents_visible_to(user).filter(protected_person=OuterRef("pk")).order_by()
               .values("protected_person").annotate(n=Count("pk")).values("n"))
    return (protected_people_visible_to(user).select_related("user", "linked_to__user")
            .prefetch_related(Prefetch("candidacies", queryset=Candidacy.objects.select_related("election")))
            .annotate(incident_count=Coalesce(Subquery(visible, output_field=IntegerField()), Value(0)))
            .order_by("full_name", "created_at", "pk"))


def protected_person_get(user: Any, person_id: Any) -> ProtectedPerson:
    return get_or_not_found(protected_people_listed(user), person_id, log_as="protected_person")


def election_periods_visible_to(user: Any) -> QuerySet[ElectionPeriod]:
    if not roles_for(user):
        return ElectionPeriod.objects.none()
    return ElectionPeriod.objects.annotate(candidate_count=Count("candidacies", distinct=True)).order_by(
        "-poll_date", "name", "pk")


def election_period_get(user: Any, period_id: Any) -> ElectionPeriod:
    return get_or_not_found(election_periods_visible_to(user), period_id)
