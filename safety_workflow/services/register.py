"""The register's life: proposing, deciding, notifying, reviewing, removing and erasing entries.

Every decision is recorded on the entry's history (:class:`RegisterEntryEvent`) with who, when
and why, and the state changes go through RegisterFlow's tasks. Grants are in
``services.register_grants``; the check is in ``services.register_check``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from .. import matching, signals
from ..adapter import get_adapter
from ..conf import app_settings
from ..errors import Conflict, Forbidden, InvalidInput
from ..i18n import notice_text
from ..models import (
    AccessLogEntry,
    Case,
    Incident,
    RegisterAddress,
    RegisterAlias,
    RegisterEntry,
    RegisterEntryEvent,
    RegisterEntryGroupGrant,
    RegisterEntryUserGrant,
    RegisterMatchKey,
    RegisterMitigation,
    Subject,
)
from ..notifications import notify
from ..roles import roles_for
from ..selectors.register import REGISTER_OFFICER_ROLES, may_propose_entries
from .audit import access_log_record
from .references import sequence_next
from .tasks import task_complete

State = RegisterEntry.State
OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED)


# Helpers ---------------------------------------------------------------------------------
def register_reference_next() -> str:
    year = timezone.localdate().year
    number = sequence_next(key=f"register:{year}")
    return get_adapter().format_register_reference(year=year, number=number)


def _require_role(actor: Any, roles: Iterable[str], message: str, *, code: str) -> None:
    if not roles_for(actor) & set(roles):
        raise Forbidden(message, code=code)


def _require_reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(errors={field: [_("Give the reason: it is what the decision is defended with.")]},
                           code="reason_required")
    return reason


def _event(entry: RegisterEntry, *, action: str, summary: str, actor: Any = None, reason: str = "",
           incident: Incident | None = None) -> RegisterEntryEvent:
    return RegisterEntryEvent.objects.create(
        entry=entry, actor=actor if getattr(actor, "pk", None) else None, action=action,
        summary=summary[:300], reason=reason, incident=incident,
    )


def _changed(entry: RegisterEntry, change: str) -> None:
    signals.send_on_commit(signals.register_entry_changed, entry=entry, change=change)


def _notify_officers(*, event: str, text: Callable[[], tuple[str, str]], entry: RegisterEntry,
                     exclude: Any = None) -> None:
    """``text()`` gives the subject and the message, written in the notice language (``i18n.notice_text``)."""
    subject, message = notice_text(text)
    adapter = get_adapter()
    recipients = {u.pk: u for role in REGISTER_OFFICER_ROLES for u in adapter.users_with_role(role)}
    if exclude is not None:
        recipients.pop(exclude.pk, None)
    # Identifiers only: the notice says where to look, never who the entry is about.
    notify(event=event, recipients=list(recipients.values()), subject=subject, message=message,
           context={"register_entry": entry.reference})


def _open_task(entry: RegisterEntry, node: str) -> Task:
    tasks = Task.objects.filter(process__registerprocess__entry=entry, status__in=OPEN_TASK_STATUSES)
    for task in tasks.order_by("-created", "-pk"):
        if task.flow_task is not None and task.flow_task.name == node:
            return task
    raise Conflict(_("This register entry is not at that step."), code="register_entry_wrong_step")


def _review_interval() -> dt.timedelta:
    return dt.timedelta(days=int(app_settings.REGISTER_REVIEW_INTERVAL_DAYS))


def _erase_after(today: dt.date) -> dt.date:
    """When a removed or refused entry is erased: RETENTION["register_entry"] after the decision."""
    from ..retention import schedule

    return schedule()["register_entry"].expires(today)


def _clean_mitigations(mitigations: list[dict[str, str]]) -> list[dict[str, str]]:
    if not mitigations:
        raise InvalidInput(errors={"mitigations": [_("Give at least one mitigation: it is what staff are told.")]},
                           code="register_entry_invalid")
    cleaned, errors = [], []
    for item in mitigations:
        kind, detail = item.get("kind"), (item.get("detail") or "").strip()
        if kind not in RegisterMitigation.Kind.values:
            errors.append(_("Unknown mitigation %(kind)s.") % {"kind": repr(kind)})
        elif kind in RegisterMitigation.NEEDS_DETAIL and not detail:
            errors.append(_("Say which: %(mitigation)s needs a detail.")
                          % {"mitigation": RegisterMitigation.Kind(kind).label})
        cleaned.append({"kind": kind, "detail": detail})
    if errors:
        raise InvalidInput(errors={"mitigations": errors}, code="register_entry_invalid")
    return cleaned


def _clean_contact(name: str, phone: str, email: str) -> tuple[str, str, str]:
    name, phone, email = (name or "").strip(), (phone or "").strip(), (email or "").strip()
    if not name or not (phone or email):
        raise InvalidInput(errors={"advice_contact": [_("Give whom staff should call: a name and a phone number "
                                                      "or an e-mail address.")]}, code="register_entry_invalid")
    return name, phone, email


def _set_mitigations(entry: RegisterEntry, mitigations: list[dict[str, str]]) -> None:
    RegisterMitigation.objects.filter(entry=entry).delete()
    RegisterMitigation.objects.bulk_create(
        RegisterMitigation(entry=entry, kind=m["kind"], detail=m["detail"], order=n)
        for n, m in enumerate(mitigations)
    )


def _set_aliases(entry: RegisterEntry, aliases: Iterable[str]) -> None:
    RegisterAlias.objects.filter(entry=entry).delete()
    names = []
    for name in aliases:
        name = (name or "").strip()
        if name and name not in names:
            names.append(name)
    RegisterAlias.objects.bulk_create(RegisterAlias(entry=entry, name=name) for name in names)


def _set_addresses(entry: RegisterEntry, addresses: Iterable[dict[str, str]]) -> None:
    RegisterAddress.objects.filter(entry=entry).delete()
    rows = []
    for item in addresses:
        address = (item.get("address") or "").strip()
        postcode = matching.postcode_in(item.get("postcode") or "") or matching.postcode_in(address)
        if item.get("postcode") and not postcode:
            raise InvalidInput(errors={"addresses": [
                _("%(postcode)s is not a UK postcode.") % {"postcode": repr(item["postcode"])}]},
                               code="register_entry_invalid")
        if address or postcode:
            rows.append(RegisterAddress(entry=entry, address=address, postcode=postcode))
    RegisterAddress.objects.bulk_create(rows)


def register_entry_index(*, entry: RegisterEntry) -> None:
    """Rebuild the entry's matching profile, and its keys while it is checkable (none otherwise)."""
    names = [entry.subject.full_name if entry.subject else ""]
    names += list(entry.aliases.values_list("name", flat=True))
    addresses = list(entry.addresses.values_list("address", "postcode"))
    profile, keys = matching.entry_profile(names=names, date_of_birth=entry.date_of_birth, addresses=addresses)
    entry.match_profile = profile
    entry.save(update_fields=["match_profile"])
    RegisterMatchKey.objects.filter(entry=entry).delete()
    if entry.is_checkable:
        RegisterMatchKey.objects.bulk_create(RegisterMatchKey(entry=entry, key=key) for key in sorted(keys))


