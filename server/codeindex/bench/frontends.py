"""Item 16: editor and agent sessions against a warm worker (issue 20), as their clients see them.

A new agent or editor session should answer its first semantic search at once and stay
small: the model lives in the workspace's worker, never in a front-end. With a worker
already serving the workspace (its model loaded by a first query), each front-end is
spawned SPAWNS times as a client would spawn it: `codeindex mcp --workspace WS` under the
MCP SDK's stdio client, `codeindex lsp` under a raw LSP client (`lsp_stdio`). Each spawn is
timed from the process start to `initialize` answered and to its first semantic search
answered (`search_code` / `codeindex.search` with mode semantic); after QUERIES semantic
searches, the front-end's resident memory (VmRSS) is read from /proc, and its memory map
tells whether an ONNX Runtime library was loaded into it.

In the full run it follows the CLI queries (the index is complete, no worker runs);
`bench --frontends` indexes the copied tree first with the same worker.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp import ClientSession, StdioServerParameters, stdio_client

from codeindex.bench.cli_queries import QUERY
from codeindex.bench.common import BenchError
from codeindex.bench.corpus import WorkerProcess
from codeindex.bench.lsp_stdio import LspStdio
from codeindex.bench.session import Run, await_task, until_lease
from codeindex.ipc import query_socket

SPAWNS = 3
QUERIES = 5
SESSION_SECONDS = 300.0
WARM_SECONDS = 300.0
ONNX_LIBRARY = "onnxruntime"
SEARCH = {"query": QUERY, "mode": "semantic"}


@dataclass(slots=True)
class FrontendSpawn:
    """One spawn of a front-end: its timings, and its memory after QUERIES semantic queries."""

    initialize_seconds: float  # from the spawn to `initialize` answered
    first_answer_seconds: float  # from the spawn to the first semantic search answered
    query_ms: list[float]  # each semantic search, from send to answer
    rss_bytes: int  # VmRSS after the queries
    onnxruntime_mapped: bool  # an onnxruntime library in /proc/PID/maps


@dataclass(slots=True)
class FrontendResult:
    """Every spawn of one front-end, and the headline figures over them."""

    spawns: list[FrontendSpawn]
    initialize_seconds: float  # median
    first_answer_seconds: float  # median
    rss_bytes: int  # the largest
    onnxruntime_mapped: bool  # in any spawn


@dataclass(slots=True)
class FrontendsResult:
    """`codeindex mcp` and `codeindex lsp` sessions against a warm worker."""

    query: str
    queries_per_spawn: int
    mcp: FrontendResult
    lsp: FrontendResult


def _summary(spawns: list[FrontendSpawn]) -> FrontendResult:
    return FrontendResult(
        spawns,
        statistics.median(s.initialize_seconds for s in spawns),
        statistics.median(s.first_answer_seconds for s in spawns),
        max(s.rss_bytes for s in spawns),
        any(s.onnxruntime_mapped for s in spawns),
    )


def process_memory(pid: int) -> tuple[int, bool]:
    """A live process's resident set in bytes, and whether ONNX Runtime is mapped into it."""
    rss = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
        maps = Path(f"/proc/{pid}/maps").read_text(encoding="utf-8", errors="replace")
    except (OSError, ValueError, IndexError) as exc:
        raise BenchError(f"cannot read the memory of pid {pid}: {exc}") from exc
    return rss, ONNX_LIBRARY in maps.lower()


def _child_running(*words: str) -> int:
    """The pid of this process's child whose command line holds every word."""
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="utf-8", errors="replace")
            args = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == me and all(w in args for w in words):
            return int(entry.name)
    raise BenchError(f"no child process runs {' '.join(words)}")


def _checked(answer: Any, front_end: str) -> None:
    """A semantic search's answer: semantic hits (else BenchError with what came back)."""
    if not isinstance(answer, dict) or answer.get("mode") != "semantic" or not answer.get("hits"):
        raise BenchError(f"{front_end} answered a semantic search with {str(answer)[:500]}")


def _mcp_answer(result: Any) -> Any:
    """The structured result of a tool call, or its error text."""
    if result.is_error or result.structured_content is None:
        return " ".join(getattr(c, "text", "") for c in result.content) or "an empty error"
    return result.structured_content


