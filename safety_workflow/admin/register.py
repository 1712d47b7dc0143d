"""Admin for the register: read-only, with the same visibility as the API, and every view logged.

Entries change only through the API's services (proposal, decision, notification, review,
grants), which enforce the workflow and write the history; the admin shows them. Who sees what
is decided by ``selectors.register`` (by role or per-entry grant), not by Django's model-wide
permissions or superuser status.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from ..models import AccessLogEntry, RegisterAddress, RegisterAlias, RegisterEntry, RegisterMitigation
from ..selectors.register import may_read_entries, register_entries_visible_to
from ..services.audit import access_log_record


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_read_entries(request.user)


class MitigationInline(ReadOnlyInline):
    model = RegisterMitigation
    fields = ["kind", "detail"]


class AliasInline(ReadOnlyInline):
    model = RegisterAlias
    fields = ["name"]


class AddressInline(ReadOnlyInline):
    model = RegisterAddress
    fields = ["address", "postcode"]


@admin.register(RegisterEntry)
class RegisterEntryAdmin(admin.ModelAdmin):
    list_display = ["reference", "subject", "state", "review_due_on", "proposed_at"]
    list_filter = ["state"]
    search_fields = ["reference"]
    ordering = ["-proposed_at"]
    inlines = [MitigationInline, AliasInline, AddressInline]
    exclude = ["match_profile", "incidents"]
    readonly_fields = ["incident_references"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RegisterEntry]:
        return register_entries_visible_to(request.user).select_related("subject")

    @admin.display(description="incidents")
    def incident_references(self, obj: RegisterEntry) -> str:
        return ", ".join(obj.incidents.values_list("reference", flat=True))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_read_entries(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_read_entries(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")  # absent on redirects
        if changelist is not None:
            shown = [str(entry.pk) for entry in changelist.result_list]
            access_log_record(actor=request.user, action=AccessLogEntry.Action.LIST, object_type="register_entry",
                              purpose="admin", result=str(len(shown)), request=request, data={"entries": shown})
        return response

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict | None = None) -> HttpResponse:
        entry = self.get_object(request, object_id)
        if entry is not None and request.method == "GET":
            access_log_record(actor=request.user, action=AccessLogEntry.Action.VIEW, object_type="register_entry",
                              object_id=entry.pk, object_repr=entry.reference, purpose="admin",
                              result=entry.state, request=request)
        return super().change_view(request, object_id, form_url, extra_context)
