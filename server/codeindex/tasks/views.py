"""Tasks as the contract shows them: the force_reindex response, task info and list entries.

Pure functions from a `Task` row (and its failures) to the TypedDicts of `codeindex.contract`.
"""

from __future__ import annotations

import time
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


def response(task: Task) -> ReindexResponse:
    """The force_reindex answer for a task (without its result)."""
    return {
        "task_id": task.id,
        "scope": task.scope_object(),
        "status": task.status_name,
        "items_total": task.items_total,
        "items_queued": task.items_pending,
        "estimated_duration_seconds": task.estimated_duration_seconds,
        "message": task.message,
        "result": None,
    }


def result(task: Task, failures: Sequence[Failure]) -> ReindexResult:
    """What a task did: counts, duration, failures and summary."""
    duration = (task.completed_at or time.time()) - (task.started_at or task.created_at)
    return {
        "items_completed": task.items_completed,
        "items_failed": task.items_failed,
        "duration_seconds": round(duration, 3),
        "failures": _failures(failures),
        "summary": task.summary(),
    }


def info(task: Task, failures: Sequence[Failure]) -> TaskInfo:
    """Status, progress, counts, current file, ETA, failures and summary of one task."""
    eta = None
    if task.started_at and 0 < task.progress < 1 and not task.finished:
        elapsed = time.time() - task.started_at
        eta = round(elapsed * (1 - task.progress) / task.progress, 1)
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
        "message": task.message,
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
        "message": task.message,
    }
