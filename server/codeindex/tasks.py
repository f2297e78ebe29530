"""The durable reindex queue: task and item rows in index.db, and the worker lease.

Any process may create, pause, resume, cancel or read tasks; exactly one
process (the lease holder) claims items (invariant 4). Creating a task is one
transaction that inserts the task and all its items. Priority is per item, so
the best pending item of any task is always taken next (invariant 5).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from typing import Any

from codeindex.storage import Storage


class Scope(StrEnum):
    """What a reindex covers."""

    FILE = "file"
    FILES = "files"
    DIRECTORY = "directory"
    PROJECT = "project"
    EMBEDDINGS_ONLY = "embeddings-only"


class Priority(IntEnum):
    """Lower value is served first."""

    HIGH = 0
    NORMAL = 1
    LOW = 2

    @classmethod
    def parse(cls, value: str | int | Priority) -> Priority:
        """'high' | 'normal' | 'low' (or the enum) to a Priority."""
        if isinstance(value, Priority):
            return value
        try:
            return cls[str(value).upper()]
        except KeyError:
            raise ValueError(f"priority must be one of high, normal, low; got {value!r}") from None


class TaskStatus(StrEnum):
    """A task's state, as the contract spells it."""

    QUEUED = "Queued"
    RUNNING = "Running"
    PAUSED = "Paused"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELLED = "Cancelled"


FINISHED = (TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED)


class Action(StrEnum):
    """What the worker does with an item's file."""

    INDEX = "index"  # read, parse, swap rows, embed what is missing
    DELETE = "delete"  # the file is gone from disk: drop its rows
    EMBED = "embed"  # keep rows, embed what is missing for the task's model


class TaskNotFound(LookupError):
    """No task with that id."""


class TaskStateError(ValueError):
    """The task is in a state that does not allow the request."""


@dataclass(frozen=True, slots=True)
class PlannedItem:
    """One file of a task, before it is stored."""

    path: str
    action: Action
    size: int = 0
    weight: float = 0.0  # estimated seconds of work; progress is weighted by it


@dataclass(slots=True)
class Task:
    """A row of reindexing_tasks."""

    id: str
    scope: Scope
    target_paths: list[str]
    recursive: bool
    embeddings_only: bool
    incremental: bool
    priority: Priority
    status: TaskStatus
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
    items_cancelled: int = 0
    items_pending: int = 0
    files_processed: int = 0

    @property
    def finished(self) -> bool:
        """True once the task can change no more."""
        return self.status in FINISHED

    def scope_object(self) -> Any:
        """The scope as an externally tagged object, per the contract."""
        if self.scope is Scope.FILE:
            return {"File": {"path": self.target_paths[0]}}
        if self.scope is Scope.FILES:
            return {"Files": {"paths": list(self.target_paths)}}
        if self.scope is Scope.DIRECTORY:
            return {"Directory": {"path": self.target_paths[0], "recursive": self.recursive}}
        if self.scope is Scope.PROJECT:
            return "Project"
        return "EmbeddingsOnly"

    def summary(self) -> dict[str, int]:
        """The summary block of the contract."""
        return {
            "files_processed": self.files_processed,
            "symbols_extracted": self.symbols_extracted,
            "chunks_created": self.chunks_created,
            "embeddings_generated": self.embeddings_generated,
        }


@dataclass(frozen=True, slots=True)
class Item:
    """A row of reindexing_task_items, as claimed by the worker."""

    id: int
    task_id: str
    path: str
    action: Action
    priority: Priority
    attempts: int
    size: int
    model_id: int | None
    embeddings_only: bool
    weight: float = 0.0


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed item: its file and why."""

    path: str
    error: str


@dataclass(frozen=True, slots=True)
class Lease:
    """Who runs the worker."""

    owner: str
    pid: int
    hostname: str
    acquired_at: float
    renewed_at: float
    expires_at: float


@dataclass(slots=True)
class ItemOutcome:
    """What processing one item produced, for the task's summary."""

    symbols: int = 0
    chunks: int = 0
    embeddings: int = 0
    processed: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


_TASK_COLUMNS = (
    "id, scope, target_paths, recursive, embeddings_only, incremental, priority, status, "
    "model_id, progress, items_total, items_completed, items_failed, symbols_extracted, "
    "chunks_created, embeddings_generated, current_path, error_message, message, created_at, "
    "started_at, completed_at, estimated_duration_seconds"
)

MAX_ATTEMPTS = 3
DEFAULT_PARSE_BYTES_PER_S = 1_500_000.0
DEFAULT_EMBED_CHARS_PER_S = 20_000.0
PER_FILE_SECONDS = 0.002


