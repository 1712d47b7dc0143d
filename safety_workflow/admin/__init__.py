"""Django admin for safety_workflow, one module per area (imported here so autodiscovery finds them)."""

from . import cases, integrations, register  # noqa: F401