def register_entries_reindex(*, batch_size: int = 500) -> int:
    """Refile every entry not erased (profile and keys), batch by batch: after an upgrade of the matching
    or a change of REGISTER_NAME_VARIANTS. Returns how many entries were refiled. For the reindex command."""
    entries = (RegisterEntry.objects.exclude(state=State.ERASED).select_related("subject")
               .prefetch_related("aliases", "addresses").order_by("pk"))
    batch: list[RegisterEntry] = []
    count = 0
    for entry in entries.iterator(chunk_size=batch_size):
        batch.append(entry)
        if len(batch) == batch_size:
            count += _refile(batch)
            batch = []
    return count + (_refile(batch) if batch else 0)


def _refile(entries: list[RegisterEntry]) -> int:
    keys = []
    for entry in entries:
        names = [entry.subject.full_name if entry.subject else ""] + [a.name for a in entry.aliases.all()]
        addresses = [(a.address, a.postcode) for a in entry.addresses.all()]
        entry.match_profile, entry_keys = matching.entry_profile(names=names, date_of_birth=entry.date_of_birth,
                                                                 addresses=addresses)
        if entry.is_checkable:
            keys += [RegisterMatchKey(entry=entry, key=key) for key in sorted(entry_keys)]
    with transaction.atomic():
        RegisterEntry.objects.bulk_update(entries, ["match_profile"])
        RegisterMatchKey.objects.filter(entry__in=entries).delete()
        RegisterMatchKey.objects.bulk_create(keys, batch_size=5_000)
    return len(entries)


