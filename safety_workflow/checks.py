"""System checks, each with a stable id that the documentation and tests refer to.

| id | meaning |
| --- | --- |
| safety_workflow.E001 | django-guardian's ObjectPermissionBackend is not in AUTHENTICATION_BACKENDS |
| safety_workflow.E002 | PDF export is on but WeasyPrint cannot be imported |
| safety_workflow.E003 | SAFETY_WORKFLOW["ROLES"] maps a role that does not exist |
| safety_workflow.E004 | SAFETY_WORKFLOW has an option that does not exist |
| safety_workflow.E005 | an SLA entry is not a positive number of hours or working days (or None) |
| safety_workflow.E006 | ADAPTER cannot be imported |
| safety_workflow.E007 | "viewflow.workflow" or "guardian" is missing from INSTALLED_APPS |
| safety_workflow.E008 | PDF export is on but pypdf cannot be imported, or WeasyPrint is older than 68 (no URLFetcher) |
| safety_workflow.E010 | TASK_BACKEND is not an alias of TASKS, or a queue we use is not one of its QUEUES |
| safety_workflow.E011 | SCHEDULE names a task that is not scheduled work, or an interval that is not seconds |
| safety_workflow.E012 | the retention schedule (RETENTION) cannot be applied: a malformed or impossible period |
| safety_workflow.E013 | PHONE_REGION is not a region phonenumbers knows, or REGISTER_NAME_VARIANTS is malformed |
| safety_workflow.E014 | GOV.UK Notify templates without an API key or client, or a malformed key or template map |
| safety_workflow.E015 | a notification or webhook delivery option is not a usable number |
| safety_workflow.W001 | viewflow's base app "viewflow" is installed: it edits the host's MIDDLEWARE |
| safety_workflow.W002 | the task backend runs tasks inside the request (immediate) and DEBUG is off |
| safety_workflow.W003 | the task backend never runs tasks (dummy) and DEBUG is off |
| safety_workflow.W004 | the OCR engine (Tesseract) cannot be used: text in images and scanned PDFs is unavailable |
| safety_workflow.W005 | webhooks may go to private or loopback addresses and DEBUG is off |
| safety_workflow.W007 | PDF export is on but COUNCIL_ADDRESS is empty: draft witness statements give no work address |
| safety_workflow.W008 | DEBUG is off and a PostgreSQL database opens a connection per request (CONN_MAX_AGE 0) |
| safety_workflow.W006 | DOCUMENT_LANGUAGE or NOTICE_LANGUAGE is not en, cy or bilingual; or no compiled cy catalogue |
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .conf import DEFAULTS, app_settings
from .roles import KNOWN_ROLES

GUARDIAN_BACKEND = "guardian.backends.ObjectPermissionBackend"


@register(Tags.security)
def check_guardian_backend(app_configs: Any = None, **kwargs: Any) -> list:
    if GUARDIAN_BACKEND in settings.AUTHENTICATION_BACKENDS:
        return []
    return [
        Error(
            "django-guardian's object permission backend is not enabled.",
            hint=f"Add {GUARDIAN_BACKEND!r} to AUTHENTICATION_BACKENDS: register entries "
            "are shared per object and cannot be granted without it.",
            id="safety_workflow.E001",
        )
    ]


@register()
def check_pdf_export(app_configs: Any = None, **kwargs: Any) -> list:
    if not app_settings.PDF_EXPORT:
        return []
    try:
        import weasyprint  # noqa: F401
    except Exception as exc:  # OSError when Pango is missing, ImportError when not installed
        return [
            Error(
                f"PDF export is on but WeasyPrint cannot be imported ({exc.__class__.__name__}: {exc}).",
                hint='Install the "pdf" extra (pip install safety-workflow[pdf]) and Pango, '
                'or set SAFETY_WORKFLOW["PDF_EXPORT"] = False.',
                id="safety_workflow.E002",
            )
        ]
    return []


@register()
def check_council_address(app_configs: Any = None, **kwargs: Any) -> list:
    """A draft witness statement gives the witness's work address (CPR PD32 18.1): the council's, never a home."""
    if not app_settings.PDF_EXPORT or " ".join(str(app_settings.COUNCIL_ADDRESS or "").split()):
        return []
    return [
        Warning(
            "COUNCIL_ADDRESS is empty: draft witness statements in injunction bundles will give no work address.",
            hint='Set SAFETY_WORKFLOW["COUNCIL_ADDRESS"] to the council\'s address, on one line (a witness gives '
            "their work address, CPR PD32 para 18.1, never their home address).",
            id="safety_workflow.W007",
        )
    ]


@register()
def check_pdf_libraries(app_configs: Any = None, **kwargs: Any) -> list:
    """Bundles need pypdf, and a WeasyPrint whose URL fetcher can be replaced (68 and later)."""
    if not app_settings.PDF_EXPORT:
        return []
    problems = []
    try:
        import pypdf  # noqa: F401
    except Exception as exc:
        problems.append(f"pypdf cannot be imported ({exc.__class__.__name__}: {exc})")
    try:
        from weasyprint.urls import URLFetcher  # noqa: F401
    except ImportError as exc:
        if "URLFetcher" in str(exc):
            problems.append("WeasyPrint is older than 68: bundles need its URLFetcher class")
    except Exception:
        pass  # WeasyPrint not importable at all: E002 says so
    return [
        Error(
            f"PDF export is on but {problem}.",
            hint='Install the "pdf" extra (pip install safety-workflow[pdf]), or set '
            'SAFETY_WORKFLOW["PDF_EXPORT"] = False.',
            id="safety_workflow.E008",
        )
        for problem in problems
    ]


def _backend_kind(backend: Any) -> str:
    """``"immediate"``, ``"dummy"`` or ``""``, for django.tasks' and the django-tasks backport's own backends."""
    for klass in type(backend).__mro__:
        module = klass.__module__
        if module.startswith(("django.tasks.backends.", "django_tasks.backends.")):
            if klass.__name__ == "ImmediateBackend":
                return "immediate"
            if klass.__name__ == "DummyBackend":
                return "dummy"
    return ""


@register()
def check_task_backend(app_configs: Any = None, **kwargs: Any) -> list:
    """The task backend exists and takes safety_workflow's queues; warn if it runs tasks in the request."""
    from .background import InvalidTaskBackendError, task_backends

    alias = app_settings.TASK_BACKEND
    try:
        backend = task_backends[alias]
    except (InvalidTaskBackendError, ImportError, KeyError) as exc:
        return [Error(f'SAFETY_WORKFLOW["TASK_BACKEND"] is {alias!r}, which the TASKS setting cannot give ({exc}).',
                      hint="Name an alias of TASKS (docs/background.md).", id="safety_workflow.E010")]
    messages: list = []
    allowed = getattr(backend, "queues", None)
    for option in ("TASK_QUEUE", "BUNDLE_TASK_QUEUE", "EVIDENCE_TEXT_TASK_QUEUE"):
        queue = getattr(app_settings, option)
        if allowed and queue not in allowed:
            messages.append(Error(
                f'SAFETY_WORKFLOW["{option}"] is {queue!r}, a queue the {alias!r} task backend does not take.',
                hint=f"Add {queue!r} to TASKS[{alias!r}][\"QUEUES\"] (and run a worker for it).",
                id="safety_workflow.E010"))
    kind = _backend_kind(backend)
    if kind == "immediate" and not settings.DEBUG:
        messages.append(Warning(
            f"The {alias!r} task backend runs tasks inside the request: bundle builds and notifications make "
            "requests wait, and a slow one times out.",
            hint="Use a queue and a worker in production: django-tasks-db's DatabaseBackend and `manage.py "
                 "db_worker`, or RQ (docs/background.md).",
            id="safety_workflow.W002"))
    if kind == "dummy" and not settings.DEBUG:
        messages.append(Warning(
            f"The {alias!r} task backend never runs tasks: bundles stay queued and nobody is notified.",
            hint="Use a queue and a worker (docs/background.md).", id="safety_workflow.W003"))
    return messages


