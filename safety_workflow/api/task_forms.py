"""The input each IncidentFlow task needs: one serializer per node, and a description of its fields.

A task tells its client which fields it needs (``describe_fields``) so a host's page can build
the form; the same serializer validates what comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..flows import IncidentFlow
from ..models import (
    AdviceGiven,
    AdviceTemplate,
    Bundle,
    ContactHandle,
    ContactMethod,
    CouncilAction,
    Level,
    ProtectedPerson,
    SecurityMeasure,
    Subject,
)
from ..services import case_tasks
from ..services.police import FINAL_STATUSES
from . import fields
from .base import InputSerializer


@extend_schema_field(OpenApiTypes.STR)
class UserRef(serializers.PrimaryKeyRelatedField):
    """A user by primary key (its type is the host's: an integer, a UUID...)."""

    def get_queryset(self):
        return get_user_model()._default_manager.filter(is_active=True)


class HandleInput(InputSerializer):
    kind = serializers.ChoiceField(choices=ContactHandle.Kind.choices)
    platform = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    value = serializers.CharField(max_length=300)


class NewSubjectInput(InputSerializer):
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    date_of_birth = fields.DateField(required=False, allow_null=True, default=None)
    aliases = serializers.ListField(child=serializers.CharField(max_length=200), required=False, default=list)
    handles = HandleInput(many=True, required=False, default=list)

    def validate(self, attrs):
        if not (attrs["full_name"] or attrs["description"] or attrs["aliases"] or attrs["handles"]):
            raise serializers.ValidationError(_("Give a name, a description, an alias or a contact handle."))
        return attrs


class TriageInput(InputSerializer):
    subject = serializers.PrimaryKeyRelatedField(
        queryset=Subject.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("An existing subject this report is about."),
    )
    new_subject = NewSubjectInput(
        required=False, allow_null=True, default=None, help_text=_("Record a new subject instead.")
    )
    immediate_danger = serializers.BooleanField(required=False, default=False)
    ward = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["subject"] is not None and attrs["new_subject"]:
            raise serializers.ValidationError(_("Give an existing subject or a new one, not both."))
        return attrs


class AssessInput(InputSerializer):
    answers = serializers.DictField(help_text=_("Question key -> answer, for every question of the current table."))
    override_level = serializers.ChoiceField(choices=Level.choices, required=False, allow_blank=True, default="")
    override_reason = serializers.CharField(required=False, allow_blank=True, default="")
    propose_register = serializers.BooleanField(required=False, default=False)
    home_security = serializers.BooleanField(required=False, default=False)
    employee_assistance = serializers.BooleanField(required=False, default=False)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


def _person_in_case(help_text: str) -> serializers.PrimaryKeyRelatedField:
    return serializers.PrimaryKeyRelatedField(queryset=ProtectedPerson.objects.all(), required=False,
                                              allow_null=True, default=None, help_text=help_text)


class AdviceItemInput(InputSerializer):
    template = serializers.SlugRelatedField(
        slug_field="code",
        queryset=AdviceTemplate.objects.filter(active=True),
        required=False,
        allow_null=True,
        default=None,
    )
    protected_person = _person_in_case(_(
        "Whom this advice is for (someone harmed in the case); by default everyone in the case the template is "
        "written for."))
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    text = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["template"] is None and not (attrs["title"] and attrs["text"]):
            raise serializers.ValidationError(_("Choose a template, or write a title and the advice."))
        return attrs


class AdviseInput(InputSerializer):
    advice = AdviceItemInput(many=True, allow_empty=False)
    method = serializers.ChoiceField(choices=AdviceGiven.Method.choices)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class CouncilActionInput(InputSerializer):
    kind = serializers.ChoiceField(choices=CouncilAction.Kind.choices)
    reason = serializers.CharField()
    letter_sent_on = fields.DateField(required=False, allow_null=True, default=None)
    letter_reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    basis = serializers.ChoiceField(choices=CouncilAction.Basis.choices, required=False, allow_blank=True, default="")


class PrepareBundleInput(InputSerializer):
    bundle = serializers.PrimaryKeyRelatedField(
        queryset=Bundle.objects.all(), help_text=_("A ready injunction bundle for this case.")
    )
    claim_number = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    court = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class InjunctionOutcomeInput(InputSerializer):
    outcome = serializers.ChoiceField(choices=CouncilAction.Outcome.choices)
    outcome_on = fields.DateField()
    expires_on = fields.DateField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class PoliceAcknowledgeInput(InputSerializer):
    crime_reference = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class PoliceOutcomeInput(InputSerializer):
    status = serializers.ChoiceField(choices=[(s.value, s.label) for s in FINAL_STATUSES])
    crime_reference = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class CloseInput(InputSerializer):
    outcome_summary = serializers.CharField(help_text=_("The outcome as told to the people harmed."))
    person_informed = serializers.BooleanField(help_text=_("The people harmed have been told the outcome."))
    informed_by = serializers.ChoiceField(choices=ContactMethod.choices)


class RegisterProposalInput(InputSerializer):
    register_entry = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The entry proposed for this case's subject (POST register/entries/ with this case)."),
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Why no entry is proposed.")
    )

    def validate(self, attrs):
        if attrs["register_entry"] is None and not attrs["reason"].strip():
            raise serializers.ValidationError({"reason": _("Propose an entry, or say why not.")})
        return attrs


