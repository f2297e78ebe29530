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
from collections.abc import Sequence

from codeindex.storage import Storage
from codeindex.storage.client_rows import ClientRow
from codeindex.tasks.model import Priority, host_id, pid_alive


def client_dead(client: ClientRow, now: float) -> bool:
    """A client is dead once it stopped renewing, or when its process on this host is gone."""
    return client.expires_at <= now or (client.hostname == host_id() and not pid_alive(client.pid))


class ClientSide:
    """Client rows and their boosts."""

    def __init__(self, storage: Storage) -> None:
        self.rows = storage.client_rows

    async def register_client(self, client_id: str, kind: str, ttl: float) -> None:
        """Add (or revive) a client row that lives `ttl` seconds unless renewed."""
        now = time.time()
        client = ClientRow(client_id, kind, os.getpid(), host_id(), now + ttl)
        await self.rows.register_client(client, now)

    async def renew_client(self, client_id: str, ttl: float) -> bool:
        """Extend a client's life; False when its row was dropped (it must register again)."""
        return await self.rows.renew_client(client_id, time.time(), ttl)

    async def drop_client(self, client_id: str) -> None:
        """The client is gone: forget it and lower its files back unless another has them open."""
        await self.rows.drop_clients([client_id], time.time())

    async def expire_clients(self) -> int:
        """Drop clients that stopped renewing or whose local process died; returns how many."""
        now = time.time()
        dead = [c.id for c in await self.rows.clients() if client_dead(c, now)]
        await self.rows.drop_clients(dead, now)
        return len(dead)

    async def live_clients(self) -> int:
        """How many clients are alive now."""
        return await self.rows.live_clients(time.time())

    async def boost(self, client_id: str, paths: Sequence[str]) -> int:
        """Files open in this client's editor: raise their unfinished items to high priority.

        Returns how many items were raised. Items already claimed by the worker count too:
        the worker reads `boosted_paths` and moves their texts up its embedding backlog.
        """
        if not paths:
            return 0
        return await self.rows.boost(client_id, paths, time.time(), int(Priority.HIGH))

    async def unboost(self, client_id: str, paths: Sequence[str]) -> None:
        """Files this client closed: back to their queued priority unless another has them open."""
        if paths:
            await self.rows.unboost(client_id, paths, time.time())

    async def boosted_paths(self) -> set[str]:
        """Files some live client has open."""
        return await self.rows.boosted_paths(time.time())
