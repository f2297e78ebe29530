"""`codeindex bench`: measure the indexing pipeline on a copy of a real tree, against its targets.

Why: DESIGN.md sets targets (embedding that keeps the model as busy as fastembed alone,
full-text search ready long before embeddings, sub-second incremental passes, queries
that stay fast during a reindex, honest progress, bounded memory) and a bar set by peer
tools. This command measures each one in a single run and says which are met.

How: the tree is copied into a temp workspace (`--quick`: a fixed sample of about 150
text files). Queries and control go through `CodeIndexService` in this process; the
worker runs as a `python -m codeindex worker` subprocess, so its memory and CPU are its
own (the CLI timings use the background worker the CLI itself spawns). The machine is
shared and noisy, so each headline figure is a ratio of two things measured in the same
run, or a bound with a wide margin. The table goes to stdout, progress to stderr, and
every raw figure to `--json FILE`.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import contextlib
import dataclasses
import json
import math
import os
import platform
import random
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from codeindex import __version__
from codeindex.embedder import FastEmbedder
from codeindex.service import CodeIndexService
from codeindex.tasks import Task, TaskStateError
from codeindex.workspace import Workspace

SEED = 1234
QUICK_FILES = 150
QUICK_MAX_FILE_BYTES = 256 * 1024
SAMPLE_SECONDS = 0.2
LOG_EVERY_SECONDS = 15.0
WORKER_EXIT_SECONDS = 300.0
QUERY_PASSES = 3
RATIO_FLOOR_MS = 5.0  # below this (the GIL switch interval) a slowdown is scheduler noise
MIN_WORDS = 3
GB = 1e9
MODES = ("semantic", "lexical", "hybrid", "symbol")
TEXT_MODES = ("lexical", "semantic", "hybrid")
RUNNING = ("Queued", "Running", "Paused")
DROPPED_ENV = ("CODEINDEX_DATA_DIR", "CODEINDEX_PARSER_VERSION_BUMP")
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
COMMENT_PREFIX = {
    **dict.fromkeys(("python", "ruby", "bash", "perl", "r", "toml", "yaml"), "#"),
    **dict.fromkeys(
        ("go", "rust", "typescript", "tsx", "javascript", "java", "c", "cpp", "csharp"), "//"
    ),
    **dict.fromkeys(("kotlin", "swift", "scala", "php", "dart", "zig"), "//"),
}

out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False)


class BenchError(Exception):
    """A bench step could not run; the message says which and why."""


@dataclass(frozen=True, slots=True)
class BenchConfig:
    """What to measure: the tree, the model folder, and how much."""

    source: Path
    model_path: Path
    quick: bool = False
    json_path: Path | None = None
    keep: bool = False

    @property
    def raw_texts(self) -> int:
        """Chunk texts in the raw-model sample."""
        return 200 if self.quick else 3000

    @property
    def retrieval_probes(self) -> int:
        """Documented functions used as retrieval queries."""
        return 20 if self.quick else 100


# ---- result groups (every field lands in the JSON) -------------------------------------


@dataclass(slots=True)
class RawModelResult:
    """1. The model alone on this index's chunk texts: fastembed defaults vs our batching."""

    texts: int
    tokens: int
    batch_size: int
    default_seconds: float
    default_tokens_per_s: float
    pipeline_seconds: float
    pipeline_tokens_per_s: float
    pipeline_over_default: float
    pipeline_peak_rss_bytes: int
    default_peak_rss_bytes: int


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


@dataclass(slots=True)
class SearchReadyResult:
    """3. When every file was parsed and swapped in: full-text and symbol search work."""

    seconds: float | None
    files: int
    files_per_s: float | None
    progress_reported_then: float | None


@dataclass(slots=True)
class IncrementalResult:
    """4. No-change and one-file passes: CLI (process start included) and in-process API.

    A sync CLI call hands its task to a background worker that lingers with its model
    loaded: `first` is the first one-file call after `index` (that worker loads the model),
    the other one-file figures are steady state, with a warm worker.
    """

    edited_path: str
    cli_no_change_seconds: float
    cli_no_change_items: int
    cli_one_file_first_seconds: float
    cli_one_file_seconds: float
    cli_one_file_embeddings: int
    api_no_change_seconds: float
    api_one_file_first_seconds: float
    api_one_file_seconds: float
    api_one_file_task_seconds: float
    api_one_file_pickup_seconds: float
    one_file_speedup_cli: float
    one_file_speedup_api: float


@dataclass(slots=True)
class ParserBumpResult:
    """5. A forced full reindex after a parser-version bump, with no text changed."""

    files: int
    items_failed: int
    enqueue_seconds: float
    wall_seconds: float
    task_seconds: float
    speedup_over_cold: float
    embeddings_generated: int


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
class ProgressResult:
    """7. Reported progress vs the elapsed fraction of the cold index task's time."""

    samples: int
    mean_abs_error: float | None
    max_abs_error: float | None


@dataclass(slots=True)
class PriorityResult:
    """8. A high-priority one-file request while a low-priority project reindex runs."""

    seconds: float
    task_seconds: float
    pickup_seconds: float
    low_task_running_at_request: bool
    low_task_progress_at_request: float
    low_task_running_after: bool


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


@dataclass(slots=True)
class RetrievalScore:
    """Recall@1, recall@10 and MRR@10 of one search mode."""

    recall_at_1: float
    recall_at_10: float
    mrr: float


@dataclass(slots=True)
class RetrievalResult:
    """11. Documented functions found by their doc's first sentence."""

    source: str
    candidates: int
    probes: int
    modes: dict[str, RetrievalScore]
    errors: int
    note: str | None


@dataclass(slots=True)
class TargetRow:
    """One line of the table: the headline figure of an item, its target, met or not."""

    item: int
    measurement: str
    value: str
    target: str
    met: bool | None
    key: str


