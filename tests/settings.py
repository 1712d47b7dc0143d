"""Settings for the test suite: a custom user model, SQLite by default, DATABASE_URL for PostgreSQL."""

import importlib.util
import json
import os
import tempfile

import dj_database_url
import django

from safety_workflow.api.schema import ENUM_NAME_OVERRIDES

SECRET_KEY = "tests-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
USE_TZ = True
TIME_ZONE = "Europe/London"
LANGUAGE_CODE = "en-gb"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "guardian",
    "knox",
    "viewflow.workflow",
    "django_tasks_db",
    "safety_workflow",
    "tests.testapp",
]
if django.VERSION < (6, 0):
    INSTALLED_APPS.insert(0, "django_tasks")  # the backport of django.tasks (its checks and signals)
HAVE_RQ = importlib.util.find_spec("django_tasks_rq") is not None and not os.environ.get("SW_TEST_WITHOUT_RQ")
if HAVE_RQ:
    INSTALLED_APPS.append("django_rq")
AUTH_USER_MODEL = "testapp.Officer"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "tests.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {
    "default": dj_database_url.config(default="sqlite:///:memory:", conn_max_age=0),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A worker process started by a test shares the test's storage.
MEDIA_ROOT = os.environ.get("SW_TEST_MEDIA_ROOT") or tempfile.mkdtemp(prefix="safety-workflow-tests-")
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

REST_FRAMEWORK = {
    # Tokens first, as the example host: 401 with WWW-Authenticate without (good) credentials.
    "DEFAULT_AUTHENTICATION_CLASSES": ["knox.auth.TokenAuthentication",
                                       "rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "safety_workflow tests",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {**ENUM_NAME_OVERRIDES},
}

# Background tasks: the suite runs them at once ("default"); the worker tests queue them on the database
# ("database", with a real db_worker process) or on Redis ("rq", Redis database 11, with a real RQ worker).
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend" if django.VERSION < (6, 0)
                else "django.tasks.backends.immediate.ImmediateBackend"},
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "bundles"]},
}
REDIS_URL = os.environ.get("SW_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
RQ_QUEUE = os.environ.get("SW_TEST_RQ_QUEUE", "default")  # each RQ test run uses a queue of its own
if HAVE_RQ:
    TASKS["rq"] = {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [RQ_QUEUE]}
    RQ_QUEUES = {"default": {"URL": REDIS_URL}, RQ_QUEUE: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
# The suite runs tasks in the request on purpose (DEBUG is off, as in production).
# W008: a connection per test request is what the suite wants (threads and worker processes open their own);
# the production warning about it (persistent connections, docs/installation.md) is for hosts.
SILENCED_SYSTEM_CHECKS = ["safety_workflow.W002", "safety_workflow.W005", "safety_workflow.W008"]
REST_KNOX = {"USER_SERIALIZER": None, "AUTH_HEADER_PREFIX": "Token"}

SAFETY_WORKFLOW = {
    "COUNCIL_ADDRESS": "Council Offices, 1 Market Street, Northtown NT1 1AA",
    "NON_WORKING_DATES": ["2026-12-25", "2026-12-28"],
    # The `base` tox env installs no extras: PDF export is then off, as a council without it would set.
    "PDF_EXPORT": importlib.util.find_spec("weasyprint") is not None,
    # A worker process started by a test reads its backend from the environment.
    "TASK_BACKEND": os.environ.get("SW_TEST_TASK_BACKEND", "default"),
    "TASK_QUEUE": os.environ.get("SW_TEST_TASK_QUEUE", "default"),
    "BUNDLE_TASK_QUEUE": os.environ.get("SW_TEST_TASK_QUEUE", "default"),
    "EVIDENCE_TEXT_TASK_QUEUE": os.environ.get("SW_TEST_TASK_QUEUE", "default"),
    # SW_TEST_OCR_COMMAND=/nonexistent runs the suite as on a machine without Tesseract.
    "EVIDENCE_OCR_COMMAND": os.environ.get("SW_TEST_OCR_COMMAND", "tesseract"),
    # The webhook receivers and the GOV.UK Notify stand-in of the tests listen on loopback; a worker process
    # started by an integration test is told where they are, and how quickly to retry, through the environment.
    "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": True,
    "WEBHOOK_RETRY_BASE_SECONDS": int(os.environ.get("SW_TEST_RETRY_BASE_SECONDS", "30")),
    "NOTIFICATION_RETRY_BASE_SECONDS": int(os.environ.get("SW_TEST_RETRY_BASE_SECONDS", "60")),
    **({"NOTIFY_API_KEY": os.environ["SW_TEST_NOTIFY_API_KEY"], "NOTIFY_BASE_URL": os.environ["SW_TEST_NOTIFY_URL"],
        "NOTIFY_TEMPLATES": json.loads(os.environ["SW_TEST_NOTIFY_TEMPLATES"])}
       if os.environ.get("SW_TEST_NOTIFY_URL") else {}),
}
STATIC_URL = "static/"
