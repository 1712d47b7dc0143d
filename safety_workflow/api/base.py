"""What every API view shares: authentication required, one error format, pagination.

Errors are ``{"code": "<stable code>", "message": "<for people>", "errors": {field: [...]}}``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import set_rollback
from viewflow.workflow.exceptions import FlowLockFailed

from ..errors import SafetyWorkflowError

DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.ParseError: "malformed_request",
    exceptions.Throttled: "rate_limited",
    exceptions.ValidationError: "invalid",
}


def _flatten(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def error_response(code: str, message: str, status_code: int, errors: dict | None = None,
                   headers: dict | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return Response(body, status=status_code, headers=headers)


def _log_attempt(exc: Exception, context: dict) -> None:
    """A refused read (``selectors.common.get_or_not_found(..., log_as=...)``) goes to the access log."""
    attempt = getattr(exc, "access_attempt", None)
    request = context.get("request")
    if not attempt or request is None:
        return
    from ..services.audit import access_log_refusal

    fields = dict(attempt)
    fields.setdefault("action", "view" if request.method in ("GET", "HEAD", "OPTIONS") else "change")
    fields.setdefault("result", fields["outcome"])
    access_log_refusal(actor=request.user, request=request, **fields)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Turn every expected failure into the one error format; anything else stays a 500 (a bug)."""
    set_rollback()
    _log_attempt(exc, context)
    if isinstance(exc, SafetyWorkflowError):
        return error_response(exc.code, exc.message, exc.status_code, exc.errors)
    if isinstance(exc, FlowLockFailed):
        return error_response("busy", "Someone else is working on this case; try again.",
                              status.HTTP_409_CONFLICT)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return error_response("invalid", "The request is not valid.", 400, _flatten(errors))
    if not isinstance(exc, exceptions.APIException):
        return None
    code = next((c for cls, c in DRF_CODES.items() if isinstance(exc, cls)), "error")
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return error_response(code, "The request is not valid.", exc.status_code, _flatten(detail), headers)
    return error_response(code, str(exc.detail), exc.status_code, headers=headers)


class Pagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200


class SafetyAPIMixin:
    """Mixed into every view of the package. Per-object rules live in selectors and services."""

    permission_classes = [IsAuthenticated]
    pagination_class = Pagination

    def get_exception_handler(self):  # noqa: D102 - DRF hook
        return exception_handler