@dataclass(slots=True)
class BenchReport:
    """Everything one run measured."""

    meta: dict[str, Any]
    raw_model: RawModelResult
    cold_index: ColdIndexResult
    search_ready: SearchReadyResult
    incremental: IncrementalResult
    parser_bump: ParserBumpResult
    queries: QueriesResult
    progress: ProgressResult
    priority: PriorityResult
    enqueue: EnqueueResult
    memory: MemoryResult
    retrieval: RetrievalResult
    targets: list[TargetRow] = field(default_factory=list)


# ---- environment, workspace, processes --------------------------------------------------


def child_env(model: Path, bump: int = 0) -> dict[str, str]:
    """This process's environment with the bench model, no downloads, and an optional bump."""
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    env["CODEINDEX_EMBED_MODEL_PATH"] = str(model)
    env["CODEINDEX_ALLOW_DOWNLOAD"] = "0"
    if bump:
        env["CODEINDEX_PARSER_VERSION_BUMP"] = str(bump)
    return env


@contextlib.contextmanager
def _environ(env: dict[str, str]) -> Iterator[None]:
    """Run with os.environ replaced by `env` (settings are read when a service opens)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _is_text(path: Path) -> bool:
    try:
        data = path.read_bytes()
    except OSError:
        return False
    if not data or len(data) > QUICK_MAX_FILE_BYTES or b"\0" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _quick_sample(source: Path) -> list[str]:
    """About QUICK_FILES indexable text files, picked from the sorted paths with SEED."""
    scan = Workspace(source, source / ".codeindex").scan()
    texts = sorted(e.path for e in scan.files if _is_text(source / e.path))
    return sorted(random.Random(SEED).sample(texts, min(QUICK_FILES, len(texts))))


def prepare_workspace(source: Path, base: Path, quick: bool) -> tuple[Path, int]:
    """Copy the tree (or its quick sample) to base/<name>, without .git and .codeindex."""
    ws = base / (source.name or "workspace")
    if quick:
        paths = _quick_sample(source)
        for rel in paths:
            (ws / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / rel, ws / rel)
        return ws, len(paths)

    def ignore(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if n in (".git", ".codeindex") or Path(folder, n) == base}

    shutil.copytree(source, ws, symlinks=True, ignore=ignore)
    return ws, sum(len(files) for _, _, files in os.walk(ws))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _vm_hwm(pid: int) -> int:
    """Peak resident set of a live process in bytes (0 when it cannot be read)."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _open_log(path: Path) -> IO[bytes]:
    return open(path, "ab")


class WorkerProcess:
    """A `codeindex worker` subprocess; tracks its peak RSS and (after exit) its CPU time."""

    def __init__(self, proc: asyncio.subprocess.Process, log_path: Path, cpu_before: float):
        self.proc = proc
        self.log_path = log_path
        self.cpu_before = cpu_before
        self.started = time.perf_counter()
        self.peak_rss = 0
        self.cpu_seconds = 0.0
        self.lifetime_seconds = 0.0

    @classmethod
    async def start(
        cls, ws: Path, env: dict[str, str], log_path: Path, *, exit_when_idle: bool = True
    ) -> WorkerProcess:
        """Start `python -m codeindex --root WS worker [--exit-when-idle]`."""
        cmd = [sys.executable, "-m", "codeindex", "--root", str(ws), "worker"]
        if exit_when_idle:
            cmd.append("--exit-when-idle")
        cpu_before = _children_cpu()
        log = _open_log(log_path)
        try:
            proc = await asyncio.create_subprocess_exec(
                *cmd,
                cwd=ws,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )
        finally:
            log.close()
        return cls(proc, log_path, cpu_before)

    @property
    def running(self) -> bool:
        """True until the process has exited."""
        return self.proc.returncode is None

    def sample(self) -> None:
        """Read the process's high-water mark of resident memory."""
        if self.running:
            self.peak_rss = max(self.peak_rss, _vm_hwm(self.proc.pid))

    def log_tail(self, chars: int = 2000) -> str:
        """The end of the worker's stderr."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    async def finish(self) -> None:
        """Wait for an --exit-when-idle worker to exit, sampling its memory until then."""
        deadline = time.perf_counter() + WORKER_EXIT_SECONDS
        while self.running and time.perf_counter() < deadline:
            self.sample()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), SAMPLE_SECONDS)
        if self.running:
            await self.stop()
            raise BenchError(f"the worker did not exit within {WORKER_EXIT_SECONDS:.0f}s")
        self._settle()
        if self.proc.returncode != 0:
            raise BenchError(
                f"the worker exited with code {self.proc.returncode}:\n{self.log_tail()}"
            )

    async def stop(self) -> None:
        """Stop the worker with SIGINT (it releases its lease), or kill it after 20 s."""
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.proc.wait(), 20)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                await self.proc.wait()
        self._settle()

    def _settle(self) -> None:
        if not self.lifetime_seconds:
            self.lifetime_seconds = time.perf_counter() - self.started
            self.cpu_seconds = _children_cpu() - self.cpu_before


@dataclass(slots=True)
class _Run:
    """One bench run: its workspace, the in-process service, and the workers it started."""

    config: BenchConfig
    ws: Path
    logs: Path
    service: CodeIndexService
    started: float = field(default_factory=time.perf_counter)
    workers: list[WorkerProcess] = field(default_factory=list)

    def log(self, message: str) -> None:
        """A progress line on stderr."""
        elapsed = time.perf_counter() - self.started
        err.print(f"[dim]{elapsed:7.1f}s[/] {escape(message)}")

    def env(self, bump: int = 0) -> dict[str, str]:
        """The environment of a subprocess of this run."""
        return child_env(self.config.model_path, bump)

    async def start_worker(self, *, bump: int = 0, exit_when_idle: bool = True) -> WorkerProcess:
        """A worker subprocess on the workspace (with a parser bump when asked)."""
        log_path = self.logs / f"worker-{len(self.workers) + 1}.log"
        worker = await WorkerProcess.start(
            self.ws, self.env(bump), log_path, exit_when_idle=exit_when_idle
        )
        self.workers.append(worker)
        return worker

    async def stop_workers(self) -> None:
        """Stop every worker still running (after an error)."""
        for worker in self.workers:
            if worker.running:
                await worker.stop()

    @contextlib.asynccontextmanager
    async def bumped_service(self, bump: int) -> AsyncIterator[CodeIndexService]:
        """A second service whose settings carry CODEINDEX_PARSER_VERSION_BUMP=bump."""
        with _environ(self.env(bump)):
            service = await CodeIndexService.open(self.ws)
            try:
                yield service
            finally:
                await service.close()

    async def cli(self, *args: str) -> tuple[float, dict[str, Any]]:
        """Run `python -m codeindex --root WS ARGS --json`; wall seconds and its JSON."""
        started = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "codeindex", "--root", str(self.ws), *args, "--json"),
            cwd=self.ws,
            env=self.env(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await proc.communicate()
        seconds = time.perf_counter() - started
        if proc.returncode != 0:
            raise BenchError(
                f"`codeindex {' '.join(args)}` exited with {proc.returncode}: "
                f"{stderr.decode(errors='replace')[-2000:]}"
            )
        data: dict[str, Any] = json.loads(stdout)
        return seconds, data


# ---- waiting on tasks ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Timed:
    seconds: float
    enqueue_seconds: float
    task: Task

    @property
    def task_seconds(self) -> float:
        """From the task's creation to its completion, as the task row records them."""
        return (self.task.completed_at or self.task.created_at) - self.task.created_at

    @property
    def pickup_seconds(self) -> float:
        """From the task's creation until a worker claimed its first item."""
        return (self.task.started_at or self.task.created_at) - self.task.created_at


