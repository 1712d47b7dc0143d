"""Settings of the example host: what a council adds to its own project to install safety_workflow.

SQLite by default; set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test) for PostgreSQL.
Not for production: the secret key and DEBUG are for the local demo only.
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
import django

from safety_workflow.api.schema import ENUM_NAME_OVERRIDES

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "demo-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "knox",
    "viewflow.workflow",  # only the workflow engine: viewflow's base app would edit MIDDLEWARE
    "django_tasks_db",  # the task queue, in this database
    "safety_workflow",
    "council_host",
]
if django.VERSION < (6, 0):
    INSTALLED_APPS.insert(0, "django_tasks")  # Django 5.2: the backport of django.tasks

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "council_host.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "council_host.wsgi.application"

# Persistent connections: each worker thread keeps its connection for CONN_MAX_AGE seconds instead of opening one
# per request (a few milliseconds each on PostgreSQL), and checks it is still alive before reusing it
# (CONN_HEALTH_CHECKS), so a restarted database costs one failed check, not a failed request.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the workers write to one file: wait for each other's writes instead of failing,
    # and let readers go on while one writes (WAL).
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE",
                                       "init_command": "PRAGMA journal_mode=WAL;"}

# Background work (docs/background.md). By default the queue is this database: `manage.py db_worker`
# runs the tasks, one worker for the "default" queue (notices, scheduled work) and one for "bundles", so
# a notice never waits behind a 500-page bundle. `make demo` starts both, and the scheduler, beside the
# server. TASK_ENGINE=rq moves the queue to Redis (REDIS_URL) and the workers to RQ; TASK_ENGINE=immediate
# runs every task inside its request, with no worker (for comparison only).
TASK_ENGINE = os.environ.get("TASK_ENGINE", "database")
if TASK_ENGINE == "rq":
    INSTALLED_APPS.append("django_rq")
    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default", "bundles"]}}
    # A build may take minutes: RQ's default job timeout (180 s) would stop a large bundle.
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600},
                 "bundles": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
elif TASK_ENGINE == "immediate":  # no worker: each task runs inside the request (W002 warns off DEBUG)
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend" if django.VERSION >= (6, 0)
                         else "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default", "bundles"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "bundles"]}}

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
MEDIA_ROOT = os.environ.get("DEMO_MEDIA_ROOT") or BASE_DIR / "media"
MEDIA_URL = "/media-not-served/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Notifications the demo sends are written to files instead of being mailed.
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ.get("DEMO_SENT_MAIL") or BASE_DIR / "sent-mail"

# API clients sign in once (POST /api/auth/token/ with HTTP Basic) and send "Authorization: Token <token>":
# a SHA-512 look-up per request, not a password hash (Basic auth on every request costs ~0.5 s each).
# The first class answers 401 with "WWW-Authenticate: Token" to requests without (good) credentials.
# Sessions serve the browsable docs at /api/docs/ (log in at /api-auth/login/).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Councillor safety API",
    "DESCRIPTION": "safety_workflow: incidents, assessments, the register check and case bundles.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Stable names for the API's enums.
    "ENUM_NAME_OVERRIDES": {**ENUM_NAME_OVERRIDES},
}

REST_KNOX = {
    "TOKEN_TTL": dt.timedelta(hours=10),
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_LIMIT_PER_USER": 20,
    "USER_SERIALIZER": None,
}

# The council's own group names for each role.
SAFETY_WORKFLOW = {
    "COUNCIL_ADDRESS": "Council Offices, 1 Market Street, Northtown NT1 1AA",
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
    "REFERENCE_PREFIX": "DEMO",
    "BUNDLE_TASK_QUEUE": "bundles",
    "EVIDENCE_TEXT_TASK_QUEUE": "bundles",  # reading evidence (OCR) beside the builds, not before notices
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"safety_workflow": {"handlers": ["console"], "level": "INFO"},
                "django_tasks_db": {"handlers": ["console"], "level": "INFO"}},
}
