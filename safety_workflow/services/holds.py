"""Legal holds: placed, reviewed and released by the monitoring officer or legal, each step logged."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import Conflict, Forbidden, InvalidInput
from ..models import AccessLogEntry, LegalHold
from ..selectors.retention import hold_target_get, may_manage_holds
from .audit import access_log_record

TARGETS = ("case", "subject", "register_entry")
Action = AccessLogEntry.Action


def _require_manager(actor: Any) -> None:
    if not may_manage_holds(actor):
        raise Forbidden(_("Legal holds are placed, reviewed and released by the monitoring officer or legal."),
                        code="hold_not_permitted")


def _reason(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(errors={field: [_("Give the reason: it is what keeping the records is defended with.")]},
                           code="reason_required")
    return value


def _review_on(value: dt.date | None) -> dt.date:
    today = timezone.localdate()
    if value is None:
        raise InvalidInput(errors={"review_on": [_("Give the date by which the hold must be reviewed.")]})
    if value <= today:
        raise InvalidInput(errors={"review_on": [_("The review date must be in the future.")]})
    if value > today + dt.timedelta(days=3 * 366):
        raise InvalidInput(errors={"review_on": [_("Review a hold at least every three years.")]})
    return value


def _log(hold: LegalHold, *, actor: Any, action: str, purpose: str, request: Any) -> None:
    target = hold.case or hold.subject or hold.register_entry
    subject = hold.subject_id or getattr(target, "subject_id", None)
    access_log_record(actor=actor, action=action, object_type=hold.target_kind, object_id=target.pk,
                      object_repr=getattr(target, "reference", "") or str(target.pk), purpose=purpose,
                      result=hold.state, request=request, subject=subject,
                      data={"hold": str(hold.pk), "review_on": hold.review_on.isoformat()})


def legal_hold_place(*, actor: Any, target: str, target_id: Any, reason: str, review_on: dt.date | None,
                     request: Any = None) -> LegalHold:
    """Hold a case, a subject or a register entry: nothing it covers is disposed of until the hold is released."""
    _require_manager(actor)
    if target not in TARGETS:
        raise InvalidInput(errors={"target": [_("Hold one of: %(targets)s.") % {"targets": ", ".join(TARGETS)}]})
    reason, review_on = _reason(reason, "reason"), _review_on(review_on)
    record = hold_target_get(actor, target, target_id)
    with transaction.atomic():
        hold = LegalHold.objects.create(**{target: record}, reason=reason, review_on=review_on, placed_by=actor)
        _log(hold, actor=actor, action=Action.HOLD, purpose=reason, request=request)
    return hold


def legal_hold_review(*, hold: LegalHold, actor: Any, note: str, review_on: dt.date | None,
                      request: Any = None) -> LegalHold:
    """Keep the hold, with why, and set the next review date."""
    _require_manager(actor)
    note, review_on = _reason(note, "note"), _review_on(review_on)
    with transaction.atomic():
        current = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if current.state != LegalHold.State.ACTIVE:
            raise Conflict(_("This hold has been released."), code="hold_released")
        current.review_on, current.review_note = review_on, note
        current.last_reviewed_at, current.last_reviewed_by = timezone.now(), actor
        current.review_notified_on = None
        current.save(update_fields=["review_on", "review_note", "last_reviewed_at", "last_reviewed_by",
                                    "review_notified_on"])
        _log(current, actor=actor, action=Action.HOLD_REVIEW, purpose=note, request=request)
    return current


def legal_hold_release(*, hold: LegalHold, actor: Any, reason: str, request: Any = None) -> LegalHold:
    """End the hold: the records it covered are disposed of when their own periods end."""
    _require_manager(actor)
    reason = _reason(reason, "reason")
    with transaction.atomic():
        current = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if current.state != LegalHold.State.ACTIVE:
            raise Conflict(_("This hold has already been released."), code="hold_released")
        current.state = LegalHold.State.RELEASED
        current.released_at, current.released_by, current.release_reason = timezone.now(), actor, reason
        current.save(update_fields=["state", "released_at", "released_by", "release_reason"])
        _log(current, actor=actor, action=Action.HOLD_RELEASE, purpose=reason, request=request)
    return current
