"""The workflows, as viewflow flows."""

from .base import HumanTask
from .incident import REASSESSABLE_NODES, IncidentFlow
from .register import RegisterFlow

__all__ = ["REASSESSABLE_NODES", "HumanTask", "IncidentFlow", "RegisterFlow"]
