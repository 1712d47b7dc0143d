"""The tasks API: my queue, what I may claim, claim / release / complete."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from viewflow.workflow.models import Task

from ..errors import Conflict
from ..flows import IncidentFlow, RegisterFlow
from ..roles import roles_for
from ..selectors.task_context import task_context
from ..selectors.tasks import (
    FLOW_VISIBILITY,
    case_tasks_open,
    human_nodes,
    task_get,
    task_queue,
    task_queue_of_case,
    tasks_overdue,
)
from ..services.tasks import task_claim, task_complete, task_release, task_roles
from . import fields
from .base import InputSerializer, SafetyAPIMixin, collection
from .serializers import CaseSummary, PersonOutput, RegisterEntrySummary, summary_columns
from .task_forms import TASK_FORMS, describe_fields, task_form

#: One summary serializer for every task of a page (building a serializer per row costs more than its output).
_CASE_SUMMARY = CaseSummary()


def task_list_columns(*, register: bool = True) -> list[str]:
    """What a page of tasks shows (``TaskOutput``), for ``QuerySet.only``: not the task's and process's data, nor
    the register entry's profile and reasons (``register=False``: a case's tasks, no register entry joined)."""
    columns = ["flow_task", "status", "created", "owner", "process", "deadline__due_at",
               *summary_columns("owner", "person"), *summary_columns("process__case", "case")]
    if register:
        columns += summary_columns("process__registerprocess__entry", "register_entry")
    return columns


class TaskOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    node = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    status = serializers.CharField()
    case = serializers.SerializerMethodField()
    register_entry = serializers.SerializerMethodField()
    complete_at = serializers.SerializerMethodField()
    owner = PersonOutput(allow_null=True)
    created = fields.DateTimeField()
    due_at = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    roles = serializers.SerializerMethodField()
    may_claim = serializers.SerializerMethodField()

    @extend_schema_field(CaseSummary(allow_null=True))
    def get_case(self, task: Any) -> Any:
        if getattr(task.flow_task, "flow_class", None) is not IncidentFlow:
            return None
        case = getattr(task.process, "case", None)
        return _CASE_SUMMARY.to_representation(case) if case is not None else None

    @extend_schema_field(RegisterEntrySummary(allow_null=True))
    def get_register_entry(self, task: Any) -> Any:
        process = _register_process(task)
        if process is None:
            return None
        return RegisterEntrySummary(process.entry).data

    def get_complete_at(self, task: Any) -> str:
        """Where to complete it: tasks/{id}/complete/, or the register entry's own operation."""
        process = _register_process(task)
        if process is None:
            return f"tasks/{task.pk}/complete/"
        operation = {"approve": "approve", "notify": "notification", "review": "review"}[task.flow_task.name]
        return f"register/entries/{process.entry_id}/{operation}/"

    def get_node(self, task: Any) -> str:
        return task.flow_task.name

    def get_title(self, task: Any) -> str:
        return str(task.flow_task.task_title or task.flow_task.name)

    def get_description(self, task: Any) -> str:
        return str(task.flow_task.task_description or "")

    def _deadline(self, task: Any) -> Any:
        return getattr(task, "deadline", None)

    @extend_schema_field(fields.DateTimeField(allow_null=True))
    def get_due_at(self, task: Any) -> Any:
        deadline = self._deadline(task)
        return fields.format_api_datetime(deadline.due_at) if deadline else None

    def get_overdue(self, task: Any) -> bool:
        deadline = self._deadline(task)
        return bool(deadline and task.status in ("NEW", "ASSIGNED") and deadline.due_at < timezone.now())

    def get_roles(self, task: Any) -> list[str]:
        return list(task_roles(task))

    def get_may_claim(self, task: Any) -> bool:
        user = self.context["request"].user
        return (
            task.status == "NEW" and task.owner_id is None
            and bool(self.context["roles"] & set(task_roles(task)))
            and user.is_authenticated
        )


class TaskDetailOutput(TaskOutput):
    fields = serializers.SerializerMethodField(method_name="describe_form",
                                               help_text="The fields tasks/{id}/complete/ takes, to build a form.")
    context = serializers.SerializerMethodField(method_name="describe_context",
                                                help_text="The case (or register entry) in front of the task.")

    def describe_form(self, task: Any) -> list[dict[str, Any]]:
        form = task_form(task)
        return describe_fields(form[0]()) if form else []

    def describe_context(self, task: Any) -> dict[str, Any]:
        return task_context(task, self.context["request"].user)


