"""Sessions of long-running front-ends: a client row, its open files, its settings.

A mixin of `CodeIndexService`. A language server or MCP server starts a session: the
supervisor then keeps a worker serving the workspace while it lives, and the files its
editor has open are boosts it owns (see `tasks.clients`).
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from codeindex.app.supervisor import Supervisor
from codeindex.config import Settings, load_settings
from codeindex.errors import BadArgument
from codeindex.tasks import Queue
from codeindex.workspace import Workspace


class Sessions(ABC):
    """Start and end a session, boost open files, apply an editor's settings."""

    settings: Settings
    queue: Queue
    workspace: Workspace
    supervisor: Supervisor
    _overrides: dict[str, Any]

    @abstractmethod
    def _use(self, settings: Settings) -> None: ...

    @abstractmethod
    def _wake_worker(self) -> None: ...

    @abstractmethod
    async def ensure_worker(self) -> bool: ...

    async def start_session(self, kind: str) -> str:
        """Register this front-end (`lsp`, `mcp`) as a client; a worker serves while it lives.

        Returns the client id that owns this session's open-file boosts.
        """
        return await self.supervisor.start_session(kind)

    async def end_session(self) -> None:
        """Drop this front-end's client row and its open-file boosts."""
        await self.supervisor.end_session()

    def _client(self) -> str:
        if self.supervisor.client_id is None:
            raise BadArgument("open files need a session: call start_session() first")
        return self.supervisor.client_id

    async def boost(self, paths: Sequence[str]) -> int:
        """Files open in this session's editor go first, in every task (invariant 5).

        Paths outside the workspace are ignored. Returns how many items were raised.
        """
        resolved = self._resolve_quietly(paths)
        changed = await self.queue.boost(self._client(), resolved)
        self._wake_worker()
        return changed

    async def unboost(self, paths: Sequence[str]) -> None:
        """Files this session's editor closed: back to their queued priority."""
        await self.queue.unboost(self._client(), self._resolve_quietly(paths))
        self._wake_worker()

    def _resolve_quietly(self, paths: Sequence[str]) -> list[str]:
        resolved = []
        for path in paths:
            with contextlib.suppress(BadArgument):
                resolved.append(self.workspace.resolve(path))
        return resolved

    async def apply_settings(self, overrides: Mapping[str, Any]) -> Settings:
        """Use new settings (an editor's configuration changed); the old stay on error.

        A worker serving with other index settings hands over to one with these.
        """
        merged = {**self._overrides, **overrides}
        settings = load_settings(self.settings.root, merged)  # ConfigError: nothing changes
        changed_index = settings.index_key() != self.settings.index_key()
        self._overrides.clear()
        self._overrides.update(merged)
        self._use(settings)
        self.supervisor.settings = settings
        if changed_index and self.supervisor.mode != "none":
            await self.ensure_worker()
        return settings