async def _await_task(
    service: CodeIndexService,
    task_id: str,
    worker: WorkerProcess | None,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
) -> Task:
    """service.wait without starting a worker here; fail if the worker dies first."""
    waiter = asyncio.ensure_future(
        service.wait(task_id, ensure_worker=False, on_progress=on_progress)
    )
    try:
        while True:
            done, _ = await asyncio.wait({waiter}, timeout=1.0)
            if done:
                return waiter.result()
            if worker is not None and not worker.running:
                done, _ = await asyncio.wait({waiter}, timeout=3.0)
                if done:
                    return waiter.result()
                raise BenchError(
                    f"the worker exited (code {worker.proc.returncode}) before task "
                    f"{task_id} ended:\n{worker.log_tail()}"
                )
    finally:
        if not waiter.done():
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter


async def _timed_reindex(
    run: _Run,
    service: CodeIndexService,
    scope: str,
    paths: Sequence[str] = (),
    *,
    worker: WorkerProcess | None = None,
    bump: int = 0,
    **kwargs: Any,
) -> _Timed:
    """force_reindex (async) and wait for its task; without `worker`, start one to drain it."""
    started = time.perf_counter()
    resp = await service.force_reindex(scope, list(paths), **kwargs)
    enqueued = time.perf_counter() - started
    own = None
    if worker is None and resp["status"] in RUNNING:
        own = worker = await run.start_worker(bump=bump)
    task = await _await_task(service, resp["task_id"], worker)
    seconds = time.perf_counter() - started
    if own is not None:
        await own.finish()
    return _Timed(seconds, enqueued, task)


async def _until_running(service: CodeIndexService, task_id: str, worker: WorkerProcess) -> None:
    """Wait until the worker has claimed items of the task (or it ended)."""
    while (await service.queue.get(task_id)).status.value == "Queued":
        if not worker.running:
            raise BenchError(f"the worker exited before it started task {task_id}")
        await asyncio.sleep(0.05)


async def _until_underway(service: CodeIndexService, task_id: str, worker: WorkerProcess) -> None:
    """Wait until the task has finished an item (the worker is past its model load) or ended."""
    while True:
        task = await service.queue.get(task_id)
        if task.finished or task.items_completed + task.items_failed > 0:
            return
        if not worker.running:
            raise BenchError(f"the worker exited during task {task_id}:\n{worker.log_tail()}")
        await asyncio.sleep(0.05)


def _is_bench_worker(pid: int, ws: Path) -> bool:
    """True when `pid` runs `codeindex ... worker` on this bench's workspace."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return False
    return "codeindex" in args and "worker" in args and str(ws) in args


async def _lingering_worker_started(run: _Run) -> None:
    """Give the background worker a CLI call spawned up to 15 s to take the lease."""
    for _ in range(150):
        if await run.service.worker_alive():
            return
        await asyncio.sleep(0.1)


async def stop_lingering_worker(run: _Run) -> None:
    """Stop the background worker a CLI call left lingering (found by its lease pid)."""
    lease = await run.service.queue.live_lease()
    if lease is None:
        return
    if not _is_bench_worker(lease.pid, run.ws):
        raise BenchError(f"the lease of {run.ws} is held by pid {lease.pid}, not a bench worker")
    with contextlib.suppress(ProcessLookupError):
        os.kill(lease.pid, signal.SIGTERM)
    deadline = time.perf_counter() + 30
    while await run.service.worker_alive():
        if time.perf_counter() > deadline:
            raise BenchError(f"the lingering worker (pid {lease.pid}) did not stop")
        await asyncio.sleep(0.1)


async def _until_lease(service: CodeIndexService, worker: WorkerProcess) -> None:
    """Wait until the worker subprocess holds the lease."""
    deadline = time.perf_counter() + 60
    while not await service.worker_alive():
        if not worker.running or time.perf_counter() > deadline:
            raise BenchError(f"the worker did not take the lease:\n{worker.log_tail()}")
        await asyncio.sleep(0.1)


# ---- 2, 3, 7, 9, 10: the cold index ----------------------------------------------------


async def _search_ready(service: CodeIndexService, task_id: str) -> bool:
    """No item of the task is pending and every planned file has its files row."""
    pending = await service.storage.scalar(
        "SELECT count(*) FROM reindexing_task_items WHERE task_id = ? AND status = 'pending'",
        (task_id,),
    )
    if pending:
        return False
    missing = await service.storage.scalar(
        "SELECT count(*) FROM reindexing_task_items i LEFT JOIN files f ON f.path = i.file_path "
        "WHERE i.task_id = ? AND i.action = 'index' AND f.id IS NULL",
        (task_id,),
    )
    return not missing


@dataclass(slots=True)
class _ColdSampler:
    """Samples status, search readiness and the worker's memory every SAMPLE_SECONDS."""

    run: _Run
    task_id: str
    worker: WorkerProcess
    started: float
    progress: list[tuple[float, float]] = field(default_factory=list)
    ready_seconds: float | None = None
    ready_progress: float | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def on_progress(self, status: dict[str, Any]) -> None:
        """Record (wall clock, reported progress)."""
        self.progress.append((time.time(), float(status["progress"])))

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
class _Cold:
    result: ColdIndexResult
    ready: SearchReadyResult
    progress: ProgressResult
    memory: MemoryResult
    enqueue_seconds: float