def register_entries_follow_subject(*, subject: Subject, actor: Any = None) -> list[RegisterEntry]:
    """The subject's names changed (e.g. an alias was recorded): every entry of theirs still in force or
    awaiting a decision takes the aliases it lacks (recorded on its history) and is filed again, so the
    check finds the person by the new name at once. An alias an officer removed from the entry stays
    removed until it is recorded on the subject again."""
    changed = []
    with transaction.atomic():
        entries = RegisterEntry.objects.select_for_update().filter(subject=subject, state__in=RegisterEntry.LIVE)
        for entry in entries.order_by("pk"):
            have = set(entry.aliases.values_list("name", flat=True))
            new = [name for name in subject.aliases.values_list("name", flat=True) if name not in have]
            if new:
                RegisterAlias.objects.bulk_create(RegisterAlias(entry=entry, name=name) for name in new)
                _event(entry, action="changed", actor=actor,
                       summary=f"Aliases recorded on the subject added: {', '.join(new)}.")
            register_entry_index(entry=entry)
            changed.append(entry)
    for entry in changed:
        _changed(entry, "changed")
    return changed


# Proposal and decision -------------------------------------------------------------------------------
def register_entry_propose(
    *,
    actor: Any,
    subject: Subject,
    incidents: Iterable[Incident],
    reasons: str,
    mitigations: list[dict[str, str]],
    advice_contact_name: str,
    advice_contact_phone: str = "",
    advice_contact_email: str = "",
    words_used: str = "",
    date_of_birth: dt.date | None = None,
    aliases: Iterable[str] = (),
    addresses: Iterable[dict[str, str]] = (),
    case: Case | None = None,
) -> RegisterEntry:
    """Propose an entry. It must rest on recorded incidents about this subject, with the reasons.

    The subject's recorded aliases and date of birth are used unless others are given. Starts
    RegisterFlow: the entry waits for someone other than ``actor`` to approve it.
    """
    if not may_propose_entries(actor):
        raise Forbidden(_("Health and safety propose register entries."), code="register_propose_not_permitted")
    incidents = list(incidents)
    errors: dict[str, list[str]] = {}
    if not subject.full_name:
        errors["subject"] = [_("An unidentified subject cannot be put on the register: record their name first.")]
    if not incidents:
        errors["incidents"] = [_("An entry must rest on at least one recorded incident.")]
    elif any(incident.subject_id != subject.pk for incident in incidents):
        errors["incidents"] = [_("Every incident must be about this subject.")]
    if not (reasons or "").strip():
        errors["reasons"] = [_("Say why this person is a risk: the reasons are what the entry is defended with.")]
    if case is not None and case.subject_id != subject.pk:
        errors["case"] = [_("This case is about another subject.")]
    if errors:
        if "incidents" in errors and incidents:
            raise InvalidInput(_("The entry cannot be proposed."), errors=errors, code="incident_not_about_subject")
        raise InvalidInput(_("The entry cannot be proposed."), errors=errors, code="register_entry_invalid")
    mitigations = _clean_mitigations(mitigations)
    name, phone, email = _clean_contact(advice_contact_name, advice_contact_phone, advice_contact_email)
    from ..flows import RegisterFlow

    try:
        with transaction.atomic():
            if RegisterEntry.objects.filter(subject=subject, state__in=RegisterEntry.LIVE).exists():
                raise Conflict(_("This subject already has an entry in force or awaiting a decision."),
                               code="register_entry_exists")
            entry = RegisterEntry.objects.create(
                reference=register_reference_next(), subject=subject, case=case, reasons=reasons.strip(),
                words_used=(words_used or "").strip(), date_of_birth=date_of_birth or subject.date_of_birth,
                advice_contact_name=name, advice_contact_phone=phone, advice_contact_email=email,
                proposed_by=actor,
            )
            entry.incidents.set(incidents)
            _set_mitigations(entry, mitigations)
            _set_aliases(entry, [*subject.aliases.values_list("name", flat=True), *aliases])
            _set_addresses(entry, addresses)
            register_entry_index(entry=entry)
            _event(entry, action="proposed", actor=actor, reason=entry.reasons,
                   summary=f"Proposed on {len(incidents)} incident(s): "
                   + ", ".join(sorted(i.reference for i in incidents)))
            RegisterFlow.start.run(entry=entry)
    except IntegrityError:
        raise Conflict(_("This subject already has an entry in force or awaiting a decision."),
                       code="register_entry_exists") from None
    _notify_officers(event="register_entry_proposed", entry=entry, exclude=actor,
                     text=lambda: (_("Register entry %(entry)s awaits approval") % {"entry": entry.reference},
                                   _("Register entry %(entry)s has been proposed. Sign in to decide on it.")
                                   % {"entry": entry.reference}))
    _changed(entry, "proposed")
    return entry


