"""The small summaries every resource uses for the records it mentions: one shape each, everywhere.

- a person (a user): ``{id, name}``;
- a subject (who an incident is about): ``{id, name}``;
- a case: ``{id, reference, state, level, route}``;
- an incident: ``{id, reference, occurred_at, channel}``;
- a register entry: ``{id, reference, state}``.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ..adapter import get_adapter
from ..models import Case, Incident, Level, RegisterEntry, Route
from . import fields
from .base import PersonOutput, Summary

__all__ = ["PersonOutput", "SubjectSummary", "CaseSummary", "IncidentSummary", "RegisterEntrySummary",
           "CaseRefOutput", "person"]


def person(user: Any) -> dict[str, str] | None:
    """A user as :class:`PersonOutput` shows them, for code that builds plain dicts."""
    if user is None:
        return None
    return {"id": str(user.pk), "name": get_adapter().display_name(user)}


class SubjectSummary(Summary):
    id = serializers.UUIDField(source="pk")
    name = serializers.CharField(source="__str__")


class CaseSummary(Summary):
    id = serializers.IntegerField(source="pk")
    reference = serializers.CharField()
    state = serializers.ChoiceField(choices=Case.State.choices)
    level = serializers.ChoiceField(choices=Level.choices, allow_blank=True,
                                    help_text='"" until the case is assessed.')
    route = serializers.ChoiceField(choices=Route.choices, allow_blank=True,
                                    help_text='"" until the case is routed.')


#: The name this summary had before it was used everywhere.
CaseRefOutput = CaseSummary


class IncidentSummary(Summary):
    id = serializers.UUIDField(source="pk")
    reference = serializers.CharField()
    occurred_at = fields.DateTimeField()
    channel = serializers.ChoiceField(choices=Incident.Channel.choices)


class RegisterEntrySummary(Summary):
    id = serializers.UUIDField(source="pk")
    reference = serializers.CharField()
    state = serializers.ChoiceField(choices=RegisterEntry.State.choices)
