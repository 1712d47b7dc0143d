"""Django application configuration for safety_workflow."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafetyWorkflowConfig(AppConfig):
    name = "safety_workflow"
    verbose_name = _("Councillor safety")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Only registrations: checks, the settings-reload receiver, background jobs, webhook publishers.
        # No monkeypatching.
        from . import (
            bundles,  # noqa: F401  (registers the bundle build job; imports no PDF library)
            checks,  # noqa: F401
            conf,  # noqa: F401
            webhooks,
        )

        webhooks.connect()  # the public signals, as webhook events
