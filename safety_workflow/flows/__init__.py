"""The workflows, as viewflow flows."""

from .base import HumanTask
from .incident import REASSESSABLE_NODES, IncidentFlow

__all__ = ["REASSESSABLE_NODES", "HumanTask", "IncidentFlow"]
