"""What the flows share: the human task node with a role and a due time."""

from __future__ import annotations

from typing import Any

from viewflow.workflow import nodes


class HumanTask(nodes.ManualTask):
    """A task for a person holding one of ``roles``, due by the SLA set for its node name.

    viewflow does not check permissions when driven from code: services.tasks checks ``roles``.
    """

    def __init__(self, *, roles: tuple[str, ...], title: str, description: str = "") -> None:
        super().__init__()
        self.roles = tuple(roles)
        self.Annotation(title=title, description=description)

    def _create(self, prev_activation: Any, token: Any, data: Any = None, seed: Any = None) -> Any:
        from ..services.tasks import task_deadline_set

        activation = super()._create(prev_activation, token, data=data, seed=seed)
        task_deadline_set(task=activation.task)
        return activation
