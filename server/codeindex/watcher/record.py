"""What the watcher tells `status`, kept in index.db's meta rows (status runs in other processes).

The watcher counts only while its worker holds the lease: it is shown active only when the
live lease is held by the owner it recorded, so a worker killed with SIGKILL (which cannot
clear its row) never leaves a watcher shown active.
"""

from __future__ import annotations

import time

from codeindex.contract import Reconciliation, WatcherStatus
from codeindex.storage import Storage
from codeindex.storage.meta import (
    WATCH_ERROR,
    WATCH_EVENTS,
    WATCH_LAST_EVENT,
    WATCH_OWNER,
    WATCH_RECONCILE_CHANGED,
    WATCH_RECONCILE_TASK,
    WATCH_RECONCILE_TOOK,
    WATCH_RECONCILED,
    WATCH_STARTED,
    WATCH_STOPPED,
    WATCH_TASKS,
)
from codeindex.tasks.views import iso

WATCH_KEYS = (
    WATCH_OWNER,
    WATCH_STARTED,
    WATCH_EVENTS,
    WATCH_TASKS,
    WATCH_LAST_EVENT,
    WATCH_ERROR,
    WATCH_RECONCILED,
    WATCH_RECONCILE_TOOK,
    WATCH_RECONCILE_CHANGED,
    WATCH_RECONCILE_TASK,
)

FLUSH_SECONDS = 1.0


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
        await self.storage.meta.put(
            WATCH_OWNER.entry(self.owner),
            WATCH_STARTED.entry(time.time()),
            WATCH_EVENTS.entry(0),
            WATCH_TASKS.entry(0),
            WATCH_LAST_EVENT.entry(None),
            WATCH_ERROR.entry(error or None),
            WATCH_RECONCILED.entry(None),  # this watcher's first pass is under way
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
        await self.storage.meta.put(
            WATCH_EVENTS.entry(self.events),
            WATCH_TASKS.entry(self.tasks),
            WATCH_LAST_EVENT.entry(self._last_event),
        )

    async def failed(self, error: str) -> None:
        """Watching stopped with an error (reconciliation goes on)."""
        await self.storage.meta.set(WATCH_ERROR, error)

    async def reconciled(self, took: float, changed: int, task_id: str | None) -> None:
        """A reconciling pass ended."""
        await self.storage.meta.put(
            WATCH_RECONCILED.entry(time.time()),
            WATCH_RECONCILE_TOOK.entry(took),
            WATCH_RECONCILE_CHANGED.entry(changed),
            WATCH_RECONCILE_TASK.entry(task_id),
        )

    async def stopped(self) -> None:
        """The worker is giving up the lease: the watcher is no longer active."""
        if (await self.storage.meta.get(WATCH_OWNER)) == self.owner:
            if self._dirty:
                await self.flush()
            await self.storage.meta.put(WATCH_OWNER.entry(None), WATCH_STOPPED.entry(time.time()))


async def watcher_status(storage: Storage, lease_owner: str | None) -> WatcherStatus:
    """The watcher's state as recorded, active only beside the live lease's holder."""
    meta = await storage.meta.get_many(WATCH_KEYS)
    owner = meta.get(WATCH_OWNER)
    error = meta.get(WATCH_ERROR)
    active = owner is not None and owner == lease_owner and error is None
    reconciliation: Reconciliation | None = None
    reconciled = meta.get(WATCH_RECONCILED)
    if reconciled is not None:
        reconciliation = {
            "at": iso(reconciled),
            "duration_seconds": meta.get(WATCH_RECONCILE_TOOK) or 0.0,
            "files_changed": meta.get(WATCH_RECONCILE_CHANGED) or 0,
            "task_id": meta.get(WATCH_RECONCILE_TASK),
        }
    return {
        "active": active,
        "owner": owner if active else None,
        "since": iso(meta.get(WATCH_STARTED)) if active else None,
        "events_seen": meta.get(WATCH_EVENTS) or 0,
        "tasks_queued": meta.get(WATCH_TASKS) or 0,
        "last_event_at": iso(meta.get(WATCH_LAST_EVENT)),
        "error": error,
        "last_reconciliation": reconciliation,
    }