def progress_error(
    samples: Sequence[tuple[float, float]], started_at: float, completed_at: float
) -> ProgressResult:
    """Mean and max of |reported progress - elapsed fraction| over the task's run time."""
    span = completed_at - started_at
    inside = [(t, p) for t, p in samples if started_at <= t <= completed_at] if span > 0 else []
    errors = [abs(p - (t - started_at) / span) for t, p in inside]
    if not errors:
        return ProgressResult(0, None, None)
    return ProgressResult(len(errors), sum(errors) / len(errors), max(errors))


async def measure_cold(run: _Run) -> _Cold:
    """A cold full index through a worker subprocess, sampled while it runs."""
    service = run.service
    started = time.perf_counter()
    resp = await service.force_reindex("project")
    enqueue = time.perf_counter() - started
    task_id = resp["task_id"]
    run.log(f"cold index: {resp['items_total']} files queued in {enqueue:.2f}s")
    worker = await run.start_worker()
    sampler = _ColdSampler(run, task_id, worker, started)
    sampling = asyncio.create_task(sampler.sample())
    try:
        task = await _await_task(service, task_id, worker, on_progress=sampler.on_progress)
    finally:
        sampler.stop.set()
        await sampling
    wall = time.perf_counter() - started
    await sampler.check_ready(1.0)
    await worker.finish()
    run.log(f"cold index done in {wall:.1f}s ({task.items_completed} files)")
    chunks = int(await service.storage.scalar("SELECT count(*) FROM chunks") or 0)
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
    return _Cold(
        result=result,
        ready=SearchReadyResult(
            ready_s, files, files / ready_s if ready_s else None, sampler.ready_progress
        ),
        progress=progress_error(
            sampler.progress, task.started_at or task.created_at, task.completed_at or time.time()
        ),
        memory=MemoryResult(worker.peak_rss, children_rss, 0),
        enqueue_seconds=enqueue,
    )


# ---- 1: the model alone ----------------------------------------------------------------


async def _embedder(service: CodeIndexService) -> FastEmbedder:
    embedder, _ = await service.models.configured()
    if not isinstance(embedder, FastEmbedder):
        raise BenchError(f"the configured model is a {type(embedder).__name__}, not fastembed")
    return embedder


async def distinct_texts(service: CodeIndexService) -> list[str]:
    """Every distinct chunk text of the index, ordered by its hash."""
    rows = await service.storage.fetchall(
        "SELECT content_hash, min(text) FROM chunks GROUP BY content_hash ORDER BY content_hash"
    )
    return [str(r[1]) for r in rows]


def _seconds(fn: Callable[[list[str]], object], texts: list[str]) -> float:
    started = time.perf_counter()
    fn(texts)
    return time.perf_counter() - started


async def measure_raw_model(run: _Run, texts: list[str]) -> RawModelResult:
    """Tokens/s of fastembed's embed(texts) with defaults vs the pipeline's sorted batches.

    The sample is split in halves, run B A A B, so drift in the machine's load cancels;
    this process's peak RSS is read after the first B and after the As.
    """
    embedder = await _embedder(run.service)
    model = embedder._model  # the loaded fastembed TextEmbedding
    batch = run.service.settings.embed_batch_size
    sample = random.Random(SEED).sample(texts, min(run.config.raw_texts, len(texts)))
    tokens = sum(await asyncio.to_thread(embedder.count_tokens, sample))

    def default(part: list[str]) -> None:
        list(model.embed(part))

    def pipeline(part: list[str]) -> None:
        ordered = sorted(part, key=len)
        for i in range(0, len(ordered), batch):
            embedder.embed(ordered[i : i + batch])

    halves = [sample[: len(sample) // 2], sample[len(sample) // 2 :]]
    await asyncio.to_thread(_seconds, default, sample[:batch])
    await asyncio.to_thread(_seconds, pipeline, sample[:batch])
    spent = {"default": 0.0, "pipeline": 0.0}
    peak = {"default": 0, "pipeline": 0}
    order: list[tuple[str, Callable[[list[str]], None], int]] = [
        ("pipeline", pipeline, 0),
        ("default", default, 0),
        ("default", default, 1),
        ("pipeline", pipeline, 1),
    ]
    for name, fn, half in order:
        run.log(f"raw model: {name} on {len(halves[half])} texts")
        spent[name] += await asyncio.to_thread(_seconds, fn, halves[half])
        peak[name] = peak[name] or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    default_rate = tokens / spent["default"]
    pipeline_rate = tokens / spent["pipeline"]
    return RawModelResult(
        texts=len(sample),
        tokens=tokens,
        batch_size=batch,
        default_seconds=spent["default"],
        default_tokens_per_s=default_rate,
        pipeline_seconds=spent["pipeline"],
        pipeline_tokens_per_s=pipeline_rate,
        pipeline_over_default=pipeline_rate / default_rate,
        pipeline_peak_rss_bytes=peak["pipeline"],
        default_peak_rss_bytes=peak["default"],
    )


async def complete_cold(
    run: _Run, cold: ColdIndexResult, texts: list[str], raw: RawModelResult
) -> None:
    """Tokens of every distinct text embedded, and the efficiency against the raw model."""
    embedder = await _embedder(run.service)
    cold.distinct_texts = len(texts)
    cold.tokens = sum(await asyncio.to_thread(embedder.count_tokens, texts))
    cold.tokens_per_s = cold.tokens / cold.wall_seconds
    cold.embedding_efficiency = cold.tokens_per_s / raw.default_tokens_per_s


# ---- 6: query latency ------------------------------------------------------------------


@dataclass(slots=True)
class _Samples:
    ms: dict[str, list[float]] = field(default_factory=lambda: {m: [] for m in MODES})
    errors: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MODES, 0))
    examples: list[str] = field(default_factory=list)


