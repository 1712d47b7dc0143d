"""Police referrals: made at once for serious cases and immediate danger, then acknowledged and closed out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import signals
from ..adapter import get_adapter
from ..errors import Forbidden, InvalidInput
from ..i18n import notice_text
from ..models import Case, ElectionPeriod, Incident, PoliceContact, PoliceReferral
from ..notifications import notify
from ..roles import Role, has_role
from ..selectors.cases import referral_election_period
from .audit import timeline_entry, timeline_record, timeline_record_many

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
    """Refer the case, or add its new incidents to the referral already open, and tell the named contact.

    ``actor`` is whoever caused the referral (the assessor, the triage officer, the reporter in immediate
    danger, the officer who split the case): the referral and its timeline step name them, with the reason.
    """
    urgent = case.immediate_danger and not case.assessments.exists()
    carried = (case.data or {}).get("carried_referral") if not case.assessments.exists() else None
    referral = police_referral_open_for(case, required=False)
    new_referral = referral is None
    # The timeline step is shared with the people harmed: it gives why in the process's words, never an
    # officer's free text (which may name the subject); the referral itself keeps that.
    shared_reason = ""
    if new_referral:
        if carried:
            shared_reason = (f"The incidents were in the police referral of case {carried['case']} "
                             f"({carried['referral']}) and were split out of it into this case.")
            reason = f"{shared_reason} {carried['reason']}"
        elif urgent:
            reason = "Immediate danger reported: referred before assessment."
        else:
            reason = f"Assessed as {case.get_level_display() or case.level}."
        referral = PoliceReferral.objects.create(
            case=case, contact=police_contact_current(), urgent=urgent, referred_by=_user(actor), reason=reason,
        )
    else:
        reason = (f"Assessed as {case.get_level_display() or case.level}: the case's further incidents are added "
                  "to the referral already open.")
    already = set(referral.incidents.values_list("pk", flat=True))
    added = [i for i in case.incidents.order_by("occurred_at") if i.pk not in already]
    referral.incidents.add(*added)
    contact = referral.contact
    election = referral_election_period(referral)
    summary = (
        f"Referred to the police{' urgently' if urgent else ''}"
        f"{f' ({contact.name}, {contact.force})' if contact else ' (no named contact is set up: phone 101 or 999)'}."
        if new_referral else f"{len(added)} further incident(s) added to the open police referral."
    )
    timeline_record(case=case, actor=actor, action="police_referral", summary=summary,
                    reason=shared_reason or reason,
                    data={"referral": str(referral.pk), "urgent": urgent,
                          "incidents": [i.reference for i in added]},
                    shared_with_councillor=True)

    def text() -> tuple[str, str]:
        values = {"case": case.reference, "count": len(added)}
        in_election = (" " + _("It falls in the election period of the %(election)s (polling day %(poll_date)s).")
                       % {"election": election.name, "poll_date": date_format(election.poll_date, "j F Y")}
                       if election else "")
        subject = _("Councillor safety referral %(case)s") % values
        if election:
            subject = _("ELECTION PERIOD %(subject)s") % {"subject": subject}
        if urgent:
            subject = _("URGENT %(subject)s") % {"subject": subject}
        if not new_referral:
            message = (ngettext("%(count)s further incident of case %(case)s has been added to its referral.",
                                "%(count)s further incidents of case %(case)s have been added to its referral.",
                                len(added)) % values) + in_election + " " + _("Sign in to see them.")
        elif urgent:
            message = (_("Case %(case)s has been referred to you as an immediate danger.") % values + in_election
                       + " " + _("Sign in to see the referral."))
        else:
            message = (_("Case %(case)s has been referred to you.") % values + in_election + " "
                       + _("Sign in to see the referral."))
        return subject, message

    _tell_police(referral=referral, event="police_referral_made", text=text, election=election)
    signals.send_on_commit(signals.police_referral_made, referral=referral, urgent=urgent)
    return referral


def police_referral_incidents_leave(*, referral: PoliceReferral, incidents: list[Incident], actor: Any,
                                    reason: str, moved_to: Case | None = None) -> PoliceReferral:
    """A correction takes incidents out of an open referral: record it on the case and tell the police.

    A referral left with no incident is withdrawn (its outcome says why): there is nothing left for the
    police to act on in this case.
    """
    referral.incidents.remove(*incidents)
    refs = ", ".join(i.reference for i in incidents)
    where = f" They are now in case {moved_to.reference}." if moved_to is not None else ""
    timeline_record(case=referral.case, actor=actor, action="police_referral_corrected",
                    summary=f"Incident(s) {refs} taken out of the police referral.{where}", reason=reason,
                    data={"referral": str(referral.pk), "left": [i.reference for i in incidents],
                          "moved_to": moved_to.reference if moved_to is not None else ""})
    withdrawn = not referral.incidents.exists()
    if withdrawn:
        referral.status = PoliceReferral.Status.WITHDRAWN
        referral.outcome_notes = f"Withdrawn: none of its incidents remain in case {referral.case.reference}. {reason}"
        referral.outcome_recorded_at = timezone.now()
        referral.outcome_recorded_by = _user(actor)
        referral.save(update_fields=["status", "outcome_notes", "outcome_recorded_at", "outcome_recorded_by"])
        timeline_record(case=referral.case, actor=actor, action="police_referral_withdrawn",
                        summary="Police referral withdrawn: none of its incidents remain in this case.",
                        reason=reason, data={"referral": str(referral.pk)})

    def text() -> tuple[str, str]:
        values = {"case": referral.case.reference, "incidents": refs,
                  "moved_to": moved_to.reference if moved_to is not None else ""}
        message = ngettext("Incident %(incidents)s is no longer part of the referral for case %(case)s.",
                           "Incidents %(incidents)s are no longer part of the referral for case %(case)s.",
                           len(incidents)) % values
        if moved_to is not None:
            message += " " + _("They are now in case %(moved_to)s.") % values
        if withdrawn:
            message += " " + _("The referral is withdrawn: nothing is left in it.")
        message += " " + _("Sign in to see why.")
        return _("Councillor safety referral %(case)s: incidents taken out") % values, message

    _tell_police(referral=referral, event="police_referral_corrected", text=text)
    return referral


def police_referral_merged(*, referral: PoliceReferral, target: Case, actor: Any) -> PoliceReferral:
    """The referral's case was merged into ``target``: the referral follows its incidents.

    It becomes ``target``'s referral, or, when ``target`` has an open referral of its own, its incidents
    join that one and it is closed as withdrawn (merged). The police contact is told either way.
    """
    source = referral.case
    existing = police_referral_open_for(target, required=False)
    if existing is None:
        referral.case = target
        referral.save(update_fields=["case"])
        kept = referral
        summary = f"The police referral of case {source.reference} now belongs to this case."
    else:
        existing.incidents.add(*referral.incidents.all())
        referral.status = PoliceReferral.Status.WITHDRAWN
        referral.outcome_notes = f"Merged into the open referral of case {target.reference}."
        referral.outcome_recorded_at = timezone.now()
        referral.outcome_recorded_by = _user(actor)
        referral.save(update_fields=["status", "outcome_notes", "outcome_recorded_at", "outcome_recorded_by"])
        kept = existing
        summary = f"The incidents of the police referral of case {source.reference} joined this case's referral."
    timeline_record_many([
        timeline_entry(case=case, actor=actor, action="police_referral_merged",
                       summary=summary if case == target else f"Police referral moved to case {target.reference}.",
                       data={"referral": str(kept.pk), "from": source.reference, "to": target.reference},
                       shared_with_councillor=True)
        for case in (source, target)
    ])
    values = {"source": source.reference, "target": target.reference}
    _tell_police(referral=kept, event="police_referral_merged", text=lambda: (
        _("Councillor safety referral %(source)s is now %(target)s") % values,
        _("Case %(source)s has been merged into case %(target)s (same person): its referral continues there. "
          "Sign in to see it.") % values))
    return kept


def police_referral_incidents_corrected(*, incident: Incident, actor: Any, reason: str) -> list[PoliceReferral]:
    """An incident in an open referral was found to be about someone else: tell the police contact."""
    referrals = list(incident.referrals.filter(status__in=PoliceReferral.OPEN_STATUSES).select_related("case",
                                                                                                       "contact"))
    timeline_record_many([
        timeline_entry(case=referral.case, incident=incident, actor=actor, action="police_referral_corrected",
                       summary=f"The police were told that incident {incident.reference} in their referral is "
                               "not about the person it was linked to.", reason=reason,
                       data={"referral": str(referral.pk), "incident": incident.reference})
        for referral in referrals
    ])
    for referral in referrals:
        values = {"case": referral.case.reference, "incident": incident.reference}
        _tell_police(referral=referral, event="police_referral_corrected", text=lambda values=values: (
            _("Councillor safety referral %(case)s: a correction") % values,
            _("Incident %(incident)s in the referral for case %(case)s was linked to the wrong person and has been "
              "corrected. Sign in to see the correction.") % values))
    return referrals


def _tell_police(*, referral: PoliceReferral, event: str, text: Callable[[], tuple[str, str]],
                 election: ElectionPeriod | None = None) -> None:
    """The named contact and the police liaison users: identifiers only, the detail is behind sign-in (and the
    election period, which forces run their election operations by). ``text()`` gives the subject and the
    message, written in the notice language (``i18n.notice_text``)."""
    subject, message = notice_text(text)
    recipients: list[Any] = list(get_adapter().users_with_role(Role.POLICE_LIAISON))
    if referral.contact is not None:
        recipients.append(referral.contact)
    context: dict[str, Any] = {"case": referral.case.reference, "referral": str(referral.pk)}
    if election is not None:
        context["election_period"] = election.pk
    notify(event=event, recipients=recipients, subject=subject, message=message, context=context)



def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def police_referral_open_for(case: Case, *, required: bool = True) -> PoliceReferral | None:
    """The case's open referral. ``required``: for the police tasks, which the flow creates only beside an
    open referral (a correction that withdraws it cancels them), so a missing one is a bug, not a refusal."""
    referral = case.referrals.filter(status__in=PoliceReferral.OPEN_STATUSES).order_by("-referred_at").first()
    if referral is None and required:
        raise RuntimeError(f"Case {case.reference} has a police task but no open referral.")
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
    referral.acknowledgement_notes = notes
    referral.save()
    timeline_record(case=case, actor=actor, action="police_acknowledged",
                    summary="The police acknowledged the referral.",
                    decision=f"Crime reference {crime_reference}" if crime_reference else "",
                    reason=notes, shared_with_councillor=True)
    return referral


def police_referral_record_outcome(*, case: Case, actor: Any, status: str, crime_reference: str = "",
                                   notes: str = "") -> PoliceReferral:
    if status not in FINAL_STATUSES:
        raise InvalidInput(errors={"status": [_("Not a final police outcome.")]})
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
        raise Forbidden(_("Only the police contact or members services update referrals."))
    if referral.status not in PoliceReferral.OPEN_STATUSES:
        raise InvalidInput(_("This referral has its final outcome."), code="referral_closed")
    allowed = (PoliceReferral.Status.ACKNOWLEDGED, PoliceReferral.Status.INVESTIGATING)
    if status is not None and status not in allowed:
        raise InvalidInput(errors={"status": [_("Final outcomes are recorded by the police-outcome task.")]})
    changes = []
    if status and status != referral.status:
        referral.status = status
        changes.append(f"status {referral.get_status_display()}")
    if crime_reference is not None and crime_reference != referral.crime_reference:
        referral.crime_reference = crime_reference
        changes.append(f"crime reference {crime_reference}")
    if not changes and not notes:
        raise InvalidInput(_("Nothing to update."), code="nothing_to_update")
    referral.save()
    timeline_record(case=referral.case, actor=actor, action="police_update",
                    summary="Police update: " + (", ".join(changes) or "note added") + ".",
                    reason=notes, shared_with_councillor=True)
    return referral
