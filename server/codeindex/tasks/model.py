"""The task model of the reindex queue: scope, priority, status, actions and rows.

Plain values only: the enums the contract spells, the dataclasses the queue reads and
writes (built from storage's rows, with the progress and ETA their clocks give at the time
they are read), the errors it raises, and task ids.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from typing import Any

from codeindex.contract import ScopeObject, Summary, TaskStatusName
from codeindex.errors import BadArgument, UnknownTask, WrongState
from codeindex.storage.item_rows import ItemRow
from codeindex.storage.lease_rows import Lease as Lease  # a lease is a row as storage reads it
from codeindex.storage.task_rows import TaskRow
from codeindex.tasks.clock import TaskClock, Wait


class Scope(StrEnum):
    """What a reindex covers."""

    FILE = "file"
    FILES = "files"
    DIRECTORY = "directory"
    PROJECT = "project"
    EMBEDDINGS_ONLY = "embeddings-only"

    @classmethod
    def parse(cls, value: str) -> Scope:
        """A scope by name; BadArgument naming the allowed ones."""
        try:
            return cls(value)
        except ValueError:
            allowed = [s.value for s in cls]
            raise BadArgument(
                f"scope must be one of {', '.join(allowed)}; got {value!r}",
                field="scope",
                given=value if isinstance(value, str) else None,
                allowed=allowed,
            ) from None


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
            raise BadArgument(
                f"priority must be one of high, normal, low; got {value!r}",
                field="priority",
                given=value,
                allowed=["high", "normal", "low"],
            ) from None


class TaskStatus(StrEnum):
    """A task's state, as the contract spells it."""

    QUEUED = "Queued"
    RUNNING = "Running"
    PAUSED = "Paused"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELLED = "Cancelled"

    @classmethod
    def parse(cls, value: str) -> TaskStatus:
        """A status by name, in any case; BadArgument naming the allowed ones."""
        try:
            return cls(value[:1].upper() + value[1:].lower())
        except ValueError:
            allowed = [s.value for s in cls]
            raise BadArgument(
                f"status must be one of {', '.join(allowed)}; got {value!r}",
                field="status",
                given=value,
                allowed=allowed,
            ) from None


FINISHED = (TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED)


class Action(StrEnum):
    """What the worker does with an item's file."""

    INDEX = "index"  # read, parse, swap rows, embed what is missing
    DELETE = "delete"  # the file is gone from disk: drop its rows
    EMBED = "embed"  # keep rows, embed what is missing for the task's model


class TaskNotFound(UnknownTask):
    """No task with that id."""


class TaskStateError(WrongState):
    """The task is in a state that does not allow the request."""


