"""Django application configuration for safety_workflow."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafetyWorkflowConfig(AppConfig):
    name = "safety_workflow"
    verbose_name = _("Councillor safety")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Only registrations: checks and the settings-reload receiver. No monkeypatching.
        from . import (
            checks,  # noqa: F401
            conf,  # noqa: F401
        )
