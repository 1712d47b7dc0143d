"""Django admin for safety_workflow: reference data is edited here; case records are read-only."""

from . import cases  # noqa: F401
