"""The rows of queue clients (long-running front-ends) and the files their editors have open.

An item's `priority` is raised while a live client has its file open and goes back to its
`base_priority` when none has (invariant 5). Which clients are dead is decided above
(`tasks`); the rows of those are dropped here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from codeindex.storage.db import Connection, Database, changes, marks, rows_in

_LIVE_BOOSTS = (
    "SELECT DISTINCT b.file_path FROM client_boosts b JOIN clients c ON c.id = b.client_id "
    "WHERE c.expires_at > ?"
)


@dataclass(frozen=True, slots=True)
class ClientRow:
    """A registered client: its process and until when it lives."""

    id: str
    kind: str
    pid: int
    hostname: str
    expires_at: float


async def live_boosts(tx: Connection, now: float) -> set[str]:
    """Within a transaction: the files some live client has open."""
    return {str(r[0]) for r in await rows_in(tx, _LIVE_BOOSTS, (now,))}


async def _restore(tx: Connection, paths: set[str], now: float) -> None:
    """Lower items of `paths` that no live client has open back to their queued priority."""
    still = await live_boosts(tx, now)
    await tx.executemany(
        "UPDATE reindexing_task_items SET priority = base_priority WHERE file_path = ? "
        "AND status IN ('pending', 'processing') AND priority != base_priority",
        [(p,) for p in paths - still],
    )


class ClientRows:
    """`clients` and `client_boosts` of one index."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def register_client(self, client: ClientRow, now: float) -> None:
        """Add a client row, or renew it when it exists."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO clients(id, kind, pid, hostname, started_at, renewed_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "renewed_at = excluded.renewed_at, expires_at = excluded.expires_at",
                (client.id, client.kind, client.pid, client.hostname, now, now, client.expires_at),
            )

    async def renew_client(self, client_id: str, now: float, ttl: float) -> bool:
        """Extend a client's life; False when it has no row."""
        async with self.db.transaction() as tx:
            return bool(
                await changes(
                    tx,
                    "UPDATE clients SET renewed_at = ?, expires_at = ? WHERE id = ?",
                    (now, now + ttl, client_id),
                )
            )

    async def clients(self) -> list[ClientRow]:
        """Every client row."""
        rows = await self.db.fetchall("SELECT id, kind, pid, hostname, expires_at FROM clients")
        return [ClientRow(str(r[0]), str(r[1]), int(r[2]), str(r[3]), float(r[4])) for r in rows]

    async def drop_clients(self, client_ids: Sequence[str], now: float) -> None:
        """Forget these clients and their boosts; their files go back to their queued
        priority unless another live client has them open."""
        if not client_ids:
            return
        ids = list(client_ids)
        where = f"IN ({marks(len(ids))})"
        async with self.db.transaction() as tx:
            rows = await rows_in(
                tx, f"SELECT file_path FROM client_boosts WHERE client_id {where}", ids
            )
            await tx.execute(f"DELETE FROM client_boosts WHERE client_id {where}", ids)
            await tx.execute(f"DELETE FROM clients WHERE id {where}", ids)
            await _restore(tx, {str(r[0]) for r in rows}, now)

    async def live_clients(self, now: float) -> int:
        """How many clients live at `now`."""
        return await self.db.count("SELECT count(*) FROM clients WHERE expires_at > ?", (now,))

    async def boost(self, client_id: str, paths: Sequence[str], now: float, priority: int) -> int:
        """Record the client's open files and raise their unfinished items to `priority`;
        returns how many items were raised."""
        raised = 0
        async with self.db.transaction() as tx:
            await tx.executemany(
                "INSERT OR REPLACE INTO client_boosts(client_id, file_path, boosted_at) "
                "VALUES (?, ?, ?)",
                [(client_id, p, now) for p in paths],
            )
            for path in dict.fromkeys(paths):
                raised += await changes(
                    tx,
                    "UPDATE reindexing_task_items SET priority = ? WHERE file_path = ? "
                    "AND status IN ('pending', 'processing') AND priority > ?",
                    (priority, path, priority),
                )
        return raised

    async def unboost(self, client_id: str, paths: Iterable[str], now: float) -> None:
        """The client closed these files: back to their queued priority unless another live
        client has them open."""
        closed = set(paths)
        async with self.db.transaction() as tx:
            await tx.executemany(
                "DELETE FROM client_boosts WHERE client_id = ? AND file_path = ?",
                [(client_id, p) for p in closed],
            )
            await _restore(tx, closed, now)

    async def boosted_paths(self, now: float) -> set[str]:
        """Files some live client has open."""
        return {str(r[0]) for r in await self.db.fetchall(_LIVE_BOOSTS, (now,))}
