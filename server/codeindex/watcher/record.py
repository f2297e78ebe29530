"""What the watcher tells `status`, kept in index.db's meta rows (status runs in other processes).

The watcher counts only while its worker holds the lease: it is shown active only when the
live lease is held by the owner it recorded, so a worker killed with SIGKILL (which cannot
clear its row) never leaves a watcher shown active.
"""

from __future__ import annotations

import time
from typing import TypedDict

from codeindex.storage import Storage
from codeindex.tasks.views import iso

PREFIX = "watch."
OWNER = "watch.owner"
STARTED = "watch.started_at"
STOPPED = "watch.stopped_at"
EVENTS = "watch.events"
TASKS = "watch.tasks"
LAST_EVENT = "watch.last_event_at"
ERROR = "watch.error"
RECONCILED = "watch.reconciled_at"
RECONCILE_TOOK = "watch.reconcile_seconds"
RECONCILE_CHANGED = "watch.reconcile_changed"
RECONCILE_TASK = "watch.reconcile_task"
FLUSH_SECONDS = 1.0


class Reconciliation(TypedDict):
    """The last reconciling pass: when, how long, how many files it found changed."""

    at: str | None
    duration_seconds: float
    files_changed: int
    task_id: str | None


class WatcherStatus(TypedDict):
    """The `watcher` block of get_index_status."""

    active: bool
    owner: str | None
    since: str | None
    events_seen: int
    tasks_queued: int
    last_event_at: str | None
    error: str | None
    last_reconciliation: Reconciliation | None


class Recorder:
    """Writes one watcher's counters; the owner is the lease holder it runs beside."""

    def __init__(self, storage: Storage, owner: str) -> None:
        self.storage = storage
        self.owner = owner
        self.events = 0
        self.tasks = 0
        self._last_event = 0.0
        self._dirty = False
        self._written = 0.0

    async def started(self, error: str | None) -> None:
        """A watcher (or, with an error, reconciliation alone) runs beside this worker."""
        await self.storage.set_meta(
            {
                OWNER: self.owner,
                STARTED: str(time.time()),
                EVENTS: "0",
                TASKS: "0",
                LAST_EVENT: "",
                ERROR: error or "",
                RECONCILED: "",  # this watcher's first pass is under way
            }
        )

    async def batch(self, events: int, tasks: int) -> None:
        """One batch of events was looked at and queued `tasks` tasks.

        Counts are written at once when tasks were queued, else at most every
        FLUSH_SECONDS (`flush_if_due`): a busy file that is ignored costs no write per batch.
        """
        self.events += events
        self.tasks += tasks
        self._last_event = time.time()
        self._dirty = True
        if tasks:
            await self.flush()

    async def flush_if_due(self) -> None:
        """Write counts not written yet once FLUSH_SECONDS passed since the last write."""
        if self._dirty and time.monotonic() - self._written >= FLUSH_SECONDS:
            await self.flush()

    async def flush(self) -> None:
        """Write the counts now."""
        self._dirty = False
        self._written = time.monotonic()
        await self.storage.set_meta(
            {EVENTS: str(self.events), TASKS: str(self.tasks), LAST_EVENT: str(self._last_event)}
        )

    async def failed(self, error: str) -> None:
        """Watching stopped with an error (reconciliation goes on)."""
        await self.storage.set_meta({ERROR: error})

    async def reconciled(self, took: float, changed: int, task_id: str | None) -> None:
        """A reconciling pass ended."""
        await self.storage.set_meta(
            {
                RECONCILED: str(time.time()),
                RECONCILE_TOOK: f"{took:.3f}",
                RECONCILE_CHANGED: str(changed),
                RECONCILE_TASK: task_id or "",
            }
        )

    async def stopped(self) -> None:
        """The worker is giving up the lease: the watcher is no longer active."""
        if (await self.storage.get_meta(OWNER)) == self.owner:
            if self._dirty:
                await self.flush()
            await self.storage.set_meta({OWNER: "", STOPPED: str(time.time())})


def _when(value: str | None) -> str | None:
    return iso(float(value)) if value else None


async def watcher_status(storage: Storage, lease_owner: str | None) -> WatcherStatus:
    """The watcher's state as recorded, active only beside the live lease's holder."""
    meta = await storage.meta_with_prefix(PREFIX)
    owner = meta.get(OWNER) or None
    error = meta.get(ERROR) or None
    active = owner is not None and owner == lease_owner and error is None
    reconciliation: Reconciliation | None = None
    if meta.get(RECONCILED):
        reconciliation = {
            "at": _when(meta.get(RECONCILED)),
            "duration_seconds": float(meta.get(RECONCILE_TOOK) or 0.0),
            "files_changed": int(meta.get(RECONCILE_CHANGED) or 0),
            "task_id": meta.get(RECONCILE_TASK) or None,
        }
    return {
        "active": active,
        "owner": owner if active else None,
        "since": _when(meta.get(STARTED)) if active else None,
        "events_seen": int(meta.get(EVENTS) or 0),
        "tasks_queued": int(meta.get(TASKS) or 0),
        "last_event_at": _when(meta.get(LAST_EVENT)),
        "error": error,
        "last_reconciliation": reconciliation,
    }