@register()
def check_schedule(app_configs: Any = None, **kwargs: Any) -> list:
    from .background import SCHEDULED

    schedule = app_settings.SCHEDULE
    if not isinstance(schedule, dict):
        return [Error('SAFETY_WORKFLOW["SCHEDULE"] must be a dict of task name -> seconds.', id="safety_workflow.E011")]
    errors = []
    for name, every in schedule.items():
        valid_every = every in (None, 0) or (isinstance(every, (int, float)) and not isinstance(every, bool)
                                             and every > 0)
        if name not in SCHEDULED or not valid_every:
            errors.append(Error(
                f'SAFETY_WORKFLOW["SCHEDULE"][{name!r}] = {every!r} is not a scheduled task and an interval.',
                hint=f"Scheduled tasks: {', '.join(sorted(SCHEDULED))}; give seconds (0 or None: never).",
                id="safety_workflow.E011"))
    return errors


@register()
def check_roles(app_configs: Any = None, **kwargs: Any) -> list:
    roles = app_settings.ROLES
    if not isinstance(roles, dict):
        return [Error('SAFETY_WORKFLOW["ROLES"] must be a dict of role -> group names.',
                      id="safety_workflow.E003")]
    unknown = sorted(set(roles) - KNOWN_ROLES)
    if not unknown:
        return []
    return [
        Error(
            f'SAFETY_WORKFLOW["ROLES"] maps unknown role(s): {", ".join(unknown)}.',
            hint=f"Known roles: {', '.join(sorted(KNOWN_ROLES))}.",
            id="safety_workflow.E003",
        )
    ]