def register_entry_decide(*, entry: RegisterEntry, actor: Any, approve: bool, reason: str = "") -> RegisterEntry:
    """Approve or refuse a proposed entry. Never by the person who proposed it."""
    _require_role(actor, REGISTER_OFFICER_ROLES, _("Only the monitoring officer or health and safety decide."),
                  code="register_decide_not_permitted")
    if not approve:
        reason = _require_reason(reason)
    if entry.proposed_by_id == actor.pk:
        raise Forbidden(_("An entry must be approved by someone other than the person who proposed it."),
                        code="approver_is_proposer")
    if entry.state != State.PROPOSED:
        raise Conflict(_("This entry is not awaiting approval."), code="register_entry_wrong_step")

    def handler(*, activation: Any, user: Any, data: dict[str, Any]) -> None:
        current = RegisterEntry.objects.get(pk=entry.pk)
        if current.state != State.PROPOSED:
            raise Conflict(_("This entry is not awaiting approval."), code="register_entry_wrong_step")
        today = timezone.localdate()
        current.decided_by, current.decided_at, current.decision_reason = user, timezone.now(), reason.strip()
        if approve:
            current.state = State.APPROVED
            current.review_due_on = today + _review_interval()
        else:
            current.state = State.REJECTED
            current.erase_after = _erase_after(today)
        current.save()
        register_entry_index(entry=current)
        _event(current, action="approved" if approve else "refused", actor=user, reason=reason.strip(),
               summary=(f"Approved; review due {current.review_due_on:%d %B %Y}." if approve
                        else f"Not approved; kept until {current.erase_after:%d %B %Y}, then erased."))

    task_complete(task=_open_task(entry, "approve"), user=actor, data={}, handler=handler)
    entry.refresh_from_db()
    _changed(entry, "approved" if approve else "rejected")
    return entry


