"""The worker's side of the queue: claim items, finish them, and keep tasks' progress.

Only the lease holder calls these (invariant 4). Priority is per item, so the best
pending item of any runnable task is always taken next (invariant 5).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from codeindex.storage import Storage
from codeindex.tasks.model import Action, Item, ItemOutcome, Priority, TaskStatus

_ITEM_COLUMNS = (
    "i.id, i.task_id, i.file_path, i.action, i.priority, i.attempts, i.size, t.model_id, "
    "t.embeddings_only, i.weight, i.suspect"
)

OnEnd = Callable[[Any, list[str], float], Awaitable[None]]
"""Called in the transaction that ends tasks: (connection, ended task ids, time)."""


class WorkerSide:
    """Claiming, finishing and progress of items; a mixin of `Queue`."""

    storage: Storage

    async def best_pending_priority(self) -> Priority | None:
        """The priority of the best item any runnable task has pending."""
        row = await self.storage.fetchone(
            "SELECT i.priority FROM reindexing_task_items i "
            "JOIN reindexing_tasks t ON t.id = i.task_id "
            "WHERE i.status = 'pending' AND t.status IN ('Queued', 'Running') "
            "ORDER BY i.priority, i.id LIMIT 1"
        )
        return None if row is None else Priority(row[0])

    async def claim(self, limit: int = 1, owner: str | None = None) -> list[Item]:
        """Take the best pending items of any runnable task (invariant 5).

        At most `limit` items, all of the best priority pending, oldest first. A suspect
        (in flight when a worker died) is taken alone, so a crash it causes is proven.
        """
        now = time.time()
        async with self.storage.transaction(owner) as db:
            async with db.execute(
                f"SELECT {_ITEM_COLUMNS} FROM reindexing_task_items i "
                "JOIN reindexing_tasks t ON t.id = i.task_id "
                "WHERE i.status = 'pending' AND t.status IN ('Queued', 'Running') "
                "ORDER BY i.priority, i.suspect DESC, i.id LIMIT ?",
                (limit,),
            ) as cur:
                rows = [r for r in await cur.fetchall()]
            if not rows:
                return []
            if rows[0][10]:
                rows = rows[:1]
            else:
                rows = [r for r in rows if r[4] == rows[0][4] and not r[10]]
            await db.executemany(
                "UPDATE reindexing_task_items SET status = 'processing', started_at = ?, "
                "attempts = attempts + 1, worker = ?, suspect = CASE WHEN suspect > 0 "
                "THEN 2 ELSE 0 END WHERE id = ?",
                [(now, owner, r[0]) for r in rows],
            )
            latest: dict[str, str] = {str(r[1]): str(r[2]) for r in rows}
            await db.executemany(
                "UPDATE reindexing_tasks SET current_path = ?, status = 'Running', "
                "started_at = coalesce(started_at, ?) WHERE id = ? AND status = 'Queued' "
                "OR id = ? AND status = 'Running'",
                [(path, now, task_id, task_id) for task_id, path in latest.items()],
            )
        return [
            Item(
                id=r[0],
                task_id=r[1],
                path=r[2],
                action=Action(r[3]),
                priority=Priority(r[4]),
                attempts=r[5] + 1,
                size=r[6],
                model_id=r[7],
                embeddings_only=bool(r[8]),
                weight=float(r[9]),
                suspect=bool(r[10]),
            )
            for r in rows
        ]

    async def cleared(self, items: Sequence[Item]) -> None:
        """Suspects tried alone that went through without killing the worker: innocent."""
        suspects = [(i.id,) for i in items if i.suspect]
        if suspects:
            async with self.storage.transaction() as db:
                await db.executemany(
                    "UPDATE reindexing_task_items SET suspect = 0 WHERE id = ?", suspects
                )

    async def finish_items(
        self,
        done: Sequence[tuple[Item, ItemOutcome]],
        failed: Sequence[tuple[Item, str]] = (),
        on_end: OnEnd | None = None,
        fence: str | None = None,
    ) -> list[str]:
        """Mark items completed/failed and roll their counts into their tasks.

        Returns the ids of tasks that ended with this call. `on_end(db, ended, now)` runs in
        the same transaction, so whoever sees a task end also sees what its end changed.
        """
        if not done and not failed:
            return []
        now = time.time()
        touched: set[str] = set()
        async with self.storage.transaction(fence) as db:
            for item, outcome in done:
                cur = await db.execute(
                    "UPDATE reindexing_task_items SET status = 'completed', completed_at = ?, "
                    "duration_ms = (? - started_at) * 1000 WHERE id = ? AND status = 'processing'",
                    (now, now, item.id),
                )
                if cur.rowcount:
                    await db.execute(
                        "UPDATE reindexing_tasks SET items_completed = items_completed + 1, "
                        "weight_done = weight_done + ?, "
                        "symbols_extracted = symbols_extracted + ?, "
                        "chunks_created = chunks_created + ?, "
                        "embeddings_generated = embeddings_generated + ? WHERE id = ?",
                        (
                            item.weight,
                            outcome.symbols,
                            outcome.chunks,
                            outcome.embeddings,
                            item.task_id,
                        ),
                    )
                    touched.add(item.task_id)
                await cur.close()
            for item, error in failed:
                cur = await db.execute(
                    "UPDATE reindexing_task_items SET status = 'failed', completed_at = ?, "
                    "error_message = ?, duration_ms = (? - started_at) * 1000 "
                    "WHERE id = ? AND status = 'processing'",
                    (now, error, now, item.id),
                )
                if cur.rowcount:
                    await db.execute(
                        "UPDATE reindexing_tasks SET items_failed = items_failed + 1, "
                        "weight_done = weight_done + ? WHERE id = ?",
                        (item.weight, item.task_id),
                    )
                    touched.add(item.task_id)
                await cur.close()
            ended = await self._settle(db, touched, now)
            if ended and on_end is not None:
                await on_end(db, ended, now)
        return ended

    async def cancel_items(self, items: Sequence[Item]) -> None:
        """Mark processing items of cancelled tasks as cancelled."""
        now = time.time()
        async with self.storage.transaction() as db:
            await db.executemany(
                "UPDATE reindexing_task_items SET status = 'cancelled', completed_at = ? "
                "WHERE id = ? AND status = 'processing'",
                [(now, item.id) for item in items],
            )

    async def _settle(self, db: Any, task_ids: set[str], now: float) -> list[str]:
        """Update progress of these tasks and end those with nothing left."""
        ended: list[str] = []
        for task_id in task_ids:
            async with db.execute(
                "SELECT items_total, items_completed, items_failed, status, weight_total, "
                "weight_done FROM reindexing_tasks WHERE id = ?",
                (task_id,),
            ) as cur:
                row = await cur.fetchone()
            total, completed, failed, status, weight_total, weight_done = row
            async with db.execute(
                "SELECT count(*) FROM reindexing_task_items WHERE task_id = ? "
                "AND status IN ('pending', 'processing')",
                (task_id,),
            ) as cur:
                left = (await cur.fetchone())[0]
            if weight_total > 0:
                progress = min(0.999, weight_done / weight_total)
            else:
                progress = min(0.999, (completed + failed) / total) if total else 1.0
            if left == 0 and status not in ("Completed", "Failed", "Cancelled"):
                final = "Failed" if failed else "Completed"
                message = (
                    f"{completed} of {total} files done, {failed} failed"
                    if failed
                    else f"{completed} of {total} files done"
                )
                await db.execute(
                    "UPDATE reindexing_tasks SET status = ?, progress = 1.0, completed_at = ?, "
                    "current_path = NULL, message = ?, error_message = ? WHERE id = ?",
                    (
                        final,
                        now,
                        message,
                        f"{failed} file(s) failed: see failures" if failed else None,
                        task_id,
                    ),
                )
                ended.append(task_id)
            else:
                await db.execute(
                    "UPDATE reindexing_tasks SET progress = max(progress, ?) WHERE id = ?",
                    (progress, task_id),
                )
        return ended

    async def reweigh(self, weights: dict[int, tuple[str, float, float]]) -> None:
        """Replace items' estimated weights (item id -> (task id, old, new)) once known better.

        A parsed file's weight becomes what it really has left to embed, so files with
        nothing to embed stop counting as if they had.
        """
        if not weights:
            return
        deltas: dict[str, float] = {}
        for task_id, old, new in weights.values():
            deltas[task_id] = deltas.get(task_id, 0.0) + new - old
        async with self.storage.transaction() as db:
            await db.executemany(
                "UPDATE reindexing_task_items SET weight = ? WHERE id = ?",
                [(new, item_id) for item_id, (_, _, new) in weights.items()],
            )
            await db.executemany(
                "UPDATE reindexing_tasks SET weight_total = max(weight_total + ?, 1e-9), "
                "estimated_duration_seconds = max(coalesce(estimated_duration_seconds, 0) + ?, 0) "
                "WHERE id = ?",
                [(delta, delta, task_id) for task_id, delta in deltas.items()],
            )

    async def set_progress(self, partial: dict[str, float]) -> None:
        """Raise running tasks' progress by the weight of partly done items (never lowers it)."""
        if not partial:
            return
        async with self.storage.transaction() as db:
            for task_id, extra in partial.items():
                await db.execute(
                    "UPDATE reindexing_tasks SET progress = max(progress, min(0.999, "
                    "(weight_done + ?) / weight_total)) "
                    "WHERE id = ? AND status IN ('Running', 'Paused') AND weight_total > 0",
                    (extra, task_id),
                )

    async def task_states(self, task_ids: Sequence[str]) -> dict[str, TaskStatus]:
        """Current status of these tasks (for the worker's between-batch checks)."""
        if not task_ids:
            return {}
        marks = ",".join("?" * len(task_ids))
        rows = await self.storage.fetchall(
            f"SELECT id, status FROM reindexing_tasks WHERE id IN ({marks})", tuple(task_ids)
        )
        return {str(r[0]): TaskStatus(r[1]) for r in rows}