@dataclass(frozen=True, slots=True)
class PlannedItem:
    """One file of a task, before it is stored."""

    path: str
    action: Action
    size: int = 0
    language: str | None = None  # its parser's language: what its cost is measured by
    embed_chars: float | None = None  # to embed, when the index knows it; None: from `size`


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
    run_seconds: float = 0.0  # run time so far: paused and queued time not counted
    eta_seconds: float | None = None
    waiting_behind: str | None = None  # the first task served before this one

    @classmethod
    def from_row(
        cls,
        row: TaskRow,
        items: dict[str, int] | None = None,
        *,
        wait: Wait | None = None,
        now: float | None = None,
    ) -> Task:
        """A task from its row and, when given, its items' counts by status and the time it
        waits behind other tasks; progress and ETA as they are `now`."""
        now = time.time() if now is None else now
        clock = clock_of(row)
        wait = wait or Wait()
        task = cls(
            id=row.id,
            scope=Scope(row.scope),
            target_paths=list(row.target_paths),
            recursive=row.recursive,
            embeddings_only=row.embeddings_only,
            incremental=row.incremental,
            priority=Priority(row.priority),
            status=TaskStatus(row.status),
            model_id=row.model_id,
            progress=float(row.progress),
            items_total=row.items_total,
            items_completed=row.items_completed,
            items_failed=row.items_failed,
            symbols_extracted=row.symbols_extracted,
            chunks_created=row.chunks_created,
            embeddings_generated=row.embeddings_generated,
            current_path=row.current_path,
            error_message=row.error_message,
            message=row.message,
            created_at=row.created_at,
            started_at=row.started_at,
            completed_at=row.completed_at,
            estimated_duration_seconds=row.estimated_duration_seconds,
            run_seconds=clock.ran(now),
        )
        if not task.finished:
            task.progress = clock.progress(now, wait.seconds)
            task.eta_seconds = clock.eta(now, wait.seconds)
            task.waiting_behind = wait.behind
        if items is not None:
            task.items_cancelled = items.get("cancelled", 0)
            task.items_pending = items.get("pending", 0) + items.get("processing", 0)
            task.files_processed = task.items_completed
        return task

    @property
    def status_name(self) -> TaskStatusName:
        """The status as the contract spells it."""
        return self.status.value

    @property
    def finished(self) -> bool:
        """True once the task can change no more."""
        return self.status in FINISHED

    def scope_object(self) -> ScopeObject:
        """The scope as an externally tagged object, per the contract."""
        first = self.target_paths[0] if self.target_paths else "."
        if self.scope is Scope.FILE:
            return {"File": {"path": first}}
        if self.scope is Scope.FILES:
            return {"Files": {"paths": list(self.target_paths)}}
        if self.scope is Scope.DIRECTORY:
            return {"Directory": {"path": first, "recursive": self.recursive}}
        if self.scope is Scope.PROJECT:
            return "Project"
        return "EmbeddingsOnly"

    def summary(self) -> Summary:
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
    suspect: bool = False  # in flight when a worker died: tried alone
    language: str | None = None
    embed_chars: float | None = None  # known before it ran; None: estimated from its bytes

    @classmethod
    def claimed(cls, row: ItemRow) -> Item:
        """The item a claim of this pending row hands the worker (one more attempt)."""
        return cls(
            id=row.id,
            task_id=row.task_id,
            path=row.path,
            action=Action(row.action),
            priority=Priority(row.priority),
            attempts=row.attempts + 1,
            size=row.size,
            model_id=row.model_id,
            embeddings_only=row.embeddings_only,
            suspect=row.suspect,
            language=row.language,
            embed_chars=row.embed_chars,
        )


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed item: its file and why."""

    path: str
    error: str


@dataclass(slots=True)
class ItemOutcome:
    """What processing one item produced, for the task's summary."""

    symbols: int = 0
    chunks: int = 0
    embeddings: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def clock_of(row: TaskRow) -> TaskClock:
    """A task's clock and latest estimate, from its row."""
    return TaskClock(
        task_id=row.id,
        status=row.status,
        priority=row.priority,
        created_at=row.created_at,
        active_seconds=row.active_seconds,
        running_since=row.running_since,
        remaining=row.remaining_seconds,
        estimated_at=row.estimated_active,
        shown=row.progress,
    )


def host_id() -> str:
    """This machine as the lease and client rows name it: the host name, plus the process
    namespace when there is one. Containers that share a host name but not their processes
    get different ids, so one never judges the other's pids (it waits for expiry instead)."""
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return socket.gethostname()
    return f"{socket.gethostname()}#{namespace}"


def pid_alive(pid: int) -> bool:
    """True when a process with this pid runs on this host (a zombie does not: a container
    whose first process does not reap orphans keeps killed workers as zombies)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rpartition(b") ")[2][:1]
    except OSError:
        return True  # no /proc here: trust kill()
    return state != b"Z"


def new_task_id(now: float | None = None) -> str:
    """reindex_YYYYMMDDHHMMSS_<8 hex>."""
    stamp = datetime.fromtimestamp(now or time.time(), UTC).strftime("%Y%m%d%H%M%S")
    return f"reindex_{stamp}_{secrets.token_hex(4)}"
