"""Errors raised by services, each with a stable machine-readable code and an HTTP status.

The API turns them into ``{"code": ..., "message": ..., "errors": {...}}`` bodies. Codes are
part of the public API: add new ones, never rename.
"""

from __future__ import annotations

from typing import Any


class SafetyWorkflowError(Exception):
    status_code = 400
    code = "invalid"
    default_message = "The request is not valid."

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 errors: dict[str, Any] | None = None) -> None:
        self.message = message or self.default_message
        if code:
            self.code = code
        self.errors = errors or {}
        super().__init__(self.message)


class InvalidInput(SafetyWorkflowError):
    status_code = 400
    code = "invalid"


class NotFound(SafetyWorkflowError):
    """Also used when the caller may not see the object: a refusal must not reveal existence."""

    status_code = 404
    code = "not_found"
    default_message = "Not found."


class Forbidden(SafetyWorkflowError):
    """For actions on objects the caller may see but not change."""

    status_code = 403
    code = "forbidden"
    default_message = "You do not have permission to do this."


class Conflict(SafetyWorkflowError):
    status_code = 409
    code = "conflict"
    default_message = "The record changed; reload and try again."


class TooManyRequests(SafetyWorkflowError):
    status_code = 429
    code = "rate_limited"
    default_message = "Too many requests; try again later."


class PayloadTooLarge(SafetyWorkflowError):
    status_code = 413
    code = "file_too_large"
    default_message = "The file is too large."


class UnsupportedMediaType(SafetyWorkflowError):
    status_code = 415
    code = "unsupported_file_type"
    default_message = "This type of file is not accepted."