@register()
def check_options(app_configs: Any = None, **kwargs: Any) -> list:
    unknown = app_settings.unknown_options()
    if not unknown:
        return []
    return [
        Error(
            f"SAFETY_WORKFLOW has unknown option(s): {', '.join(unknown)}.",
            hint=f"Valid options: {', '.join(sorted(DEFAULTS))}.",
            id="safety_workflow.E004",
        )
    ]


@register()
def check_sla(app_configs: Any = None, **kwargs: Any) -> list:
    errors = []
    for node, spec in (app_settings.SLA or {}).items():
        ok = spec is None or (  # None: no due time for this task
            isinstance(spec, dict)
            and len(spec) == 1
            and next(iter(spec)) in ("hours", "working_days")
            and isinstance(next(iter(spec.values())), (int, float))
            and next(iter(spec.values())) > 0
        )
        if not ok:
            errors.append(
                Error(
                    f'SAFETY_WORKFLOW["SLA"][{node!r}] = {spec!r} is not a service level.',
                    hint='Use {"hours": N} or {"working_days": N} with N > 0, or None for no due time.',
                    id="safety_workflow.E005",
                )
            )
    return errors


@register()
def check_importable(app_configs: Any = None, **kwargs: Any) -> list:
    errors = []
    for name in ("ADAPTER",):
        try:
            getattr(app_settings, name)
        except ImportError as exc:
            errors.append(Error(str(exc), id="safety_workflow.E006"))
    return errors


@register()
def check_installed_apps(app_configs: Any = None, **kwargs: Any) -> list:
    messages = []
    for app in ("viewflow.workflow", "guardian"):
        if app not in settings.INSTALLED_APPS:
            messages.append(
                Error(f"{app!r} must be in INSTALLED_APPS for safety_workflow.",
                      id="safety_workflow.E007")
            )
    if "viewflow" in settings.INSTALLED_APPS:
        messages.append(
            Warning(
                "viewflow's base app 'viewflow' is installed; it appends its own middleware to MIDDLEWARE.",
                hint="safety_workflow needs only 'viewflow.workflow'.",
                id="safety_workflow.W001",
            )
        )
    return messages


@register()
def check_retention(app_configs: Any = None, **kwargs: Any) -> list:
    from .retention import schedule, schedule_problems

    problems = schedule_problems(app_settings.RETENTION)
    if not problems:
        idempotency = schedule()["idempotency"]
        hours = app_settings.IDEMPOTENCY_KEY_TTL_HOURS
        if isinstance(hours, (int, float)) and idempotency.approx_days() * 24 < hours:
            problems.append(f"RETENTION['idempotency'] ({idempotency.label}) is shorter than "
                            f"IDEMPOTENCY_KEY_TTL_HOURS ({hours}): a retried report could be recorded twice.")
    return [
        Error(problem, hint="See docs/retention.md for the schedule and the triggers each kind allows.",
              id="safety_workflow.E012")
        for problem in problems
    ]


@register()
def check_matching_options(app_configs: Any = None, **kwargs: Any) -> list:
    import phonenumbers

    errors = []
    region = app_settings.PHONE_REGION
    if not isinstance(region, str) or region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        errors.append(Error(f"SAFETY_WORKFLOW['PHONE_REGION'] = {region!r} is not a region code phonenumbers knows.",
                            hint='Use an ISO 3166 code such as "GB".', id="safety_workflow.E013"))
    groups = app_settings.REGISTER_NAME_VARIANTS
    if not isinstance(groups, (list, tuple)) or not all(
        isinstance(group, (list, tuple)) and group and all(isinstance(n, str) and n.strip() for n in group)
        for group in groups
    ):
        errors.append(Error("SAFETY_WORKFLOW['REGISTER_NAME_VARIANTS'] must be a list of lists of names.",
                            hint='For example [["dafydd", "dai", "david"]].', id="safety_workflow.E013"))
    return errors


@register()
def check_ocr_engine(app_configs: Any = None, **kwargs: Any) -> list:
    """Text in images and scanned PDFs needs Tesseract (optional: without it the text is marked unavailable)."""
    from .ocr import engine_or_none

    found, reason = engine_or_none()
    if found is not None:
        return []
    return [Warning(
        f"Text cannot be read from images and scanned PDFs: {reason}. Their text is marked unavailable, bundles "
        "carry no searchable text for them, and a bundle that redacts withholds them.",
        hint='Install Tesseract (apt-get install tesseract-ocr tesseract-ocr-eng) and the "ocr" extra, or set '
             'SAFETY_WORKFLOW["EVIDENCE_OCR_COMMAND"]; then `manage.py safety_workflow_read_evidence '
             '--unavailable` reads what was missed.',
        id="safety_workflow.W004")]