async def query_workload(service: CodeIndexService) -> list[tuple[str, str]]:
    """The fixed queries in every text mode, plus symbol names sampled from the index."""
    rows = await service.storage.fetchall(
        "SELECT DISTINCT name FROM symbols WHERE length(name) >= 4 ORDER BY name"
    )
    names = [str(r[0]) for r in rows]
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
    run: _Run, workload: Sequence[tuple[str, str]], idle: _Samples
) -> QueriesResult:
    """Latency while a forced full reindex (parser bump 2) runs in a worker subprocess.

    The p95 ratio that is judged floors both latencies at RATIO_FLOOR_MS: a symbol lookup
    going from 0.2 to 1 ms is noise, not a 5x slowdown. The raw ratios are kept too.
    """
    during = _Samples()
    async with run.bumped_service(2) as bumped:
        resp = await bumped.force_reindex("project")
        worker = await run.start_worker(bump=2)
        await _until_running(bumped, resp["task_id"], worker)
        finished = asyncio.Event()

        async def watch() -> None:
            await _await_task(bumped, resp["task_id"], worker)
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


# ---- 11: retrieval quality -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Probe:
    path: str
    line: int
    query: str


def first_sentence(doc: str) -> str:
    """The first sentence of a docstring's first paragraph, whitespace collapsed."""
    text = " ".join(doc.strip().split("\n\n", 1)[0].split())
    match = re.match(r"(.+?[.!?])(?:\s|$)", text)
    return (match.group(1) if match else text)[:300]


def python_probes(root: Path, paths: Sequence[str]) -> list[_Probe]:
    """Functions and methods with a docstring: (file, def line, first sentence)."""
    probes: list[_Probe] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rel in paths:
            try:
                tree = ast.parse((root / rel).read_text(encoding="utf-8"), filename=rel)
            except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    sentence = first_sentence(ast.get_docstring(node) or "")
                    if len(sentence.split()) >= MIN_WORDS:
                        probes.append(_Probe(rel, node.lineno, sentence))
    return sorted(probes, key=lambda p: (p.path, p.line))


def doc_comment_above(lines: Sequence[str], def_line: int) -> str | None:
    """The first text line of the // /// or /** */ comment right above a definition."""
    i = def_line - 2
    while i >= 0 and lines[i].strip().startswith(("#[", "@")):
        i -= 1
    block: list[str] = []
    while i >= 0 and lines[i].strip().startswith(("//", "/*", "*")):
        block.append(lines[i])
        i -= 1
    for line in reversed(block):
        text = line.strip().lstrip("/*!").strip().removesuffix("*/").strip()
        if text and not text.startswith("@"):
            return text
    return None


def comment_probes(root: Path, defs: dict[str, list[int]]) -> list[_Probe]:
    """Functions with a doc comment: (file, first line, first line of the comment)."""
    probes: list[_Probe] = []
    for rel, lines_of_defs in sorted(defs.items()):
        try:
            lines = (root / rel).read_text(encoding="utf-8").split("\n")
        except (OSError, UnicodeDecodeError):
            continue
        for line in lines_of_defs:
            text = doc_comment_above(lines, line)
            if text and len(text.split()) >= MIN_WORDS:
                probes.append(_Probe(rel, line, text[:300]))
    return probes


async def _probes(run: _Run) -> tuple[str, list[_Probe]]:
    storage = run.service.storage
    rows = await storage.fetchall(
        "SELECT path FROM files WHERE language = 'python' AND index_status = 'indexed' "
        "ORDER BY path"
    )
    if rows:
        paths = [str(r[0]) for r in rows]
        return "python-docstrings", await asyncio.to_thread(python_probes, run.ws, paths)
    rows = await storage.fetchall(
        "SELECT f.path, s.start_line FROM symbols s JOIN files f ON f.id = s.file_id "
        "WHERE s.kind IN ('function', 'method') AND f.index_status = 'indexed' "
        "ORDER BY f.path, s.start_line"
    )
    defs: dict[str, list[int]] = {}
    for path, line in rows:
        defs.setdefault(str(path), []).append(int(line))
    return "doc-comments", await asyncio.to_thread(comment_probes, run.ws, defs)


async def _rank(service: CodeIndexService, probe: _Probe, mode: str) -> int | None:
    result = await service.search(probe.query, mode=mode, limit=10)
    for rank, hit in enumerate(result.hits, start=1):
        if hit.path == probe.path and hit.start_line <= probe.line <= hit.end_line:
            return rank
    return None


