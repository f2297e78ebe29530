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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codeindex.lsp.server import CodeIndexServer

STATUS_NOTIFICATION = "codeindex/status"
MIN_SECONDS = 0.2


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