@register()
def check_notify(app_configs: Any = None, **kwargs: Any) -> list:
    """GOV.UK Notify: the templates by event, the key they need, and the client that sends them."""
    import importlib.util

    templates = app_settings.NOTIFY_TEMPLATES
    hint = "See docs/integration.md (GOV.UK Notify)."
    if not isinstance(templates, dict) or not all(
        isinstance(spec, dict) and set(spec) <= {"email", "sms"} and all(isinstance(v, str) for v in spec.values())
        for spec in templates.values()
    ):
        return [Error('SAFETY_WORKFLOW["NOTIFY_TEMPLATES"] must map events to {"email": <template id>, "sms": '
                      "<template id>}.", hint=hint, id="safety_workflow.E014")]
    if not any(v for spec in templates.values() for v in spec.values()):
        return []
    errors = []
    key = app_settings.NOTIFY_API_KEY
    if not key:
        errors.append(Error("NOTIFY_TEMPLATES names GOV.UK Notify templates but NOTIFY_API_KEY is empty.",
                            hint=hint, id="safety_workflow.E014"))
    elif not isinstance(key, str) or len(key) < 74:
        errors.append(Error("NOTIFY_API_KEY is not a GOV.UK Notify API key (<name>-<service id>-<secret>).",
                            hint=hint, id="safety_workflow.E014"))
    if importlib.util.find_spec("notifications_python_client") is None:
        errors.append(Error("NOTIFY_TEMPLATES is set but notifications-python-client is not installed.",
                            hint='pip install "safety-workflow[notify]".', id="safety_workflow.E014"))
    return errors


@register()
def check_delivery_options(app_configs: Any = None, **kwargs: Any) -> list:
    errors = []
    for name, least in (("NOTIFICATION_MAX_ATTEMPTS", 1), ("NOTIFICATION_RETRY_BASE_SECONDS", 0),
                        ("WEBHOOK_MAX_ATTEMPTS", 1), ("WEBHOOK_RETRY_BASE_SECONDS", 0),
                        ("WEBHOOK_TIMEOUT_SECONDS", 1), ("NOTIFY_TIMEOUT_SECONDS", 1)):
        value = getattr(app_settings, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < least:
            errors.append(Error(f"SAFETY_WORKFLOW[{name!r}] = {value!r}: a number, {least} or more.",
                                id="safety_workflow.E015"))
    return errors


@register(Tags.security)
def check_webhook_addresses(app_configs: Any = None, **kwargs: Any) -> list:
    if not app_settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES or settings.DEBUG:
        return []
    return [Warning(
        "Webhook subscriptions may point at private, loopback and link-local addresses: whoever manages "
        "subscriptions can make the server send requests into the council's own network.",
        hint='Set SAFETY_WORKFLOW["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = False unless every receiver is inside.',
        id="safety_workflow.W005")]


@register(Tags.database)
def check_persistent_connections(app_configs: Any = None, **kwargs: Any) -> list:
    """Off DEBUG, a PostgreSQL connection per request costs as much as several of the API's statements."""
    if settings.DEBUG:
        return []
    messages = []
    for alias, database in settings.DATABASES.items():
        if "postgresql" in database.get("ENGINE", "") and not database.get("CONN_MAX_AGE"):
            messages.append(Warning(
                f"DATABASES[{alias!r}] opens a new PostgreSQL connection for every request (CONN_MAX_AGE is 0).",
                hint="Set CONN_MAX_AGE (e.g. 600) and CONN_HEALTH_CHECKS = True (docs/installation.md, "
                     "\"Production\").",
                id="safety_workflow.W008"))
    return messages


@register()
def check_languages(app_configs: Any = None, **kwargs: Any) -> list:
    """The document and notice languages are ones the package writes, and its Welsh catalogue is compiled."""
    from pathlib import Path

    from .i18n import DOCUMENT_LANGUAGES

    warnings = []
    for name in ("DOCUMENT_LANGUAGE", "NOTICE_LANGUAGE"):
        value = getattr(app_settings, name)
        if value not in DOCUMENT_LANGUAGES:
            warnings.append(Warning(
                f"SAFETY_WORKFLOW[{name!r}] = {value!r} is not a language the package writes: English is used.",
                hint='Use "en", "cy" or "bilingual" (Welsh, then English).', id="safety_workflow.W006"))
    compiled = Path(__file__).resolve().parent / "locale" / "cy" / "LC_MESSAGES" / "django.mo"
    if not compiled.is_file():
        warnings.append(Warning(
            "The Welsh message catalogue is not compiled: the API and documents answer in English when asked for "
            "Welsh.",
            hint="Install the package from its wheel (which ships the .mo), or run `make messages` in a checkout.",
            id="safety_workflow.W006"))
    return warnings
