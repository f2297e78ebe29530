"""Tasks as the contract shows them: the force_reindex response, task info and list entries.

Pure functions from a `Task` (read with its progress and ETA, `clock`) and its failures to
the TypedDicts of `codeindex.contract`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal, overload

from codeindex.contract import (
    Failure as FailureInfo,
)
from codeindex.contract import (
    ReindexResponse,
    ReindexResult,
    TaskInfo,
    TaskListEntry,
)
from codeindex.tasks.model import Failure, Priority, Task

_PRIORITY_NAMES: dict[Priority, Literal["high", "normal", "low"]] = {
    Priority.HIGH: "high",
    Priority.NORMAL: "normal",
    Priority.LOW: "low",
}


@overload
def iso(ts: float) -> str: ...
@overload
def iso(ts: float | None) -> str | None: ...
def iso(ts: float | None) -> str | None:
    """Unix seconds to an ISO-8601 UTC string."""
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def _failures(failures: Sequence[Failure]) -> list[FailureInfo]:
    return [{"path": f.path, "error": f.error} for f in failures]


def message(task: Task) -> str | None:
    """The task's message, and the task it waits behind while it does."""
    if task.waiting_behind is None or task.status_name != "Queued":
        return task.message
    waits = f"waits behind {task.waiting_behind}"
    return f"{task.message}; {waits}" if task.message else waits


def response(task: Task) -> ReindexResponse:
    """The force_reindex answer for a task (without its result)."""
    return {
        "task_id": task.id,
        "scope": task.scope_object(),
        "status": task.status_name,
        "items_total": task.items_total,
        "items_queued": task.items_pending,
        "estimated_duration_seconds": task.estimated_duration_seconds,
        "message": message(task),
        "result": None,
    }


def result(task: Task, failures: Sequence[Failure]) -> ReindexResult:
    """What a task did: counts, run time (paused time not counted), failures and summary."""
    return {
        "items_completed": task.items_completed,
        "items_failed": task.items_failed,
        "duration_seconds": round(task.run_seconds, 3),
        "failures": _failures(failures),
        "summary": task.summary(),
    }


def info(task: Task, failures: Sequence[Failure]) -> TaskInfo:
    """Status, progress, counts, current file, ETA, failures and summary of one task."""
    eta = None if task.eta_seconds is None else round(task.eta_seconds, 1)
    return {
        "task_id": task.id,
        "scope": task.scope_object(),
        "status": task.status_name,
        "priority": _PRIORITY_NAMES[Priority(task.priority)],
        "progress": round(task.progress, 4),
        "items_total": task.items_total,
        "items_completed": task.items_completed,
        "items_failed": task.items_failed,
        "items_cancelled": task.items_cancelled,
        "items_pending": task.items_pending,
        "current_file": task.current_path,
        "created_at": iso(task.created_at),
        "started_at": iso(task.started_at),
        "completed_at": iso(task.completed_at),
        "eta_seconds": eta,
        "estimated_duration_seconds": task.estimated_duration_seconds,
        "message": message(task),
        "error_message": task.error_message,
        "failures": _failures(failures),
        "summary": task.summary(),
    }


def list_entry(task: Task) -> TaskListEntry:
    """A task in a list."""
    return {
        "task_id": task.id,
        "scope": task.scope_object(),
        "status": task.status_name,
        "progress": round(task.progress, 4),
        "items_total": task.items_total,
        "items_completed": task.items_completed,
        "items_failed": task.items_failed,
        "created_at": iso(task.created_at),
        "completed_at": iso(task.completed_at),
        "message": message(task),
    }
