"""`workspace/symbol` latency through a real LSP client, for `codeindex bench`.

`SymbolProbe` starts `codeindex lsp` as a subprocess on a workspace, talks to it over
stdio with pygls' client (as an editor would), and times each `workspace/symbol` request
from send to answer. A bench measures it idle, then starts a full reindex through the
same server and measures while that runs:

    async with SymbolProbe(root, env=env) as probe:
        idle = await probe.measure(["Command", "Regex"], rounds=20)
        task = await probe.command("codeindex.forceReindex", {"scope": "project"})
        busy = await probe.measure_during(task["task_id"], ["Command", "Regex"])
    print(percentile(idle, 95), percentile(busy, 95))
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

FINISHED = ("Completed", "Failed", "Cancelled")


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile (`pct` in 0..100) of some values."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _quiet(client: LanguageClient) -> None:
    """Accept what the server sends on its own (status, messages, prompts) silently."""

    def ignore(ls: LanguageClient, params: Any) -> None:
        return None

    for method in ("codeindex/status", types.WINDOW_SHOW_MESSAGE, types.WINDOW_LOG_MESSAGE):
        client.feature(method)(ignore)
    client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)(ignore)


class SymbolProbe:
    """A `codeindex lsp` subprocess on `root`, and the client that times its answers."""

    def __init__(
        self,
        root: Path,
        *,
        env: Mapping[str, str] | None = None,
        command: Sequence[str] = (sys.executable, "-m", "codeindex", "lsp"),
    ) -> None:
        self.root = root
        self.env = dict(env if env is not None else os.environ)
        self.server_command = list(command)
        self.client = LanguageClient("codeindex-latency-probe", "1")
        _quiet(self.client)
        self._drain: asyncio.Task[None] | None = None

    async def __aenter__(self) -> SymbolProbe:
        await self.client.start_io(*self.server_command, env=self.env)
        server = self.client._server
        if server is not None and server.stderr is not None:
            self._drain = asyncio.create_task(_drain(server.stderr))
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                process_id=os.getpid(),
                root_uri=from_fs_path(str(self.root)),
            )
        )
        self.client.initialized(types.InitializedParams())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(30):
                await self.client.shutdown_async(None)
                self.client.exit(None)
                if self.client._server is not None:
                    await self.client._server.wait()
        stop: Callable[[], Awaitable[None]] = self.client.stop  # pygls leaves it untyped
        await stop()
        if self._drain is not None:
            self._drain.cancel()

    async def command(self, name: str, argument: Any = None) -> Any:
        """A workspace command (`codeindex.forceReindex`, ...) and its result."""
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command=name, arguments=[argument] if argument is not None else None
            )
        )

    async def symbol_ms(self, query: str) -> float:
        """One workspace/symbol request, in milliseconds from send to answer."""
        started = time.perf_counter()
        await self.client.workspace_symbol_async(types.WorkspaceSymbolParams(query=query))
        return (time.perf_counter() - started) * 1000

    async def measure(self, queries: Sequence[str], rounds: int = 1) -> list[float]:
        """Each query `rounds` times, one request at a time; latencies in ms."""
        return [await self.symbol_ms(q) for _ in range(rounds) for q in queries]

    async def measure_during(self, task_id: str, queries: Sequence[str]) -> list[float]:
        """Rounds of the queries while the task runs (at least one round); latencies in ms."""
        latencies: list[float] = []
        while True:
            latencies.extend(await self.measure(queries))
            status = await self.command("codeindex.reindexStatus", {"task_id": task_id})
            if status["status"] in FINISHED:
                return latencies


async def _drain(stream: asyncio.StreamReader) -> None:
    """Read the server's stderr so a full pipe never blocks it."""
    while await stream.read(65536):
        pass
