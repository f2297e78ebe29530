"""Sessions of long-running front-ends: a client row, its open files, its settings.

A language server or MCP server starts a session: the supervisor then keeps a worker
serving the workspace while it lives, and the files its editor has open are boosts it owns
(see `tasks.clients`). `CodeIndexService` holds one `Sessions` and hands these calls to it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from codeindex.app.supervisor import Supervisor
from codeindex.config import Settings, load_settings
from codeindex.errors import BadArgument
from codeindex.tasks import Queue
from codeindex.workspace import Workspace


class Sessions:
    """Start and end a session, boost open files, apply an editor's settings."""

    def __init__(
        self,
        queue: Queue,
        supervisor: Supervisor,
        overrides: dict[str, Any],
        *,
        workspace: Callable[[], Workspace],
        use: Callable[[Settings], None],
        wake: Callable[[], None],
        ensure_worker: Callable[[], Awaitable[bool]],
    ) -> None:
        """`workspace()` is the service's current workspace, `use(settings)` makes the
        service take new settings, `wake()` tells the worker that work changed."""
        self.queue = queue
        self.supervisor = supervisor
        self.overrides = overrides
        self._workspace = workspace
        self._use = use
        self._wake = wake
        self._ensure_worker = ensure_worker
        self.client_gone = False

    async def start(self, kind: str) -> str:
        """Register this front-end (`lsp`, `mcp`) as a client; a worker serves while it lives.

        Returns the client id that owns this session's open-file boosts.
        """
        return await self.supervisor.start_session(kind)

    async def end(self) -> None:
        """Drop this front-end's client row and its open-file boosts."""
        await self.supervisor.end_session()

    def leave(self) -> None:
        """The front-end's client went away (it did not ask to stop anything): the tasks it
        created stay queued and finish in the worker."""
        self.client_gone = True

    def _client(self) -> str:
        if self.supervisor.client_id is None:
            raise BadArgument("open files need a session: call start_session() first")
        return self.supervisor.client_id

    async def boost(self, paths: Sequence[str]) -> int:
        """Files open in this session's editor go first, in every task (invariant 5).

        Paths outside the workspace are ignored. Returns how many items were raised.
        """
        changed = await self.queue.boost(self._client(), self._resolve_quietly(paths))
        self._wake()
        return changed

    async def unboost(self, paths: Sequence[str]) -> None:
        """Files this session's editor closed: back to their queued priority."""
        await self.queue.unboost(self._client(), self._resolve_quietly(paths))
        self._wake()

    def _resolve_quietly(self, paths: Sequence[str]) -> list[str]:
        workspace = self._workspace()
        resolved = []
        for path in paths:
            with contextlib.suppress(BadArgument):
                resolved.append(workspace.resolve(path))
        return resolved

    async def apply_settings(self, current: Settings, overrides: Mapping[str, Any]) -> Settings:
        """Use new settings (an editor's configuration changed); the old stay on error.

        A worker serving with other index settings hands over to one with these.
        """
        merged = {**self.overrides, **overrides}
        settings = load_settings(current.root, merged)  # ConfigError: nothing changes
        changed_index = settings.index_key() != current.index_key()
        self.overrides.clear()
        self.overrides.update(merged)
        self._use(settings)
        self.supervisor.settings = settings
        if changed_index and self.supervisor.mode != "none":
            await self._ensure_worker()
        return settings
