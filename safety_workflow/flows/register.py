"""RegisterFlow: one register entry's life. Orchestration only: the services decide and write.

propose (start) -> approve (a different person) -> notify the individual, or record why not
-> active (waits until the review falls due) -> review -> renew (back to active) | remove
-> retained (waits out the retention period) -> erased -> end. A refused proposal is retained
and erased the same way.

The waiting steps are ``Handle`` nodes run by the management commands
(``safety_workflow_register_reviews``, ``safety_workflow_register_erase``) or, for an early review,
by ``services.register.register_entry_review``. Node and flow names are stored in the database
as strings: renaming one is a data migration.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import nodes
from viewflow.workflow.base import Flow

from ..models import RegisterEntry, RegisterProcess
from ..roles import Role
from .base import HumanTask
from .lock import process_row_lock

#: Who decides on entries: the monitoring officer, or health and safety (never the proposer).
REGISTER_DECIDERS = (Role.MONITORING_OFFICER, Role.HEALTH_AND_SAFETY)


class RegisterFlow(Flow):
    """The Potentially Violent Persons Register entry, from proposal to erasure."""

    process_class = RegisterProcess
    lock_impl = process_row_lock
    process_title = _("Register entry")

    start = nodes.StartHandle(this.start_entry).Next(this.approve)

    approve = HumanTask(
        roles=REGISTER_DECIDERS,
        title=_("Approve or refuse the register entry"),
        description=_("Someone other than the proposer checks the incidents and reasons and decides."),
    ).Next(this.after_approve)
    after_approve = nodes.If(this.is_approved).Then(this.notify).Else(this.retained)

    notify = HumanTask(
        roles=REGISTER_DECIDERS,
        title=_("Tell the individual in writing, or record why not"),
    ).Next(this.active)

    active = nodes.Handle(this.review_falls_due).Next(this.review)

    review = HumanTask(
        roles=REGISTER_DECIDERS,
        title=_("Review the register entry"),
        description=_("Renew it if the threat remains; remove it if not."),
    ).Next(this.after_review)
    after_review = nodes.If(this.is_renewed).Then(this.active).Else(this.retained)

    retained = nodes.Handle(this.erase_entry).Next(this.end)
    end = nodes.End()

    # Node functions: orchestration only.
    def start_entry(self, activation: Any, *, entry: RegisterEntry) -> RegisterProcess:
        activation.process.entry = entry
        return activation.process

    def review_falls_due(self, activation: Any, **kwargs: Any) -> None:
        from ..services.register import register_entry_mark_review_due

        register_entry_mark_review_due(entry=activation.process.entry, **kwargs)

    def erase_entry(self, activation: Any, **kwargs: Any) -> None:
        from ..services.register import register_entry_erase_now

        register_entry_erase_now(entry=activation.process.entry, **kwargs)

    # Conditions.
    def is_approved(self, activation: Any) -> bool:
        return activation.process.entry.state == RegisterEntry.State.APPROVED

    def is_renewed(self, activation: Any) -> bool:
        return activation.process.entry.state == RegisterEntry.State.ACTIVE
