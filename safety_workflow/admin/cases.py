"""Admin for decision tables, advice templates and police contacts (editable), and case records (read-only:
they are evidence, changed only through the workflow)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from ..errors import SafetyWorkflowError
from ..models import (
    AccessLogEntry,
    AdviceTemplate,
    Case,
    DecisionQuestion,
    DecisionRule,
    DecisionTable,
    ElectionPeriod,
    Incident,
    PoliceContact,
    TimelineEntry,
)
from ..services.decision_tables import decision_table_copy, decision_table_publish


class FrozenUnlessDraft:
    """Inlines and fields of a published or retired version cannot change."""

    def _draft(self, obj: Any) -> bool:
        table = getattr(obj, "table", obj)
        return table is None or table.status == DecisionTable.Status.DRAFT

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._draft(obj)

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return super().has_add_permission(request, obj) and self._draft(obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._draft(obj)


class QuestionInline(FrozenUnlessDraft, admin.TabularInline):
    model = DecisionQuestion
    extra = 0
    fields = ["order", "key", "text", "kind", "choices", "help_text"]


class RuleInline(FrozenUnlessDraft, admin.TabularInline):
    model = DecisionRule
    extra = 0
    fields = ["order", "description", "conditions", "level"]


@admin.register(DecisionTable)
class DecisionTableAdmin(FrozenUnlessDraft, admin.ModelAdmin):
    list_display = ["version", "title", "status", "published_at"]
    list_filter = ["status"]
    readonly_fields = ["status", "published_at", "published_by"]
    inlines = [QuestionInline, RuleInline]
    actions = ["copy_as_draft", "publish"]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return admin.ModelAdmin.has_add_permission(self, request)

    @admin.action(description=_("Copy as a new draft version"))
    def copy_as_draft(self, request: Any, queryset: Any) -> None:
        for table in queryset:
            draft = decision_table_copy(table=table, actor=request.user)
            self.message_user(request, _("Draft version %(v)s created.") % {"v": draft.version})

    @admin.action(description=_("Publish (retires the version in use)"))
    def publish(self, request: Any, queryset: Any) -> None:
        for table in queryset:
            try:
                decision_table_publish(table=table, actor=request.user)
            except SafetyWorkflowError as exc:
                detail = "; ".join(exc.errors.get("table", [])) or exc.message
                self.message_user(request, f"v{table.version}: {detail}", level=messages.ERROR)
            else:
                self.message_user(request, _("Version %(v)s published.") % {"v": table.version})


@admin.register(AdviceTemplate)
class AdviceTemplateAdmin(admin.ModelAdmin):
    list_display = ["title", "code", "topic", "for_kinds", "active"]
    list_filter = ["topic", "active"]
    search_fields = ["title", "body"]


@admin.register(PoliceContact)
class PoliceContactAdmin(admin.ModelAdmin):
    list_display = ["name", "force", "role_title", "active"]
    list_filter = ["active"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that are evidence: readable by staff with the view permission, never edited here."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["reference", "state", "level", "route", "immediate_danger", "created", "closed_at"]
    list_filter = ["state", "level", "route"]
    search_fields = ["reference"]


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["reference", "occurred_at", "channel", "ward", "person_kind", "immediate_danger"]
    list_filter = ["channel", "person_kind", "hate_element", "immediate_danger"]
    search_fields = ["reference"]
    list_select_related = ["case"]


@admin.register(ElectionPeriod)
class ElectionPeriodAdmin(ReadOnlyAdmin):
    """Recorded and corrected through the API (``election-periods/``), which flags the incidents in them again."""

    list_display = ["name", "poll_date", "starts_on", "ends_on"]


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "case", "action", "summary"]
    list_filter = ["action"]
    list_select_related = ["case"]


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_name", "action", "object_type", "object_repr", "result"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_name", "object_repr", "reference"]
