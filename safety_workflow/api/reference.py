"""Reference data: advice templates, the current decision table, the named police contacts."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..errors import NotFound
from ..models import AdviceTemplate, DecisionTable, PoliceContact
from ..roles import CASE_OFFICER_ROLES, Role, roles_for
from ..services.case_tasks import decision_table_current
from .base import SafetyAPIMixin


class AdviceTemplateOutput(serializers.ModelSerializer):
    class Meta:
        model = AdviceTemplate
        fields = ["code", "title", "topic", "body"]


class AdviceTemplateList(SafetyAPIMixin, APIView):
    pagination_class = None

    @extend_schema(responses=AdviceTemplateOutput(many=True))
    def get(self, request: Request) -> Response:
        if not roles_for(request.user) & CASE_OFFICER_ROLES:
            raise NotFound()
        return Response(AdviceTemplateOutput(AdviceTemplate.objects.filter(active=True), many=True).data)


class QuestionOutput(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    help_text = serializers.CharField()
    kind = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField())


class RuleOutput(serializers.Serializer):
    description = serializers.CharField()
    conditions = serializers.DictField()
    level = serializers.CharField()


class DecisionTableOutput(serializers.ModelSerializer):
    questions = QuestionOutput(many=True)
    rules = RuleOutput(many=True)

    class Meta:
        model = DecisionTable
        fields = ["version", "title", "status", "default_level", "routes", "notes", "published_at", "questions",
                  "rules"]


class CurrentDecisionTable(SafetyAPIMixin, APIView):
    """The published version of the predetermined process, as assessors will use it."""

    @extend_schema(responses=DecisionTableOutput)
    def get(self, request: Request) -> Response:
        if not roles_for(request.user) & (CASE_OFFICER_ROLES | {Role.LEGAL}):
            raise NotFound()
        return Response(DecisionTableOutput(decision_table_current()).data)


class PoliceContactOutput(serializers.ModelSerializer):
    class Meta:
        model = PoliceContact
        fields = ["name", "force", "role_title", "email", "phone"]


class PoliceContactList(SafetyAPIMixin, APIView):
    """Whom to call: everyone with a role in the process may see the named police contacts."""

    @extend_schema(responses=inline_serializer("PoliceContacts", {"contacts": PoliceContactOutput(many=True),
                                                                  "emergency": serializers.CharField()}))
    def get(self, request: Request) -> Response:
        if not roles_for(request.user):
            raise NotFound()
        contacts: Any = PoliceContact.objects.filter(active=True)
        return Response({
            "contacts": PoliceContactOutput(contacts, many=True).data,
            "emergency": "In an emergency call 999. Report crimes on 101 or online and keep the crime reference.",
        })