def register_entry_record_notification(
    *, entry: RegisterEntry, actor: Any, method: str, notified_on: dt.date | None = None,
    reference: str = "", reason: str = "",
) -> RegisterEntry:
    """Record that the individual was told in writing (how, when), or why they were not."""
    _require_role(actor, REGISTER_OFFICER_ROLES, _("Only the monitoring officer or health and safety record this."),
                  code="register_notify_not_permitted")
    if method not in RegisterEntry.Notification.values:
        raise InvalidInput(errors={"method": [_("Not a way of telling the individual.")]})
    if method == RegisterEntry.Notification.NOT_NOTIFIED:
        reason = _require_reason(reason)
        notified_on, reference = None, ""
    else:
        if notified_on is None:
            raise InvalidInput(errors={"notified_on": [_("Give the date the individual was told.")]})
        if notified_on > timezone.localdate():
            raise InvalidInput(errors={"notified_on": [_("This is in the future.")]})
        reason = ""
    if entry.state != State.APPROVED:
        raise Conflict(_("This entry is not awaiting notification."), code="register_entry_wrong_step")

    def handler(*, activation: Any, user: Any, data: dict[str, Any]) -> None:
        current = RegisterEntry.objects.get(pk=entry.pk)
        current.notification, current.notified_on = method, notified_on
        current.notification_reference, current.not_notified_reason = reference.strip(), reason
        current.notification_recorded_by = user
        current.state = State.ACTIVE
        current.save()
        label = RegisterEntry.Notification(method).label
        _event(current, action="notified" if not reason else "not_notified", actor=user, reason=reason,
               summary=(f"Individual told: {label} on {notified_on:%d %B %Y}." if not reason
                        else "Individual not told: telling them would create a risk."))

    task_complete(task=_open_task(entry, "notify"), user=actor, data={}, handler=handler)
    entry.refresh_from_db()
    _changed(entry, "notified")
    return entry


# Reviews -------------------------------------------------------------------------------------------
def register_entry_mark_review_due(*, entry: RegisterEntry, early_by: Any = None, reason: str = "") -> None:
    """RegisterFlow's ``active`` step ends: the review task opens. Called by the flow only."""
    current = RegisterEntry.objects.get(pk=entry.pk)
    if current.state != State.ACTIVE:
        raise Conflict(_("This entry is not in force."), code="register_entry_wrong_step")
    current.state = State.REVIEW_DUE
    current.save(update_fields=["state"])
    if early_by is not None:
        _event(current, action="review_brought_forward", actor=early_by, reason=reason,
               summary="Review brought forward.")
    else:
        _event(current, action="review_due", summary=f"Review due ({current.review_due_on:%d %B %Y}).")
        _notify_officers(event="register_review_due", entry=current,
                         text=lambda: (_("Register entry %(entry)s is due for review") % {"entry": current.reference},
                                       _("Register entry %(entry)s is due for review. Sign in to review it.")
                                       % {"entry": current.reference}))
    _changed(current, "review_due")


def register_reviews_open(*, today: dt.date | None = None) -> list[RegisterEntry]:
    """Open the review task of every entry in force whose review date has come. For the reviews command."""
    from ..flows import RegisterFlow

    today = today or timezone.localdate()
    opened = []
    for entry in RegisterEntry.objects.filter(state=State.ACTIVE, review_due_on__lte=today).order_by("review_due_on"):
        try:
            RegisterFlow.active.run(_open_task(entry, "active"))
        except Conflict:
            continue  # changed since the query (reviewed, reset): nothing to do
        opened.append(entry)
    return opened


