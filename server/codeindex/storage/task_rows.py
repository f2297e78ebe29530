"""The rows of reindex tasks: insert a task with its items, read them, change their state.

Plain values in and out; what a state allows and what a task is (`tasks`) is decided above.
Statuses are spelled as the schema's CHECK constraints spell them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from codeindex.storage.client_rows import live_boosts
from codeindex.storage.db import Database, changes, marks

UNFINISHED = "('Queued', 'Running', 'Paused')"
RUNNABLE = "('Queued', 'Running')"
_FINISHED = "SELECT id FROM reindexing_tasks WHERE status IN ('Completed', 'Failed', 'Cancelled')"
TASK_COLUMNS = (
    "id, scope, target_paths, recursive, embeddings_only, incremental, priority, status, "
    "model_id, progress, items_total, items_completed, items_failed, symbols_extracted, "
    "chunks_created, embeddings_generated, current_path, error_message, message, created_at, "
    "started_at, completed_at, estimated_duration_seconds, active_seconds, running_since, "
    "remaining_seconds, estimated_active"
)
# the run time a task's clock adds up to at ?1 (now): its spans so far and the one under way
ACTIVE_AT = "active_seconds + coalesce(max(?1 - running_since, 0), 0)"


@dataclass(frozen=True, slots=True)
class TaskRow:
    """A row of `reindexing_tasks`, as read."""

    id: str
    scope: str
    target_paths: list[str]
    recursive: bool
    embeddings_only: bool
    incremental: bool
    priority: int
    status: str
    model_id: int | None
    progress: float
    items_total: int
    items_completed: int
    items_failed: int
    symbols_extracted: int
    chunks_created: int
    embeddings_generated: int
    current_path: str | None
    error_message: str | None
    message: str | None
    created_at: float
    started_at: float | None
    completed_at: float | None
    estimated_duration_seconds: float | None
    active_seconds: float
    running_since: float | None
    remaining_seconds: float | None
    estimated_active: float


def task_row(row: Any) -> TaskRow:
    """A task row from the values of its `TASK_COLUMNS`."""
    values = list(row)
    values[2] = json.loads(values[2])
    values[3], values[4], values[5] = bool(values[3]), bool(values[4]), bool(values[5])
    return TaskRow(*values)


@dataclass(frozen=True, slots=True)
class NewTask:
    """A task to insert."""

    id: str
    scope: str
    target_paths: Sequence[str]
    recursive: bool
    embeddings_only: bool
    incremental: bool
    priority: int
    status: str
    model_id: int | None
    progress: float
    created_at: float
    started_at: float | None
    completed_at: float | None
    estimated_duration_seconds: float | None
    message: str


class ItemValues(Protocol):
    """What is inserted of an item (a planned item has these attributes)."""

    @property
    def path(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def language(self) -> str | None: ...
    @property
    def embed_chars(self) -> float | None: ...


class TaskRows:
    """`reindexing_tasks` of one index, with the item counts read beside them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def insert_task(
        self, task: NewTask, items: Sequence[ItemValues], *, boosted_priority: int
    ) -> None:
        """Insert a task and all its items in ONE transaction (invariant 4); items of files a
        live client has open are queued at `boosted_priority`."""
        async with self.db.transaction() as tx:
            boosted = await live_boosts(tx, task.created_at)
            await tx.execute(
                "INSERT INTO reindexing_tasks(id, scope, target_paths, recursive, embeddings_only, "
                "incremental, priority, status, model_id, progress, items_total, created_at, "
                "started_at, completed_at, estimated_duration_seconds, message, "
                "remaining_seconds) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    task.id,
                    task.scope,
                    json.dumps(list(task.target_paths)),
                    int(task.recursive),
                    int(task.embeddings_only),
                    int(task.incremental),
                    task.priority,
                    task.status,
                    task.model_id,
                    task.progress,
                    len(items),
                    task.created_at,
                    task.started_at,
                    task.completed_at,
                    task.estimated_duration_seconds,
                    task.message,
                    task.estimated_duration_seconds,
                ),
            )
            await tx.executemany(
                "INSERT INTO reindexing_task_items(task_id, file_path, action, priority, "
                "base_priority, status, size, language, embed_chars) "
                "VALUES (?,?,?,?,?,'pending',?,?,?)",
                [
                    (
                        task.id,
                        item.path,
                        str(item.action),
                        boosted_priority if item.path in boosted else task.priority,
                        task.priority,
                        item.size,
                        item.language,
                        item.embed_chars,
                    )
                    for item in items
                ],
            )

    async def get_task(self, task_id: str) -> TaskRow | None:
        """One task's row."""
        row = await self.db.fetchone(
            f"SELECT {TASK_COLUMNS} FROM reindexing_tasks WHERE id = ?", (task_id,)
        )
        return None if row is None else task_row(row)

    async def items_by_status(self, task_id: str) -> dict[str, int]:
        """How many items of a task are in each state."""
        rows = await self.db.fetchall(
            "SELECT status, count(*) FROM reindexing_task_items WHERE task_id = ? GROUP BY status",
            (task_id,),
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def list_tasks(self, status: str | None, limit: int) -> list[TaskRow]:
        """Tasks, newest first, optionally of one status."""
        where, params = ("WHERE status = ?", [status]) if status else ("", [])
        rows = await self.db.fetchall(
            f"SELECT {TASK_COLUMNS} FROM reindexing_tasks {where} "
            "ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (*params, limit),
        )
        return [task_row(r) for r in rows]

    async def recent_states(self, since: float) -> dict[str, tuple[Any, ...]]:
        """A cheap fingerprint of every task unfinished or ended since `since`, by id."""
        rows = await self.db.fetchall(
            "SELECT id, status, progress, items_completed, items_failed, current_path, message, "
            f"completed_at FROM reindexing_tasks WHERE status IN {UNFINISHED} "
            "OR completed_at >= ? OR created_at >= ?",
            (since, since),
        )
        return {str(r[0]): tuple(r[1:]) for r in rows}

    async def unfinished(self) -> list[TaskRow]:
        """Tasks queued, running or paused, oldest first."""
        rows = await self.db.fetchall(
            f"SELECT {TASK_COLUMNS} FROM reindexing_tasks "
            f"WHERE status IN {UNFINISHED} ORDER BY created_at, rowid"
        )
        return [task_row(r) for r in rows]

    async def count_unfinished(self, scope: str | None = None) -> int:
        """Unfinished tasks (of one scope)."""
        where, params = ("AND scope = ?", [scope]) if scope else ("", [])
        return await self.db.count(
            f"SELECT count(*) FROM reindexing_tasks WHERE status IN {UNFINISHED} {where}", params
        )

    async def failures(self, task_id: str, limit: int) -> list[tuple[str, str]]:
        """(path, error) of a task's failed items, in order."""
        rows = await self.db.fetchall(
            "SELECT file_path, coalesce(error_message, 'failed') FROM reindexing_task_items "
            "WHERE task_id = ? AND status = 'failed' ORDER BY id LIMIT ?",
            (task_id, limit),
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def counts_by_status(self) -> dict[str, int]:
        """How many tasks are in each state."""
        rows = await self.db.fetchall(
            "SELECT status, count(*) FROM reindexing_tasks GROUP BY status"
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def task_states(self, task_ids: Sequence[str]) -> dict[str, str]:
        """The status of these tasks, by id."""
        if not task_ids:
            return {}
        rows = await self.db.fetchall(
            f"SELECT id, status FROM reindexing_tasks WHERE id IN ({marks(len(task_ids))})",
            tuple(task_ids),
        )
        return {str(r[0]): str(r[1]) for r in rows}

    async def items_left(self) -> int:
        """Items pending or processing."""
        return await self.db.count(
            "SELECT count(*) FROM reindexing_task_items WHERE status IN ('pending', 'processing')"
        )

    async def has_runnable(self) -> bool:
        """True when some item is pending in a task that is not paused."""
        return await self._any_item_of_runnable("'pending'")

    async def needs_worker(self) -> bool:
        """True when a task that is not paused has items pending or processing."""
        return await self._any_item_of_runnable("'pending', 'processing'")

    async def _any_item_of_runnable(self, statuses: str) -> bool:
        row = await self.db.fetchone(
            "SELECT 1 FROM reindexing_task_items i JOIN reindexing_tasks t ON t.id = i.task_id "
            f"WHERE i.status IN ({statuses}) AND t.status IN {RUNNABLE} LIMIT 1"
        )
        return row is not None

    async def pause_task(self, task_id: str, now: float) -> None:
        """Mark a queued or running task paused; its clock stops."""
        async with self.db.transaction() as tx:
            await tx.execute(
                f"UPDATE reindexing_tasks SET status = 'Paused', message = 'paused', "
                f"active_seconds = {ACTIVE_AT}, running_since = NULL "
                f"WHERE id = ?2 AND status IN {RUNNABLE}",
                (now, task_id),
            )

    async def resume_task(self, task_id: str, now: float) -> None:
        """Mark a paused task running again (its clock goes on), or queued when it never
        started."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE reindexing_tasks SET status = CASE WHEN started_at IS NULL "
                "THEN 'Queued' ELSE 'Running' END, message = 'resumed', "
                "running_since = CASE WHEN started_at IS NULL THEN NULL ELSE ? END "
                "WHERE id = ? AND status = 'Paused'",
                (now, task_id),
            )

    async def cancel_task(self, task_id: str, now: float) -> None:
        """Mark an unfinished task cancelled, and its pending items with it."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE reindexing_task_items SET status = 'cancelled', completed_at = ? "
                "WHERE task_id = ? AND status = 'pending'",
                (now, task_id),
            )
            await tx.execute(
                "UPDATE reindexing_tasks SET status = 'Cancelled', completed_at = ?1, "
                f"message = 'cancelled', active_seconds = {ACTIVE_AT}, running_since = NULL "
                f"WHERE id = ?2 AND status IN {UNFINISHED}",
                (now, task_id),
            )

    async def prune_history(self, keep_items_of: int, keep_tasks: int) -> int:
        """Drop completed items of all but the newest `keep_items_of` finished tasks, and
        finished tasks beyond the newest `keep_tasks` with all their items; rows dropped."""
        finished = f"{_FINISHED} ORDER BY completed_at DESC, rowid DESC LIMIT -1 OFFSET ?"
        async with self.db.transaction() as tx:
            removed = await changes(
                tx,
                "DELETE FROM reindexing_task_items WHERE status = 'completed' "
                f"AND task_id IN ({finished})",
                (keep_items_of,),
            )
            removed += await changes(
                tx,
                f"DELETE FROM reindexing_task_items WHERE task_id IN ({finished})",
                (keep_tasks,),
            )
            removed += await changes(
                tx, f"DELETE FROM reindexing_tasks WHERE id IN ({finished})", (keep_tasks,)
            )
        return removed
