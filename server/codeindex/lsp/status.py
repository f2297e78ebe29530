"""The `codeindex/status` notification: the index's state for the editor's status item.

Sent whenever the state changes (percentages at most about five times a second):

    {"state": "idle" | "indexing" | "paused" | "error",
     "percent": 42 | null,          # indexing only: the running tasks' progress
     "message": "12/25 files · src/a.py",   # a short reason or detail
     "tasks": 1}                    # unfinished tasks (indexing, paused)

`error` means the server has no usable index (no folder, or the index cannot be opened)
or the last task that ended failed ("3 files failed ..."); it clears when a later task
completes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from codeindex.lsp.progress import RUNNING, counts, report_message

if TYPE_CHECKING:
    from codeindex.lsp.server import CodeIndexServer

STATUS_NOTIFICATION = "codeindex/status"
MIN_SECONDS = 0.2


@dataclass(slots=True)
class StatusReporter:
    """What the status item shows, from the tasks the server follows."""

    unfinished: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    failed: Mapping[str, Any] | None = None
    problem: str | None = None
    sent: dict[str, Any] | None = None
    sent_at: float = 0.0

    def observe(self, info: Mapping[str, Any]) -> None:
        """A task changed."""
        task_id = str(info["task_id"])
        status = info["status"]
        if status in ("Queued", "Running", "Paused"):
            self.unfinished[task_id] = info
            return
        self.unfinished.pop(task_id, None)
        if status == "Failed":
            self.failed = info
        elif status == "Completed" and int(info.get("items_total") or 0) > 0:
            self.failed = None

    def current(self) -> dict[str, Any]:
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


def publish(ls: CodeIndexServer, *, force: bool = False) -> None:
    """Send `codeindex/status` when it changed (a new state at once, details rate-limited)."""
    reporter = ls.status
    params = reporter.current()
    if params == reporter.sent:
        return
    now = time.monotonic()
    same_state = reporter.sent is not None and reporter.sent["state"] == params["state"]
    if same_state and not force and now - reporter.sent_at < MIN_SECONDS:
        return
    reporter.sent, reporter.sent_at = params, now
    ls.protocol.notify(STATUS_NOTIFICATION, params)
