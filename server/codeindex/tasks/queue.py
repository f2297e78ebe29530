"""The queue's `Queue`: creating, reading and controlling tasks, and the worker's side.

Creating a task is one transaction that inserts the task and all its items. Any
process may pause, resume, cancel, boost or read tasks; what a state allows is decided
here, the rows are storage's (`storage.task_rows`). The worker's side (`worker_side`), the
lease (`lease`) and the clients (`clients`) are parts of the queue, their methods bound on
it by name so that callers need one object.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from codeindex.storage import Storage
from codeindex.storage.task_rows import NewTask
from codeindex.tasks.clients import ClientSide
from codeindex.tasks.clock import Wait, waits
from codeindex.tasks.lease import LeaseHolding
from codeindex.tasks.model import (
    Failure,
    PlannedItem,
    Priority,
    Scope,
    Task,
    TaskNotFound,
    TaskStateError,
    TaskStatus,
    clock_of,
    new_task_id,
)
from codeindex.tasks.worker_side import WorkerSide

KEEP_ITEMS_OF = 5  # finished tasks (the newest) whose completed items are kept
KEEP_TASKS = 1000  # finished tasks kept at all (`codeindex tasks --limit` shows at most 1000)


class Queue:
    """Task and item rows of one index.db."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.rows = storage.task_rows
        self._bind(WorkerSide(storage), ClientSide(storage))

    def _bind(self, worker: WorkerSide, clients: ClientSide) -> None:
        self.best_pending_priority = worker.best_pending_priority
        self.claim = worker.claim
        self.cleared = worker.cleared
        self.finish_items = worker.finish_items
        self.cancel_items = worker.cancel_items
        self.pending_work = worker.pending_work
        self.renew_estimates = worker.renew_estimates
        leases = LeaseHolding(self.storage, worker)
        self.lease = self.storage.lease_rows.lease
        self.live_lease = leases.live_lease
        self.reserve_lease = leases.reserve_lease
        self.assign_reservation = leases.assign_reservation
        self.acquire_lease = leases.acquire_lease
        self.renew_lease = leases.renew_lease
        self.request_retire = leases.request_retire
        self.decline_retire = leases.decline_retire
        self.retire_requested = self.storage.lease_rows.retire_requested
        self.release_lease = leases.release_lease
        self.register_client = clients.register_client
        self.renew_client = clients.renew_client
        self.drop_client = clients.drop_client
        self.expire_clients = clients.expire_clients
        self.live_clients = clients.live_clients
        self.boost = clients.boost
        self.unboost = clients.unboost
        self.boosted_paths = clients.boosted_paths

    # ---- creating and reading tasks --------------------------------------

    async def create(
        self,
        *,
        scope: Scope,
        target_paths: Sequence[str],
        recursive: bool,
        embeddings_only: bool,
        incremental: bool,
        priority: Priority,
        items: Sequence[PlannedItem],
        model_id: int | None,
        estimate: float | None,
        message: str,
    ) -> Task:
        """Insert a task and all its items in ONE transaction; a task with no items is
        completed at once. Items of files open in an editor are queued at high priority.
        `estimate` is the seconds it is expected to run (its clock starts at its first item)."""
        now = time.time()
        ended = None if items else now
        task = NewTask(
            id=new_task_id(now),
            scope=scope.value,
            target_paths=target_paths,
            recursive=recursive,
            embeddings_only=embeddings_only,
            incremental=incremental,
            priority=int(priority),
            status=(TaskStatus.QUEUED if items else TaskStatus.COMPLETED).value,
            model_id=model_id,
            progress=0.0 if items else 1.0,
            created_at=now,
            started_at=ended,
            completed_at=ended,
            estimated_duration_seconds=estimate,
            message=message,
        )
        await self.rows.insert_task(task, items, boosted_priority=int(Priority.HIGH))
        return await self.get(task.id)

    async def get(self, task_id: str) -> Task:
        """One task with its live item counts, progress and ETA; TaskNotFound when there is
        none."""
        row = await self.rows.get_task(task_id)
        if row is None:
            raise TaskNotFound(
                f"no reindex task {task_id!r}: list the tasks to see the known task ids",
                field="task_id",
                given=task_id,
            )
        now = time.time()
        wait = (await self._waits(now)).get(task_id)
        return Task.from_row(row, await self.rows.items_by_status(task_id), wait=wait, now=now)

    async def list_tasks(self, status: TaskStatus | None = None, limit: int = 50) -> list[Task]:
        """Tasks, newest first, optionally of one status."""
        rows = await self.rows.list_tasks(status.value if status else None, limit)
        now = time.time()
        found = await self._waits(now)
        return [Task.from_row(r, wait=found.get(r.id), now=now) for r in rows]

    async def _waits(self, now: float) -> dict[str, Wait]:
        """The time each unfinished task waits behind others served before it."""
        return waits([clock_of(r) for r in await self.rows.unfinished()], now)

    async def recent_states(self, since: float) -> dict[str, tuple[Any, ...]]:
        """A cheap fingerprint of every task unfinished or ended since `since`, by id.

        Two reads of a task give equal fingerprints when nothing a watcher shows changed.
        """
        return await self.rows.recent_states(since)

    async def unfinished(self) -> list[Task]:
        """Tasks queued, running or paused, oldest first."""
        rows = await self.rows.unfinished()
        now = time.time()
        found = waits([clock_of(r) for r in rows], now)
        return [Task.from_row(r, wait=found.get(r.id), now=now) for r in rows]

    async def count_unfinished(self, scope: Scope | None = None) -> int:
        """Unfinished tasks (of one scope)."""
        return await self.rows.count_unfinished(scope.value if scope else None)

    async def failures(self, task_id: str, limit: int = 100) -> list[Failure]:
        """Failed items of a task, in order."""
        return [Failure(path, error) for path, error in await self.rows.failures(task_id, limit)]

    async def counts_by_status(self) -> dict[str, int]:
        """How many tasks are in each state."""
        return await self.rows.counts_by_status()

    async def task_states(self, task_ids: Sequence[str]) -> dict[str, TaskStatus]:
        """Current status of these tasks (for the worker's between-batch checks)."""
        states = await self.rows.task_states(task_ids)
        return {task_id: TaskStatus(status) for task_id, status in states.items()}

    async def items_left(self) -> int:
        """Items pending or processing in tasks that are not finished."""
        return await self.rows.items_left()

    async def waiting_to_index(self, paths: Sequence[str]) -> set[str]:
        """Those of `paths` that a task not paused will index and has not started yet."""
        return await self.storage.item_rows.waiting_to_index(paths)

    async def has_runnable(self) -> bool:
        """True when some item is pending in a task that is not paused."""
        return await self.rows.has_runnable()

    async def needs_worker(self) -> bool:
        """True when a task that is not paused has items left: pending, or `processing` by a
        worker that may have died (they go back to pending only when a worker takes over)."""
        return await self.rows.needs_worker()

    async def prune_history(self) -> int:
        """Forget what nobody reads any more; returns how many rows went.

        Completed items of all but the newest KEEP_ITEMS_OF finished tasks (a task's counts
        are on its row; its failed and cancelled items stay: they are its failures and
        cancelled count), and finished tasks beyond the newest KEEP_TASKS with their items.
        Without this every forced reindex would add a row per file to index.db forever.
        """
        return await self.rows.prune_history(KEEP_ITEMS_OF, KEEP_TASKS)

    # ---- controlling tasks -----------------------------------------------

    async def pause(self, task_id: str) -> Task:
        """Hold a task: the worker takes none of its items until it is resumed."""
        task = await self.get(task_id)
        if task.status not in (TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.PAUSED):
            raise TaskStateError(
                f"task {task_id} is {task.status.value}: only a queued or "
                "running task can be paused"
            )
        await self.rows.pause_task(task_id, time.time())
        return await self.get(task_id)

    async def resume(self, task_id: str) -> Task:
        """Let a paused task run again."""
        task = await self.get(task_id)
        if task.status is not TaskStatus.PAUSED:
            raise TaskStateError(
                f"task {task_id} is {task.status.value}, not paused: only a paused task can "
                "be resumed (nothing was changed)"
            )
        await self.rows.resume_task(task_id, time.time())
        return await self.get(task_id)

    async def cancel(self, task_id: str) -> Task:
        """Stop a task: its pending items are cancelled; the worker drops the rest."""
        task = await self.get(task_id)
        if task.finished:
            raise TaskStateError(
                f"task {task_id} already ended ({task.status.value}): there is nothing to cancel"
            )
        await self.rows.cancel_task(task_id, time.time())
        return await self.get(task_id)