async def measure_retrieval(run: _Run) -> RetrievalResult:
    """Recall@1, recall@10 and MRR of each mode, querying documented functions by their doc."""
    source, candidates = await _probes(run)
    if not candidates:
        return RetrievalResult("none", 0, 0, {}, 0, "no documented functions found: skipped")
    chosen = random.Random(SEED).sample(
        candidates, min(run.config.retrieval_probes, len(candidates))
    )
    run.log(f"retrieval: {len(chosen)} {source} queries x {len(TEXT_MODES)} modes")
    scores: dict[str, RetrievalScore] = {}
    errors = 0
    for mode in TEXT_MODES:
        ranks: list[int | None] = []
        for probe in chosen:
            try:
                ranks.append(await _rank(run.service, probe, mode))
            except Exception:  # a failed query is a miss, and counted
                errors += 1
                ranks.append(None)
        n = len(ranks)
        scores[mode] = RetrievalScore(
            recall_at_1=sum(1 for r in ranks if r == 1) / n,
            recall_at_10=sum(1 for r in ranks if r is not None) / n,
            mrr=sum(1 / r for r in ranks if r is not None) / n,
        )
    return RetrievalResult(source, len(candidates), len(chosen), scores, errors, None)


# ---- 4, 5, 8: incremental, parser bump, priority ---------------------------------------


@dataclass(slots=True)
class _Edit:
    """Appends a new comment line to one source file each time it is applied."""

    root: Path
    path: str
    prefix: str
    count: int = 0

    async def apply(self) -> None:
        """Append `<prefix> codeindex bench edit N`."""
        self.count += 1
        line = f"{self.prefix} codeindex bench edit {self.count}\n"
        await asyncio.to_thread(_append_line, self.root / self.path, line)


def _append_line(path: Path, line: str) -> None:
    data = path.read_bytes()
    path.write_bytes(data + (b"" if data.endswith(b"\n") else b"\n") + line.encode())


async def pick_edit(run: _Run) -> _Edit:
    """A mid-sized source file in a language whose line comment we know, picked with SEED."""
    langs = sorted(COMMENT_PREFIX)
    rows = await run.service.storage.fetchall(
        f"SELECT path, language, size FROM files WHERE index_status = 'indexed' "
        f"AND language IN ({','.join('?' * len(langs))}) ORDER BY path",
        langs,
    )
    if not rows:
        raise BenchError("no indexed source file in a known language to edit")
    mid = [r for r in rows if 1000 <= int(r[2]) <= 30000] or list(rows)
    path, language, _ = random.Random(SEED).choice(mid)
    return _Edit(run.ws, str(path), COMMENT_PREFIX[str(language)])


async def measure_incremental(run: _Run, edit: _Edit, cold_wall: float) -> IncrementalResult:
    """No-change and one-file passes via the CLI, then via the API with a running worker."""
    run.log("incremental: CLI no-change `index`, then CLI one-file `reindex --sync` x2")
    cli_nc, nc_resp = await run.cli("index")
    await _lingering_worker_started(run)
    cli_one = []
    for _ in range(2):
        await edit.apply()
        seconds, one_resp = await run.cli("reindex", "--scope", "file", "--sync", edit.path)
        cli_one.append(seconds)
    await stop_lingering_worker(run)
    run.log("incremental: the same through the API, with a worker already running")
    worker = await run.start_worker(exit_when_idle=False)
    try:
        await _until_lease(run.service, worker)
        api_nc = await _timed_reindex(run, run.service, "project", worker=worker, incremental=True)
        await edit.apply()
        first = await _timed_reindex(run, run.service, "file", [edit.path], worker=worker)
        await edit.apply()
        warm = await _timed_reindex(run, run.service, "file", [edit.path], worker=worker)
    finally:
        await worker.stop()
    result = one_resp.get("result") or {}
    return IncrementalResult(
        edited_path=edit.path,
        cli_no_change_seconds=cli_nc,
        cli_no_change_items=int(nc_resp["items_total"]),
        cli_one_file_first_seconds=cli_one[0],
        cli_one_file_seconds=cli_one[1],
        cli_one_file_embeddings=int(result.get("summary", {}).get("embeddings_generated", 0)),
        api_no_change_seconds=api_nc.seconds,
        api_one_file_first_seconds=first.seconds,
        api_one_file_seconds=warm.seconds,
        api_one_file_task_seconds=warm.task_seconds,
        api_one_file_pickup_seconds=warm.pickup_seconds,
        one_file_speedup_cli=cold_wall / cli_one[1],
        one_file_speedup_api=cold_wall / warm.seconds,
    )


async def measure_parser_bump(run: _Run, cold_wall: float) -> ParserBumpResult:
    """A forced project reindex after CODEINDEX_PARSER_VERSION_BUMP=1: parse only, no embedding."""
    run.log("parser bump: forced full reindex with CODEINDEX_PARSER_VERSION_BUMP=1")
    async with run.bumped_service(1) as bumped:
        timed = await _timed_reindex(run, bumped, "project", bump=1)
    task = timed.task
    return ParserBumpResult(
        files=task.items_total,
        items_failed=task.items_failed,
        enqueue_seconds=timed.enqueue_seconds,
        wall_seconds=timed.seconds,
        task_seconds=timed.task_seconds,
        speedup_over_cold=cold_wall / timed.seconds,
        embeddings_generated=task.embeddings_generated,
    )


async def measure_priority(run: _Run, edit: _Edit) -> PriorityResult:
    """A high-priority file request made while a low-priority project reindex runs.

    The request is made once the low task has finished an item, so the worker is in its
    steady state rather than loading its model.
    """
    run.log("priority: high-priority file during a low-priority project reindex (bump 3)")
    async with run.bumped_service(3) as bumped:
        low = await bumped.force_reindex("project", priority="low")
        worker = await run.start_worker(bump=3)
        await _until_underway(bumped, low["task_id"], worker)
        await edit.apply()
        before = await bumped.get_reindex_status(low["task_id"])
        timed = await _timed_reindex(
            run, bumped, "file", [edit.path], worker=worker, priority="high"
        )
        after = await bumped.get_reindex_status(low["task_id"])
        if after["status"] in RUNNING:
            with contextlib.suppress(TaskStateError):
                await bumped.cancel_reindex(low["task_id"])
        await worker.finish()
    return PriorityResult(
        seconds=timed.seconds,
        task_seconds=timed.task_seconds,
        pickup_seconds=timed.pickup_seconds,
        low_task_running_at_request=before["status"] in RUNNING,
        low_task_progress_at_request=float(before["progress"]),
        low_task_running_after=after["status"] in RUNNING,
    )


