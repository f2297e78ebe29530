"""The rows of task items the worker claims and finishes, and the task counts they roll into.

Statements taking `tx` run in a transaction the caller (`tasks`) holds: claiming, finishing
and recovering items decide between statements, in one transaction, what to write next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from codeindex.storage.db import Connection, Database, changes, row_in, rows_in
from codeindex.storage.task_rows import (
    ACTIVE_AT,
    RUNNABLE,
    TASK_COLUMNS,
    UNFINISHED,
    TaskRow,
    task_row,
)

_COLUMNS = (
    "i.id, i.task_id, i.file_path, i.action, i.priority, i.attempts, i.size, t.model_id, "
    "t.embeddings_only, i.suspect, i.language, i.embed_chars"
)


@dataclass(frozen=True, slots=True)
class ItemRow:
    """A pending item with what its task says about it."""

    id: int
    task_id: str
    path: str
    action: str
    priority: int
    attempts: int
    size: int
    model_id: int | None
    embeddings_only: bool
    suspect: bool
    language: str | None
    embed_chars: float | None


def _item_row(r: Any) -> ItemRow:
    return ItemRow(
        id=int(r[0]),
        task_id=str(r[1]),
        path=str(r[2]),
        action=str(r[3]),
        priority=int(r[4]),
        attempts=int(r[5]),
        size=int(r[6]),
        model_id=r[7],
        embeddings_only=bool(r[8]),
        suspect=bool(r[9]),
        language=r[10],
        embed_chars=None if r[11] is None else float(r[11]),
    )


@dataclass(frozen=True, slots=True)
class Tally:
    """What a task has done and has left: the counts its end comes from."""

    items_total: int
    items_completed: int
    items_failed: int
    status: str
    items_left: int


@dataclass(frozen=True, slots=True)
class PendingWork:
    """Pending items of one task with one action and language, summed: what is left to do
    before any of them is claimed."""

    task_id: str
    action: str
    language: str
    items: int
    bytes: int
    embed_chars: float  # known beforehand (from the index)
    unknown_bytes: int  # bytes of files whose text to embed is known only once parsed


@dataclass(frozen=True, slots=True)
class InFlight:
    """An item left `processing` by a worker that is gone."""

    id: int
    task_id: str
    suspect: int  # 0 not, 1 waits to be tried alone, 2 was being tried alone
    crashes: int
    task_status: str


class ItemRows:
    """`reindexing_task_items` of one index, as the worker uses them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def best_pending_priority(self) -> int | None:
        """The priority of the best item any runnable task has pending."""
        value = await self.db.scalar(
            "SELECT i.priority FROM reindexing_task_items i "
            "JOIN reindexing_tasks t ON t.id = i.task_id "
            f"WHERE i.status = 'pending' AND t.status IN {RUNNABLE} "
            "ORDER BY i.priority, i.id LIMIT 1"
        )
        return None if value is None else int(value)

    async def clear_suspects(self, item_ids: Sequence[int]) -> None:
        """These items are suspects no more."""
        async with self.db.transaction() as tx:
            await tx.executemany(
                "UPDATE reindexing_task_items SET suspect = 0 WHERE id = ?",
                [(i,) for i in item_ids],
            )

    async def cancel_processing(self, item_ids: Sequence[int], now: float) -> None:
        """Mark these items cancelled if they are still processing."""
        async with self.db.transaction() as tx:
            await tx.executemany(
                "UPDATE reindexing_task_items SET status = 'cancelled', completed_at = ? "
                "WHERE id = ? AND status = 'processing'",
                [(now, i) for i in item_ids],
            )

    async def pending_work(self) -> list[PendingWork]:
        """The pending items of every unfinished task, summed by task, action and language."""
        rows = await self.db.fetchall(
            "SELECT i.task_id, i.action, coalesce(i.language, ''), count(*), sum(i.size), "
            "coalesce(sum(i.embed_chars), 0), "
            "sum(CASE WHEN i.embed_chars IS NULL AND i.action = 'index' THEN i.size ELSE 0 END) "
            "FROM reindexing_task_items i JOIN reindexing_tasks t ON t.id = i.task_id "
            f"WHERE i.status = 'pending' AND t.status IN {UNFINISHED} "
            "GROUP BY i.task_id, i.action, i.language"
        )
        return [
            PendingWork(
                str(r[0]), str(r[1]), str(r[2]), int(r[3]), int(r[4]), float(r[5]), int(r[6])
            )
            for r in rows
        ]

    # ---- in a transaction the caller holds --------------------------------

    async def waiting_to_index(self, paths: Sequence[str]) -> set[str]:
        """Those of `paths` that a Queued or Running task will index and has not started."""
        found: set[str] = set()
        for start in range(0, len(paths), 500):
            part = list(paths[start : start + 500])
            marks = ",".join("?" * len(part))
            rows = await self.db.fetchall(
                "SELECT DISTINCT i.file_path FROM reindexing_task_items i "
                "JOIN reindexing_tasks t ON t.id = i.task_id "
                f"WHERE i.file_path IN ({marks}) AND i.status = 'pending' "
                f"AND i.action = 'index' AND t.status IN {RUNNABLE}",
                part,
            )
            found.update(str(r[0]) for r in rows)
        return found

    async def pending(self, tx: Connection, limit: int) -> list[ItemRow]:
        """The best pending items of runnable tasks: by priority, suspects first, oldest."""
        rows = await rows_in(
            tx,
            f"SELECT {_COLUMNS} FROM reindexing_task_items i "
            "JOIN reindexing_tasks t ON t.id = i.task_id "
            f"WHERE i.status = 'pending' AND t.status IN {RUNNABLE} "
            "ORDER BY i.priority, i.suspect DESC, i.id LIMIT ?",
            (limit,),
        )
        return [_item_row(r) for r in rows]

    async def start(
        self, tx: Connection, items: Sequence[ItemRow], owner: str | None, now: float
    ) -> None:
        """Mark items processing by `owner` (a suspect: being tried alone) and their tasks
        running, on this path."""
        await tx.executemany(
            "UPDATE reindexing_task_items SET status = 'processing', started_at = ?, "
            "attempts = attempts + 1, worker = ?, suspect = CASE WHEN suspect > 0 "
            "THEN 2 ELSE 0 END WHERE id = ?",
            [(now, owner, item.id) for item in items],
        )
        latest = {item.task_id: item.path for item in items}
        await tx.executemany(
            "UPDATE reindexing_tasks SET current_path = ?, status = 'Running', "
            "started_at = coalesce(started_at, ?2), running_since = coalesce(running_since, ?2) "
            "WHERE id = ?3 AND status IN ('Queued', 'Running')",
            [(path, now, task_id) for task_id, path in latest.items()],
        )

    async def complete(self, tx: Connection, item_id: int, now: float) -> bool:
        """Mark a processing item completed; False when it was not processing."""
        return bool(
            await changes(
                tx,
                "UPDATE reindexing_task_items SET status = 'completed', completed_at = ?, "
                "duration_ms = (? - started_at) * 1000 WHERE id = ? AND status = 'processing'",
                (now, now, item_id),
            )
        )

    async def count_done(
        self, tx: Connection, task_id: str, produced: tuple[int, int, int]
    ) -> None:
        """Add a completed item (its symbols, chunks, embeddings) to its task."""
        await tx.execute(
            "UPDATE reindexing_tasks SET items_completed = items_completed + 1, "
            "symbols_extracted = symbols_extracted + ?, chunks_created = chunks_created + ?, "
            "embeddings_generated = embeddings_generated + ? WHERE id = ?",
            (*produced, task_id),
        )

    async def fail(self, tx: Connection, item_id: int, error: str, now: float) -> bool:
        """Mark a processing item failed with a reason; False when it was not processing."""
        return bool(
            await changes(
                tx,
                "UPDATE reindexing_task_items SET status = 'failed', completed_at = ?, "
                "error_message = ?, duration_ms = (? - started_at) * 1000 "
                "WHERE id = ? AND status = 'processing'",
                (now, error, now, item_id),
            )
        )

    async def count_failed(self, tx: Connection, task_id: str) -> None:
        """Add a failed item to its task."""
        await tx.execute(
            "UPDATE reindexing_tasks SET items_failed = items_failed + 1 WHERE id = ?", (task_id,)
        )

    async def tally(self, tx: Connection, task_id: str) -> Tally:
        """A task's counts and the items it has left."""
        row = await row_in(
            tx,
            "SELECT items_total, items_completed, items_failed, status, "
            "(SELECT count(*) FROM reindexing_task_items WHERE task_id = ?1 "
            "AND status IN ('pending', 'processing')) FROM reindexing_tasks WHERE id = ?1",
            (task_id,),
        )
        return Tally(*row)

    async def end_task(
        self,
        tx: Connection,
        task_id: str,
        status: str,
        now: float,
        message: str,
        error: str | None,
    ) -> None:
        """Record a task's end: its final status, progress 1, message and error; its clock
        stops."""
        await tx.execute(
            f"UPDATE reindexing_tasks SET status = ?2, progress = 1.0, completed_at = ?1, "
            f"current_path = NULL, message = ?3, error_message = ?4, active_seconds = {ACTIVE_AT}, "
            "running_since = NULL, remaining_seconds = 0 WHERE id = ?5",
            (now, status, message, error, task_id),
        )

    async def unfinished(self, tx: Connection) -> list[TaskRow]:
        """Every unfinished task's row (their clocks and estimates)."""
        rows = await rows_in(
            tx, f"SELECT {TASK_COLUMNS} FROM reindexing_tasks WHERE status IN {UNFINISHED}"
        )
        return [task_row(r) for r in rows]

    async def estimate(
        self, tx: Connection, estimates: Sequence[tuple[str, float, float, float]]
    ) -> None:
        """Record new estimates: (task id, seconds left, its clock now, progress shown so far;
        never lowered)."""
        await tx.executemany(
            "UPDATE reindexing_tasks SET remaining_seconds = ?, estimated_active = ?, "
            f"progress = max(progress, ?) WHERE id = ? AND status IN {UNFINISHED}",
            [(left, active, shown, task_id) for task_id, left, active, shown in estimates],
        )

    async def in_flight(self, tx: Connection) -> list[InFlight]:
        """Items left processing (by a worker that is gone), with their task's status."""
        rows = await rows_in(
            tx,
            "SELECT i.id, i.task_id, i.suspect, i.crashes, t.status FROM reindexing_task_items i "
            "JOIN reindexing_tasks t ON t.id = i.task_id WHERE i.status = 'processing'",
        )
        return [InFlight(*r) for r in rows]

    async def recover(
        self,
        tx: Connection,
        now: float,
        cancelled: Sequence[int],
        failed: Sequence[tuple[int, int, str]],
        retried: Sequence[tuple[int, int]],
    ) -> None:
        """Settle items left processing: `cancelled` ids, `failed` (id, crashes, error), and
        `retried` (id, crashes) back to pending as suspects, each to be tried alone."""
        await tx.executemany(
            "UPDATE reindexing_task_items SET status = 'cancelled', completed_at = ? WHERE id = ?",
            [(now, i) for i in cancelled],
        )
        await tx.executemany(
            "UPDATE reindexing_task_items SET status = 'failed', completed_at = ?, crashes = ?, "
            "error_message = ? WHERE id = ?",
            [(now, crashes, error, i) for i, crashes, error in failed],
        )
        await tx.executemany(
            "UPDATE reindexing_task_items SET status = 'pending', suspect = 1, crashes = ? "
            "WHERE id = ?",
            [(crashes, i) for i, crashes in retried],
        )

    async def recount_failed(self, tx: Connection, task_id: str) -> None:
        """Count a task's failed items again from its items."""
        await tx.execute(
            "UPDATE reindexing_tasks SET items_failed = (SELECT count(*) FROM "
            "reindexing_task_items WHERE task_id = ?1 AND status = 'failed') WHERE id = ?1",
            (task_id,),
        )