class TaskQuery(InputSerializer):
    scope = serializers.ChoiceField(choices=["all", "mine", "available"], required=False, default="all",
                                    help_text="mine: claimed by me; available: unclaimed tasks of my roles.")
    node = serializers.CharField(required=False, max_length=100, help_text="Only tasks of this node, e.g. assess.")
    case = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1,
                                    help_text="Only tasks of this case.")


COMPLETE_BODY = PolymorphicProxySerializer(
    component_name="TaskCompletion",
    serializers=sorted({serializer for serializer, _ in TASK_FORMS.values()}, key=lambda s: s.__name__),
    resource_type_field_name=None,
)

COMPLETE_RESULT = inline_serializer(
    name="TaskCompletionResult",
    fields={
        "task": TaskOutput(help_text="The task just completed."),
        "case": CaseSummary(help_text="The case as the completion left it."),
        "next_tasks": TaskOutput(many=True, help_text=(
            "Every open task of the case after this completion, whichever role it is for, so that a client needs "
            "no look-up between steps: `roles` says who carries each out and `may_claim` whether the caller may "
            "claim it (false for another role's task, or one someone has claimed).")),
    },
)


class TaskViewSet(SafetyAPIMixin, viewsets.GenericViewSet):
    """Human tasks of the workflows. Permission is checked here on every action: viewflow does not."""

    serializer_class = TaskOutput

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["roles"] = roles_for(self.request.user)
        return context

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular builds the schema
            return Task.objects.none()
        return task_queue(self.request.user)

    def get_object(self):
        return task_get(self.request.user, self.kwargs["pk"])

    @collection(TaskOutput, query=TaskQuery)
    def list(self, request: Request) -> Response:
        if self.query.get("case"):  # one case's tasks: a plain query on the indexed process id
            tasks = task_queue_of_case(request.user, self.query["case"], scope=self.query["scope"])
            tasks = tasks.only(*task_list_columns(register=False))
        else:
            tasks = task_queue(request.user, scope=self.query["scope"]).only(*task_list_columns())
        if self.query.get("node"):
            tasks = tasks.filter(flow_task__in=[n for flow in FLOW_VISIBILITY for n in human_nodes(flow)
                                                if n.name == self.query["node"]])
        page = self.paginate_queryset(tasks)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses=TaskDetailOutput)
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object()
        return Response(TaskDetailOutput(task, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=TaskOutput)
    @action(detail=True, methods=["post"])
    def claim(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object()
        _refresh_from(task, task_claim(task=task, user=request.user), request.user)
        return Response(self.get_serializer(task).data)

    @extend_schema(request=None, responses=TaskOutput)
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object()
        _refresh_from(task, task_release(task=task, user=request.user), request.user)
        return Response(self.get_serializer(task).data)

    @extend_schema(request=COMPLETE_BODY, responses=COMPLETE_RESULT)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        task = task_get(request.user, self.kwargs["pk"], related=())  # the checks need the row alone
        form = task_form(task)
        if form is None:
            raise Conflict(
                _("Complete this task at %(where)s")
                % {"where": TaskOutput(task, context=self.get_serializer_context()).data["complete_at"]},
                code="task_completed_elsewhere",
            )
        serializer = form[0](data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        done = task_complete(task=task, user=request.user, data=serializer.validated_data, handler=form[1])
        # What the completion left in memory answers: the task (read under the lock with its owner, deadline and
        # case) and the case as the handlers and the flow saved it; one query for the case's open tasks.
        case = done.process.coerced
        next_tasks = list(case_tasks_open(case.pk, with_case=False))
        for following in next_tasks:  # the case in memory: its summary needs no join
            following.process = done.process
        return Response({
            "task": self.get_serializer(done).data,
            "case": CaseSummary(case).data,
            "next_tasks": self.get_serializer(next_tasks, many=True).data,
        })

    @collection(TaskOutput)
    @action(detail=False, methods=["get"])
    def overdue(self, request: Request) -> Response:
        page = self.paginate_queryset(tasks_overdue(request.user))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


def _refresh_from(task: Task, done: Task, user: Any) -> None:
    """Copy what a transition changed onto the task read before it (with its owner, deadline and case)."""
    for field in ("status", "assigned", "started", "finished"):
        setattr(task, field, getattr(done, field))
    if done.owner_id != task.owner_id:
        task.owner = user if done.owner_id == user.pk else done.owner


def _register_process(task: Task) -> Any:
    """The register entry's process of a register task; None for a case's (read without a query)."""
    if getattr(task.flow_task, "flow_class", None) is not RegisterFlow:
        return None
    return getattr(task.process, "registerprocess", None)
