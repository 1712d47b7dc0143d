"""GET audit/: the access log for information governance, filtered by actor, action, outcome, object,
subject, the name typed into a check, and date.

Every read attempt of a register entry, a case, an incident, evidence or a bundle (refused ones
too, as ``outcome=refused``), every check (with whom, why and the result), every grant,
revocation, change, erasure, legal hold and disposal run is there. ``register_entry`` lists
everything that touched one entry, including checks that found it only as a possible match;
``checked_name`` finds the checks in which a name was typed, however it was written.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from ..errors import InvalidInput
from ..models import AccessLogEntry
from ..selectors.audit import access_log_visible_to
from ..services.audit import access_log_record, checked_name_normalised
from .base import DateTimeFilter, FilterSet, KeyFilter, ModelOutput, SafetyAPIMixin, TextFilter, collection
from .serializers import PersonOutput


def _user_model() -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model()


class AccessLogFilter(FilterSet):
    actor = KeyFilter(field_name="actor_id", model=_user_model, label="The user id of who did it.")
    action = django_filters.ChoiceFilter(choices=AccessLogEntry.Action.choices)
    outcome = django_filters.ChoiceFilter(
        choices=AccessLogEntry.Outcome.choices,
        label="allowed, refused (the record exists but the caller may not see it, or the role, the limit or a "
              "missing purpose refused it), not_found, failed.",
    )
    subject = django_filters.UUIDFilter(
        method="filter_subject",
        label="Everything read about this subject: their incidents, cases, entries, bundles, and the checks "
              "that found their entry.",
    )
    checked_name = TextFilter(
        method="filter_checked_name",
        label="Checks in which this name was typed, normalised as the check reads names (case, accents, "
              "titles, punctuation and 'Surname, Forename' order do not matter).",
    )
    object_type = TextFilter()
    object_id = TextFilter()
    register_entry = django_filters.UUIDFilter(
        method="filter_register_entry",
        label="Everything that touched this entry: views, grants, changes and the checks that found it.",
    )
    reference = TextFilter()
    result = TextFilter()
    since = DateTimeFilter(field_name="at", lookup_expr="gte", label="From (ISO date-time).")
    until = DateTimeFilter(field_name="at", lookup_expr="lt", label="Before (ISO date-time).")

    class Meta:
        model = AccessLogEntry
        fields: list[str] = []

    def filter_subject(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        touched = Q(subject_ref=value) | Q(register_hits__entry__subject_id=value)
        return queryset.filter(pk__in=AccessLogEntry.objects.filter(touched).values("pk"))

    def filter_checked_name(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        normalised = checked_name_normalised(value)
        if not normalised:
            raise InvalidInput(errors={"checked_name": [_("Give a name with a surname.")]})
        return queryset.filter(action=AccessLogEntry.Action.CHECK, checked_name=normalised)

    def filter_register_entry(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        touched = Q(object_type="register_entry", object_id=str(value)) | Q(register_hits__entry_id=value)
        return queryset.filter(pk__in=AccessLogEntry.objects.filter(touched).values("pk"))


class RegisterHitOutput(serializers.Serializer):
    entry = serializers.UUIDField()
    outcome = serializers.CharField()


class AccessLogEntrySerializer(ModelOutput):
    actor = PersonOutput(allow_null=True, help_text="null: the system, or a user since removed (see actor_name).")
    register_entries = serializers.SerializerMethodField(
        help_text="For a check: the entries it found (match or possible match)."
    )

    class Meta:
        model = AccessLogEntry
        fields = ["id", "seq", "at", "actor", "actor_name", "action", "outcome", "object_type", "object_id",
                  "object_repr", "subject_ref", "checked_name", "purpose", "result", "reference", "ip_address",
                  "data", "register_entries", "redacted_at", "row_hash"]

    @extend_schema_field(RegisterHitOutput(many=True))
    def get_register_entries(self, entry: AccessLogEntry) -> list[dict[str, str]]:
        return [{"entry": str(hit.entry_id), "outcome": hit.outcome} for hit in entry.register_hits.all()]


class AccessLogListView(SafetyAPIMixin, GenericAPIView):
    serializer_class = AccessLogEntrySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = AccessLogFilter
    access_name = "audit"

    def get_queryset(self) -> QuerySet[AccessLogEntry]:
        return (access_log_visible_to(self.request.user).select_related("actor").prefetch_related("register_hits")
                .order_by("-at", "-id"))

    @collection(AccessLogEntrySerializer, summary="Read the access log (information governance, monitoring officer)")
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        # Reading the log is itself logged (after the page was read, so it never lists itself).
        access_log_record(actor=request.user, action=AccessLogEntry.Action.LIST, object_type="access_log",
                          result=str(len(response.data.get("results", []))), request=request,
                          data={"filters": dict(request.query_params.items())})
        return response