def register_entry_review(*, entry: RegisterEntry, actor: Any, decision: str, reason: str) -> RegisterEntry:
    """Renew the entry (the threat remains; next review in REGISTER_REVIEW_INTERVAL_DAYS) or remove it.

    An entry in force whose review is not yet due is reviewed early: the review is brought
    forward and decided in one step (removal must not wait for the review date).
    """
    from ..flows import RegisterFlow

    _require_role(actor, REGISTER_OFFICER_ROLES, _("Only the monitoring officer or health and safety review entries."),
                  code="register_review_not_permitted")
    if decision not in ("renew", "remove"):
        raise InvalidInput(errors={"decision": [_('Choose "renew" or "remove".')]})
    reason = _require_reason(reason)
    if entry.state not in (State.ACTIVE, State.REVIEW_DUE):
        raise Conflict(_("Only an entry in force can be reviewed."), code="register_entry_wrong_step")

    def handler(*, activation: Any, user: Any, data: dict[str, Any]) -> None:
        current = RegisterEntry.objects.get(pk=entry.pk)
        now = timezone.now()
        today = timezone.localdate(now)
        current.last_reviewed_at, current.last_reviewed_by = now, user
        if decision == "renew":
            current.state = State.ACTIVE
            current.review_due_on = max(today + _review_interval(), current.review_due_on or today)
            summary = f"Renewed; next review due {current.review_due_on:%d %B %Y}."
        else:
            current.state = State.REMOVED
            current.removed_at, current.removed_by, current.removal_reason = now, user, reason
            current.erase_after = _erase_after(today)
            summary = f"Removed from the register; kept until {current.erase_after:%d %B %Y}, then erased."
        current.save()
        register_entry_index(entry=current)
        _event(current, action="renewed" if decision == "renew" else "removed", actor=user, reason=reason,
               summary=summary)

    with transaction.atomic():
        if entry.state == State.ACTIVE:
            RegisterFlow.active.run(_open_task(entry, "active"), early_by=actor, reason=reason)
        task_complete(task=_open_task(entry, "review"), user=actor, data={}, handler=handler)
    entry.refresh_from_db()
    _changed(entry, "renewed" if decision == "renew" else "removed")
    return entry


def register_review_reset_for_subject(*, subject: Subject, incident: Incident) -> list[RegisterEntry]:
    """A new incident about ``subject``: their entry's review moves to REGISTER_REVIEW_INTERVAL_DAYS
    after it (Durham: 12 months, reset by a new incident). Call when an incident is linked to a subject.

    An entry whose review was already due goes back into force (its open review task is
    cancelled). Earlier dates never replace later ones, so calling twice changes nothing.
    """
    from ..flows import RegisterFlow

    changed = []
    states = (State.APPROVED, State.ACTIVE, State.REVIEW_DUE)
    for entry in RegisterEntry.objects.filter(subject=subject, state__in=states).select_related("process"):
        with transaction.atomic(), RegisterFlow.lock(entry.process.pk):
            current = RegisterEntry.objects.get(pk=entry.pk)
            new_due = timezone.localdate(incident.occurred_at) + _review_interval()
            if current.state not in states or (current.review_due_on and new_due <= current.review_due_on):
                continue
            current.review_due_on = new_due
            current.save(update_fields=["review_due_on"])
            if current.state == State.REVIEW_DUE and new_due > timezone.localdate():
                review = _open_task(current, "review")
                review.flow_task.activation_class(review).cancel()
                RegisterFlow.instance.active._create(review.flow_task.activation_class(review), review.token)
                current.state = State.ACTIVE
                current.save(update_fields=["state"])
            _event(current, action="review_reset", incident=incident,
                   summary=f"New incident {incident.reference}: review now due {new_due:%d %B %Y}.")
            changed.append(current)
            _changed(current, "review_reset")
    return changed


