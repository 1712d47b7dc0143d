"""Settings for safety_workflow, read lazily from the host's ``SAFETY_WORKFLOW`` dict.

Usage::

    from safety_workflow.conf import app_settings
    app_settings.REGISTER_REVIEW_INTERVAL_DAYS

Nothing here reads Django settings at import time, and nothing writes to them.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

SETTINGS_NAME = "SAFETY_WORKFLOW"

#: Every option, with its default. ``docs/settings.md`` explains each one.
DEFAULTS: dict[str, Any] = {
    # Dotted path to the host adapter (see adapter.py).
    "ADAPTER": "safety_workflow.adapter.DefaultAdapter",
    # Role -> the host's group names that carry it. A user may hold several roles.
    "ROLES": {
        "councillor": ["Councillors"],
        "candidate": ["Candidates"],
        "members_services": ["Members Services"],
        "health_and_safety": ["Health and Safety"],
        "legal": ["Legal"],
        "monitoring_officer": ["Monitoring Officer"],
        "electoral_services": ["Electoral Services"],
        "police_liaison": ["Police Liaison"],
        "frontline": ["Frontline Staff"],
        "information_governance": ["Information Governance"],
    },
    # Prefix of human-readable references (case SW-2026-0001, incident SW-2026-0001-01).
    "REFERENCE_PREFIX": "SW",
    # Service levels for human tasks, by flow node name. Units: "hours" or "working_days".
    "SLA": {
        "triage": {"working_days": 1},
        "assess": {"working_days": 2},
        "advise": {"working_days": 2},
        "council_action": {"working_days": 5},
        "prepare_bundle": {"working_days": 10},
        "injunction_outcome": {"working_days": 60},
        "police_acknowledge": {"hours": 1},
        "police_outcome": {"working_days": 20},
        "close": {"working_days": 2},
        "register_proposal": {"working_days": 5},
        "home_security": {"working_days": 10},
        "employee_assistance": {"working_days": 2},
        "approve": {"working_days": 5},
        "notify": {"working_days": 5},
        "review": {"working_days": 10},
    },
    # Weekdays that are working days (Monday is 0) and dates that are not (bank holidays, ISO strings).
    "WORKING_DAYS": [0, 1, 2, 3, 4],
    "NON_WORKING_DATES": [],
    # Evidence uploads.
    "EVIDENCE_MAX_BYTES": 50 * 1024 * 1024,
    "EVIDENCE_ALLOWED_TYPES": [
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/heic",
        "application/pdf",
        "text/plain",
        "message/rfc822",
        "audio/mpeg",
        "audio/mp4",
        "audio/x-wav",
        "video/mp4",
        "video/quicktime",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ],
    "EVIDENCE_UPLOAD_PATH": "safety_workflow/evidence",
    # Reading the text of evidence (docs/evidence.md): the Tesseract program (a name on PATH or a path),
    # its languages ("eng+cym" for English and Welsh: apt-get install tesseract-ocr-cym), the resolution
    # scanned PDF pages are read at, how long one page may take (seconds; 0: no limit), and the task queue
    # the reading goes to (a queue of its own keeps notices from waiting behind a long scan).
    "EVIDENCE_OCR_COMMAND": "tesseract",
    "EVIDENCE_OCR_LANGUAGES": "eng",
    "EVIDENCE_OCR_DPI": 300,
    "EVIDENCE_OCR_TIMEOUT_SECONDS": 120,
    "EVIDENCE_TEXT_TASK_QUEUE": "default",
    # Redacting words inside images: an image (or scanned page) whose words were read with a mean
    # confidence under this (0-100) is withheld from a bundle that redacts, rather than risk missing a word.
    "EVIDENCE_REDACTION_MIN_CONFIDENCE": 75,
    # Potentially Violent Persons Register.
    "REGISTER_REVIEW_INTERVAL_DAYS": 365,
    "REGISTER_CHECKS_PER_HOUR": 30,
    # Roles that may run the pre-meeting register check (POST register/check/).
    "REGISTER_CHECK_ROLES": [
        "frontline", "members_services", "health_and_safety", "monitoring_officer", "legal",
    ],
    # Roles that must say why they read a register entry (GET register/entries/ and .../{id}/, as
    # ?purpose= or an X-Access-Purpose header). The check's purpose is always required.
    "REGISTER_PURPOSE_REQUIRED_ROLES": [
        "councillor", "members_services", "health_and_safety", "legal", "monitoring_officer",
        "electoral_services", "police_liaison", "information_governance",
    ],
    # Whom a possible match is told to call to confirm: {"name": ..., "phone": ..., "email": ...}.
    "REGISTER_ADVICE_CONTACT": {"name": "the Health and Safety team", "phone": "", "email": ""},
    # Extra forename variant groups for the check, e.g. [["dafydd", "dai", "david"]] (see name_variants.py).
    "REGISTER_NAME_VARIANTS": [],
    # Country whose numbering plan applies to phone numbers written without a country code (ISO 3166 code).
    "PHONE_REGION": "GB",
    # Bundles and PDF export.
    "PDF_EXPORT": True,
    "BUNDLE_UPLOAD_PATH": "safety_workflow/bundles",
    # The council's name on bundle cover sheets and draft witness statements ("" prints "the Council").
    "COUNCIL_NAME": "",
    # The council's address, given in draft witness statements as the witness's address for the statement
    # (CPR PD32 18.1: a witness speaking in a professional capacity gives their work address, never their home).
    "COUNCIL_ADDRESS": "",
    # The council's name in Welsh, for documents written in Welsh ("" uses COUNCIL_NAME, or "y Cyngor").
    "COUNCIL_NAME_CY": "",
    # Languages (docs/language.md): the language of the documents the package writes (bundles, letters) when
    # neither the request nor the person it is for says: "en", "cy", or "bilingual" (Welsh, then English);
    # and the language of the notices it sends ("en", "cy" or "bilingual"), whoever's request caused them.
    "DOCUMENT_LANGUAGE": "en",
    "NOTICE_LANGUAGE": "en",
    # A queued or running bundle build with no sign of life for this many seconds counts as dead
    # (a killed worker): the scheduled requeue task queues it again, and it may be retried through the API.
    "BUNDLE_STALE_AFTER_SECONDS": 900,
    # The requeue task gives up (marks the bundle failed) after this many attempts at one bundle.
    "BUNDLE_MAX_ATTEMPTS": 3,
    # Evidence images are resampled to at most this resolution in bundles (judiciary guidance: 300 dpi).
    "BUNDLE_IMAGE_DPI": 300,
    # Background work (docs/background.md): the alias in the host's TASKS that runs safety_workflow's tasks,
    # the queue for notifications and scheduled work, and the queue for bundle builds (give builds a queue
    # and a worker of their own, so that a notice never waits behind a 500-page bundle).
    "TASK_BACKEND": "default",
    "TASK_QUEUE": "default",
    "BUNDLE_TASK_QUEUE": "default",
    # What the safety_workflow_scheduler command queues, and how often (seconds; 0 or None: never).
    "SCHEDULE": {
        "requeue_stale_bundles": 300,
        "notify_overdue_tasks": 900,
        "open_register_reviews": 86400,
        "dispose_expired_records": 86400,
        "retry_deliveries": 60,
    },
    # How long an Idempotency-Key is remembered, in hours.
    "IDEMPOTENCY_KEY_TTL_HOURS": 72,
    # Patterns in the log (docs/patterns.md). The course-of-conduct threshold (two occasions) is the
    # Protection from Harassment Act's own, so it is not a setting.
    # "Incidents are becoming more frequent": needs this many incidents, and the recent gaps between
    # them at most this fraction of the earlier gaps.
    "ESCALATION_FREQUENCY_MIN_INCIDENTS": 4,
    "ESCALATION_FREQUENCY_RATIO": 0.5,
    # "Several people targeted by the same subject": from this many protected people (of any kind).
    "ESCALATION_PEOPLE_THRESHOLD": 2,
    # Words suggesting threatening or excessively abusive language (an Operation Ford trigger), matched
    # as whole words; None means the shipped list, safety_workflow.patterns.DEFAULT_THREAT_PHRASES.
    "POLICE_TRIGGER_PHRASES": None,
    # Retention schedule (docs/retention.md): for each kind of record, how long it is kept after which
    # event: {"years"|"months"|"days": N, "after": trigger}. A council's entries are merged over these
    # defaults kind by kind. The sources of each default are cited in docs/retention.md.
    "RETENTION": {
        "case": {"years": 6, "after": "case_closed"},
        "evidence": {"years": 6, "after": "case_closed"},
        "bundle": {"years": 1, "after": "created"},
        "support": {"years": 6, "after": "created"},
        "register_entry": {"days": 183, "after": "entry_removed"},
        "access_log": {"years": 6, "after": "created"},
        "check_query": {"years": 1, "after": "created"},
        "idempotency": {"days": 7, "after": "created"},
        "liaison_meeting": {"years": 6, "after": "created"},
        "subject": {"days": 30, "after": "created"},
        "protected_person": {"years": 1, "after": "created"},
        "notification": {"years": 1, "after": "created"},
        "webhook_delivery": {"days": 90, "after": "created"},
    },
    # Disposal works through expired records this many at a time (one transaction per batch).
    "DISPOSAL_BATCH_SIZE": 200,
    # Notifications (docs/integration.md). Each notice is a Notification record, sent by a task; one that fails
    # is tried again after NOTIFICATION_RETRY_BASE_SECONDS, then twice that, four times... up to
    # NOTIFICATION_MAX_ATTEMPTS attempts in all.
    "NOTIFICATION_MAX_ATTEMPTS": 5,
    "NOTIFICATION_RETRY_BASE_SECONDS": 60,
    # GOV.UK Notify (the `notify` extra): the API key, the API's address, and the Notify template ids by
    # event: {"police_referral_made": {"email": "<template id>", "sms": "<template id>"}, "*": {...}}. An event
    # with an "email" template goes through Notify instead of Django e-mail; with an "sms" template, the
    # recipients who have a phone number are texted too. Templates get ((subject)), ((message)) and
    # ((reference)). NOTIFY_CALLBACK_TOKEN: the bearer token set on the service's delivery-receipt callback.
    "NOTIFY_API_KEY": "",
    "NOTIFY_BASE_URL": "https://api.notifications.service.gov.uk",
    "NOTIFY_TEMPLATES": {},
    "NOTIFY_CALLBACK_TOKEN": "",
    "NOTIFY_TIMEOUT_SECONDS": 10,
    # Outbound webhooks: attempts per event, the first retry's delay (doubled each time), the request's
    # timeout, the CloudEvents "source" ("" gives "urn:safety-workflow:<REFERENCE_PREFIX>"), and whether
    # subscriptions may point at private, loopback or link-local addresses (off: a subscription must not
    # reach the council's own network; on only for tests and a receiver on the same machine).
    "WEBHOOK_MAX_ATTEMPTS": 8,
    "WEBHOOK_RETRY_BASE_SECONDS": 30,
    "WEBHOOK_TIMEOUT_SECONDS": 10,
    "WEBHOOK_SOURCE": "",
    "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": False,
}

#: Options given as dotted paths, imported on first use.
IMPORT_STRINGS = ("ADAPTER",)

#: Options whose default is a dict: the host's dict is merged over the default, key by key, so a host
#: that sets one service level (or one role's groups, or the advice contact's phone) keeps the others.
#: ``None`` as a value is kept: ``{"SLA": {"advise": None}}`` gives the advice task no due time.
MERGED_DICTS = tuple(name for name, value in DEFAULTS.items() if isinstance(value, dict))


def import_from_string(path: str, setting_name: str) -> Any:
    module_path, _, attr = path.rpartition(".")
    try:
        return getattr(import_module(module_path), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ImportError(
            f"Could not import {path!r} for {SETTINGS_NAME}[{setting_name!r}]: {exc}"
        ) from exc


class AppSettings:
    """Lazy view of ``settings.SAFETY_WORKFLOW`` merged over :data:`DEFAULTS` (dict options key by key)."""

    def __init__(self, defaults: dict[str, Any] | None = None) -> None:
        self.defaults = defaults or DEFAULTS
        self._cached: set[str] = set()

    @property
    def user_settings(self) -> dict[str, Any]:
        if not hasattr(self, "_user_settings"):
            self._user_settings = getattr(settings, SETTINGS_NAME, {}) or {}
        return self._user_settings

    def __getattr__(self, name: str) -> Any:
        if name not in self.defaults:
            raise AttributeError(f"Invalid {SETTINGS_NAME} option: {name!r}")
        default = self.defaults[name]
        value = self.user_settings.get(name, default)
        if name in MERGED_DICTS and isinstance(value, dict) and value is not default:
            value = {**default, **value}
        if name in IMPORT_STRINGS and isinstance(value, str):
            value = import_from_string(value, name)
        self._cached.add(name)
        setattr(self, name, value)
        return value

    def unknown_options(self) -> list[str]:
        return sorted(set(self.user_settings) - set(self.defaults))

    def reload(self) -> None:
        for name in self._cached:
            delattr(self, name)
        self._cached.clear()
        if hasattr(self, "_user_settings"):
            delattr(self, "_user_settings")


app_settings = AppSettings(DEFAULTS)


@receiver(setting_changed)
def _reload_app_settings(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTINGS_NAME:
        app_settings.reload()