@dataclass(frozen=True, slots=True)
class Rates:
    """Throughput measured on this index, persisted in meta; progress weights come from it."""

    parse_bytes_per_s: float = DEFAULT_PARSE_BYTES_PER_S
    embed_chars_per_s: float = DEFAULT_EMBED_CHARS_PER_S

    def weight(self, parse_bytes: int = 0, embed_chars: int = 0) -> float:
        """Estimated seconds to parse and store `parse_bytes` and embed `embed_chars`."""
        return (
            PER_FILE_SECONDS
            + parse_bytes / self.parse_bytes_per_s
            + embed_chars / self.embed_chars_per_s
        )

    @classmethod
    async def load(cls, storage: Storage) -> Rates:
        """The rates recorded for this index (defaults until measured)."""
        parse = await storage.get_meta("rate.parse_bytes_per_s")
        embed = await storage.get_meta("rate.embed_chars_per_s")
        return cls(
            float(parse) if parse else DEFAULT_PARSE_BYTES_PER_S,
            float(embed) if embed else DEFAULT_EMBED_CHARS_PER_S,
        )


def new_task_id(now: float | None = None) -> str:
    """reindex_YYYYMMDDHHMMSS_<8 hex>."""
    stamp = datetime.fromtimestamp(now or time.time(), UTC).strftime("%Y%m%d%H%M%S")
    return f"reindex_{stamp}_{secrets.token_hex(4)}"


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


