"""The small summaries every resource uses for the records it mentions: one shape each, everywhere.

- a person (a user): ``{id, name}``;
- a protected person (whom an incident was aimed at, who need not be a user): ``{id, name, kind}``;
- an election period: ``{id, name, poll_date}``;
- a subject (who an incident is about): ``{id, name}``;
- a case: ``{id, reference, state, level, route}``;
- an incident: ``{id, reference, occurred_at, channel}``;
- a register entry: ``{id, reference, state}``.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ..adapter import get_adapter
from ..models import Case, Incident, Level, ProtectedPerson, RegisterEntry, Route
from . import fields
from .base import PersonOutput, Summary

__all__ = ["PersonOutput", "ProtectedPersonSummary", "ElectionPeriodSummary", "SubjectSummary", "CaseSummary",
           "IncidentSummary", "RegisterEntrySummary", "CaseRefOutput", "person", "protected_person_summary",
           "summary_columns"]


# The columns each summary reads, for lists that load only what they show (``QuerySet.only``): a page of 25
# rows with every column of every related row cost more to fetch and build than to serialise.
def summary_columns(prefix: str, summary: str) -> list[str]:
    """The columns ``summary`` ("person", "protected_person", "case", "subject", "register_entry") reads from
    the record at ``prefix`` (a relation path such as ``"process__case"``). A person is the whole user: the
    host's adapter may name them from any of its fields."""
    if summary == "person":
        from django.contrib.auth import get_user_model

        names = [f.name for f in get_user_model()._meta.concrete_fields]
    elif summary == "protected_person":
        return ([f"{prefix}__full_name", f"{prefix}__kind", f"{prefix}__user"]
                + summary_columns(f"{prefix}__user", "person"))
    else:
        names = {"case": ["reference", "state", "level", "route"], "subject": ["full_name"],
                 "register_entry": ["reference", "state"]}[summary]
    return [f"{prefix}__{name}" for name in names]


def person(user: Any) -> dict[str, str] | None:
    """A user as :class:`PersonOutput` shows them, for code that builds plain dicts."""
    if user is None:
        return None
    return {"id": str(user.pk), "name": get_adapter().display_name(user)}


def protected_person_summary(person: ProtectedPerson | None) -> dict[str, str] | None:
    """A protected person as :class:`ProtectedPersonSummary` shows them, for code that builds plain dicts."""
    if person is None:
        return None
    return {"id": str(person.pk), "name": person.name, "kind": person.kind}


class ProtectedPersonSummary(Summary):
    """Whom an incident was aimed at: a councillor, a candidate, a household member, a supporter, a member of
    staff. ``kind`` is what they are now (an incident's ``person_kind`` is what they were when it happened)."""

    id = serializers.UUIDField(source="pk")
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=ProtectedPerson.Kind.choices)


class ElectionPeriodSummary(Summary):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    poll_date = fields.DateField()


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
