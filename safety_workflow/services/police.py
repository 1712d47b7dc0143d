"""Police referrals: made at once for serious cases and immediate danger, then acknowledged and closed out."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from .. import signals
from ..adapter import get_adapter
from ..errors import Forbidden, InvalidInput
from ..models import Case, PoliceContact, PoliceReferral
from ..notifications import notify
from ..roles import Role, has_role
from .audit import timeline_record

FINAL_STATUSES = (
    PoliceReferral.Status.CHARGED,
    PoliceReferral.Status.CAUTIONED,
    PoliceReferral.Status.COMMUNITY_RESOLUTION,
    PoliceReferral.Status.NO_FURTHER_ACTION,
    PoliceReferral.Status.WITHDRAWN,
)


def police_contact_current() -> PoliceContact | None:
    return PoliceContact.objects.filter(active=True).order_by("pk").first()


def police_referral_make(*, case: Case, actor: Any = None) -> PoliceReferral:
    """Refer the case, or add its new incidents to the referral already open, and tell the named contact."""
    urgent = case.immediate_danger and not case.assessments.exists()
    referral = case.referrals.filter(status__in=PoliceReferral.OPEN_STATUSES).order_by("-referred_at").first()
    new_referral = referral is None
    if new_referral:
        contact = police_contact_current()
        referral = PoliceReferral.objects.create(
            case=case,
            contact=contact,
            urgent=urgent,
            referred_by=actor,
            reason=(
                "Immediate danger reported: referred before assessment."
                if urgent else f"Assessed as {case.get_level_display() or case.level}."
            ),
        )
    already = set(referral.incidents.values_list("pk", flat=True))
    added = [i for i in case.incidents.all() if i.pk not in already]
    referral.incidents.add(*added)
    contact = referral.contact
    summary = (
        f"Referred to the police{' urgently' if urgent else ''}"
        f"{f' ({contact.name}, {contact.force})' if contact else ' (no named contact is set up: phone 101 or 999)'}."
        if new_referral else f"{len(added)} further incident(s) added to the open police referral."
    )
    timeline_record(case=case, actor=actor, action="police_referral", summary=summary,
                    data={"referral": str(referral.pk), "urgent": urgent,
                          "incidents": [i.reference for i in added]},
                    shared_with_councillor=True)
    recipients: list[Any] = list(get_adapter().users_with_role(Role.POLICE_LIAISON))
    if contact is not None:
        recipients.append(contact)
    notify(
        event="police_referral_made",
        recipients=recipients,
        subject=f"{'URGENT ' if urgent else ''}Councillor safety referral {case.reference}",
        message=(
            f"Case {case.reference} has been referred to you"
            f"{' as an immediate danger' if urgent else ''}. Sign in to see the referral."
        ),
        context={"case": case.reference, "referral": str(referral.pk)},
    )
    signals.send_on_commit(signals.police_referral_made, referral=referral, urgent=urgent)
    return referral


def police_referral_open_for(case: Case) -> PoliceReferral:
    referral = case.referrals.filter(status__in=PoliceReferral.OPEN_STATUSES).order_by("-referred_at").first()
    if referral is None:
        raise InvalidInput("This case has no open police referral.", code="no_open_referral")
    return referral


def police_referral_acknowledge(
    *, case: Case, actor: Any, crime_reference: str = "", notes: str = ""
) -> PoliceReferral:
    referral = police_referral_open_for(case)
    referral.status = PoliceReferral.Status.ACKNOWLEDGED
    referral.acknowledged_at = timezone.now()
    referral.acknowledged_by = actor
    if crime_reference:
        referral.crime_reference = crime_reference
    if notes:
        referral.outcome_notes = notes
    referral.save()
    timeline_record(case=case, actor=actor, action="police_acknowledged",
                    summary="The police acknowledged the referral.",
                    decision=f"Crime reference {crime_reference}" if crime_reference else "",
                    reason=notes, shared_with_councillor=True)
    return referral


def police_referral_record_outcome(*, case: Case, actor: Any, status: str, crime_reference: str = "",
                                   notes: str = "") -> PoliceReferral:
    if status not in FINAL_STATUSES:
        raise InvalidInput(errors={"status": ["Not a final police outcome."]})
    referral = police_referral_open_for(case)
    referral.status = status
    if crime_reference:
        referral.crime_reference = crime_reference
    referral.outcome_notes = notes
    referral.outcome_recorded_at = timezone.now()
    referral.outcome_recorded_by = actor
    referral.save()
    timeline_record(case=case, actor=actor, action="police_outcome",
                    summary=f"Police outcome: {referral.get_status_display()}.",
                    decision=referral.get_status_display(), reason=notes, shared_with_councillor=True,
                    data={"crime_reference": referral.crime_reference})
    return referral


def police_referral_update(*, referral: PoliceReferral, actor: Any, status: str | None = None,
                           crime_reference: str | None = None, notes: str = "") -> PoliceReferral:
    """An interim update while the police work on it (e.g. under investigation, a crime reference).

    The named contact records it, or members services on the contact's behalf.
    """
    if not has_role(actor, Role.POLICE_LIAISON, Role.MEMBERS_SERVICES):
        raise Forbidden("Only the police contact or members services update referrals.")
    if referral.status not in PoliceReferral.OPEN_STATUSES:
        raise InvalidInput("This referral has its final outcome.", code="referral_closed")
    allowed = (PoliceReferral.Status.ACKNOWLEDGED, PoliceReferral.Status.INVESTIGATING)
    if status is not None and status not in allowed:
        raise InvalidInput(errors={"status": ["Final outcomes are recorded by the police-outcome task."]})
    changes = []
    if status and status != referral.status:
        referral.status = status
        changes.append(f"status {referral.get_status_display()}")
    if crime_reference is not None and crime_reference != referral.crime_reference:
        referral.crime_reference = crime_reference
        changes.append(f"crime reference {crime_reference}")
    if not changes and not notes:
        raise InvalidInput("Nothing to update.", code="nothing_to_update")
    referral.save()
    timeline_record(case=referral.case, actor=actor, action="police_update",
                    summary="Police update: " + (", ".join(changes) or "note added") + ".",
                    reason=notes, shared_with_councillor=True)
    return referral
