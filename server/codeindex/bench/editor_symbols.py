"""`workspace/symbol` latency as an editor sees it: a real LSP client talking to `codeindex lsp`
over stdio, idle and while a forced full reindex runs (the worker in its own process, started
by the language server's supervisor as in an editor)."""

from __future__ import annotations

from dataclasses import dataclass

from codeindex.bench.latency import SymbolProbe, percentile
from codeindex.bench.session import Run, stop_lingering_worker

QUERIES = ("parse", "Command", "new", "Error")
IDLE_ROUNDS = 10
IDLE_ROUNDS_QUICK = 3


@dataclass(slots=True)
class EditorSymbolsResult:
    """p50/p95 ms of workspace/symbol, and how many requests each figure is from."""

    idle_p50_ms: float
    idle_p95_ms: float
    idle_requests: int
    during_p50_ms: float
    during_p95_ms: float
    during_requests: int


async def measure_editor_symbols(run: Run) -> EditorSymbolsResult:
    """Idle rounds of the queries, then rounds while a forced full reindex runs."""
    run.log("workspace/symbol through a real LSP client: idle, then during a full reindex")
    rounds = IDLE_ROUNDS_QUICK if run.config.quick else IDLE_ROUNDS
    async with SymbolProbe(run.ws, env=run.env()) as probe:
        idle = await probe.measure(QUERIES, rounds=rounds)
        task = await probe.command(
            "codeindex.forceReindex", {"scope": "project", "incremental": False}
        )
        busy = await probe.measure_during(task["task_id"], QUERIES)
    await stop_lingering_worker(run)
    return EditorSymbolsResult(
        percentile(idle, 50),
        percentile(idle, 95),
        len(idle),
        percentile(busy, 50),
        percentile(busy, 95),
        len(busy),
    )
