"""What the language server tracks about tasks: which progress shows each one, and what the
status item says. Plain data, read and changed by `progress` and `status` (which talk to
the client) and held by the server.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types

from codeindex.contract import ScopeObject, StatusNotification, TaskInfo

RUNNING = ("Queued", "Running")
ENDED_MEMORY = 1000


@dataclass(slots=True)
class Tracked:
    """The progress shown for one task."""

    task_id: str
    token: types.ProgressToken | None = None
    client_token: bool = False
    begun: bool = False
    percent: int = 0
    reported: tuple[int, str] = (0, "")
    last_report: float = 0.0
    rounds: int = 0
    creating: asyncio.Task[Any] | None = None  # asking the client for a token
    latest: TaskInfo | None = None  # the state to show once the token exists
    root: Path | None = None  # the served folder whose task it is


@dataclass(slots=True)
class ProgressBook:
    """Which task shows on which token.

    `lock` orders the tasks this session creates and its settings changes (a task planned
    with the old settings is never created after the new ones apply); it is never held
    while the client is asked something. `expecting` counts sync requests whose task is
    being created (and `deferred` holds tasks first seen meanwhile: one may be theirs).
    """

    tasks: dict[str, Tracked] = field(default_factory=dict)
    by_token: dict[types.ProgressToken, str] = field(default_factory=dict)
    ended: dict[str, None] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    expecting: int = 0
    deferred: dict[str, TaskInfo] = field(default_factory=dict)

    def adopt(self, task_id: str, token: types.ProgressToken) -> None:
        """Show this task's progress on a token the client gave."""
        self.tasks[task_id] = Tracked(task_id, token=token, client_token=True)

    def forget(self, task_id: str) -> None:
        """The task ended: remember that (bounded), drop its tokens."""
        tracked = self.tasks.pop(task_id, None)
        if tracked is not None and tracked.token is not None:
            self.by_token.pop(tracked.token, None)
        self.ended[task_id] = None
        while len(self.ended) > ENDED_MEMORY:
            del self.ended[next(iter(self.ended))]


def title(scope: ScopeObject) -> str:
    """`Reindex project`, `Reindex file a.py`, ... from the contract's scope object."""
    if scope == "Project":
        return "Reindex project"
    if scope == "EmbeddingsOnly":
        return "Re-embed all (embeddings only)"
    if isinstance(scope, str):
        return "Reindex"
    if "File" in scope:
        return f"Reindex file {scope['File']['path']}"
    if "Files" in scope:
        paths = scope["Files"]["paths"]
        return f"Reindex {paths[0]}" if len(paths) == 1 else f"Reindex {len(paths)} files"
    return f"Reindex directory {scope['Directory']['path'] or '.'}"


def counts(info: TaskInfo) -> str:
    """`12/25 files`: files done (completed or failed) of the task's files."""
    done = info["items_completed"] + info["items_failed"]
    return f"{done}/{info['items_total']} files"


def report_message(info: TaskInfo) -> str:
    """`12/25 files · src/a.py` while running, `queued` before."""
    if info["status"] == "Queued" and not info["items_completed"]:
        return f"queued · {counts(info)}"
    current = info["current_file"]
    return f"{counts(info)} · {current}" if current else counts(info)


def end_message(info: TaskInfo) -> str:
    """How the task (or this span of it) ended."""
    status = info["status"]
    if status == "Completed":
        return f"completed: {counts(info)}"
    if status == "Failed":
        failed = info["items_failed"]
        noun = "file" if failed == 1 else "files"
        return f"failed: {failed} {noun} failed, {counts(info)}"
    if status == "Cancelled":
        return f"cancelled at {counts(info)}"
    if status == "Paused":
        return f"paused at {counts(info)}"
    return status.lower()


@dataclass(slots=True)
class StatusReporter:
    """What the status item shows, from the tasks the server follows."""

    unfinished: dict[str, TaskInfo] = field(default_factory=dict)
    roots: dict[str, Path | None] = field(default_factory=dict)  # each unfinished task's folder
    failed: TaskInfo | None = None
    problem: str | None = None
    sent: StatusNotification | None = None
    sent_at: float = 0.0

    def observe(self, info: TaskInfo, root: Path | None = None) -> None:
        """A task (of the folder `root`) changed."""
        task_id = str(info["task_id"])
        status = info["status"]
        if status in ("Queued", "Running", "Paused"):
            self.unfinished[task_id] = info
            self.roots[task_id] = root
            return
        self.unfinished.pop(task_id, None)
        self.roots.pop(task_id, None)
        if status == "Failed":
            self.failed = info
        elif status == "Completed" and int(info.get("items_total") or 0) > 0:
            self.failed = None

    def drop_folder(self, root: Path) -> None:
        """A folder left the workspace: its tasks are no longer followed nor counted."""
        for task_id in [t for t, r in self.roots.items() if r == root]:
            self.unfinished.pop(task_id, None)
            del self.roots[task_id]

    def current(self) -> StatusNotification:
        """The notification's params now."""
        if self.problem:
            return {"state": "error", "percent": None, "message": self.problem, "tasks": 0}
        running = [i for i in self.unfinished.values() if i["status"] in RUNNING]
        if running:
            total = sum(max(1, int(i["items_total"])) for i in running)
            done = sum(float(i["progress"]) * max(1, int(i["items_total"])) for i in running)
            shown = next((i for i in running if i["status"] == "Running"), running[0])
            return {
                "state": "indexing",
                "percent": min(100, int(100 * done / total)),
                "message": report_message(shown),
                "tasks": len(running),
            }
        if self.unfinished:
            shown = next(iter(self.unfinished.values()))
            return {
                "state": "paused",
                "percent": None,
                "message": f"paused at {counts(shown)}",
                "tasks": len(self.unfinished),
            }
        if self.failed is not None:
            failed = int(self.failed["items_failed"])
            noun = "file" if failed == 1 else "files"
            return {
                "state": "error",
                "percent": None,
                "message": f"{failed} {noun} failed in task {self.failed['task_id']}",
                "tasks": 0,
            }
        return {"state": "idle", "percent": None, "message": "no task running", "tasks": 0}
