"""Which human tasks a user may see and work on: their queue, what they may claim, what is overdue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from ..errors import Forbidden, NotFound
from ..flows import HumanTask, IncidentFlow, RegisterFlow
from ..models import RegisterProcess
from ..roles import roles_for
from .cases import cases_visible_to
from .common import get_or_not_found

OPEN = (STATUS.NEW, STATUS.ASSIGNED)
TASK_RELATED = ("owner", "deadline", "process__case", "process__registerprocess__entry")
TASK_ONE_RELATED = ("owner", "deadline", "process__case", "process__registerprocess")

def register_processes_visible_to(user: Any) -> QuerySet[RegisterProcess]:
    from .register import register_entries_visible_to

    return RegisterProcess.objects.filter(entry__in=register_entries_visible_to(user).values("pk"))


#: Flow class -> a function giving the processes of that flow a user may see.
FLOW_VISIBILITY: dict[Any, Callable[[Any], QuerySet]] = {
    IncidentFlow: cases_visible_to,
    RegisterFlow: register_processes_visible_to,
}


def human_nodes(flow_class: Any) -> list[HumanTask]:
    return [node for node in flow_class.instance.nodes() if isinstance(node, HumanTask)]


def _role_rule(user: Any) -> Q:
    """Tasks of nodes the user's roles carry out, in processes the user may see."""
    roles = roles_for(user)
    rule = Q(pk__in=[])
    for flow_class, visible in FLOW_VISIBILITY.items():
        nodes = [node for node in human_nodes(flow_class) if roles & set(node.roles)]
        if nodes:
            rule |= Q(flow_task__in=nodes, process__in=visible(user).values("pk"))
    return rule


def tasks_visible_to(user: Any) -> QuerySet[Task]:
    """Every human task (any status) the user owns or whose role they hold, in processes they see."""
    return (
        Task.objects.filter(Q(owner=user) | _role_rule(user), flow_task_type="HUMAN")
        .select_related(*TASK_RELATED)
    )


def task_queue(user: Any, *, scope: str = "all") -> QuerySet[Task]:
    """Open tasks: ``mine`` (claimed by me), ``available`` (unclaimed, I may claim) or ``all`` (both)."""
    tasks = tasks_visible_to(user).filter(status__in=OPEN)
    if scope == "mine":
        tasks = tasks.filter(owner=user)
    elif scope == "available":
        tasks = tasks.filter(owner__isnull=True)
    else:
        tasks = tasks.filter(Q(owner=user) | Q(owner__isnull=True))
    return tasks.order_by("deadline__due_at", "created", "pk")


def task_queue_of_case(user: Any, case_id: Any, *, scope: str = "all", sees_case: bool | None = None) -> QuerySet[Task]:
    """``task_queue(user, scope=scope)`` narrowed to one case, in a plain query on the task table's indexed
    process id: whether the user sees the case is settled first (no query for the roles that see every case,
    nor when the caller says so: ``sees_case=True`` for a case from ``case_get``), then the rule is the owner or
    the nodes of the user's roles, with no subquery per row."""
    if sees_case is None:
        visible = cases_visible_to(user)
        sees_case = not visible.query.where or visible.filter(pk=case_id).exists()
    rule = Q(owner=user)
    if sees_case:
        roles = roles_for(user)
        nodes = [node for node in human_nodes(IncidentFlow) if roles & set(node.roles)]
        if nodes:
            rule |= Q(flow_task__in=nodes)
    tasks = Task.objects.filter(rule, process_id=case_id, flow_task_type="HUMAN", status__in=OPEN)
    if scope == "mine":
        tasks = tasks.filter(owner=user)
    elif scope == "available":
        tasks = tasks.filter(owner__isnull=True)
    else:
        tasks = tasks.filter(Q(owner=user) | Q(owner__isnull=True))
    return tasks.select_related("owner", "deadline", "process__case").order_by("deadline__due_at", "created", "pk")


def case_tasks_open(case_id: Any, *, with_case: bool = True) -> QuerySet[Task]:
    """The open human tasks of one case, whoever's role they are for (the caller sees the case).

    ``with_case=False`` leaves the case out of the query, for a caller that has it in memory already."""
    related = ("owner", "deadline", "process__case") if with_case else ("owner", "deadline")
    return (
        Task.objects.filter(process_id=case_id, flow_task_type="HUMAN", status__in=OPEN)
        .select_related(*related)  # a case's: no register entry to join
        .order_by("deadline__due_at", "created", "pk")
    )


def tasks_overdue(user: Any | None = None, *, now: Any = None) -> QuerySet[Task]:
    """Open tasks past their due time; all of them when ``user`` is None (the cron command)."""
    now = now or timezone.now()
    if user is None:
        tasks = Task.objects.filter(flow_task_type="HUMAN").select_related(*TASK_RELATED)
    else:
        tasks = tasks_visible_to(user)
    return tasks.filter(status__in=OPEN, deadline__due_at__lt=now).order_by("deadline__due_at", "pk")


def tasks_of_processes_visible_to(user: Any) -> QuerySet[Task]:
    """Every human task of the cases (and register entries) the user may see, whoever carries it out."""
    rule = Q(pk__in=[])
    for flow_class, visible in FLOW_VISIBILITY.items():
        rule |= Q(flow_task__in=human_nodes(flow_class), process__in=visible(user).values("pk"))
    return Task.objects.filter(rule, flow_task_type="HUMAN")


def task_get(user: Any, task_id: Any, *, related: tuple[str, ...] = TASK_ONE_RELATED) -> Task:
    """A task the user may work on (or owns).

    A task of a case the user may see but for another role answers ``403 task_wrong_role``; a task
    of a case the user may not see answers ``404 not_found``, exactly as one that does not exist.
    Two plain statements at most (the task with what its summary shows, then whether its case is visible,
    unless the user's roles see every case), in place of the queue's whole rule compiled for one row.
    """
    # The register entry (a wide row) is read only for a register task's summary, when it is shown.
    task = get_or_not_found(Task.objects.filter(flow_task_type="HUMAN").select_related(*related), task_id)
    node = task.flow_task
    visible = FLOW_VISIBILITY.get(getattr(node, "flow_class", None))
    if visible is None or not isinstance(node, HumanTask):
        raise NotFound()
    if task.owner_id is not None and task.owner_id == user.pk:
        return task
    processes = visible(user)
    if processes.query.where and not processes.filter(pk=task.process_id).exists():
        raise NotFound()
    if roles_for(user) & set(node.roles):
        return task
    raise Forbidden(_("This task is for another role."), code="task_wrong_role")
