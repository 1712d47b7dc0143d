"""Who may see legal holds and the disposal log, and what a hold keeps from disposal.

- the monitoring officer and information governance see every hold; legal sees the holds on the
  cases, subjects and register entries it can see; nobody else sees any;
- the monitoring officer and legal place, review and release holds (on records they can see);
- the disposal log and the retention schedule are for information governance and the monitoring officer.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from ..models import Case, Incident, LegalHold, RegisterEntry, Subject
from ..roles import Role, roles_for
from .cases import cases_visible_to
from .common import get_or_not_found
from .patterns import subjects_visible_to
from .register import register_entries_visible_to

#: Roles that place, review and release legal holds.
HOLD_ROLES: frozenset[str] = frozenset({Role.MONITORING_OFFICER, Role.LEGAL})
#: Roles that read every hold, the disposal log and the schedule.
RETENTION_READ_ROLES: frozenset[str] = frozenset({Role.MONITORING_OFFICER, Role.INFORMATION_GOVERNANCE})


def may_manage_holds(user: Any) -> bool:
    return bool(roles_for(user) & HOLD_ROLES)


def reads_retention(user: Any) -> bool:
    return bool(roles_for(user) & RETENTION_READ_ROLES)


def hold_subjects_visible_to(user: Any) -> QuerySet[Subject]:
    """Subjects a user may hold: those they see, and the subjects of the cases they see (legal)."""
    return Subject.objects.filter(Q(pk__in=subjects_visible_to(user).values("pk"))
                                  | Q(pk__in=cases_visible_to(user).filter(subject__isnull=False).values("subject")))


def holds_visible_to(user: Any) -> QuerySet[LegalHold]:
    roles = roles_for(user)
    holds = LegalHold.objects.select_related("case", "subject", "register_entry", "placed_by")
    if roles & RETENTION_READ_ROLES:
        return holds
    if Role.LEGAL in roles:
        return holds.filter(Q(case__in=cases_visible_to(user).values("pk"))
                            | Q(subject__in=hold_subjects_visible_to(user).values("pk"))
                            | Q(register_entry__in=register_entries_visible_to(user).values("pk")))
    return holds.none()


def hold_get(user: Any, hold_id: Any) -> LegalHold:
    return get_or_not_found(holds_visible_to(user), hold_id, log_as="legal_hold")


def hold_target_get(user: Any, kind: str, target_id: Any) -> Case | Subject | RegisterEntry:
    """The record a hold is to be placed on, if the user may see it (else a logged ``NotFound``)."""
    if kind == "case":
        return get_or_not_found(cases_visible_to(user), target_id, log_as="case")
    if kind == "subject":
        return get_or_not_found(hold_subjects_visible_to(user), target_id, log_as="subject")
    return get_or_not_found(register_entries_visible_to(user), target_id, log_as="register_entry")


# What holds keep ------------------------------------------------------------------------------------
def _active() -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(state=LegalHold.State.ACTIVE)


def held_subject_ids() -> QuerySet:
    """Subjects under a hold: held themselves, or the subject of a held case or entry."""
    return Subject.objects.filter(
        Q(legal_holds__in=_active()) | Q(cases__legal_holds__in=_active())
        | Q(register_entries__legal_holds__in=_active())
    ).values("pk")


def held_entry_ids() -> QuerySet:
    """Register entries under a hold: held themselves, about a held subject, or proposed from a held case."""
    return RegisterEntry.objects.filter(
        Q(legal_holds__in=_active()) | Q(subject__in=held_subject_ids()) | Q(case__legal_holds__in=_active())
    ).values("pk")


def held_case_ids() -> QuerySet:
    """Cases under a hold: held themselves, about a held subject, holding an incident a held entry rests on,
    or the case a held case was merged into (and the cases merged into a held one)."""
    direct = Case.objects.filter(
        Q(legal_holds__in=_active()) | Q(subject__in=held_subject_ids())
        | Q(pk__in=Incident.objects.filter(register_entries__in=held_entry_ids()).values("case"))
        | Q(register_entries__in=held_entry_ids())
    )
    return Case.objects.filter(
        Q(pk__in=direct.values("pk")) | Q(merged_into__in=direct.values("pk"))
        | Q(pk__in=direct.filter(merged_into__isnull=False).values("merged_into"))
    ).values("pk")
