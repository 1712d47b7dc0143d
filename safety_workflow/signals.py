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
    transaction.on_commit(lambda: signal.send(sender=None, **kwargs), robust=True)
