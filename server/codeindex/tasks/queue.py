"""The queue's `Queue`: creating, reading and controlling tasks.

Creating a task is one transaction that inserts the task and all its items. Any
process may pause, resume, cancel, boost or read tasks; the worker's side and the
lease come from the mixins in `worker_side` and `lease`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from codeindex.storage import Storage
from codeindex.tasks.clients import ClientSide, live_boosts
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
    new_task_id,
)

_TASK_COLUMNS = (
    "id, scope, target_paths, recursive, embeddings_only, incremental, priority, status, "
    "model_id, progress, items_total, items_completed, items_failed, symbols_extracted, "
    "chunks_created, embeddings_generated, current_path, error_message, message, created_at, "
    "started_at, completed_at, estimated_duration_seconds"
)


KEEP_ITEMS_OF = 5  # finished tasks (the newest) whose completed items are kept
KEEP_TASKS = 1000  # finished tasks kept at all (`codeindex tasks --limit` shows at most 1000)


def _task(row: Any) -> Task:
    return Task(
        id=row[0],
        scope=Scope(row[1]),
        target_paths=json.loads(row[2]),
        recursive=bool(row[3]),
        embeddings_only=bool(row[4]),
        incremental=bool(row[5]),
        priority=Priority(row[6]),
        status=TaskStatus(row[7]),
        model_id=row[8],
        progress=float(row[9]),
        items_total=row[10],
        items_completed=row[11],
        items_failed=row[12],
        symbols_extracted=row[13],
        chunks_created=row[14],
        embeddings_generated=row[15],
        current_path=row[16],
        error_message=row[17],
        message=row[18],
        created_at=row[19],
        started_at=row[20],
        completed_at=row[21],
        estimated_duration_seconds=row[22],
    )


class Queue(LeaseHolding, ClientSide):
    """Task and item rows of one index.db.

    Creating, reading and controlling tasks are here; the worker's side (claim, finish,
    progress) comes from `WorkerSide` and the lease from `LeaseHolding`, built on it.
    """

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

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
        """Insert a task and all its items in ONE transaction."""
        now = time.time()
        task_id = new_task_id(now)
        status = TaskStatus.QUEUED if items else TaskStatus.COMPLETED
        async with self.storage.transaction() as db:
            boosted = await live_boosts(db, now)
            await db.execute(
                "INSERT INTO reindexing_tasks(id, scope, target_paths, recursive, embeddings_only, "
                "incremental, priority, status, model_id, progress, items_total, created_at, "
                "started_at, completed_at, estimated_duration_seconds, message, weight_total) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    task_id,
                    scope.value,
                    json.dumps(list(target_paths)),
                    int(recursive),
                    int(embeddings_only),
                    int(incremental),
                    int(priority),
                    status.value,
                    model_id,
                    0.0 if items else 1.0,
                    len(items),
                    now,
                    None if items else now,
                    None if items else now,
                    estimate,
                    message,
                    sum(item.weight for item in items),
                ),
            )
            await db.executemany(
                "INSERT INTO reindexing_task_items(task_id, file_path, action, priority, "
                "base_priority, status, size, weight) VALUES (?,?,?,?,?,'pending',?,?)",
                [
                    (
                        task_id,
                        item.path,
                        item.action.value,
                        int(Priority.HIGH if item.path in boosted else priority),
                        int(priority),
                        item.size,
                        item.weight,
                    )
                    for item in items
                ],
            )
        return await self.get(task_id)

    async def get(self, task_id: str) -> Task:
        """One task with its live item counts; TaskNotFound when there is none."""
        row = await self.storage.fetchone(
            f"SELECT {_TASK_COLUMNS} FROM reindexing_tasks WHERE id = ?", (task_id,)
        )
        if row is None:
            raise TaskNotFound(
                f"no reindex task {task_id!r}: list the tasks to see the known task ids",
                field="task_id",
                given=task_id,
            )
        task = _task(row)
        counts = await self.storage.fetchall(
            "SELECT status, count(*) FROM reindexing_task_items WHERE task_id = ? GROUP BY status",
            (task_id,),
        )
        by_status = {str(r[0]): int(r[1]) for r in counts}
        task.items_cancelled = by_status.get("cancelled", 0)
        task.items_pending = by_status.get("pending", 0) + by_status.get("processing", 0)
        task.files_processed = task.items_completed
        return task

    async def list_tasks(self, status: TaskStatus | None = None, limit: int = 50) -> list[Task]:
        """Tasks, newest first, optionally of one status."""
        where, params = ("WHERE status = ?", [status.value]) if status else ("", [])
        rows = await self.storage.fetchall(
            f"SELECT {_TASK_COLUMNS} FROM reindexing_tasks {where} "
            "ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (*params, limit),
        )
        return [_task(r) for r in rows]

    async def recent_states(self, since: float) -> dict[str, tuple[Any, ...]]:
        """A cheap fingerprint of every task unfinished or ended since `since`, by id.

        Two reads of a task give equal fingerprints when nothing a watcher shows changed.
        """
        rows = await self.storage.fetchall(
            "SELECT id, status, progress, items_completed, items_failed, current_path, message, "
            "completed_at FROM reindexing_tasks WHERE status IN ('Queued', 'Running', 'Paused') "
            "OR completed_at >= ? OR created_at >= ?",
            (since, since),
        )
        return {str(r[0]): tuple(r[1:]) for r in rows}

    async def unfinished(self) -> list[Task]:
        """Tasks queued, running or paused, oldest first."""
        rows = await self.storage.fetchall(
            f"SELECT {_TASK_COLUMNS} FROM reindexing_tasks "
            "WHERE status IN ('Queued', 'Running', 'Paused') ORDER BY created_at, rowid"
        )
        return [_task(r) for r in rows]

    async def count_unfinished(self, scope: Scope | None = None) -> int:
        """Unfinished tasks (of one scope)."""
        where, params = ("AND scope = ?", [scope.value]) if scope else ("", [])
        return int(
            await self.storage.scalar(
                "SELECT count(*) FROM reindexing_tasks WHERE status IN "
                f"('Queued', 'Running', 'Paused') {where}",
                params,
            )
            or 0
        )

    async def failures(self, task_id: str, limit: int = 100) -> list[Failure]:
        """Failed items of a task, in order."""
        rows = await self.storage.fetchall(
            "SELECT file_path, coalesce(error_message, 'failed') FROM reindexing_task_items "
            "WHERE task_id = ? AND status = 'failed' ORDER BY id LIMIT ?",
            (task_id, limit),
        )
        return [Failure(str(r[0]), str(r[1])) for r in rows]

    async def counts_by_status(self) -> dict[str, int]:
        """How many tasks are in each state."""
        rows = await self.storage.fetchall(
            "SELECT status, count(*) FROM reindexing_tasks GROUP BY status"
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def items_left(self) -> int:
        """Items pending or processing in tasks that are not finished."""
        return int(
            await self.storage.scalar(
                "SELECT count(*) FROM reindexing_task_items WHERE status IN "
                "('pending', 'processing')"
            )
            or 0
        )

    async def prune_history(self) -> int:
        """Forget what nobody reads any more; returns how many rows went.

        Completed items of all but the newest KEEP_ITEMS_OF finished tasks (a task's counts
        are on its row; its failed and cancelled items stay: they are its failures and
        cancelled count), and finished tasks beyond the newest KEEP_TASKS with their items.
        Without this every forced reindex would add a row per file to index.db forever.
        """
        finished = (
            "SELECT id FROM reindexing_tasks WHERE status IN ('Completed', 'Failed', "
            "'Cancelled') ORDER BY completed_at DESC, rowid DESC LIMIT -1 OFFSET ?"
        )
        removed = 0
        async with self.storage.transaction() as db:
            cur = await db.execute(
                f"DELETE FROM reindexing_task_items WHERE status = 'completed' AND task_id IN "
                f"({finished})",
                (KEEP_ITEMS_OF,),
            )
            removed += max(cur.rowcount, 0)
            await cur.close()
            cur = await db.execute(
                f"DELETE FROM reindexing_task_items WHERE task_id IN ({finished})", (KEEP_TASKS,)
            )
            removed += max(cur.rowcount, 0)
            await cur.close()
            cur = await db.execute(
                f"DELETE FROM reindexing_tasks WHERE id IN ({finished})", (KEEP_TASKS,)
            )
            removed += max(cur.rowcount, 0)
            await cur.close()
        return removed

    async def has_runnable(self) -> bool:
        """True when some item is pending in a task that is not paused."""
        row = await self.storage.fetchone(
            "SELECT 1 FROM reindexing_task_items i JOIN reindexing_tasks t ON t.id = i.task_id "
            "WHERE i.status = 'pending' AND t.status IN ('Queued', 'Running') LIMIT 1"
        )
        return row is not None

    async def needs_worker(self) -> bool:
        """True when a task that is not paused has items left: pending, or `processing` by a
        worker that may have died (they go back to pending only when a worker takes over)."""
        row = await self.storage.fetchone(
            "SELECT 1 FROM reindexing_task_items i JOIN reindexing_tasks t ON t.id = i.task_id "
            "WHERE i.status IN ('pending', 'processing') AND t.status IN ('Queued', 'Running') "
            "LIMIT 1"
        )
        return row is not None

    # ---- controlling tasks -----------------------------------------------

    async def pause(self, task_id: str) -> Task:
        """Hold a task: the worker takes none of its items until it is resumed."""
        task = await self.get(task_id)
        if task.status not in (TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.PAUSED):
            raise TaskStateError(
                f"task {task_id} is {task.status.value}: only a queued or "
                "running task can be paused"
            )
        async with self.storage.transaction() as db:
            await db.execute(
                "UPDATE reindexing_tasks SET status = 'Paused', message = 'paused' "
                "WHERE id = ? AND status IN ('Queued', 'Running')",
                (task_id,),
            )
        return await self.get(task_id)

    async def resume(self, task_id: str) -> Task:
        """Let a paused task run again."""
        task = await self.get(task_id)
        if task.status is not TaskStatus.PAUSED:
            raise TaskStateError(
                f"task {task_id} is {task.status.value}, not paused: only a paused task can "
                "be resumed (nothing was changed)"
            )
        async with self.storage.transaction() as db:
            await db.execute(
                "UPDATE reindexing_tasks SET status = CASE WHEN started_at IS NULL "
                "THEN 'Queued' ELSE 'Running' END, message = 'resumed' "
                "WHERE id = ? AND status = 'Paused'",
                (task_id,),
            )
        return await self.get(task_id)

    async def cancel(self, task_id: str) -> Task:
        """Stop a task: its pending items are cancelled; the worker drops the rest."""
        task = await self.get(task_id)
        if task.finished:
            raise TaskStateError(
                f"task {task_id} already ended ({task.status.value}): there is nothing to cancel"
            )
        now = time.time()
        async with self.storage.transaction() as db:
            await db.execute(
                "UPDATE reindexing_task_items SET status = 'cancelled', completed_at = ? "
                "WHERE task_id = ? AND status = 'pending'",
                (now, task_id),
            )
            await db.execute(
                "UPDATE reindexing_tasks SET status = 'Cancelled', completed_at = ?, "
                "message = 'cancelled' WHERE id = ? AND status NOT IN "
                "('Completed', 'Failed', 'Cancelled')",
                (now, task_id),
            )
        return await self.get(task_id)