# ---- the run ---------------------------------------------------------------------------


def _meta(run: _Run, files: int) -> dict[str, Any]:
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
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_start": list(os.getloadavg()),
        "started_at": time.time(),
    }


async def measure_all(run: _Run, files: int) -> BenchReport:
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
    edit = await pick_edit(run)
    incremental = await measure_incremental(run, edit, cold.result.wall_seconds)
    bump = await measure_parser_bump(run, cold.result.wall_seconds)
    run.log("queries: latency during a forced full reindex (bump 2)")
    queries = await measure_queries_during(run, workload, idle)
    priority = await measure_priority(run, edit)
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
        progress=cold.progress,
        priority=priority,
        enqueue=EnqueueResult(
            cold.enqueue_seconds,
            bump.enqueue_seconds,
            max(cold.enqueue_seconds, bump.enqueue_seconds),
        ),
        memory=cold.memory,
        retrieval=retrieval,
    )
    report.targets = target_rows(report)
    return report


async def run_bench(config: BenchConfig) -> BenchReport:
    """Copy the tree to a temp workspace, measure everything, clean up (unless --keep)."""
    base = Path(tempfile.mkdtemp(prefix="codeindex-bench-")).resolve()
    keep = config.keep
    try:
        with _environ(child_env(config.model_path)):
            ws, files = await asyncio.to_thread(
                prepare_workspace, config.source, base, config.quick
            )
            logs = base / "logs"
            logs.mkdir()
            service = await CodeIndexService.open(ws)
            run = _Run(config, ws, logs, service)
            run.log(f"workspace {ws}: {files} files copied")
            try:
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


# ---- the table -------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def _rows_1_to_5(r: BenchReport) -> list[TargetRow]:
    raw, cold, ready, inc, bump = (
        r.raw_model,
        r.cold_index,
        r.search_ready,
        r.incremental,
        (r.parser_bump),
    )
    ready_value = (
        f"{ready.seconds:.1f} s, {ready.files_per_s:,.0f} files/s"
        if ready.seconds and ready.files_per_s
        else "not seen"
    )
    return [
        TargetRow(
            1,
            "raw model tokens/s: fastembed default / pipeline batching",
            f"{raw.default_tokens_per_s:,.0f} / {raw.pipeline_tokens_per_s:,.0f} "
            f"({raw.pipeline_over_default:.2f}x)",
            "—",
            None,
            "raw_model.pipeline_over_default",
        ),
        TargetRow(
            2,
            "cold index: wall, files/s, chunks/s, tokens/s",
            f"{cold.wall_seconds:.1f} s, {cold.files_per_s:.1f}, {cold.chunks_per_s:.1f}, "
            f"{cold.tokens_per_s:,.0f}",
            "—",
            None,
            "cold_index.wall_seconds",
        ),
        TargetRow(
            2,
            "embedding efficiency: cold tokens/s ÷ fastembed default",
            f"{cold.embedding_efficiency:.2f}",
            "≥ 1.0",
            cold.embedding_efficiency >= 1.0,
            "cold_index.embedding_efficiency",
        ),
        TargetRow(
            3,
            "full-text + symbol search ready",
            ready_value,
            "≥ 200 files/s",
            ready.files_per_s is not None and ready.files_per_s >= 200,
            "search_ready.files_per_s",
        ),
        TargetRow(
            4,
            "no-change reindex: CLI / API",
            f"{inc.cli_no_change_seconds:.2f} s / {inc.api_no_change_seconds:.3f} s",
            "CLI ≤ 1.5 s",
            inc.cli_no_change_seconds <= 1.5,
            "incremental.cli_no_change_seconds",
        ),
        TargetRow(
            4,
            "one-file reindex: CLI first / CLI warm / API warm",
            f"{inc.cli_one_file_first_seconds:.2f} s / {inc.cli_one_file_seconds:.2f} s / "
            f"{inc.api_one_file_seconds:.3f} s",
            "—",
            None,
            "incremental.cli_one_file_seconds",
        ),
        TargetRow(
            4,
            "one-file speedup over cold: CLI warm / API warm",
            f"{inc.one_file_speedup_cli:,.0f}x / {inc.one_file_speedup_api:,.0f}x",
            "CLI ≥ 100x",
            inc.one_file_speedup_cli >= 100,
            "incremental.one_file_speedup_cli",
        ),
        TargetRow(
            5,
            "parser-bump full reindex: speedup over cold",
            f"{bump.speedup_over_cold:.1f}x ({bump.wall_seconds:.1f} s)",
            "≥ 10x",
            bump.speedup_over_cold >= 10,
            "parser_bump.speedup_over_cold",
        ),
        TargetRow(
            5,
            "texts embedded by the parser-bump reindex",
            str(bump.embeddings_generated),
            "0",
            bump.embeddings_generated == 0,
            "parser_bump.embeddings_generated",
        ),
    ]


