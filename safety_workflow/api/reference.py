"""Reference data: advice templates, the current decision table, the named police contacts."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import AdviceTemplate, DecisionTable, PoliceContact, ProtectedPerson
from ..services.case_tasks import decision_table_current
from .base import InputSerializer, ModelOutput, SafetyAPIMixin, collection


class AdviceTemplateOutput(ModelOutput):
    for_kinds = serializers.ListField(child=serializers.ChoiceField(choices=ProtectedPerson.Kind.choices),
                                      help_text="The kinds of person it is written for; empty: everyone.")

    class Meta:
        model = AdviceTemplate
        fields = ["code", "title", "topic", "body", "title_cy", "body_cy", "for_kinds"]
        extra_kwargs = {"title": {"help_text": "In English."}, "body": {"help_text": "In English."},
                        "title_cy": {"help_text": "In Welsh (blank: not written in Welsh)."},
                        "body_cy": {"help_text": "In Welsh (blank: not written in Welsh)."}}


class AdviceTemplateQuery(InputSerializer):
    kind = serializers.ChoiceField(choices=ProtectedPerson.Kind.choices, required=False,
                                   help_text="Only advice for this kind of person (and advice for everyone).")


class AdviceTemplateList(SafetyAPIMixin, GenericAPIView):
    access_name = "advice-templates"
    serializer_class = AdviceTemplateOutput

    @collection(AdviceTemplateOutput, query=AdviceTemplateQuery)
    def get(self, request: Request) -> Response:
        templates = list(AdviceTemplate.objects.filter(active=True).order_by("code"))
        kind = self.query.get("kind")
        if kind:  # a handful of templates: filtered here, the same on every database
            templates = [t for t in templates if not t.for_kinds or kind in t.for_kinds]
        page = self.paginate_queryset(templates)
        return self.get_paginated_response(AdviceTemplateOutput(page, many=True).data)


class QuestionOutput(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.SerializerMethodField(help_text="In the language of Accept-Language (English where no Welsh "
                                                       "is written).")
    help_text = serializers.SerializerMethodField()
    kind = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField())

    def get_text(self, question: Any) -> str:
        return question.text_in()[0]

    def get_help_text(self, question: Any) -> str:
        return question.text_in()[1]


class RuleOutput(serializers.Serializer):
    description = serializers.CharField()
    conditions = serializers.DictField()
    level = serializers.CharField()


class DecisionTableOutput(ModelOutput):
    questions = QuestionOutput(many=True)
    rules = RuleOutput(many=True)

    class Meta:
        model = DecisionTable
        fields = ["version", "title", "status", "default_level", "routes", "notes", "published_at", "questions",
                  "rules"]


class CurrentDecisionTable(SafetyAPIMixin, APIView):
    """The published version of the predetermined process, as assessors will use it."""

    access_name = "decision-table"

    @extend_schema(responses=DecisionTableOutput)
    def get(self, request: Request) -> Response:
        return Response(DecisionTableOutput(decision_table_current()).data)


class PoliceContactOutput(ModelOutput):
    class Meta:
        model = PoliceContact
        fields = ["name", "force", "role_title", "email", "phone"]


class PoliceContactList(SafetyAPIMixin, APIView):
    """Whom to call: everyone with a role in the process may see the named police contacts."""

    access_name = "police-contacts"

    @extend_schema(responses=inline_serializer("PoliceContacts", {"contacts": PoliceContactOutput(many=True),
                                                                  "emergency": serializers.CharField()}))
    def get(self, request: Request) -> Response:
        contacts: Any = PoliceContact.objects.filter(active=True)
        return Response({
            "contacts": PoliceContactOutput(contacts, many=True).data,
            "emergency": _("In an emergency call 999. Report crimes on 101 or online and keep the crime "
                           "reference."),
        })