class MeasureInput(InputSerializer):
    description = serializers.CharField(max_length=300)
    status = serializers.ChoiceField(choices=SecurityMeasure.Status.choices, default=SecurityMeasure.Status.RECOMMENDED)
    completed_on = fields.DateField(required=False, allow_null=True, default=None)


class PriorityFlagInput(InputSerializer):
    address = serializers.CharField()
    postcode = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    police_reference = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    flagged_on = fields.DateField()
    review_due = fields.DateField()

    def validate(self, attrs):
        if attrs["review_due"] <= attrs["flagged_on"]:
            raise serializers.ValidationError({"review_due": _("The review must fall after the flag date.")})
        return attrs


class HomeSecurityInput(InputSerializer):
    protected_person = _person_in_case(_("Whose home (someone harmed in the case); by default the first of them."))
    assessed_on = fields.DateField()
    findings = serializers.CharField()
    measures = MeasureInput(many=True, required=False, default=list)
    priority_flag = PriorityFlagInput(required=False, allow_null=True, default=None)


class EmployeeAssistanceInput(InputSerializer):
    protected_person = _person_in_case(_("To whom it was offered (someone harmed in the case); by default "
                                         "everyone harmed in the case."))
    offered_on = fields.DateField()
    accepted = serializers.BooleanField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


#: IncidentFlow node name -> the serializer its completion body must satisfy.
TASK_INPUTS: dict[str, type[serializers.Serializer]] = {
    "triage": TriageInput,
    "assess": AssessInput,
    "advise": AdviseInput,
    "council_action": CouncilActionInput,
    "prepare_bundle": PrepareBundleInput,
    "injunction_outcome": InjunctionOutcomeInput,
    "police_acknowledge": PoliceAcknowledgeInput,
    "police_outcome": PoliceOutcomeInput,
    "close": CloseInput,
    "register_proposal": RegisterProposalInput,
    "home_security": HomeSecurityInput,
    "employee_assistance": EmployeeAssistanceInput,
}

#: (flow class, node name) -> (input serializer, service handler). Other flows add their nodes here.
TASK_FORMS: dict[tuple[type, str], tuple[type[serializers.Serializer], Callable[..., None]]] = {
    (IncidentFlow, name): (serializer, case_tasks.HANDLERS[name]) for name, serializer in TASK_INPUTS.items()
}


def task_form(task: Any) -> tuple[type[serializers.Serializer], Callable[..., None]] | None:
    return TASK_FORMS.get((task.flow_task.flow_class, task.flow_task.name))


_TYPES = [
    (serializers.BooleanField, "boolean"),
    (serializers.DateTimeField, "datetime"),
    (serializers.DateField, "date"),
    (serializers.ChoiceField, "choice"),
    (serializers.DictField, "object"),
    (serializers.ListField, "list"),
    (serializers.RelatedField, "reference"),
    (serializers.CharField, "string"),
]


def describe_fields(serializer: serializers.Serializer) -> list[dict[str, Any]]:
    """The fields a serializer takes, for a client to build its form from."""
    described = []
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        item: dict[str, Any] = {
            "name": name,
            "required": field.required,
            "help_text": str(field.help_text or ""),
        }
        if isinstance(field, serializers.ListSerializer):
            item["type"] = "list"
            item["items"] = describe_fields(field.child)
        elif isinstance(field, serializers.Serializer):
            item["type"] = "object"
            item["fields"] = describe_fields(field)
        else:
            item["type"] = next((label for cls, label in _TYPES if isinstance(field, cls)), "string")
            if isinstance(field, serializers.ChoiceField):
                item["choices"] = [{"value": k, "label": str(v)} for k, v in field.choices.items()]
        described.append(item)
    return described
