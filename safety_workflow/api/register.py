"""The register API: the pre-meeting check, and full entries for those who may see them.

Every view finds the entry through ``selectors.register`` (an entry the caller may not see is a
404 ``not_found``, the same as a missing one), calls one service, and logs what was read.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..errors import Forbidden, InvalidInput, NotFound, TooManyRequests
from ..models import AccessLogEntry, RegisterEntry
from ..selectors.common import access_attempt, get_or_not_found
from ..selectors.register import (
    may_propose_entries,
    may_read_entries,
    purpose_required_to_read,
    register_entries_visible_to,
    register_entry_detail,
    register_entry_get,
    register_grants,
    register_reviews_due,
    register_reviews_overdue,
    sees_every_entry,
)
from ..services.audit import access_log_record
from ..services.register import (
    register_entry_decide,
    register_entry_propose,
    register_entry_record_notification,
    register_entry_review,
    register_entry_update,
)
from ..services.register_check import register_check
from ..services.register_grants import register_entry_grant, register_entry_revoke
from .base import SafetyAPIMixin, error_response
from .register_serializers import (
    CheckInputSerializer,
    CheckOutputSerializer,
    DecisionInputSerializer,
    EntryDetailSerializer,
    EntryListSerializer,
    EntryProposeSerializer,
    EntryUpdateSerializer,
    ErrorSerializer,
    GrantInputSerializer,
    GrantOutputSerializer,
    NotificationInputSerializer,
    ReviewInputSerializer,
)

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer}
PURPOSE = OpenApiParameter(
    "purpose", OpenApiTypes.STR,
    description="Why you are reading the entry (logged; also accepted as an X-Access-Purpose header). Required "
    "for the roles in REGISTER_PURPOSE_REQUIRED_ROLES (by default every role): without it the answer is 400 "
    "purpose_required, and the attempt is logged.",
)


def _purpose(request: Request) -> str:
    return (request.query_params.get("purpose") or request.headers.get("X-Access-Purpose") or "").strip()[:500]


def _required_purpose(request: Request, entry_id: str = "") -> str:
    """The purpose given for reading the register; refused (logged) when the caller's role must give one.

    Asked before the entry is looked up, so that the answer never depends on whether it exists.
    """
    purpose = _purpose(request)
    if purpose or not purpose_required_to_read(request.user):
        return purpose
    refusal = InvalidInput("Say why you are reading the register: give a purpose.", code="purpose_required",
                           errors={"purpose": ["Required: every read of the register is logged with its purpose."]})
    attempt = access_attempt(RegisterEntry, entry_id, "register_entry") if entry_id else {
        "object_type": "register_entry", "object_id": "", "subject": None}
    refusal.access_attempt = {**attempt, "outcome": AccessLogEntry.Outcome.REFUSED, "result": "purpose_missing"}
    raise refusal


def _entry_for_read(request: Request, entry_id: str) -> tuple[RegisterEntry, str]:
    purpose = _required_purpose(request, entry_id)
    try:
        return register_entry_get(request.user, entry_id), purpose
    except NotFound as refused:
        refused.access_attempt["purpose"] = purpose
        raise


def _detail_response(request: Request, entry: RegisterEntry, status_code: int = status.HTTP_200_OK,
                     purpose: str = "") -> Response:
    """The full entry, re-read through the selector, and the read logged."""
    entry = register_entry_detail(request.user, entry.pk)
    access_log_record(actor=request.user, action=AccessLogEntry.Action.VIEW, object_type="register_entry",
                      object_id=entry.pk, object_repr=entry.reference, purpose=purpose or _purpose(request),
                      result=entry.state, request=request, subject=entry.subject_id)
    return Response(EntryDetailSerializer(entry).data, status=status_code)


class RegisterCheckView(SafetyAPIMixin, APIView):
    """POST register/check/: is the person about to be met on the register, and what must staff do?"""

    @extend_schema(
        request=CheckInputSerializer,
        responses={200: CheckOutputSerializer, 400: ErrorSerializer, 403: ErrorSerializer, 429: ErrorSerializer},
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

    def get_queryset(self) -> QuerySet[RegisterEntry]:
        entries = register_entries_visible_to(self.request.user).select_related("subject")
        params = self.request.query_params
        if params.get("state"):
            if params["state"] not in RegisterEntry.State.values:
                raise InvalidInput(errors={"state": ["Not a state of an entry."]})
            entries = entries.filter(state=params["state"])
        review = params.get("review")
        if review == "due":
            entries = entries.filter(pk__in=register_reviews_due().values("pk"))
        elif review == "overdue":
            entries = entries.filter(pk__in=register_reviews_overdue().values("pk"))
        elif review:
            raise InvalidInput(errors={"review": ['Use "due" or "overdue".']})
        if params.get("subject"):
            try:
                entries = entries.filter(subject_id=uuid.UUID(params["subject"]))
            except ValueError:
                raise InvalidInput(errors={"subject": ["Not a subject id."]}) from None
        return entries.order_by("-proposed_at", "pk")

    @extend_schema(
        parameters=[
            OpenApiParameter("state", OpenApiTypes.STR, enum=RegisterEntry.State.values),
            OpenApiParameter("review", OpenApiTypes.STR, enum=["due", "overdue"]),
            OpenApiParameter("subject", OpenApiTypes.UUID),
            PURPOSE,
        ],
        responses={200: EntryListSerializer(many=True), 400: ErrorSerializer, 403: ErrorSerializer},
        summary="List the register entries you may see",
    )
    def get(self, request: Request) -> Response:
        if not may_read_entries(request.user):
            raise Forbidden("Frontline staff use the register check.", code="register_not_permitted")
        purpose = _required_purpose(request)
        page = self.paginate_queryset(self.get_queryset())
        access_log_record(actor=request.user, action=AccessLogEntry.Action.LIST, object_type="register_entry",
                          purpose=purpose, result=str(len(page)), request=request,
                          data={"entries": [str(e.pk) for e in page],
                                "filters": {k: v for k, v in request.query_params.items() if k != "purpose"}})
        return self.get_paginated_response(EntryListSerializer(page, many=True).data)

    @extend_schema(request=EntryProposeSerializer, responses={201: EntryDetailSerializer, **ERRORS},
                   summary="Propose a register entry (health and safety)")
    def post(self, request: Request) -> Response:
        if not may_propose_entries(request.user):  # refuse before reading the body, as the service would
            raise Forbidden("Health and safety propose register entries.", code="register_propose_not_permitted")
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


class RegisterEntryDetailView(SafetyAPIMixin, APIView):
    """GET register/entries/{id}/: the full entry (logged). PATCH: change mitigations, contact, aliases, addresses."""

    @extend_schema(parameters=[PURPOSE],
                   responses={200: EntryDetailSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
                   summary="Read a register entry in full (say why: the read is logged with its purpose)")
    def get(self, request: Request, entry_id: str) -> Response:
        entry, purpose = _entry_for_read(request, entry_id)
        return _detail_response(request, entry, purpose=purpose)

    @extend_schema(request=EntryUpdateSerializer, responses={200: EntryDetailSerializer, **ERRORS},
                   summary="Change what staff are told, or what the check matches on")
    def patch(self, request: Request, entry_id: str) -> Response:
        entry = register_entry_get(request.user, entry_id)
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


class RegisterEntryApproveView(SafetyAPIMixin, APIView):
    @extend_schema(request=DecisionInputSerializer, responses={200: EntryDetailSerializer, **ERRORS},
                   summary="Approve or refuse a proposed entry (not by its proposer)")
    def post(self, request: Request, entry_id: str) -> Response:
        entry = register_entry_get(request.user, entry_id)
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = register_entry_decide(entry=entry, actor=request.user,
                                      approve=data.validated_data["decision"] == "approve",
                                      reason=data.validated_data["reason"])
        return _detail_response(request, entry, purpose="Decided on the proposal")


class RegisterEntryNotificationView(SafetyAPIMixin, APIView):
    @extend_schema(request=NotificationInputSerializer, responses={200: EntryDetailSerializer, **ERRORS},
                   summary="Record that the individual was told in writing, or why not")
    def post(self, request: Request, entry_id: str) -> Response:
        entry = register_entry_get(request.user, entry_id)
        data = NotificationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = register_entry_record_notification(entry=entry, actor=request.user, **data.validated_data)
        return _detail_response(request, entry, purpose="Recorded the notification")


class RegisterEntryReviewView(SafetyAPIMixin, APIView):
    @extend_schema(request=ReviewInputSerializer, responses={200: EntryDetailSerializer, **ERRORS},
                   summary="Review an entry: renew it or remove it (early if need be)")
    def post(self, request: Request, entry_id: str) -> Response:
        entry = register_entry_get(request.user, entry_id)
        data = ReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = register_entry_review(entry=entry, actor=request.user, **data.validated_data)
        return _detail_response(request, entry, purpose="Reviewed the entry")


def _managed_entry(request: Request, entry_id: str) -> RegisterEntry:
    """An entry whose grants the caller manages. Others who can see it get 403; the rest 404."""
    entry = register_entry_get(request.user, entry_id)
    if not sees_every_entry(request.user):
        raise Forbidden("Only the monitoring officer or health and safety manage access.",
                        code="register_grant_not_permitted")
    return entry


class RegisterEntryGrantsView(SafetyAPIMixin, APIView):
    """GET register/entries/{id}/grants/: who has been granted the entry. POST: grant a user or a group."""

    @extend_schema(responses={200: GrantOutputSerializer(many=True), 403: ErrorSerializer, 404: ErrorSerializer},
                   summary="List who has been granted this entry")
    def get(self, request: Request, entry_id: str) -> Response:
        entry = _managed_entry(request, entry_id)
        users, groups = register_grants(entry)
        rows = [GrantOutputSerializer.row(g) for g in [*users, *groups]]
        return Response(GrantOutputSerializer(rows, many=True).data)

    @extend_schema(request=GrantInputSerializer, responses={201: GrantOutputSerializer, **ERRORS},
                   summary="Grant a person or a group sight of this entry (logged)")
    def post(self, request: Request, entry_id: str) -> Response:
        entry = _managed_entry(request, entry_id)
        data = GrantInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grant = register_entry_grant(entry=entry, actor=request.user, request=request, **data.validated_data)
        return Response(GrantOutputSerializer(GrantOutputSerializer.row(grant)).data, status=status.HTTP_201_CREATED)


class RegisterEntryRevokeView(SafetyAPIMixin, APIView):
    """DELETE register/entries/{id}/grants/users/{pk}/ or .../groups/{pk}/: revoke (logged)."""

    kind: str = "users"

    @extend_schema(parameters=[OpenApiParameter("reason", OpenApiTypes.STR)],
                   responses={204: None, **ERRORS}, summary="Revoke a grant (logged)")
    def delete(self, request: Request, entry_id: str, grantee_id: str) -> Response:
        entry = _managed_entry(request, entry_id)
        model: Any = get_user_model() if self.kind == "users" else Group
        grantee = get_or_not_found(model._default_manager.all(), grantee_id)
        who = {"user": grantee} if self.kind == "users" else {"group": grantee}
        register_entry_revoke(entry=entry, actor=request.user, request=request,
                              reason=request.query_params.get("reason", ""), **who)
        return Response(status=status.HTTP_204_NO_CONTENT)