def register_review_correct_for_subject(*, subject: Subject, left: list[Incident], actor: Any,
                                        reason: str) -> list[RegisterEntry]:
    """Incidents were found not to be about ``subject`` (a correction): their entry no longer counts them.

    The review date is worked out again without them: REGISTER_REVIEW_INTERVAL_DAYS after the approval,
    the last review, or the subject's latest remaining incident, whichever is latest. An entry in force
    whose corrected date has passed falls due for review at once. An entry that rests on one of the
    incidents has lost part of its basis: the event says so and, for an entry in force, the review is
    brought forward; the register's officers are told (identifiers only).
    """
    from ..flows import RegisterFlow

    changed = []
    left_ids = {i.pk for i in left}
    refs = ", ".join(sorted(i.reference for i in left))
    for entry in RegisterEntry.objects.filter(subject=subject, state__in=RegisterEntry.LIVE).select_related("process"):
        with transaction.atomic(), RegisterFlow.lock(entry.process.pk):
            current = RegisterEntry.objects.get(pk=entry.pk)
            if current.state not in RegisterEntry.LIVE:
                continue
            touched = False
            rests_on = sorted(i.reference for i in current.incidents.all() if i.pk in left_ids)
            if rests_on:
                _event(current, action="basis_questioned", actor=actor, reason=reason,
                       summary=f"Incident(s) {', '.join(rests_on)}, on which this entry rests, were found not to be "
                               "about this person: the entry must be reviewed.")
                touched = True
            if current.state in RegisterEntry.CHECKABLE:
                due = _review_due_recomputed(current, subject)
                if due != current.review_due_on:
                    was = current.review_due_on
                    current.review_due_on = due
                    current.save(update_fields=["review_due_on"])
                    _event(current, action="review_corrected", actor=actor, reason=reason,
                           summary=f"Incident(s) {refs} no longer count: review now due {due:%d %B %Y}"
                                   + (f" (was {was:%d %B %Y})." if was else "."))
                    touched = True
            if current.state == State.ACTIVE and (rests_on or (current.review_due_on
                                                               and current.review_due_on <= timezone.localdate())):
                early = {"early_by": actor, "reason": reason} if rests_on else {}
                RegisterFlow.active.run(_open_task(current, "active"), **early)
            if touched:
                _notify_officers(event="register_entry_corrected", entry=current, exclude=actor,
                                 text=lambda current=current: (
                                     _("Register entry %(entry)s: a correction") % {"entry": current.reference},
                                     _("Incidents behind register entry %(entry)s were corrected. Sign in to see "
                                       "what changed.") % {"entry": current.reference}))
                changed.append(current)
                _changed(current, "corrected")
    return changed


def _review_due_recomputed(entry: RegisterEntry, subject: Subject) -> dt.date:
    """The review date as if only the subject's current incidents had ever reset it."""
    interval = _review_interval()
    candidates = []
    if entry.decided_at:
        candidates.append(timezone.localdate(entry.decided_at) + interval)
    if entry.last_reviewed_at:
        candidates.append(timezone.localdate(entry.last_reviewed_at) + interval)
    latest = Incident.objects.filter(subject=subject).order_by("-occurred_at").values_list("occurred_at",
                                                                                         flat=True).first()
    if latest is not None:
        candidates.append(timezone.localdate(latest) + interval)
    return max(candidates) if candidates else timezone.localdate() + interval


# Changes, erasure ---------------------------------------------------------------------------------
def register_entry_update(
    *, entry: RegisterEntry, actor: Any, reason: str, mitigations: list[dict[str, str]] | None = None,
    aliases: list[str] | None = None, addresses: list[dict[str, str]] | None = None,
    advice_contact_name: str | None = None, advice_contact_phone: str | None = None,
    advice_contact_email: str | None = None, request: Any = None,
) -> RegisterEntry:
    """Change what staff are told (mitigations, whom to call) or what the check matches on
    (aliases, addresses). The reasons and incidents are the approved basis: they do not change."""
    _require_role(actor, REGISTER_OFFICER_ROLES, _("Only the monitoring officer or health and safety change entries."),
                  code="register_change_not_permitted")
    reason = _require_reason(reason)
    if entry.state not in RegisterEntry.LIVE:
        raise Conflict(_("Only an entry in force or awaiting a decision can be changed."),
                       code="register_entry_wrong_step")
    changed = []
    with transaction.atomic():
        current = RegisterEntry.objects.select_for_update().get(pk=entry.pk)
        if mitigations is not None:
            _set_mitigations(current, _clean_mitigations(mitigations))
            changed.append("mitigations")
        if any(v is not None for v in (advice_contact_name, advice_contact_phone, advice_contact_email)):
            name, phone, email = _clean_contact(
                current.advice_contact_name if advice_contact_name is None else advice_contact_name,
                current.advice_contact_phone if advice_contact_phone is None else advice_contact_phone,
                current.advice_contact_email if advice_contact_email is None else advice_contact_email,
            )
            current.advice_contact_name, current.advice_contact_phone, current.advice_contact_email = name, phone, email
            current.save(update_fields=["advice_contact_name", "advice_contact_phone", "advice_contact_email"])
            changed.append("advice contact")
        if aliases is not None:
            _set_aliases(current, aliases)
            changed.append("aliases")
        if addresses is not None:
            _set_addresses(current, addresses)
            changed.append("addresses")
        if not changed:
            raise InvalidInput(_("Nothing to change."), code="nothing_to_update")
        if "aliases" in changed or "addresses" in changed:
            register_entry_index(entry=current)
        _event(current, action="changed", actor=actor, reason=reason, summary=f"Changed: {', '.join(changed)}.")
        access_log_record(actor=actor, action=AccessLogEntry.Action.CHANGE, object_type="register_entry",
                          object_id=current.pk, object_repr=current.reference, purpose=reason,
                          result="changed", request=request, data={"changed": changed})
    _changed(current, "changed")
    return current


