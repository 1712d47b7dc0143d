"""Errors raised by services, each with a stable machine-readable code and an HTTP status.

The API turns them into ``{"code": ..., "message": ..., "errors": {...}}`` bodies. Codes are
part of the public API: add new ones, never rename.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy


class SafetyWorkflowError(Exception):
    status_code = 400
    code = "invalid"
    default_message = gettext_lazy("The request is not valid.")

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
    default_message = gettext_lazy("Not found.")


class Forbidden(SafetyWorkflowError):
    """For actions on objects the caller may see but not change."""

    status_code = 403
    code = "forbidden"
    default_message = gettext_lazy("You do not have permission to do this.")


class Conflict(SafetyWorkflowError):
    status_code = 409
    code = "conflict"
    default_message = gettext_lazy("The record changed; reload and try again.")


class TooManyRequests(SafetyWorkflowError):
    status_code = 429
    code = "rate_limited"
    default_message = gettext_lazy("Too many requests; try again later.")


class PayloadTooLarge(SafetyWorkflowError):
    status_code = 413
    code = "file_too_large"
    default_message = gettext_lazy("The file is too large.")


class UnsupportedMediaType(SafetyWorkflowError):
    status_code = 415
    code = "unsupported_file_type"
    default_message = gettext_lazy("This type of file is not accepted.")


#: Every code the API answers, by HTTP status: the OpenAPI schema's error bodies enumerate them, and
#: ``tests/test_api_contract.py`` checks that every code raised in the package is listed here.
#: Codes are public API: add, never rename.
ERROR_CODES: dict[int, frozenset[str]] = {
    400: frozenset({
        "invalid", "malformed_request", "unknown_parameters", "purpose_required", "invalid_scope", "empty_scope",
        "invalid_redactions", "invalid_answers", "override_needs_reason", "person_not_informed",
        "protected_person_invalid", "invalid_bundle", "register_entry_invalid", "register_entry_not_for_case",
        "reason_required", "nothing_to_update", "referral_closed", "flag_removed", "advice_needs_text",
        "meeting_in_future", "empty_file", "grantee_not_eligible", "incident_not_about_subject",
        "incident_not_in_case", "split_leaves_case_empty", "split_mixed_subjects", "unreadable_pdf",
        "webhook_url_refused",
    }),
    401: frozenset({"not_authenticated", "authentication_failed"}),
    403: frozenset({
        "not_authenticated", "authentication_failed", "forbidden", "cannot_report", "cannot_report_for_others",
        "cannot_add_evidence", "cannot_record_support", "cannot_record_meeting", "task_wrong_role",
        "register_not_permitted", "register_check_not_permitted", "register_propose_not_permitted",
        "register_decide_not_permitted", "register_notify_not_permitted", "register_review_not_permitted",
        "register_change_not_permitted", "register_grant_not_permitted", "approver_is_proposer",
        "audit_not_permitted", "correction_not_permitted", "hold_not_permitted", "holds_not_permitted",
        "retention_not_permitted", "cannot_record_person", "cannot_record_election", "notifications_not_permitted",
        "webhooks_not_permitted",
    }),
    404: frozenset({"not_found"}),
    405: frozenset({"method_not_allowed"}),
    406: frozenset({"not_acceptable"}),
    409: frozenset({
        "busy", "bundle_not_ready", "bundle_ready", "bundle_in_progress", "bundle_integrity_failed",
        "case_not_referred", "task_already_completed", "task_claimed_by_other", "task_not_yours", "task_not_open",
        "task_completed_elsewhere", "idempotency_key_reused", "no_decision_table", "case_not_open",
        "register_entry_exists", "register_entry_wrong_step", "register_entry_erased", "employee_assistance_open",
        "no_subject_linked", "hold_released", "protected_person_exists", "candidacy_exists",
        "no_injunction", "bundle_not_supplementable", "nothing_to_supplement",
    }),
    413: frozenset({"file_too_large", "request_too_large"}),
    415: frozenset({"unsupported_file_type", "unsupported_media_type", "file_type_mismatch", "active_content"}),
    429: frozenset({"rate_limited"}),
    503: frozenset({"pdf_export_off"}),
}
