"""The whole run: copy the tree, measure everything in order, stop every worker, clean up."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from codeindex import __version__
from codeindex.app.service import CodeIndexService
from codeindex.bench.agent_reads import measure_agent_reads
from codeindex.bench.agent_targets import agent_rows
from codeindex.bench.cli_queries import measure_cli_queries
from codeindex.bench.cold import EnqueueResult, measure_cold
from codeindex.bench.common import BenchConfig, BenchError, err
from codeindex.bench.corpus import child_env, prepare_workspace, swapped_environ
from codeindex.bench.editor_symbols import measure_editor_symbols
from codeindex.bench.frontends import measure_frontends
from codeindex.bench.localization import measure_localization
from codeindex.bench.minified import measure_minified
from codeindex.bench.process_targets import frontend_rows
from codeindex.bench.progress import measure_progress
from codeindex.bench.queries import measure_idle_queries, measure_queries_during, query_workload
from codeindex.bench.questions import measure_questions
from codeindex.bench.raw_model import complete_cold, distinct_texts, measure_raw_model
from codeindex.bench.reindex import (
    measure_incremental,
    measure_parser_bump,
    measure_priority,
    pick_edit,
)
from codeindex.bench.report import (
    AgentReport,
    AnyReport,
    BenchReport,
    FrontendsReport,
    ProgressReport,
)
from codeindex.bench.retrieval import measure_retrieval
from codeindex.bench.session import Run, stop_lingering_worker
from codeindex.bench.targets import progress_rows, target_rows
from codeindex.worker.host import WorkerHost


def _meta(run: Run, files: int) -> dict[str, Any]:
    settings = run.service.settings
    return {
        "codeindex_version": __version__,
        "source": str(run.config.source),
        "workspace": str(run.ws),
        "files_copied": files,
        "quick": run.config.quick,
        "model_path": str(run.config.model_path),
        "embed_batch_size": settings.embed_batch_size,
        "embed_max_tokens": settings.embed_max_tokens,
        "embed_threads": settings.embed_threads,
        "embed_quantize": settings.embed_quantize,
        "model": run.service.settings.embed_model,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_start": list(os.getloadavg()),
        "started_at": time.time(),
    }


async def measure_all(run: Run, files: int) -> BenchReport:
    """Every measurement, in an order where each leaves the index as the next one needs it."""
    meta = _meta(run, files)
    cold = await measure_cold(run)
    texts = await distinct_texts(run.service)
    raw = await measure_raw_model(run, texts)
    await complete_cold(run, cold.result, texts, raw)
    run.log("queries: idle latency")
    workload = await query_workload(run.service)
    idle = await measure_idle_queries(run.service, workload)
    retrieval = await measure_retrieval(run)
    agent_reads = await measure_agent_reads(run)
    questions = await measure_questions(run, run.config.queries)
    localization = await measure_localization(run, run.config.commits)
    cli_queries = await measure_cli_queries(run)
    frontends = await measure_frontends(run)
    editor_symbols = await measure_editor_symbols(run)
    edit = await pick_edit(run)
    incremental = await measure_incremental(run, edit, cold.result.wall_seconds)
    bump = await measure_parser_bump(
        run, cold.result.wall_seconds, incremental.api_one_file_seconds
    )
    run.log("queries: latency during a forced full reindex (bump 2)")
    queries = await measure_queries_during(run, workload, idle)
    priority = await measure_priority(run, edit)
    await stop_lingering_worker(run)
    progress = await measure_progress(run, cold.progress)
    minified = await measure_minified(run)
    cold.memory.bench_peak_rss_bytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    meta["load_average_end"] = list(os.getloadavg())
    meta["bench_seconds"] = time.perf_counter() - run.started
    report = BenchReport(
        meta=meta,
        raw_model=raw,
        cold_index=cold.result,
        search_ready=cold.ready,
        incremental=incremental,
        parser_bump=bump,
        queries=queries,
        progress=progress,
        priority=priority,
        enqueue=EnqueueResult(
            cold.enqueue_seconds,
            bump.enqueue_seconds,
            max(cold.enqueue_seconds, bump.enqueue_seconds),
        ),
        memory=cold.memory,
        retrieval=retrieval,
        questions=questions,
        localization=localization,
        cli_queries=cli_queries,
        editor_symbols=editor_symbols,
        frontends=frontends,
        minified=minified,
        agent_reads=agent_reads,
    )
    report.targets = [*target_rows(report), *agent_rows(agent_reads)]
    return report


async def measure_progress_only(run: Run, files: int) -> ProgressReport:
    """`bench --progress`: item 7's rows only, from a cold index on."""
    meta = _meta(run, files)
    rows = await measure_progress(run)
    meta["load_average_end"] = list(os.getloadavg())
    meta["bench_seconds"] = time.perf_counter() - run.started
    return ProgressReport(meta, rows, progress_rows(rows))


async def measure_frontends_only(run: Run, files: int) -> FrontendsReport:
    """`bench --frontends`: item 16's rows only, on the tree indexed by the warm worker."""
    meta = _meta(run, files)
    frontends = await measure_frontends(run, index_first=True)
    meta["load_average_end"] = list(os.getloadavg())
    meta["bench_seconds"] = time.perf_counter() - run.started
    return FrontendsReport(meta, frontends, frontend_rows(frontends))


async def measure_agent_only(run: Run, files: int) -> AgentReport:
    """`bench --agent`: a cold index, then item 17 only."""
    meta = _meta(run, files)
    await measure_cold(run)
    agent_reads = await measure_agent_reads(run)
    meta["load_average_end"] = list(os.getloadavg())
    meta["bench_seconds"] = time.perf_counter() - run.started
    return AgentReport(meta, agent_reads, agent_rows(agent_reads))


async def run_bench(config: BenchConfig) -> AnyReport:
    """Copy the tree to a temp workspace, measure everything, clean up (unless --keep)."""
    base = Path(tempfile.mkdtemp(prefix="codeindex-bench-")).resolve()
    keep = config.keep
    try:
        with swapped_environ(child_env(config.model_path)):
            ws, files = await asyncio.to_thread(
                prepare_workspace, config.source, base, config.quick
            )
            logs = base / "logs"
            logs.mkdir()
            service = await CodeIndexService.open(ws, worker="none")
            WorkerHost(service)  # answers its semantic queries here; its loop never runs
            run = Run(config, ws, logs, service)
            run.log(f"workspace {ws}: {files} files copied")
            try:
                if config.progress_only:
                    return await measure_progress_only(run, files)
                if config.frontends_only:
                    return await measure_frontends_only(run, files)
                if config.agent_only:
                    return await measure_agent_only(run, files)
                return await measure_all(run, files)
            except BaseException:
                keep = True
                raise
            finally:
                await run.stop_workers()
                with contextlib.suppress(BenchError):
                    await stop_lingering_worker(run)
                await service.close()
    finally:
        if keep:
            err.print(f"workspace and worker logs kept in {base}")
        else:
            await asyncio.to_thread(shutil.rmtree, base, True)
