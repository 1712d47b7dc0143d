"""The register API: the pre-meeting check, and full entries for those who may see them.

Every view finds the entry through ``selectors.register`` (an entry the caller may not see is a
404 ``not_found``, the same as a missing one), calls one service, and logs what was read.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..errors import Forbidden, InvalidInput, NotFound, TooManyRequests
from ..models import AccessLogEntry, RegisterEntry
from ..selectors.common import access_attempt, get_or_not_found
from ..selectors.register import (
    purpose_required_to_read,
    register_entries_visible_to,
    register_entry_detail,
    register_entry_get,
    register_grants,
    register_reviews_due,
    register_reviews_overdue,
)
from ..services.audit import access_log_record
from ..services.register import (
    register_entry_decide,
    register_entry_propose,
    register_entry_record_notification,
    register_entry_review,
    register_entry_update,
)
from ..services.register_check import register_check, register_check_refused
from ..services.register_grants import register_entry_grant, register_entry_revoke
from .access import Access
from .base import InputSerializer, SafetyAPIMixin, collection, error_response, query
from .register_serializers import (
    CheckInputSerializer,
    CheckOutputSerializer,
    DecisionInputSerializer,
    EntryDetailSerializer,
    EntryListSerializer,
    EntryProposeSerializer,
    EntryUpdateSerializer,
    GrantInputSerializer,
    GrantOutputSerializer,
    NotificationInputSerializer,
    ReviewInputSerializer,
)

PURPOSE_HEADER = OpenApiParameter("X-Access-Purpose", OpenApiTypes.STR, OpenApiParameter.HEADER,
                                  description="Why you are reading (logged); the purpose query parameter wins.")


class PurposeQuery(InputSerializer):
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=500,
                                    help_text="Why you are reading the entry (logged; also accepted as an "
                                    "X-Access-Purpose header). Required for the roles in "
                                    "REGISTER_PURPOSE_REQUIRED_ROLES (by default every role): without it the answer "
                                    "is 400 purpose_required, and the attempt is logged.")


class EntryListQuery(PurposeQuery):
    state = serializers.ChoiceField(choices=RegisterEntry.State.choices, required=False)
    review = serializers.ChoiceField(choices=["due", "overdue"], required=False)
    subject = serializers.UUIDField(required=False)


class RevokeQuery(InputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                   help_text="Why access is taken away (logged).")


def _purpose(request: Request, query: dict[str, Any] | None = None) -> str:
    given = (query or {}).get("purpose") or request.headers.get("X-Access-Purpose") or ""
    return "".join(c for c in given if c.isprintable()).strip()[:500]


def _required_purpose(request: Request, query: dict[str, Any] | None, entry_id: str = "") -> str:
    """The purpose given for reading the register; refused (logged) when the caller's role must give one.

    Asked before the entry is looked up, so that the answer never depends on whether it exists.
    """
    purpose = _purpose(request, query)
    if purpose or not purpose_required_to_read(request.user):
        return purpose
    refusal = InvalidInput(_("Say why you are reading the register: give a purpose."), code="purpose_required",
                           errors={"purpose": [_("Required: every read of the register is logged with its purpose.")]})
    attempt = access_attempt(RegisterEntry, entry_id, "register_entry") if entry_id else {
        "object_type": "register_entry", "object_id": "", "subject": None}
    refusal.access_attempt = {**attempt, "outcome": AccessLogEntry.Outcome.REFUSED, "result": "purpose_missing"}
    raise refusal


class RegisterEntryView(SafetyAPIMixin, GenericAPIView):
    """A view of one entry (``entry_id`` in the path), found through the register selector."""

    path_parameter_types = {"entry_id": OpenApiTypes.UUID, "grantee_id": OpenApiTypes.STR}

    def get_object(self) -> RegisterEntry:
        return register_entry_get(self.request.user, self.kwargs["entry_id"])

    def get_object_to_read(self) -> tuple[RegisterEntry, str]:
        """The entry and the purpose of reading it: the purpose is asked for first (see ``_required_purpose``)."""
        purpose = _required_purpose(self.request, getattr(self, "query", None), self.kwargs["entry_id"])
        try:
            return self.get_object(), purpose
        except NotFound as refused:
            if getattr(refused, "access_attempt", None):
                refused.access_attempt["purpose"] = purpose
            raise


def _detail_response(request: Request, entry: RegisterEntry, status_code: int = status.HTTP_200_OK,
                     purpose: str = "") -> Response:
    """The full entry, re-read through the selector, and the read logged with its purpose."""
    entry = register_entry_detail(request.user, entry.pk)
    access_log_record(actor=request.user, action=AccessLogEntry.Action.VIEW, object_type="register_entry",
                      object_id=entry.pk, object_repr=entry.reference, purpose=purpose,
                      result=entry.state, request=request, subject=entry.subject_id)
    return Response(EntryDetailSerializer(entry, context={"request": request}).data, status=status_code)


class RegisterCheckView(SafetyAPIMixin, APIView):
    """POST register/check/: is the person about to be met on the register, and what must staff do?"""

    access_name = "register-check"

    def log_refusal(self, request: Request, access: Access) -> None:
        try:
            raw = request.data
        except Exception:  # noqa: BLE001 - an unreadable body is logged as empty
            raw = {}
        register_check_refused(actor=request.user, raw=raw, request=request)

    @extend_schema(
        request=CheckInputSerializer,
        responses={200: CheckOutputSerializer},
        summary="Check a person against the register before a meeting",
        description="Answers match, possible_match or no_match. A match gives the mitigations and whom to call; "
        "nothing else about the entry is disclosed. Every check is logged; checks are limited per hour.",
    )
    def post(self, request: Request) -> Response:
        data = CheckInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            outcome = register_check(actor=request.user, request=request, **data.validated_data)
        except (Forbidden, TooManyRequests) as exc:
            # Answered here, not by the exception handler, so that the logged refusal is kept even
            # when the host runs requests in a transaction (ATOMIC_REQUESTS).
            headers = {"Retry-After": str(exc.retry_after)} if getattr(exc, "retry_after", None) else None
            return error_response(exc.code, exc.message, exc.status_code, headers=headers)
        return Response(CheckOutputSerializer(outcome).data)


class RegisterEntryListView(SafetyAPIMixin, GenericAPIView):
    """GET register/entries/: the entries the caller may see. POST: propose an entry."""

    serializer_class = EntryListSerializer
    access_name = "register-entries"

    def get_queryset(self) -> QuerySet[RegisterEntry]:
        entries = register_entries_visible_to(self.request.user).select_related("subject")
        params = getattr(self, "query", {})
        if params.get("state"):
            entries = entries.filter(state=params["state"])
        if params.get("review") == "due":
            entries = entries.filter(pk__in=register_reviews_due().values("pk"))
        elif params.get("review") == "overdue":
            entries = entries.filter(pk__in=register_reviews_overdue().values("pk"))
        if params.get("subject"):
            entries = entries.filter(subject_id=params["subject"])
        return entries.order_by("-proposed_at", "pk")

    @collection(EntryListSerializer, query=EntryListQuery, parameters=[PURPOSE_HEADER],
                summary="List the register entries you may see")
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        access_log_record(actor=request.user, action=AccessLogEntry.Action.LIST, object_type="register_entry",
                          purpose=_required_purpose(request, self.query), result=str(len(page)), request=request,
                          data={"entries": [str(e.pk) for e in page],
                                "filters": {k: v for k, v in request.query_params.items() if k != "purpose"}})
        return self.get_paginated_response(EntryListSerializer(page, many=True).data)

    @extend_schema(request=EntryProposeSerializer, responses={201: EntryDetailSerializer},
                   summary="Propose a register entry (health and safety)")
    def post(self, request: Request) -> Response:
        data = EntryProposeSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        contact = values.pop("advice_contact")
        entry = register_entry_propose(
            actor=request.user, advice_contact_name=contact.get("name", ""),
            advice_contact_phone=contact.get("phone", ""), advice_contact_email=contact.get("email", ""),
            **values,
        )
        return _detail_response(request, entry, status.HTTP_201_CREATED, purpose="Proposed the entry")


class RegisterEntryDetailView(RegisterEntryView):
    """GET register/entries/{id}/: the full entry (logged). PATCH: change mitigations, contact, aliases, addresses."""

    access_name = "register-entry"

    @query(PurposeQuery)
    @extend_schema(parameters=[PURPOSE_HEADER], responses={200: EntryDetailSerializer},
                   summary="Read a register entry in full (say why: the read is logged with its purpose)")
    def get(self, request: Request, entry_id: str) -> Response:
        entry, purpose = self.get_object_to_read()
        return _detail_response(request, entry, purpose=purpose)

    @extend_schema(request=EntryUpdateSerializer, responses={200: EntryDetailSerializer},
                   summary="Change what staff are told, or what the check matches on")
    def patch(self, request: Request, entry_id: str) -> Response:
        entry = self.get_object()
        data = EntryUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        contact = values.pop("advice_contact", None) or {}
        entry = register_entry_update(
            entry=entry, actor=request.user, request=request,
            advice_contact_name=contact.get("name"), advice_contact_phone=contact.get("phone"),
            advice_contact_email=contact.get("email"), **values,
        )
        return _detail_response(request, entry, purpose="Changed the entry")


class RegisterEntryApproveView(RegisterEntryView):
    access_name = "register-entry-approve"

    @extend_schema(request=DecisionInputSerializer, responses={200: EntryDetailSerializer},
                   summary="Approve or refuse a proposed entry (not by its proposer)")
    def post(self, request: Request, entry_id: str) -> Response:
        entry = self.get_object()
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = register_entry_decide(entry=entry, actor=request.user,
                                      approve=data.validated_data["decision"] == "approve",
                                      reason=data.validated_data["reason"])
        return _detail_response(request, entry, purpose="Decided on the proposal")


class RegisterEntryNotificationView(RegisterEntryView):
    access_name = "register-entry-notification"

    @extend_schema(request=NotificationInputSerializer, responses={200: EntryDetailSerializer},
                   summary="Record that the individual was told in writing, or why not")
    def post(self, request: Request, entry_id: str) -> Response:
        entry = self.get_object()
        data = NotificationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = register_entry_record_notification(entry=entry, actor=request.user, **data.validated_data)
        return _detail_response(request, entry, purpose="Recorded the notification")


class RegisterEntryReviewView(RegisterEntryView):
    access_name = "register-entry-review"

    @extend_schema(request=ReviewInputSerializer, responses={200: EntryDetailSerializer},
                   summary="Review an entry: renew it or remove it (early if need be)")
    def post(self, request: Request, entry_id: str) -> Response:
        entry = self.get_object()
        data = ReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = register_entry_review(entry=entry, actor=request.user, **data.validated_data)
        return _detail_response(request, entry, purpose="Reviewed the entry")


class RegisterEntryGrantsView(RegisterEntryView):
    """GET register/entries/{id}/grants/: who has been granted the entry. POST: grant a user or a group."""

    access_name = "register-entry-grants"

    @collection(GrantOutputSerializer, summary="List who has been granted this entry")
    def get(self, request: Request, entry_id: str) -> Response:
        users, groups = register_grants(self.get_object())
        page = self.paginate_queryset([GrantOutputSerializer.row(g) for g in [*users, *groups]])
        return self.get_paginated_response(GrantOutputSerializer(page, many=True).data)

    @extend_schema(request=GrantInputSerializer, responses={201: GrantOutputSerializer},
                   summary="Grant a person or a group sight of this entry (logged)")
    def post(self, request: Request, entry_id: str) -> Response:
        entry = self.get_object()
        data = GrantInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grant = register_entry_grant(entry=entry, actor=request.user, request=request, **data.validated_data)
        return Response(GrantOutputSerializer(GrantOutputSerializer.row(grant)).data, status=status.HTTP_201_CREATED)


class RegisterEntryRevokeView(RegisterEntryView):
    """DELETE register/entries/{id}/grants/users/{pk}/ or .../groups/{pk}/: revoke (logged)."""

    kind: str = "users"
    access_name = "register-entry-grant"

    @query(RevokeQuery)
    @extend_schema(responses={204: None}, summary="Revoke a grant (logged)")
    def delete(self, request: Request, entry_id: str, grantee_id: str) -> Response:
        entry = self.get_object()
        model: Any = get_user_model() if self.kind == "users" else Group
        grantee = get_or_not_found(model._default_manager.all(), grantee_id)
        who = {"user": grantee} if self.kind == "users" else {"group": grantee}
        register_entry_revoke(entry=entry, actor=request.user, request=request,
                              reason=self.query.get("reason", ""), **who)
        return Response(status=status.HTTP_204_NO_CONTENT)
