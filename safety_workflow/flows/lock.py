"""A row lock on the process for viewflow that also works inside an outer transaction.

viewflow's ``SelectForUpdateLock`` catches the ``NOWAIT`` failure inside its own ``atomic()``
block; when that block is a savepoint of an outer transaction (a service's ``atomic()``, or a
host with ``ATOMIC_REQUESTS``), PostgreSQL leaves the transaction aborted and the request
fails with a database error instead of retrying. Here each attempt runs in its own savepoint,
rolled back cleanly on failure, and the lock is held by the surrounding transaction.
On SQLite ``select_for_update`` is a no-op: the database's own write lock serialises writers.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, transaction
from viewflow.workflow.exceptions import FlowLockFailed


class ProcessRowLock:
    def __init__(self, attempts: int = 8, base_delay: float = 0.05, max_delay: float = 1.0) -> None:
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay

    @contextmanager
    def __call__(self, flow_class: Any, process_pk: Any) -> Iterator[None]:
        with transaction.atomic():
            for attempt in range(self.attempts):
                try:
                    with transaction.atomic():
                        flow_class.process_class._default_manager.filter(pk=process_pk).select_for_update(
                            nowait=True
                        ).exists()
                    break
                except DatabaseError:
                    if attempt == self.attempts - 1:
                        raise FlowLockFailed(f"Lock failed for {flow_class}") from None
                    delay = min(self.max_delay, self.base_delay * 2**attempt)
                    time.sleep(delay * (0.5 + random.random()))
            yield


process_row_lock = ProcessRowLock()
