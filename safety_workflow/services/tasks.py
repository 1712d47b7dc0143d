"""Human tasks: due times, claiming, releasing and completing, with our own permission checks.

viewflow does not check permissions when its transitions are called from code, so every
function here checks the caller's role and the case's visibility before it touches the task.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from .. import sla
from ..adapter import get_adapter
from ..conf import app_settings
from ..errors import Conflict, Forbidden
from ..i18n import notice_text
from ..models import TaskDeadline
from ..notifications import notify
from ..roles import roles_for


@contextmanager
def task_activation(task: Task) -> Iterator[Any]:
    """viewflow's ``task.activation()`` with the task and its process read in one query under the lock.

    viewflow re-reads the task, then its process, then the process's own row (three statements); here one
    query reads all three (the flow's process class is a child table of viewflow's process), with the task's
    owner and due time, so that the task can be shown afterwards without reading it again.
    """
    flow_class = task.flow_task.flow_class
    related = _process_path(flow_class)
    # The service's own transaction (a savepoint only when a caller's transaction surrounds it): what the
    # transition and its handler wrote is undone as one if they fail; the lock adds no savepoint of its own.
    with transaction.atomic(), flow_class.lock(task.process_id):
        fresh = Task.objects.select_related(*related).get(pk=task.pk)
        yield task.flow_task.activation_class(fresh)


def _process_path(flow_class: Any) -> tuple[str, ...]:
    from viewflow.workflow.models import Process

    process_class = flow_class.process_class
    if process_class is Process or process_class._meta.proxy:
        return ("owner", "deadline", "process")
    return ("owner", "deadline", f"process__{process_class._meta.model_name}")


def task_deadline_set(*, task: Task) -> TaskDeadline | None:
    """Give a newly created human task its due time from ``SAFETY_WORKFLOW["SLA"]``."""
    node_name = task.flow_task.name
    spec = app_settings.SLA.get(node_name)
    if not spec:
        return None
    due = sla.due_at(task.created, spec, get_adapter().is_working_day)
    return TaskDeadline.objects.create(task=task, due_at=due, sla=node_name)


def task_roles(task: Task) -> tuple[str, ...]:
    return tuple(getattr(task.flow_task, "roles", ()))


def user_may_work_on(user: Any, task: Task) -> bool:
    return bool(roles_for(user) & set(task_roles(task)))


def _check_open_and_permitted(task: Task, user: Any) -> None:
    if task.status in (STATUS.DONE, STATUS.CANCELED, STATUS.REVIVED):
        raise Conflict(_("This task has already been completed or cancelled."), code="task_already_completed")
    if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
        raise Conflict(_("This task cannot be worked on now."), code="task_not_open")
    if not user_may_work_on(user, task):
        raise Forbidden(_("Your role does not carry out this task."), code="task_wrong_role")


def task_claim(*, task: Task, user: Any) -> Task:
    with task_activation(task) as activation:
        _check_open_and_permitted(activation.task, user)
        if activation.task.owner_id is not None:
            if activation.task.owner_id == user.pk:
                return activation.task
            raise Conflict(_("Someone else has claimed this task."), code="task_claimed_by_other")
        activation.assign(user)
        activation.task.assigned = timezone.now()
        activation.task.save(update_fields=["assigned"])
        return activation.task


def task_release(*, task: Task, user: Any) -> Task:
    with task_activation(task) as activation:
        _check_open_and_permitted(activation.task, user)
        if activation.task.owner_id != user.pk:
            raise Conflict(_("Only the person who claimed a task can release it."), code="task_not_yours")
        activation.unassign()
        return activation.task


def task_complete(
    *,
    task: Task,
    user: Any,
    data: dict[str, Any],
    handler: Callable[..., None],
) -> Task:
    """Claim if needed, run ``handler(activation=..., user=..., data=...)``, and move the flow on.

    Runs under the case's flow lock: of two people completing the same task, the second finds it
    done and gets ``task_already_completed`` (409); nothing it sent is written.
    """
    with task_activation(task) as activation:
        _check_open_and_permitted(activation.task, user)
        if activation.task.owner_id not in (None, user.pk):
            raise Conflict(_("Someone else has claimed this task."), code="task_claimed_by_other")
        if activation.task.owner_id is None:
            activation.assign(user)
            activation.task.assigned = timezone.now()
        activation.start(None)
        handler(activation=activation, user=user, data=data)
        activation.execute()
        return activation.task


def tasks_overdue_notify(*, tasks: list[Task], now: Any = None) -> int:
    """Tell the owner, or else the holders of the task's roles, about each task not yet notified."""
    from .. import signals

    now = now or timezone.now()
    adapter = get_adapter()
    count = 0
    for task in tasks:
        deadline = task.deadline
        if deadline.overdue_notified_at is not None:
            continue
        recipients = [task.owner] if task.owner else [
            user for role in task_roles(task) for user in adapter.users_with_role(role)
        ]
        reference = getattr(getattr(task.process, "case", None), "reference", task.process_id)
        subject, message = notice_text(lambda task=task, reference=reference, deadline=deadline: (
            _("Overdue: %(task)s (%(reference)s)") % {"task": task.flow_task.task_title, "reference": reference},
            _("The task ‘%(task)s’ for %(reference)s was due at %(due)s.")
            % {"task": task.flow_task.task_title, "reference": reference,
               "due": date_format(timezone.localtime(deadline.due_at), "j M Y H:i")}))
        notify(
            event="task_overdue",
            recipients=recipients,
            subject=subject,
            message=message,
            context={"task": task.pk},
        )
        TaskDeadline.objects.filter(pk=deadline.pk).update(overdue_notified_at=now)
        signals.task_overdue.send(sender=None, task=task, deadline=deadline)
        count += 1
    return count
