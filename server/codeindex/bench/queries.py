"""Item 6: query latency in every mode, idle and while a full reindex runs in a worker."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from codeindex.app.service import CodeIndexService
from codeindex.bench.common import SEED
from codeindex.bench.session import Run, await_task, until_running

QUERY_PASSES = 3
RATIO_FLOOR_MS = 5.0  # below this (the GIL switch interval) a slowdown is scheduler noise
MODES = ("semantic", "lexical", "hybrid", "symbol")
QUERIES = (
    "parse command line arguments and flags",
    "read a configuration file",
    "open a database connection",
    "handle an HTTP request and return a response",
    "compile a regular expression",
    "match a pattern against input text",
    "serialize an object to JSON",
    "validate user input and raise an error",
    "iterate over the children of a node",
    "cache the result of an expensive call",
    "format a date and time as a string",
    "write output to a file",
    "retry an operation after a failure",
    "subscribe to an observable stream",
    "merge two sorted lists",
    "escape special characters in a string",
    "generate a shell completion script",
    "convert a string to an integer",
    "log a warning message",
    "test that an error is returned",
)


@dataclass(slots=True)
class Latency:
    """Latency of one query mode."""

    count: int
    p50_ms: float | None
    p95_ms: float | None
    errors: int


@dataclass(slots=True)
class QueriesResult:
    """6. Query latency idle and while a full reindex runs in another process."""

    queries_per_mode: int
    passes: int
    idle: dict[str, Latency]
    during: dict[str, Latency]
    during_overlap_seconds: float
    p95_ratio: dict[str, float | None]
    ratio_floor_ms: float
    p95_ratio_floored: dict[str, float | None]
    worst_mode: str | None
    worst_p95_ratio: float | None
    errors_idle: int
    errors_during: int
    error_examples: list[str]


@dataclass(slots=True)
class _Samples:
    ms: dict[str, list[float]] = field(default_factory=lambda: {m: [] for m in MODES})
    errors: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MODES, 0))
    examples: list[str] = field(default_factory=list)


async def query_workload(service: CodeIndexService) -> list[tuple[str, str]]:
    """The fixed queries in every text mode, plus symbol names sampled from the index."""
    names = await service.storage.symbol_names(min_length=4)
    picked = random.Random(SEED).sample(names, min(len(QUERIES), len(names)))
    workload: list[tuple[str, str]] = []
    for i, text in enumerate(QUERIES):
        workload += [("semantic", text), ("lexical", text), ("hybrid", text)]
        if i < len(picked):
            workload.append(("symbol", picked[i]))
    return workload


async def _query(service: CodeIndexService, mode: str, text: str) -> None:
    if mode == "symbol":
        await service.find_symbols(text)
    else:
        await service.search(text, mode=mode, limit=10)


async def run_queries(
    service: CodeIndexService,
    workload: Sequence[tuple[str, str]],
    passes: int,
    samples: _Samples,
    stop: asyncio.Event | None = None,
) -> None:
    """Run the workload `passes` times, recording latencies until `stop` is set."""
    for _ in range(passes):
        for mode, text in workload:
            if stop is not None and stop.is_set():
                return
            started = time.perf_counter()
            try:
                await _query(service, mode, text)
            except Exception as exc:  # counted, never fatal: errors are a figure here
                samples.errors[mode] += 1
                if len(samples.examples) < 5:
                    samples.examples.append(f"{mode} {text!r}: {type(exc).__name__}: {exc}")
                continue
            if stop is None or not stop.is_set():
                samples.ms[mode].append((time.perf_counter() - started) * 1000)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def latency(values: Sequence[float], errors: int) -> Latency:
    """p50/p95 of a list of milliseconds."""
    if not values:
        return Latency(0, None, None, errors)
    return Latency(len(values), percentile(values, 0.5), percentile(values, 0.95), errors)


async def measure_idle_queries(
    service: CodeIndexService, workload: Sequence[tuple[str, str]]
) -> _Samples:
    """Latency with no worker running, after one unrecorded warm-up pass."""
    await run_queries(service, workload, 1, _Samples())
    samples = _Samples()
    await run_queries(service, workload, QUERY_PASSES, samples)
    return samples


async def measure_queries_during(
    run: Run, workload: Sequence[tuple[str, str]], idle: _Samples
) -> QueriesResult:
    """Latency while a forced full reindex (parser bump 2) runs in a worker subprocess.

    The p95 ratio that is judged floors both latencies at RATIO_FLOOR_MS: a symbol lookup
    going from 0.2 to 1 ms is noise, not a 5x slowdown. The raw ratios are kept too.
    """
    during = _Samples()
    async with run.bumped_service(2) as bumped:
        resp = await bumped.force_reindex("project")
        worker = await run.start_worker(bump=2)
        await until_running(bumped, resp["task_id"], worker)
        finished = asyncio.Event()

        async def watch() -> None:
            await await_task(bumped, resp["task_id"], worker)
            finished.set()

        watcher = asyncio.create_task(watch())
        started = time.perf_counter()
        try:
            await run_queries(run.service, workload, QUERY_PASSES, during, finished)
        finally:
            overlap = time.perf_counter() - started
            await watcher
        await worker.finish()
    idle_lat = {m: latency(idle.ms[m], idle.errors[m]) for m in MODES}
    during_lat = {m: latency(during.ms[m], during.errors[m]) for m in MODES}
    ratios: dict[str, float | None] = {}
    floored: dict[str, float | None] = {}
    for m in MODES:
        a, b = idle_lat[m].p95_ms, during_lat[m].p95_ms
        ratios[m] = b / a if a and b is not None else None
        floored[m] = (
            max(b, RATIO_FLOOR_MS) / max(a, RATIO_FLOOR_MS)
            if a is not None and b is not None
            else None
        )
    known = {m: r for m, r in floored.items() if r is not None}
    worst = max(known, key=lambda m: known[m]) if known else None
    return QueriesResult(
        queries_per_mode=len(QUERIES),
        passes=QUERY_PASSES,
        idle=idle_lat,
        during=during_lat,
        during_overlap_seconds=overlap,
        p95_ratio=ratios,
        ratio_floor_ms=RATIO_FLOOR_MS,
        p95_ratio_floored=floored,
        worst_mode=worst,
        worst_p95_ratio=known[worst] if worst else None,
        errors_idle=sum(idle.errors.values()),
        errors_during=sum(during.errors.values()),
        error_examples=idle.examples + during.examples,
    )
