"""Items 2, 3, 7, 9 and 10: a cold full index, sampled while a worker subprocess runs it.

One run gives the indexing rates, when full-text and symbol search became ready, how
honest the reported progress was, how long the request took to return, and the worker's
peak memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from codeindex.app.service import CodeIndexService
from codeindex.bench.common import SAMPLE_SECONDS
from codeindex.bench.corpus import WorkerProcess
from codeindex.bench.progress_score import ProgressRow, Sample, score
from codeindex.bench.session import Run, await_task

LOG_EVERY_SECONDS = 15.0


@dataclass(slots=True)
class ColdIndexResult:
    """2. A first full index, from the request to the task's completion."""

    files: int
    files_failed: int
    chunks: int
    distinct_texts: int
    embeddings_generated: int
    tokens: int
    wall_seconds: float
    task_seconds: float
    files_per_s: float
    chunks_per_s: float
    tokens_per_s: float
    embedding_efficiency: float
    worker_cpu_seconds: float
    worker_cores_used: float
    ceiling_share: float = 0.0  # tokens/s ÷ the fp32 FLOP ceiling (raw_model)


@dataclass(slots=True)
class SearchReadyResult:
    """3. When every file was parsed and swapped in: full-text and symbol search work."""

    seconds: float | None
    files: int
    files_per_s: float | None
    progress_reported_then: float | None


@dataclass(slots=True)
class EnqueueResult:
    """9. How long async force_reindex("project") takes to return."""

    cold_seconds: float
    full_tree_seconds: float
    worst_seconds: float


@dataclass(slots=True)
class MemoryResult:
    """10. Peak resident memory of the worker process during the cold index."""

    worker_peak_rss_bytes: int
    children_maxrss_bytes: int
    bench_peak_rss_bytes: int


async def _search_ready(service: CodeIndexService, task_id: str) -> bool:
    """No item of the task is pending and every planned file has its files row."""
    return await service.storage.task_items_unparsed(task_id) == 0


@dataclass(slots=True)
class _ColdSampler:
    """Samples status, search readiness and the worker's memory every SAMPLE_SECONDS."""

    run: Run
    task_id: str
    worker: WorkerProcess
    started: float
    progress: list[Sample] = field(default_factory=list)
    ready_seconds: float | None = None
    ready_progress: float | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def on_progress(self, status: Mapping[str, Any]) -> None:
        """Record (wall clock, reported progress, ETA)."""
        self.progress.append((time.time(), float(status["progress"]), status["eta_seconds"]))

    async def check_ready(self, progress: float) -> None:
        """Note the first moment full-text and symbol search are ready."""
        if self.ready_seconds is None and await _search_ready(self.run.service, self.task_id):
            self.ready_seconds = time.perf_counter() - self.started
            self.ready_progress = progress
            self.run.log(f"full-text and symbol search ready after {self.ready_seconds:.1f}s")

    async def sample(self) -> None:
        """Sample until `stop` is set."""
        last_log = time.perf_counter()
        while not self.stop.is_set():
            status = await self.run.service.get_reindex_status(self.task_id)
            self.on_progress(status)
            self.worker.sample()
            await self.check_ready(float(status["progress"]))
            if time.perf_counter() - last_log >= LOG_EVERY_SECONDS:
                last_log = time.perf_counter()
                self.run.log(
                    f"cold index: {status['progress']:.1%} reported, "
                    f"{status['items_completed']}/{status['items_total']} files completed"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), SAMPLE_SECONDS)


@dataclass(slots=True)
class ColdRun:
    """What the cold index measured; the raw-model step fills in its tokens and efficiency."""

    result: ColdIndexResult
    ready: SearchReadyResult
    progress: ProgressRow
    memory: MemoryResult
    enqueue_seconds: float


async def measure_cold(run: Run) -> ColdRun:
    """A cold full index through a worker subprocess, sampled while it runs."""
    service = run.service
    started = time.perf_counter()
    resp = await service.force_reindex("project")
    enqueue = time.perf_counter() - started
    task_id = resp["task_id"]
    run.log(
        f"cold index: {resp['items_total']} files queued in {enqueue:.2f}s, estimated "
        f"{resp['estimated_duration_seconds']} s"
    )
    worker = await run.start_worker()
    sampler = _ColdSampler(run, task_id, worker, started)
    sampling = asyncio.create_task(sampler.sample())
    try:
        task = await await_task(service, task_id, worker, on_progress=sampler.on_progress)
    finally:
        sampler.stop.set()
        await sampling
    wall = time.perf_counter() - started
    await sampler.check_ready(1.0)
    await worker.finish()
    run.log(f"cold index done in {wall:.1f}s ({task.items_completed} files)")
    chunks = await service.storage.count_chunks()
    children_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    files = task.items_total
    ready_s = sampler.ready_seconds
    result = ColdIndexResult(
        files=files,
        files_failed=task.items_failed,
        chunks=chunks,
        distinct_texts=0,
        embeddings_generated=task.embeddings_generated,
        tokens=0,
        wall_seconds=wall,
        task_seconds=(task.completed_at or 0.0) - (task.started_at or task.created_at),
        files_per_s=files / wall,
        chunks_per_s=chunks / wall,
        tokens_per_s=0.0,
        embedding_efficiency=0.0,
        worker_cpu_seconds=worker.cpu_seconds,
        worker_cores_used=worker.cpu_seconds / max(worker.lifetime_seconds, 1e-9),
    )
    return ColdRun(
        result=result,
        ready=SearchReadyResult(
            ready_s, files, files / ready_s if ready_s else None, sampler.ready_progress
        ),
        progress=score(
            "cold index",
            sampler.progress,
            task.started_at or task.created_at,
            task.completed_at or time.time(),
            items=files,
            estimated=resp["estimated_duration_seconds"],
        ),
        memory=MemoryResult(worker.peak_rss, children_rss, 0),
        enqueue_seconds=enqueue,
    )
