"""The tasks API: my queue, what I may claim, claim / release / complete."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from viewflow.workflow.models import Task

from ..errors import Conflict
from ..models import Case
from ..roles import roles_for
from ..selectors.task_context import task_context
from ..selectors.tasks import FLOW_VISIBILITY, human_nodes, task_get, task_queue, tasks_overdue
from ..services.tasks import task_claim, task_complete, task_release, task_roles
from .base import SafetyAPIMixin
from .serializers import CaseRefOutput, PersonOutput
from .task_forms import TASK_FORMS, describe_fields, task_form


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
    created = serializers.DateTimeField()
    due_at = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    roles = serializers.SerializerMethodField()
    may_claim = serializers.SerializerMethodField()

    @extend_schema_field(CaseRefOutput(allow_null=True))
    def get_case(self, task: Any) -> Any:
        case = getattr(task.process, "case", None)
        return CaseRefOutput(case).data if case is not None else None

    @extend_schema_field(inline_serializer("RegisterEntryRef", {"id": serializers.UUIDField(),
                                                                "reference": serializers.CharField()},
                                           allow_null=True))
    def get_register_entry(self, task: Any) -> Any:
        process = getattr(task.process, "registerprocess", None)
        if process is None:
            return None
        return {"id": str(process.entry_id), "reference": process.entry.reference}

    def get_complete_at(self, task: Any) -> str:
        """Where to complete it: tasks/{id}/complete/, or the register entry's own operation."""
        process = getattr(task.process, "registerprocess", None)
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

    def get_due_at(self, task: Any) -> Any:
        deadline = self._deadline(task)
        return serializers.DateTimeField().to_representation(deadline.due_at) if deadline else None

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
    fields = serializers.SerializerMethodField(method_name="describe_form")
    context = serializers.SerializerMethodField(method_name="describe_context")

    def describe_form(self, task: Any) -> list[dict[str, Any]]:
        form = task_form(task)
        return describe_fields(form[0]()) if form else []

    def describe_context(self, task: Any) -> dict[str, Any]:
        return task_context(task, self.context["request"].user)


COMPLETE_BODY = PolymorphicProxySerializer(
    component_name="TaskCompletion",
    serializers=sorted({serializer for serializer, _ in TASK_FORMS.values()}, key=lambda s: s.__name__),
    resource_type_field_name=None,
)

COMPLETE_RESULT = inline_serializer(
    name="TaskCompletionResult",
    fields={"task": TaskOutput(), "case": CaseRefOutput(), "next_tasks": TaskOutput(many=True)},
)


class TaskViewSet(SafetyAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Human tasks of the workflows. Permission is checked here on every action: viewflow does not."""

    serializer_class = TaskOutput

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["roles"] = roles_for(self.request.user)
        return context

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular builds the schema
            return Task.objects.none()
        scope = self.request.query_params.get("scope", "all")
        tasks = task_queue(self.request.user, scope=scope if scope in ("mine", "available") else "all")
        node = self.request.query_params.get("node")
        if node:
            tasks = tasks.filter(flow_task__in=[n for flow in FLOW_VISIBILITY for n in human_nodes(flow)
                                                if n.name == node])
        case = self.request.query_params.get("case")
        if case and case.isdigit():
            tasks = tasks.filter(process_id=int(case))
        return tasks

    def get_object(self):
        return task_get(self.request.user, self.kwargs["pk"])

    @extend_schema(
        parameters=[
            OpenApiParameter("scope", str, enum=["all", "mine", "available"],
                             description="mine: claimed by me; available: unclaimed tasks of my roles."),
            OpenApiParameter("node", str, description="Only tasks of this node, e.g. assess."),
            OpenApiParameter("case", int, description="Only tasks of this case."),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=TaskDetailOutput)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        task = self.get_object()
        return Response(TaskDetailOutput(task, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=TaskOutput)
    @action(detail=True, methods=["post"])
    def claim(self, request: Request, pk: str | None = None) -> Response:
        task = task_claim(task=self.get_object(), user=request.user)
        return Response(self.get_serializer(task_get(request.user, task.pk)).data)

    @extend_schema(request=None, responses=TaskOutput)
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: str | None = None) -> Response:
        task = task_release(task=self.get_object(), user=request.user)
        return Response(self.get_serializer(task_get(request.user, task.pk)).data)

    @extend_schema(request=COMPLETE_BODY, responses=COMPLETE_RESULT)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object()
        form = task_form(task)
        if form is None:
            raise Conflict(
                f"Complete this task at {TaskOutput(task, context=self.get_serializer_context()).data['complete_at']}",
                code="task_completed_elsewhere",
            )
        serializer = form[0](data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        done = task_complete(task=task, user=request.user, data=serializer.validated_data, handler=form[1])
        case = Case.objects.get(pk=done.process_id)
        next_tasks = task_queue(request.user).filter(process_id=case.pk)
        return Response({
            "task": self.get_serializer(task_get(request.user, done.pk)).data,
            "case": CaseRefOutput(case).data,
            "next_tasks": self.get_serializer(next_tasks, many=True).data,
        })

    @extend_schema(responses=TaskOutput(many=True))
    @action(detail=False, methods=["get"])
    def overdue(self, request: Request) -> Response:
        page = self.paginate_queryset(tasks_overdue(request.user))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