def _rows_6_to_11(r: BenchReport) -> list[TargetRow]:
    q, prog, prio, enq, mem, ret = (
        r.queries,
        r.progress,
        r.priority,
        r.enqueue,
        r.memory,
        r.retrieval,
    )
    idle = " / ".join(f"{_ms(q.idle[m].p50_ms)}/{_ms(q.idle[m].p95_ms)}" for m in MODES)
    during = " / ".join(f"{_ms(q.during[m].p50_ms)}/{_ms(q.during[m].p95_ms)}" for m in MODES)
    worst = f"{q.worst_p95_ratio:.2f}x ({q.worst_mode})" if q.worst_p95_ratio is not None else "n/a"
    rows = [
        TargetRow(
            6, "query p50/p95 ms idle: sem / lex / hyb / sym", idle, "—", None, "queries.idle"
        ),
        TargetRow(6, "same during a full reindex", during, "—", None, "queries.during"),
        TargetRow(
            6,
            f"query p95 during reindex ÷ idle (worst mode, ≥{RATIO_FLOOR_MS:.0f} ms floor)",
            worst,
            "≤ 2x",
            None if q.worst_p95_ratio is None else q.worst_p95_ratio <= 2.0,
            "queries.worst_p95_ratio",
        ),
        TargetRow(
            6,
            "query errors: idle / during reindex",
            f"{q.errors_idle} / {q.errors_during}",
            "0",
            q.errors_idle == 0 and q.errors_during == 0,
            "queries.errors_during",
        ),
        TargetRow(
            7,
            "progress error vs elapsed fraction: mean / max",
            "n/a"
            if prog.mean_abs_error is None or prog.max_abs_error is None
            else f"{prog.mean_abs_error:.3f} / {prog.max_abs_error:.3f} ({prog.samples} samples)",
            "mean ≤ 0.05",
            None if prog.mean_abs_error is None else prog.mean_abs_error <= 0.05,
            "progress.mean_abs_error",
        ),
        TargetRow(
            8,
            "high-priority file during low-priority reindex",
            f"{prio.seconds:.2f} s"
            + ("" if prio.low_task_running_at_request else " (low task had ended)"),
            "≤ 2 s",
            prio.seconds <= 2.0,
            "priority.seconds",
        ),
        TargetRow(
            9,
            "force_reindex(project) returns: cold / full tree",
            f"{enq.cold_seconds:.3f} s / {enq.full_tree_seconds:.3f} s",
            "≤ 1 s",
            enq.worst_seconds <= 1.0,
            "enqueue.worst_seconds",
        ),
        TargetRow(
            10,
            "worker peak RSS (cold index)",
            f"{mem.worker_peak_rss_bytes / GB:.2f} GB",
            "≤ 1.5 GB",
            mem.worker_peak_rss_bytes <= 1.5 * GB,
            "memory.worker_peak_rss_bytes",
        ),
    ]
    if not ret.modes:
        rows.append(TargetRow(11, "retrieval", ret.note or "skipped", "—", None, "retrieval"))
    for mode, s in ret.modes.items():
        rows.append(
            TargetRow(
                11,
                f"retrieval {mode}: recall@1 / recall@10 / MRR",
                f"{s.recall_at_1:.2f} / {s.recall_at_10:.2f} / {s.mrr:.2f} ({ret.probes} q)",
                "—",
                None,
                f"retrieval.modes.{mode}",
            )
        )
    return rows


def target_rows(report: BenchReport) -> list[TargetRow]:
    """The headline figure of every item, with its target and whether it is met."""
    return _rows_1_to_5(report) + _rows_6_to_11(report)


def render(report: BenchReport, console: Console) -> None:
    """Print the table."""
    meta = report.meta
    title = (
        f"codeindex bench: {Path(meta['source']).name}, {meta['files_copied']} files, "
        f"model {Path(meta['model_path']).name}{', quick' if meta['quick'] else ''}, "
        f"{meta['bench_seconds']:.0f} s"
    )
    table = Table(title=escape(title))
    for name, justify in (("#", "right"), ("Measurement", "left"), ("Value", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    table.add_column("Target")
    table.add_column("Met?")
    marks = {True: "[green]yes[/]", False: "[red]NO[/]", None: "—"}
    for row in report.targets:
        table.add_row(
            str(row.item), escape(row.measurement), escape(row.value), row.target, marks[row.met]
        )
    console.print(table)


# ---- the command -----------------------------------------------------------------------


def add_bench_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `codeindex bench` to the CLI's subcommands."""
    help_ = "measure indexing, reindexing, queries and memory on a copy of a tree"
    p = sub.add_parser("bench", help=help_, description=help_)
    p.add_argument("path", nargs="?", type=Path, default=Path("."), help="tree (default: .)")
    p.add_argument(
        "--model-path",
        type=Path,
        help="local model folder (default: $CODEINDEX_EMBED_MODEL_PATH); required",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"a fixed sample of ~{QUICK_FILES} text files and smaller samples (use a small model)",
    )
    p.add_argument("--json", type=Path, metavar="FILE", help="write every raw figure here")
    p.add_argument("--keep", action="store_true", help="keep the temp workspace and logs")
    p.set_defaults(func=run_bench_command)


def config_from_args(args: argparse.Namespace) -> BenchConfig:
    """Check the arguments; BenchError says what is wrong and what to pass."""
    source = Path(args.path).expanduser().resolve()
    if not source.is_dir():
        raise BenchError(f"{source} is not a folder: pass the tree to measure")
    raw = args.model_path or os.environ.get("CODEINDEX_EMBED_MODEL_PATH")
    if not raw:
        raise BenchError(
            "bench needs a local model folder: pass --model-path DIR or set "
            "CODEINDEX_EMBED_MODEL_PATH (with --quick, e.g. ../shared/models/tiny-bert-128-onnx)"
        )
    model = Path(raw).expanduser().resolve()
    if not (model / "model.onnx").is_file():
        raise BenchError(f"{model} holds no model.onnx: pass a local ONNX model folder")
    return BenchConfig(source, model, bool(args.quick), args.json, bool(args.keep))


def run_bench_command(args: argparse.Namespace) -> int:
    """`codeindex bench`: run, print the table, write the JSON; 2 on bad input, 1 on failure."""
    try:
        config = config_from_args(args)
    except BenchError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        return 2
    try:
        report = asyncio.run(run_bench(config))
    except BenchError as exc:
        err.print(f"[red]bench failed:[/] {escape(str(exc))}")
        return 1
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    render(report, out)
    if config.json_path is not None:
        text = json.dumps(dataclasses.asdict(report), indent=2) + "\n"
        config.json_path.write_text(text, encoding="utf-8")
        err.print(f"raw figures written to {config.json_path}")
    return 0
