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
from typing import Any

from codeindex.tasks.model import Lease, host_id, pid_alive
from codeindex.tasks.worker_side import WorkerSide

MAX_CRASHES = 3
RESERVED = "reserved:"  # owner of a lease held for a worker being started


class LeaseHolding(WorkerSide):
    """The lease and recovery from a dead worker; a mixin of `Queue`."""

    async def lease(self) -> Lease | None:
        """The current lease row, if any."""
        row = await self.storage.fetchone(
            "SELECT owner, pid, hostname, acquired_at, renewed_at, expires_at, settings_key "
            "FROM worker_lease"
        )
        return None if row is None else Lease(*row)

    async def live_lease(self) -> Lease | None:
        """The lease if its holder is alive: unexpired, and its process exists when local."""
        lease = await self.lease()
        if lease is None or lease.expires_at < time.time():
            return None
        if lease.hostname == host_id() and not pid_alive(lease.pid):
            return None
        return lease

    async def reserve_lease(self, token: str, ttl: float, settings_key: str) -> bool:
        """Hold the lease for a worker about to be started, so that no other front-end starts
        one too; False when a live worker (or another reservation) holds it.

        The worker started with `token` takes it over (`acquire_lease(..., reservation=)`);
        `assign_reservation` records its pid, so a worker that dies before taking it frees
        the lease at once. A reservation nobody takes expires after `ttl`.
        """
        now = time.time()
        host = host_id()
        async with self.storage.transaction() as db:
            async with db.execute(
                "SELECT pid, hostname, expires_at FROM worker_lease WHERE id = 1"
            ) as cur:
                row = await cur.fetchone()
            if row is not None and row[2] > now and not (row[1] == host and not pid_alive(row[0])):
                return False
            await db.execute(
                "INSERT INTO worker_lease(id, owner, pid, hostname, acquired_at, renewed_at, "
                "expires_at, settings_key, retire_requested) VALUES (1, ?, ?, ?, ?, ?, ?, ?, 0) "
                "ON CONFLICT(id) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, "
                "hostname = excluded.hostname, acquired_at = excluded.acquired_at, "
                "renewed_at = excluded.renewed_at, expires_at = excluded.expires_at, "
                "settings_key = excluded.settings_key, retire_requested = 0",
                (f"{RESERVED}{token}", os.getpid(), host, now, now, now + ttl, settings_key),
            )
        return True

    async def assign_reservation(self, token: str, pid: int) -> None:
        """The worker started for a reservation has this pid: its life is the lease's."""
        async with self.storage.transaction() as db:
            await db.execute(
                "UPDATE worker_lease SET pid = ? WHERE owner = ?", (pid, f"{RESERVED}{token}")
            )

    async def acquire_lease(
        self, owner: str, ttl: float, settings_key: str = "", reservation: str | None = None
    ) -> bool:
        """Take the lease if it is free, expired, or held by a dead local process.

        On a takeover, items a dead worker left `processing` go back to `pending`
        (suspects, each tried alone next; see the module docstring), so nothing is lost.
        """
        now = time.time()
        host = host_id()
        async with self.storage.transaction() as db:
            async with db.execute(
                "SELECT owner, pid, hostname, expires_at FROM worker_lease WHERE id = 1"
            ) as cur:
                row = await cur.fetchone()
            reserved_for_us = (
                reservation is not None
                and row is not None
                and (row[0] == f"{RESERVED}{reservation}")
            )
            if row is not None and row[0] != owner and not reserved_for_us:
                holder_dead = row[2] == host and not pid_alive(int(row[1]))
                if row[3] > now and not holder_dead:
                    return False
            await db.execute(
                "INSERT INTO worker_lease(id, owner, pid, hostname, acquired_at, renewed_at, "
                "expires_at, settings_key, retire_requested) VALUES (1, ?, ?, ?, ?, ?, ?, ?, 0) "
                "ON CONFLICT(id) DO UPDATE SET "
                "owner = excluded.owner, pid = excluded.pid, hostname = excluded.hostname, "
                "acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at, "
                "expires_at = excluded.expires_at, settings_key = excluded.settings_key, "
                "retire_requested = 0",
                (owner, os.getpid(), host, now, now, now + ttl, settings_key),
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
            "UPDATE reindexing_task_items SET crashes = crashes + 1 "
            "WHERE status = 'processing' AND suspect = 2"
        )
        await db.execute(
            "UPDATE reindexing_task_items SET status = 'failed', completed_at = ?, "
            "error_message = 'the worker process died ' || crashes || ' times while it "
            "processed this file alone; the file is skipped (reindex it to try again)' "
            "WHERE status = 'processing' AND crashes >= ?",
            (now, MAX_CRASHES),
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
            "UPDATE reindexing_task_items SET status = 'pending', suspect = 1 "
            "WHERE status = 'processing'"
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

    async def request_retire(self, owner: str) -> bool:
        """Ask the worker `owner` to hand over once it is between steps; False if gone."""
        return await self._set_retire(owner, True)

    async def decline_retire(self, owner: str) -> None:
        """The worker `owner` keeps serving (it is not a background worker)."""
        await self._set_retire(owner, False)

    async def retire_requested(self, owner: str | None = None) -> bool:
        """True when a client asked the lease holder (`owner`, or whoever holds it) to hand
        over: that worker stops, and a successor started for it waits for the lease."""
        sql = "SELECT retire_requested FROM worker_lease"
        row = await (
            self.storage.fetchone(sql)
            if owner is None
            else self.storage.fetchone(f"{sql} WHERE owner = ?", (owner,))
        )
        return row is not None and bool(row[0])

    async def _set_retire(self, owner: str, requested: bool) -> bool:
        async with self.storage.transaction() as db:
            cur = await db.execute(
                "UPDATE worker_lease SET retire_requested = ? WHERE owner = ?",
                (int(requested), owner),
            )
            changed = cur.rowcount > 0
            await cur.close()
        return changed

    async def release_lease(self, owner: str) -> None:
        """Give the lease up (a clean exit): unfinished items go back to pending, uncounted."""
        async with self.storage.transaction() as db:
            await db.execute(
                "UPDATE reindexing_task_items SET status = 'pending', attempts = attempts - 1 "
                "WHERE status = 'processing' AND worker = ?",
                (owner,),
            )
            await db.execute("DELETE FROM worker_lease WHERE owner = ?", (owner,))
