"""Signals a host can connect to, to notify people through its own channels.

The package itself publishes each of them as a webhook event to the host platforms subscribed
(``webhooks.py``, docs/integration.md).

All are sent from services once the transaction that made the change has committed, so a
receiver never sees a change that was rolled back. Arguments are keyword-only:

- ``incident_reported(incident, case, linked_to_open_case: bool)``
- ``case_routed(case, assessment)``: after an assessment routes a case (advice, council action, police)
- ``police_referral_made(referral, urgent: bool)``
- ``case_closed(case)``
- ``task_overdue(task, deadline)``: from the ``safety_workflow_overdue`` command
- ``register_entry_changed(entry, change: str)``: proposed, approved, rejected, notified, review_due,
  review_reset, corrected, renewed, removed, changed, erased
- ``bundle_ready(bundle)``
- ``course_of_conduct_flagged(flag)``: a subject reached two incidents against one person (a CourseOfConductFlag)
- ``escalation_signal_noticed(escalation)``: an escalation signal was noticed for the first time (an EscalationSignal)
- ``course_of_conduct_withdrawn(flag)``: a correction withdrew a flag (``flag.withdrawal_reason`` says why)
- ``escalation_signal_withdrawn(escalation)``: a correction withdrew an escalation signal
- ``case_corrected(case, correction: str, incidents: list, actor)``: an incident's subject was unlinked
  (``correction="subject_unlinked"``) or incidents were split out of the case (``"split"``)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.dispatch import Signal

incident_reported = Signal()
case_routed = Signal()
police_referral_made = Signal()
case_closed = Signal()
task_overdue = Signal()
register_entry_changed = Signal()
bundle_ready = Signal()
course_of_conduct_flagged = Signal()
escalation_signal_noticed = Signal()
course_of_conduct_withdrawn = Signal()
escalation_signal_withdrawn = Signal()
case_corrected = Signal()


def send_on_commit(signal: Signal, **kwargs: Any) -> None:
    on_commit_in_round(lambda: signal.send(sender=None, **kwargs))


# After-commit work of one transaction, run together --------------------------------------------------------------
# Everything a transaction queues with ``on_commit_in_round`` (the signals above, the webhook events of its timeline
# rows) runs once it commits, in the order queued, sharing one memo for that run: what every event needs looked up
# (the webhook subscriptions) is looked up once per commit instead of once per event. A transaction rolled back
# leaves its round unstarted (Django drops its callbacks), and the next transaction's work joins it harmlessly: the
# memo is only filled by callbacks that run.
_rounds = threading.local()


class _Round:
    __slots__ = ("started", "memo")

    def __init__(self) -> None:
        self.started = False
        self.memo: dict[str, Any] = {}


def on_commit_in_round(func: Callable[[], Any]) -> None:
    """Run ``func`` once the current transaction commits (at once outside one), as part of that commit's round."""
    current = getattr(_rounds, "registering", None)
    if current is None or current.started:
        current = _rounds.registering = _Round()
    round_ = current

    def run() -> None:
        round_.started = True
        outer = getattr(_rounds, "running", None)
        _rounds.running = round_
        try:
            func()
        finally:
            _rounds.running = outer

    transaction.on_commit(run, robust=True)


def round_memo() -> dict[str, Any] | None:
    """The memo of the round running now (inside after-commit work queued with ``on_commit_in_round``), or None."""
    current = getattr(_rounds, "running", None)
    return current.memo if current is not None else None
