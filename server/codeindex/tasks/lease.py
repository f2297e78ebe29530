"""The worker lease: exactly one process claims items, and a dead holder's work is recovered.

Taking the lease over from a dead or expired holder puts the items it left
`processing` back to `pending` as suspects: each is then tried alone. A file is blamed
only for a death that happened while it was tried alone (proven); after
MAX_CRASHES such deaths it fails with that reason. Files that were merely in flight
when a kill from outside hit are retried, never failed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from codeindex.storage import Storage
from codeindex.storage.db import Connection
from codeindex.storage.item_rows import InFlight
from codeindex.tasks.model import Lease, TaskStatus, host_id, pid_alive
from codeindex.tasks.worker_side import WorkerSide

MAX_CRASHES = 3
RESERVED = "reserved:"  # owner of a lease held for a worker being started
BEING_TRIED_ALONE = 2  # `suspect` of an item claimed alone after a crash


def holder_alive(lease: Lease, now: float) -> bool:
    """The holder of `lease` may still be working: unexpired, and its process exists when it
    runs on this host (another host's processes are not judged: its lease expires)."""
    if lease.expires_at <= now:
        return False
    return not (lease.hostname == host_id() and not pid_alive(lease.pid))


def may_take(held: Lease | None, owner: str, reservation: str | None, now: float) -> bool:
    """Whether `owner` may take the lease `held` now: it is free, ours, reserved for us
    (`reservation`), expired, or its holder is dead."""
    if held is None or held.owner == owner:
        return True
    if reservation is not None and held.owner == f"{RESERVED}{reservation}":
        return True
    return not holder_alive(held, now)


def crashed_message(crashes: int) -> str:
    """Why a file that killed the worker `crashes` times is skipped."""
    return (
        f"the worker process died {crashes} times while it processed this file alone; "
        "the file is skipped (reindex it to try again)"
    )


@dataclass(slots=True)
class Recovery:
    """What becomes of the items a dead worker left processing."""

    cancelled: list[int] = field(default_factory=list)  # of cancelled tasks
    failed: list[tuple[int, int, str]] = field(default_factory=list)  # (id, crashes, reason)
    retried: list[tuple[int, int]] = field(default_factory=list)  # (id, crashes): suspects
    failed_tasks: set[str] = field(default_factory=set)


def recovery(in_flight: Sequence[InFlight]) -> Recovery:
    """Decide for each item left processing: cancelled when its task was, failed after its
    MAX_CRASHES-th proven crash, else back to pending as a suspect to be tried alone."""
    plan = Recovery()
    for item in in_flight:
        crashes = item.crashes + (item.suspect == BEING_TRIED_ALONE)
        if item.task_status == TaskStatus.CANCELLED:
            plan.cancelled.append(item.id)
        elif crashes >= MAX_CRASHES:
            plan.failed.append((item.id, crashes, crashed_message(crashes)))
            plan.failed_tasks.add(item.task_id)
        else:
            plan.retried.append((item.id, crashes))
    return plan


class LeaseHolding:
    """The lease and recovery from a dead worker."""

    def __init__(self, storage: Storage, worker: WorkerSide) -> None:
        self.storage = storage
        self.rows = storage.lease_rows
        self.worker = worker

    async def live_lease(self) -> Lease | None:
        """The lease if its holder is alive: unexpired, and its process exists when local."""
        lease = await self.rows.lease()
        return lease if lease is not None and holder_alive(lease, time.time()) else None

    async def reserve_lease(self, token: str, ttl: float, settings_key: str) -> bool:
        """Hold the lease for a worker about to be started, so that no other front-end starts
        one too; False when a live worker (or another reservation) holds it.

        The worker started with `token` takes it over (`acquire_lease(..., reservation=)`);
        `assign_reservation` records its pid, so a worker that dies before taking it frees
        the lease at once. A reservation nobody takes expires after `ttl`.
        """
        now = time.time()
        async with self.storage.transaction() as tx:
            held = await self.rows.read_lease(tx)
            if held is not None and holder_alive(held, now):
                return False
            await self.rows.write_lease(
                tx, self._lease(f"{RESERVED}{token}", now, ttl, settings_key)
            )
        return True

    async def assign_reservation(self, token: str, pid: int) -> None:
        """The worker started for a reservation has this pid: its life is the lease's."""
        await self.rows.set_pid(f"{RESERVED}{token}", pid)

    async def acquire_lease(
        self, owner: str, ttl: float, settings_key: str = "", reservation: str | None = None
    ) -> bool:
        """Take the lease if it is free, expired, or held by a dead local process.

        On a takeover, items a dead worker left `processing` go back to `pending`
        (suspects, each tried alone next; see the module docstring), so nothing is lost.
        """
        now = time.time()
        async with self.storage.transaction() as tx:
            if not may_take(await self.rows.read_lease(tx), owner, reservation, now):
                return False
            await self.rows.write_lease(tx, self._lease(owner, now, ttl, settings_key))
            await self._recover(tx, now)
        return True

    @staticmethod
    def _lease(owner: str, now: float, ttl: float, settings_key: str) -> Lease:
        return Lease(owner, os.getpid(), host_id(), now, now, now + ttl, settings_key)

    async def _recover(self, tx: Connection, now: float) -> None:
        items = self.storage.item_rows
        plan = recovery(await items.in_flight(tx))
        await items.recover(tx, now, plan.cancelled, plan.failed, plan.retried)
        for task_id in plan.failed_tasks:
            await items.recount_failed(tx, task_id)
        await self.worker.settle(tx, plan.failed_tasks, now)

    async def renew_lease(self, owner: str, ttl: float) -> bool:
        """Extend our lease; False when another worker has taken it."""
        return await self.rows.renew_lease(owner, time.time(), ttl)

    async def request_retire(self, owner: str) -> bool:
        """Ask the worker `owner` to hand over once it is between steps; False if gone."""
        return await self.rows.set_retire(owner, True)

    async def decline_retire(self, owner: str) -> None:
        """The worker `owner` keeps serving (it is not a background worker)."""
        await self.rows.set_retire(owner, False)

    async def release_lease(self, owner: str) -> None:
        """Give the lease up (a clean exit): unfinished items go back to pending, uncounted."""
        await self.rows.release_lease(owner)