def _retention_label() -> str:
    from ..retention import schedule

    return schedule()["register_entry"].label


def register_entry_erase_now(*, entry: RegisterEntry, actor: Any = None) -> None:
    """Erase the personal data of an entry past retention, keeping a tombstone (reference, dates,
    decisions and who made them) and the access log. Called by RegisterFlow's ``retained`` step."""
    current = RegisterEntry.objects.select_for_update().get(pk=entry.pk)
    if current.state not in RegisterEntry.RETAINED:
        raise Conflict(_("Only a removed or refused entry can be erased."), code="register_entry_wrong_step")
    counts = {
        "incidents": current.incidents.count(),
        "grants": RegisterEntryUserGrant.objects.filter(content_object=current).count()
        + RegisterEntryGroupGrant.objects.filter(content_object=current).count(),
    }
    previous_state = current.state
    for model in (RegisterMitigation, RegisterAlias, RegisterAddress, RegisterMatchKey):
        model.objects.filter(entry=current).delete()
    RegisterEntryUserGrant.objects.filter(content_object=current).delete()
    RegisterEntryGroupGrant.objects.filter(content_object=current).delete()
    current.incidents.clear()
    # The history keeps what was done, when and by whom; its reasons and summaries (which name incidents
    # and grantees) go.
    RegisterEntryEvent.objects.filter(entry=current).update(reason="", incident=None, summary=F("action"))
    for field in ("reasons", "words_used", "advice_contact_name", "advice_contact_phone", "advice_contact_email",
                  "decision_reason", "notification_reference", "not_notified_reason", "removal_reason"):
        setattr(current, field, "")
    current.subject, current.case, current.date_of_birth, current.match_profile = None, None, None, {}
    current.state, current.erased_at = State.ERASED, timezone.now()
    current.save()
    _event(current, action="erased", actor=actor, summary="Personal data erased at the end of the retention period.")
    access_log_record(actor=actor, action=AccessLogEntry.Action.ERASE, object_type="register_entry",
                      object_id=current.pk, object_repr=current.reference, result="erased",
                      purpose=f"Retention period ended ({_retention_label()}; the entry was {previous_state}).",
                      data=counts)
    _changed(current, "erased")


def register_entries_erase_due(*, today: dt.date | None = None) -> list[RegisterEntry]:
    """Erase every removed or refused entry whose retention period has ended, unless a legal hold keeps it.

    The register's part of the disposal run (``services.retention``): each erasure is in the disposal log.
    """
    from .retention import retention_dispose

    now = timezone.now()
    if today is not None:
        now = now.replace(year=today.year, month=today.month, day=today.day)
    report = retention_dispose(now=now, kinds=["register_entry"])
    references = report.disposed.get("register_entry", [])
    return list(RegisterEntry.objects.filter(reference__in=references).order_by("erase_after"))