class Queue:
    """Task and item rows of one index.db."""

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
            async with db.execute("SELECT file_path FROM boosted_paths") as cur:
                boosted = {str(r[0]) for r in await cur.fetchall()}
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
                "INSERT INTO reindexing_task_items(task_id, file_path, action, priority, status, "
                "size, weight) VALUES (?,?,?,?,'pending',?,?)",
                [
                    (
                        task_id,
                        item.path,
                        item.action.value,
                        int(Priority.HIGH if item.path in boosted else priority),
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
                f"no reindex task {task_id!r}: `codeindex tasks` lists the known task ids"
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

    async def has_runnable(self) -> bool:
        """True when some item is pending in a task that is not paused."""
        row = await self.storage.fetchone(
            "SELECT 1 FROM reindexing_task_items i JOIN reindexing_tasks t ON t.id = i.task_id "
            "WHERE i.status = 'pending' AND t.status IN ('Queued', 'Running') LIMIT 1"
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
            if task.status in (TaskStatus.QUEUED, TaskStatus.RUNNING):
                return task
            raise TaskStateError(
                f"task {task_id} is {task.status.value}: only a paused task can be resumed"
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
            if task.status is TaskStatus.CANCELLED:
                return task
            raise TaskStateError(f"task {task_id} already ended ({task.status.value})")
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

    async def boost(self, paths: Sequence[str]) -> int:
        """Raise pending items of these files to high priority; remember them for new tasks."""
        now = time.time()
        async with self.storage.transaction() as db:
            await db.execute("DELETE FROM boosted_paths")
            await db.executemany(
                "INSERT OR REPLACE INTO boosted_paths(file_path, boosted_at) VALUES (?, ?)",
                [(p, now) for p in paths],
            )
            changed = 0
            for path in paths:
                cur = await db.execute(
                    "UPDATE reindexing_task_items SET priority = 0 "
                    "WHERE file_path = ? AND status = 'pending' AND priority > 0",
                    (path,),
                )
                changed += cur.rowcount
                await cur.close()
        return changed

    # ---- the worker's side -----------------------------------------------

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

        At most `limit` items, all of the best priority pending, oldest first.
        """
        now = time.time()
        async with self.storage.transaction() as db:
            async with db.execute(
                "SELECT i.id, i.task_id, i.file_path, i.action, i.priority, i.attempts, i.size, "
                "t.model_id, t.embeddings_only, i.weight FROM reindexing_task_items i "
                "JOIN reindexing_tasks t ON t.id = i.task_id "
                "WHERE i.status = 'pending' AND t.status IN ('Queued', 'Running') "
                "ORDER BY i.priority, i.id LIMIT ?",
                (limit,),
            ) as cur:
                rows = [r for r in await cur.fetchall()]
            if not rows:
                return []
            rows = [r for r in rows if r[4] == rows[0][4]]
            await db.executemany(
                "UPDATE reindexing_task_items SET status = 'processing', started_at = ?, "
                "attempts = attempts + 1, worker = ? WHERE id = ?",
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
            )
            for r in rows
        ]

    async def finish_items(
        self,
        done: Sequence[tuple[Item, ItemOutcome]],
        failed: Sequence[tuple[Item, str]] = (),
    ) -> list[str]:
        """Mark items completed/failed and roll their counts into their tasks.

        Returns the ids of tasks that ended with this call.
        """
        if not done and not failed:
            return []
        now = time.time()
        touched: set[str] = set()
        async with self.storage.transaction() as db:
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

    # ---- the lease ------------------------------------------------------

    async def lease(self) -> Lease | None:
        """The current lease row, if any."""
        row = await self.storage.fetchone(
            "SELECT owner, pid, hostname, acquired_at, renewed_at, expires_at FROM worker_lease"
        )
        return None if row is None else Lease(*row)

    async def live_lease(self) -> Lease | None:
        """The lease if its holder is alive: unexpired, and its process exists when local."""
        lease = await self.lease()
        if lease is None or lease.expires_at < time.time():
            return None
        if lease.hostname == socket.gethostname() and not _pid_alive(lease.pid):
            return None
        return lease

    async def acquire_lease(self, owner: str, ttl: float) -> bool:
        """Take the lease if it is free, expired, or held by a dead local process.

        On a takeover, items a dead worker left `processing` go back to `pending`
        (or fail after MAX_ATTEMPTS tries), so nothing is lost or done twice.
        """
        now = time.time()
        host = socket.gethostname()
        async with self.storage.transaction() as db:
            async with db.execute(
                "SELECT owner, pid, hostname, expires_at FROM worker_lease WHERE id = 1"
            ) as cur:
                row = await cur.fetchone()
            if row is not None and row[0] != owner:
                holder_dead = row[2] == host and not _pid_alive(int(row[1]))
                if row[3] > now and not holder_dead:
                    return False
            await db.execute(
                "INSERT INTO worker_lease(id, owner, pid, hostname, acquired_at, renewed_at, "
                "expires_at) VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "owner = excluded.owner, pid = excluded.pid, hostname = excluded.hostname, "
                "acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at, "
                "expires_at = excluded.expires_at",
                (owner, os.getpid(), host, now, now, now + ttl),
            )
            await self._recover(db, now)
        return True

    async def _recover(self, db: Any, now: float) -> None:
        await db.execute(
            "UPDATE reindexing_task_items SET status = 'cancelled', completed_at = ? "
            "WHERE status = 'processing' AND task_id IN "
            "(SELECT id FROM reindexing_tasks WHERE status = 'Cancelled')",
            (now,),
        )
        await db.execute(
            "UPDATE reindexing_task_items SET status = 'failed', completed_at = ?, "
            "error_message = 'the worker stopped ' || attempts || ' times while processing "
            "this file; it is skipped' WHERE status = 'processing' AND attempts >= ?",
            (now, MAX_ATTEMPTS),
        )
        async with db.execute(
            "SELECT DISTINCT task_id FROM reindexing_task_items WHERE status = 'failed' "
            "AND completed_at = ?",
            (now,),
        ) as cur:
            failed_tasks = [str(r[0]) for r in await cur.fetchall()]
        for task_id in failed_tasks:
            await db.execute(
                "UPDATE reindexing_tasks SET items_failed = (SELECT count(*) FROM "
                "reindexing_task_items WHERE task_id = ?1 AND status = 'failed'), "
                "weight_done = (SELECT coalesce(sum(weight), 0) FROM reindexing_task_items "
                "WHERE task_id = ?1 AND status IN ('completed', 'failed')) WHERE id = ?1",
                (task_id,),
            )
        await db.execute(
            "UPDATE reindexing_task_items SET status = 'pending' WHERE status = 'processing'"
        )
        await self._settle(db, set(failed_tasks), now)

    async def renew_lease(self, owner: str, ttl: float) -> bool:
        """Extend our lease; False when another worker has taken it."""
        now = time.time()
        async with self.storage.transaction() as db:
            cur = await db.execute(
                "UPDATE worker_lease SET renewed_at = ?, expires_at = ? WHERE owner = ?",
                (now, now + ttl, owner),
            )
            kept = cur.rowcount > 0
            await cur.close()
        return kept

    async def release_lease(self, owner: str) -> None:
        """Give the lease up (a clean exit): unfinished items go back to pending, uncounted."""
        async with self.storage.transaction() as db:
            await db.execute(
                "UPDATE reindexing_task_items SET status = 'pending', attempts = attempts - 1 "
                "WHERE status = 'processing' AND worker = ?",
                (owner,),
            )
            await db.execute("DELETE FROM worker_lease WHERE owner = ?", (owner,))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
