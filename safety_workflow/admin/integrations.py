"""Admin for notifications (read-only: the record of who was told what) and webhook subscriptions (editable, with
their delivery log and a replay action)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import Notification, WebhookDelivery, WebhookSubscription
from ..services.webhooks import webhook_replay
from ..webhooks import EVENT_TYPES, secret_new, url_problem


class ReadOnly:
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["created_at", "event", "channel", "recipient", "status", "attempts", "status_at"]
    list_filter = ["status", "channel", "event"]
    search_fields = ["recipient", "address", "provider_reference", "case__reference"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Notification._meta.fields]


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=1000, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=[(name, name) for name in EVENT_TYPES if name != "ping"], required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("None ticked: every event."))
    secret = forms.CharField(required=False, min_length=24, max_length=200,
                             widget=forms.PasswordInput(render_value=False),
                             help_text=_("Left empty: a new subscription gets one (shown once, after saving), a "
                                         "subscription keeps its own. Give it to the receiver."))

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "events", "role", "secret", "active"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        problem = url_problem(url)
        if problem:
            raise forms.ValidationError(problem)
        return url

    def clean_secret(self) -> str:
        given = self.cleaned_data.get("secret")
        if given:
            return given
        if not self.instance._state.adding:
            return self.instance.secret
        self.made_secret = secret_new()
        return self.made_secret


class DeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    extra = 0
    can_delete = False
    fields = ["created_at", "event_type", "status", "attempts", "next_attempt_at", "delivered_at", "log"]
    readonly_fields = fields
    ordering = ["-created_at"]
    show_change_link = True

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ["name", "url", "role", "active", "created_at"]
    list_filter = ["active", "role"]
    inlines = [DeliveryInline]
    actions = ["replay_failed"]

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        if not change and not obj.created_by_id:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        made = getattr(form, "made_secret", "")
        if made:
            self.message_user(request, _("The signing secret, shown this once: %(secret)s") % {"secret": made},
                              messages.WARNING)

    @admin.action(description=_("Send again the deliveries that failed"))
    def replay_failed(self, request: Any, queryset: Any) -> None:
        count = sum(len(webhook_replay(subscription=sub)) for sub in queryset)
        self.message_user(request, ngettext("%(n)d delivery queued again.", "%(n)d deliveries queued again.",
                                            count) % {"n": count}, messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["created_at", "subscription", "event_type", "status", "attempts", "delivered_at"]
    list_filter = ["status", "event_type", "subscription"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["replay"]

    @admin.action(description=_("Send these deliveries again"))
    def replay(self, request: Any, queryset: Any) -> None:
        count = 0
        for delivery in queryset.select_related("subscription"):
            count += len(webhook_replay(subscription=delivery.subscription, delivery=delivery))
        self.message_user(request, ngettext("%(n)d delivery queued again.", "%(n)d deliveries queued again.",
                                            count) % {"n": count}, messages.SUCCESS)
