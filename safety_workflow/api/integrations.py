"""notifications/ (who was told what, and whether it arrived), webhooks/ (the host platforms' subscriptions, their
delivery logs and replay) and the GOV.UK Notify delivery-receipt callback.

The callback (``callbacks/notify/``) is not an operation of the API's users: Notify calls it with the bearer
token set on the service's callback (``SAFETY_WORKFLOW["NOTIFY_CALLBACK_TOKEN"]``); it is a plain Django view,
outside the schema and the access table.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ..conf import app_settings
from ..errors import NotFound
from ..models import Notification, WebhookDelivery, WebhookSubscription
from ..notifications import notify_receipt_record
from ..roles import Role
from ..selectors.common import get_or_not_found
from ..selectors.notifications import notification_text_visible, notifications_visible_to, webhooks_visible_to
from ..services.webhooks import (
    webhook_ping,
    webhook_replay,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_update,
)
from ..webhooks import EVENT_TYPES
from . import fields
from .base import FilterSet, InputSerializer, IntegerFilter, SafetyAPIMixin, collection

EVENT_CHOICES = [(name, name) for name in EVENT_TYPES if name != "ping"]


# Notifications -------------------------------------------------------------------------------------
class NotificationCaseOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()


class NotificationOutput(serializers.Serializer):
    """One notice to one recipient through one channel. ``subject``, ``message``, ``address`` and ``case`` are
    empty (null for the case) for a caller who reads only that notices were sent (information governance)."""

    id = serializers.UUIDField()
    event = serializers.CharField()
    channel = serializers.ChoiceField(choices=Notification.Channel.choices)
    recipient = serializers.CharField(help_text='"user:<id>", "police_contact:<id>" or "email:<address>"')
    address = serializers.CharField(help_text="The e-mail address or phone number it went to.")
    subject = serializers.CharField()
    message = serializers.CharField()
    case = NotificationCaseOutput(allow_null=True)
    template_id = serializers.CharField(help_text="The GOV.UK Notify template, for a Notify channel.")
    status = serializers.ChoiceField(choices=Notification.Status.choices)
    attempts = serializers.IntegerField()
    next_attempt_at = fields.DateTimeField(allow_null=True)
    last_error = serializers.CharField()
    provider_reference = serializers.CharField(help_text="GOV.UK Notify's id of the notification.")
    created_at = fields.DateTimeField()
    sent_at = fields.DateTimeField(allow_null=True)
    status_at = fields.DateTimeField(allow_null=True)

    def to_representation(self, item: Notification) -> dict[str, Any]:
        data = super().to_representation(item)
        if not self.context.get("with_text"):
            data.update(address="", subject="", message="", case=None, last_error="",
                        recipient=item.recipient if not item.recipient.startswith("email:") else "email:")
        return data


class NotificationFilter(FilterSet):
    event = django_filters.CharFilter(max_length=100)
    channel = django_filters.ChoiceFilter(choices=Notification.Channel.choices)
    status = django_filters.ChoiceFilter(choices=Notification.Status.choices)
    case = IntegerFilter(field_name="case_id")

    class Meta:
        model = Notification
        fields: list[str] = []


class NotificationViewSet(SafetyAPIMixin, viewsets.GenericViewSet):
    """Who was told what, through which channel, and whether it arrived (newest first)."""

    serializer_class = NotificationOutput
    filter_backends = [DjangoFilterBackend]
    filterset_class = NotificationFilter
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[Notification]:
        return notifications_visible_to(self.request.user).order_by("-created_at", "id")

    def get_object(self) -> Notification:
        return get_or_not_found(self.get_queryset(), self.kwargs["pk"])

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "with_text": notification_text_visible(self.request.user)}

    @collection(NotificationOutput)
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(NotificationOutput(page, many=True,
                                                              context=self.get_serializer_context()).data)

    @extend_schema(responses=NotificationOutput)
    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(NotificationOutput(self.get_object(), context=self.get_serializer_context()).data)


# Webhooks -----------------------------------------------------------------------------------------
class WebhookOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_CHOICES),
                                   help_text="The event types sent; empty: every event.")
    role = serializers.ChoiceField(choices=Role.choices, help_text="Events carry only what this role may see.")
    active = serializers.BooleanField()
    secret_hint = serializers.SerializerMethodField()
    created_at = fields.DateTimeField()

    @extend_schema_field(serializers.CharField(help_text="The last four characters of the signing secret."))
    def get_secret_hint(self, sub: WebhookSubscription) -> str:
        return "..." + sub.secret[-4:]


class WebhookCreatedOutput(WebhookOutput):
    secret = serializers.CharField(help_text="The signing secret: shown here once, keep it in the receiver.")


class WebhookInput(InputSerializer):
    name = serializers.CharField(max_length=200)
    url = serializers.URLField(max_length=1000, help_text="http or https; not a private or loopback address.")
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_CHOICES), required=False,
                                   max_length=len(EVENT_CHOICES), default=list,
                                   help_text="The event types to send; empty or left out: every event.")
    role = serializers.ChoiceField(choices=Role.choices)
    secret = serializers.CharField(min_length=24, max_length=200, required=False, default="",
                                   help_text="Left out: one is made and answered once.")
    active = serializers.BooleanField(required=False, default=True)


class WebhookPatchInput(InputSerializer):
    name = serializers.CharField(max_length=200, required=False)
    url = serializers.URLField(max_length=1000, required=False)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_CHOICES), required=False,
                                   max_length=len(EVENT_CHOICES))
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    secret = serializers.CharField(min_length=24, max_length=200, required=False)
    active = serializers.BooleanField(required=False)


class DeliveryAttemptOutput(serializers.Serializer):
    at = serializers.CharField()
    status_code = serializers.IntegerField(allow_null=True)
    error = serializers.CharField()
    ms = serializers.IntegerField()


class DeliveryOutput(serializers.Serializer):
    id = serializers.UUIDField()
    event_id = serializers.UUIDField(help_text="The envelope's id: the same on every attempt and replay.")
    event_type = serializers.CharField()
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices)
    attempts = serializers.IntegerField()
    next_attempt_at = fields.DateTimeField(allow_null=True)
    created_at = fields.DateTimeField()
    delivered_at = fields.DateTimeField(allow_null=True)
    log = DeliveryAttemptOutput(many=True)
    payload = serializers.JSONField(help_text="The envelope as sent (docs/integration.md).")


class DeliveryFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=WebhookDelivery.Status.choices)
    event_type = django_filters.ChoiceFilter(choices=[(name, name) for name in EVENT_TYPES])

    class Meta:
        model = WebhookDelivery
        fields: list[str] = []


class ReplayInput(InputSerializer):
    delivery = serializers.UUIDField(required=False, help_text="One delivery to send again.")
    since = fields.DateTimeField(required=False, help_text="Every delivery made since then.")
    failed_only = serializers.BooleanField(required=False, default=True,
                                           help_text="With since: only those not delivered (the default).")


class WebhookViewSet(SafetyAPIMixin, viewsets.GenericViewSet):
    """Subscriptions of host platforms to the events of the process, their delivery logs, and replay."""

    serializer_class = WebhookOutput
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[WebhookSubscription]:
        return webhooks_visible_to(self.request.user).order_by("name", "created_at")

    def get_object(self) -> WebhookSubscription:
        return get_or_not_found(self.get_queryset(), self.kwargs["pk"])

    filter_backends = [DjangoFilterBackend]

    @property
    def filterset_class(self) -> Any:
        return DeliveryFilter if getattr(self, "action", None) == "deliveries" else None

    @collection(WebhookOutput)
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(WebhookOutput(page, many=True).data)

    @extend_schema(request=WebhookInput, responses={201: WebhookCreatedOutput})
    def create(self, request: Request) -> Response:
        data = WebhookInput(data=request.data)
        data.is_valid(raise_exception=True)
        sub = webhook_subscription_create(actor=request.user, request=request, **data.validated_data)
        return Response(WebhookCreatedOutput(sub).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=WebhookOutput)
    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(WebhookOutput(self.get_object()).data)

    @extend_schema(request=WebhookPatchInput, responses=WebhookOutput)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        sub = self.get_object()
        data = WebhookPatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        sub = webhook_subscription_update(actor=request.user, subscription=sub, request=request,
                                          **data.validated_data)
        return Response(WebhookOutput(sub).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: Any = None) -> Response:
        webhook_subscription_delete(actor=request.user, subscription=self.get_object(), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @collection(DeliveryOutput)
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: Any = None) -> Response:
        """The delivery log: each event sent to this subscription, newest first, with every attempt."""
        sub = self.get_object()
        found = self.filter_queryset(sub.deliveries.order_by("-created_at", "-id"))
        page = self.paginate_queryset(found)
        return self.get_paginated_response(DeliveryOutput(page, many=True).data)

    @extend_schema(request=ReplayInput, responses={202: inline_serializer("WebhookReplayed", {
        "replayed": serializers.IntegerField(), "deliveries": DeliveryOutput(many=True)})})
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: Any = None) -> Response:
        """Send again one delivery (``delivery``), or every delivery since a moment (``since``; the failed ones
        unless ``failed_only`` is false). The event keeps its id; the signature is made afresh."""
        sub = self.get_object()
        data = ReplayInput(data=request.data)
        data.is_valid(raise_exception=True)
        delivery = None
        if data.validated_data.get("delivery"):
            delivery = sub.deliveries.filter(pk=data.validated_data["delivery"]).first()
            if delivery is None:
                raise NotFound()
        chosen = webhook_replay(subscription=sub, delivery=delivery, since=data.validated_data.get("since"),
                                failed_only=data.validated_data["failed_only"])
        return Response({"replayed": len(chosen), "deliveries": DeliveryOutput(chosen, many=True).data},
                        status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: DeliveryOutput})
    @action(detail=True, methods=["post"])
    def ping(self, request: Request, pk: Any = None) -> Response:
        """Send a ``ping`` event to this subscription (to try the receiver's signature check)."""
        delivery = webhook_ping(subscription=self.get_object())
        delivery.refresh_from_db()
        return Response(DeliveryOutput(delivery).data, status=status.HTTP_202_ACCEPTED)


# GOV.UK Notify's delivery receipts ----------------------------------------------------------------------
@csrf_exempt
@require_POST
def notify_callback(request: HttpRequest) -> JsonResponse:
    """Notify POSTs a delivery receipt (JSON) with ``Authorization: Bearer <the callback's token>``."""
    expected = app_settings.NOTIFY_CALLBACK_TOKEN
    if not expected:
        return JsonResponse({"code": "not_found", "message": _("Not found."), "errors": {}}, status=404)
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        return JsonResponse({"code": "authentication_failed", "message": _("Incorrect bearer token."), "errors": {}},
                            status=401)
    try:
        receipt = json.loads(request.body or b"{}")
    except ValueError:
        receipt = None
    if not isinstance(receipt, dict):
        return JsonResponse({"code": "malformed_request", "message": _("A JSON object was expected."), "errors": {}},
                            status=400)
    found = notify_receipt_record(receipt)
    return JsonResponse({"recorded": found is not None}, status=200)
