"""The worker lease row: who runs the worker of this index, until when, with what settings.

One row at most (`id = 1`). Whether a holder may be replaced is decided above (`tasks`),
between `read_lease` and `write_lease` in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from codeindex.storage.db import Connection, Database, changes, row_in

_COLUMNS = "owner, pid, hostname, acquired_at, renewed_at, expires_at, settings_key"


@dataclass(frozen=True, slots=True)
class Lease:
    """Who runs the worker."""

    owner: str
    pid: int
    hostname: str
    acquired_at: float
    renewed_at: float
    expires_at: float
    settings_key: str = ""  # what the worker serves with (Settings.index_key())


class LeaseRows:
    """`worker_lease` of one index."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def lease(self) -> Lease | None:
        """The current lease row, if any."""
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM worker_lease")
        return None if row is None else Lease(*row)

    async def read_lease(self, tx: Connection) -> Lease | None:
        """The lease row, inside a transaction the caller holds."""
        row = await row_in(tx, f"SELECT {_COLUMNS} FROM worker_lease WHERE id = 1")
        return None if row is None else Lease(*row)

    async def write_lease(self, tx: Connection, lease: Lease) -> None:
        """Put this lease in place of any other, inside a transaction the caller holds."""
        await tx.execute(
            "INSERT INTO worker_lease(id, owner, pid, hostname, acquired_at, renewed_at, "
            "expires_at, settings_key, retire_requested) VALUES (1, ?, ?, ?, ?, ?, ?, ?, 0) "
            "ON CONFLICT(id) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, "
            "hostname = excluded.hostname, acquired_at = excluded.acquired_at, "
            "renewed_at = excluded.renewed_at, expires_at = excluded.expires_at, "
            "settings_key = excluded.settings_key, retire_requested = 0",
            (
                lease.owner,
                lease.pid,
                lease.hostname,
                lease.acquired_at,
                lease.renewed_at,
                lease.expires_at,
                lease.settings_key,
            ),
        )

    async def set_pid(self, owner: str, pid: int) -> None:
        """The lease of `owner` now lives as long as process `pid`."""
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE worker_lease SET pid = ? WHERE owner = ?", (pid, owner))

    async def renew_lease(self, owner: str, now: float, ttl: float) -> bool:
        """Extend the lease of `owner`; False when another holds it."""
        async with self.db.transaction() as tx:
            return bool(
                await changes(
                    tx,
                    "UPDATE worker_lease SET renewed_at = ?, expires_at = ? WHERE owner = ?",
                    (now, now + ttl, owner),
                )
            )

    async def set_retire(self, owner: str, requested: bool) -> bool:
        """Ask (or stop asking) the holder `owner` to hand over; False when it holds no lease."""
        async with self.db.transaction() as tx:
            return bool(
                await changes(
                    tx,
                    "UPDATE worker_lease SET retire_requested = ? WHERE owner = ?",
                    (int(requested), owner),
                )
            )

    async def retire_requested(self, owner: str | None = None) -> bool:
        """True when the holder (`owner`, or whoever holds the lease) was asked to hand over."""
        sql = "SELECT retire_requested FROM worker_lease"
        row = await (
            self.db.fetchone(sql)
            if owner is None
            else self.db.fetchone(f"{sql} WHERE owner = ?", (owner,))
        )
        return row is not None and bool(row[0])

    async def release_lease(self, owner: str) -> None:
        """Drop the lease of `owner`; its processing items go back to pending, uncounted."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE reindexing_task_items SET status = 'pending', attempts = attempts - 1 "
                "WHERE status = 'processing' AND worker = ?",
                (owner,),
            )
            await tx.execute("DELETE FROM worker_lease WHERE owner = ?", (owner,))
