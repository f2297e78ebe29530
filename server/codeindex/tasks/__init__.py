"""The durable reindex queue: task and item rows in index.db, and the worker lease.

Any process may create, pause, resume, cancel or read tasks; exactly one
process (the lease holder) claims items (invariant 4). Creating a task is one
transaction that inserts the task and all its items. Priority is per item, so
the best pending item of any task is always taken next (invariant 5).

Modules: `model` (scope, priority, status, the task and item types, errors, ids),
`clock` (a task's run time, progress and ETA), `speeds` (how fast this machine works, and
what work left costs), `queue` (the `Queue`: creating, reading and controlling tasks), and
its parts `worker_side` (claim, finish, settle, estimates), `lease` (the lease and recovery
from a dead worker) and `clients` (front-ends and their open files). The rules are here; every
statement they run is storage's (`storage.task_rows`, `item_rows`, `lease_rows`,
`client_rows`).
"""

from __future__ import annotations

from codeindex.tasks.lease import MAX_CRASHES, LeaseHolding
from codeindex.tasks.model import (
    FINISHED,
    Action,
    Failure,
    Item,
    ItemOutcome,
    Lease,
    PlannedItem,
    Priority,
    Scope,
    Task,
    TaskNotFound,
    TaskStateError,
    TaskStatus,
    new_task_id,
)
from codeindex.tasks.queue import Queue
from codeindex.tasks.worker_side import WorkerSide

__all__ = [
    "FINISHED",
    "MAX_CRASHES",
    "Action",
    "Failure",
    "Item",
    "ItemOutcome",
    "Lease",
    "LeaseHolding",
    "PlannedItem",
    "Priority",
    "Queue",
    "Scope",
    "Task",
    "TaskNotFound",
    "TaskStateError",
    "TaskStatus",
    "WorkerSide",
    "new_task_id",
]
