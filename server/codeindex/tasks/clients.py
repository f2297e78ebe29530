"""Clients of the queue: long-running front-ends and the files their editors have open.

A client (a language server, an MCP server) registers a row and renews it; a row not
renewed in time, or whose local process is gone, is dead and dropped by whoever looks
next. Open files are boosts owned by a client: while any live client has a file open,
its items (pending, or claimed and waiting to be embedded) are served at high priority
(invariant 5); when no live client has it open, they go back to the priority they were
queued with. Two editors never overwrite each other's boosts.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from typing import Any

from codeindex.storage import Storage
from codeindex.tasks.model import Priority, host_id, pid_alive

_LIVE = "expires_at > ?"


class ClientSide:
    """Client rows and their boosts; a mixin of `Queue`."""

    storage: Storage

    async def register_client(self, client_id: str, kind: str, ttl: float) -> None:
        """Add (or revive) a client row that lives `ttl` seconds unless renewed."""
        now = time.time()
        async with self.storage.transaction() as db:
            await db.execute(
                "INSERT INTO clients(id, kind, pid, hostname, started_at, renewed_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "renewed_at = excluded.renewed_at, expires_at = excluded.expires_at",
                (client_id, kind, os.getpid(), host_id(), now, now, now + ttl),
            )

    async def renew_client(self, client_id: str, ttl: float) -> bool:
        """Extend a client's life; False when its row was dropped (it must register again)."""
        now = time.time()
        async with self.storage.transaction() as db:
            cur = await db.execute(
                "UPDATE clients SET renewed_at = ?, expires_at = ? WHERE id = ?",
                (now, now + ttl, client_id),
            )
            kept = cur.rowcount > 0
            await cur.close()
        return kept

    async def drop_client(self, client_id: str) -> None:
        """The client is gone: forget it and lower its files back unless another has them open."""
        async with self.storage.transaction() as db:
            paths = await _boosted_by(db, [client_id])
            await db.execute("DELETE FROM client_boosts WHERE client_id = ?", (client_id,))
            await db.execute("DELETE FROM clients WHERE id = ?", (client_id,))
            await _restore(db, paths, time.time())

    async def expire_clients(self) -> int:
        """Drop clients that stopped renewing or whose local process died; returns how many."""
        now = time.time()
        host = host_id()
        rows = await self.storage.fetchall("SELECT id, pid, hostname, expires_at FROM clients")
        dead = [
            str(r[0])
            for r in rows
            if float(r[3]) <= now or (str(r[2]) == host and not pid_alive(int(r[1])))
        ]
        if not dead:
            return 0
        async with self.storage.transaction() as db:
            paths = await _boosted_by(db, dead)
            marks = ",".join("?" * len(dead))
            await db.execute(f"DELETE FROM client_boosts WHERE client_id IN ({marks})", dead)
            await db.execute(f"DELETE FROM clients WHERE id IN ({marks})", dead)
            await _restore(db, paths, now)
        return len(dead)

    async def live_clients(self) -> int:
        """How many clients are alive now."""
        return int(
            await self.storage.scalar(f"SELECT count(*) FROM clients WHERE {_LIVE}", (time.time(),))
            or 0
        )

    async def boost(self, client_id: str, paths: Sequence[str]) -> int:
        """Files open in this client's editor: raise their unfinished items to high priority.

        Returns how many items were raised. Items already claimed by the worker count too:
        the worker reads `boosted_paths` and moves their texts up its embedding backlog.
        """
        if not paths:
            return 0
        now = time.time()
        raised = 0
        async with self.storage.transaction() as db:
            await db.executemany(
                "INSERT OR REPLACE INTO client_boosts(client_id, file_path, boosted_at) "
                "VALUES (?, ?, ?)",
                [(client_id, p, now) for p in paths],
            )
            for path in dict.fromkeys(paths):
                cur = await db.execute(
                    "UPDATE reindexing_task_items SET priority = ? WHERE file_path = ? "
                    "AND status IN ('pending', 'processing') AND priority > ?",
                    (int(Priority.HIGH), path, int(Priority.HIGH)),
                )
                raised += cur.rowcount
                await cur.close()
        return raised

    async def unboost(self, client_id: str, paths: Sequence[str]) -> None:
        """Files this client closed: back to their queued priority unless another has them open."""
        if not paths:
            return
        async with self.storage.transaction() as db:
            await db.executemany(
                "DELETE FROM client_boosts WHERE client_id = ? AND file_path = ?",
                [(client_id, p) for p in paths],
            )
            await _restore(db, set(paths), time.time())

    async def boosted_paths(self) -> set[str]:
        """Files some live client has open."""
        rows = await self.storage.fetchall(
            "SELECT DISTINCT b.file_path FROM client_boosts b JOIN clients c ON c.id = b.client_id "
            f"WHERE c.{_LIVE}",
            (time.time(),),
        )
        return {str(r[0]) for r in rows}


async def live_boosts(db: Any, now: float) -> set[str]:
    """Within a transaction: the files some live client has open."""
    async with db.execute(
        "SELECT DISTINCT b.file_path FROM client_boosts b JOIN clients c ON c.id = b.client_id "
        f"WHERE c.{_LIVE}",
        (now,),
    ) as cur:
        return {str(r[0]) for r in await cur.fetchall()}


async def _boosted_by(db: Any, client_ids: Iterable[str]) -> set[str]:
    ids = list(client_ids)
    marks = ",".join("?" * len(ids))
    async with db.execute(
        f"SELECT file_path FROM client_boosts WHERE client_id IN ({marks})", ids
    ) as cur:
        return {str(r[0]) for r in await cur.fetchall()}


async def _restore(db: Any, paths: set[str], now: float) -> None:
    """Lower items of `paths` that no live client has open back to their queued priority."""
    still = await live_boosts(db, now)
    await db.executemany(
        "UPDATE reindexing_task_items SET priority = base_priority WHERE file_path = ? "
        "AND status IN ('pending', 'processing') AND priority != base_priority",
        [(p,) for p in paths - still],
    )
