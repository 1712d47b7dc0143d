"""A row lock on the process for viewflow that also works inside an outer transaction.

viewflow's ``SelectForUpdateLock`` catches the ``NOWAIT`` failure inside its own ``atomic()``
block; when that block is a savepoint of an outer transaction (a service's ``atomic()``, or a
host with ``ATOMIC_REQUESTS``), PostgreSQL leaves the transaction aborted and the request
fails with a database error instead of retrying. Here the lock is one ``SELECT ... FOR UPDATE``
that waits for the writer holding the row: it never fails, so it needs no savepoint, and the
surrounding transaction holds it (a transaction of its own when there is none). A second person
completing the same task waits for the first to commit, then finds the task done (409
``task_already_completed``). Locking a row the transaction already holds is one cheap statement;
PostgreSQL's deadlock detection ends a cycle, as for any row lock.
On SQLite ``select_for_update`` is a no-op: the database's own write lock serialises writers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction


class ProcessRowLock:
    @contextmanager
    def __call__(self, flow_class: Any, process_pk: Any) -> Iterator[None]:
        with transaction.atomic(savepoint=False):
            flow_class.process_class._default_manager.filter(pk=process_pk).select_for_update().exists()
            yield


process_row_lock = ProcessRowLock()
