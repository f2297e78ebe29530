"""CLI query latency per mode, process start included, with a worker alive and without one.

With a worker alive, `codeindex search` asks it over the query socket (`ipc.query_socket`);
without one, a full-text or symbol query runs in the CLI's own process, and a semantic or
hybrid one starts a worker and waits for it to load the model (that worker is stopped
after each run, so every run starts cold). Each figure is the wall time of
`python -m codeindex search ... --json` as a shell would see it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from codeindex.bench.common import BenchError
from codeindex.bench.queries import percentile
from codeindex.bench.session import Run, stop_lingering_worker
from codeindex.ipc import query_socket

MODES = ("semantic", "hybrid", "lexical", "symbol")
QUERY = "parse command line arguments and flags"
SYMBOL = "parse"
RUNS_WARM = 7
RUNS_ALONE = 3


@dataclass(slots=True)
class CliLatency:
    """p50 and max wall ms of one mode's CLI query."""

    runs: int
    p50_ms: float
    max_ms: float


@dataclass(slots=True)
class CliQueriesResult:
    """CLI query latency per mode with a worker alive (served) and without one."""

    with_worker: dict[str, CliLatency]
    without_worker: dict[str, CliLatency]


def _args(mode: str) -> tuple[str, ...]:
    if mode == "symbol":
        return ("symbols", SYMBOL)
    return ("search", QUERY, "--mode", mode)


async def _measure(run: Run, runs: int, *, cold: bool = False) -> dict[str, CliLatency]:
    found: dict[str, CliLatency] = {}
    for mode in MODES:
        ms = []
        for _ in range(runs):
            seconds, _ = await run.cli(*_args(mode))
            ms.append(seconds * 1000)
            if cold:
                await stop_lingering_worker(run)  # the worker the query started
        found[mode] = CliLatency(len(ms), percentile(ms, 0.5), max(ms))
    return found


async def measure_cli_queries(run: Run) -> CliQueriesResult:
    """p50 per mode: first with a foreground worker serving queries, then with none."""
    run.log("CLI queries: with a worker alive, then without")
    worker = await run.start_worker(exit_when_idle=False)
    data_dir = run.service.settings.data_dir
    try:
        deadline = time.monotonic() + 120
        while (
            await asyncio.to_thread(query_socket.ask, data_dir, "symbols", {"name": SYMBOL}) is None
        ):
            if not worker.running or time.monotonic() > deadline:
                raise BenchError(f"the worker never served queries:\n{worker.log_tail()}")
            await asyncio.sleep(0.1)
        await run.cli(*_args("semantic"))  # the worker loads the active model once
        served = await _measure(run, 3 if run.config.quick else RUNS_WARM)
    finally:
        await worker.stop()
    alone = await _measure(run, 1 if run.config.quick else RUNS_ALONE, cold=True)
    return CliQueriesResult(served, alone)