async def _mcp_queries(session: ClientSession, started: float) -> tuple[float, list[float]]:
    first = 0.0
    ms: list[float] = []
    for _ in range(QUERIES):
        sent = time.perf_counter()
        result = await session.call_tool("search_code", dict(SEARCH))
        ms.append((time.perf_counter() - sent) * 1000)
        _checked(_mcp_answer(result), "`codeindex mcp`")
        first = first or time.perf_counter() - started
    return first, ms


async def _mcp_spawn(run: Run, n: int) -> FrontendSpawn:
    """Spawn `codeindex mcp --workspace WS` under the SDK's stdio client; time and read it."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "codeindex", "mcp", "--workspace", str(run.ws)],
        env=run.env(),
        cwd=run.ws,
    )
    with (run.logs / f"mcp-{n}.log").open("a", encoding="utf-8") as errlog:
        async with asyncio.timeout(SESSION_SECONDS):
            started = time.perf_counter()
            async with (
                stdio_client(params, errlog=errlog) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                initialized = time.perf_counter() - started
                first, ms = await _mcp_queries(session, started)
                rss, onnx = process_memory(_child_running("codeindex", "mcp", str(run.ws)))
    return FrontendSpawn(initialized, first, ms, rss, onnx)


async def _lsp_spawn(run: Run, n: int) -> FrontendSpawn:
    """Spawn `codeindex lsp` under a raw LSP client on WS; time and read it."""
    command = [sys.executable, "-m", "codeindex", "lsp"]
    started = time.perf_counter()
    client = await LspStdio.spawn(command, run.env(), run.ws, run.logs / f"lsp-{n}.log")
    try:
        await client.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": run.ws.as_uri(),
                "capabilities": {},
                "initializationOptions": {"watching": False},
            },
        )
        initialized = time.perf_counter() - started
        await client.notify("initialized", {})
        first = 0.0
        ms: list[float] = []
        for _ in range(QUERIES):
            sent = time.perf_counter()
            answer = await client.request(
                "workspace/executeCommand", {"command": "codeindex.search", "arguments": [SEARCH]}
            )
            ms.append((time.perf_counter() - sent) * 1000)
            _checked(answer, "`codeindex lsp`")
            first = first or time.perf_counter() - started
        rss, onnx = process_memory(client.pid)
    finally:
        await client.close()
    return FrontendSpawn(initialized, first, ms, rss, onnx)


async def _warm(run: Run, worker: WorkerProcess) -> None:
    """Wait until the worker answers a semantic search on its query socket (model loaded)."""
    data_dir = run.service.settings.data_dir
    deadline = time.monotonic() + WARM_SECONDS
    while True:
        try:
            answer = await query_socket.ask_async(
                data_dir, "search", dict(SEARCH), ack_seconds=5.0, answer_seconds=WARM_SECONDS
            )
        except query_socket.Late:
            answer = None
        if answer is not None and answer.get("ok"):
            _checked(answer["result"], "the worker")
            return
        if not worker.running or time.monotonic() > deadline:
            raise BenchError(
                f"the worker never answered a semantic search: {answer}\n{worker.log_tail()}"
            )
        await asyncio.sleep(0.2)


async def measure_frontends(run: Run, *, index_first: bool = False) -> FrontendsResult:
    """Start a worker (index the tree with it first when asked), warm it, time the spawns."""
    run.log(f"front-ends: {SPAWNS} spawns each of `codeindex mcp` and `codeindex lsp`, warm worker")
    worker = await run.start_worker(exit_when_idle=False)
    try:
        await until_lease(run.service, worker)
        if index_first:
            run.log("front-ends: indexing the tree first")
            resp = await run.service.force_reindex("project")
            await await_task(run.service, resp["task_id"], worker)
        await _warm(run, worker)
        mcp = [await _mcp_spawn(run, n) for n in range(1, SPAWNS + 1)]
        lsp = [await _lsp_spawn(run, n) for n in range(1, SPAWNS + 1)]
    finally:
        await worker.stop()
    return FrontendsResult(QUERY, QUERIES, _summary(mcp), _summary(lsp))
