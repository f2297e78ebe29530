"""One bench run (its workspace, in-process service and workers) and waiting on its tasks."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.markup import escape

from codeindex.app.service import CodeIndexService
from codeindex.bench.common import BenchConfig, BenchError, err
from codeindex.bench.corpus import (
    WorkerProcess,
    child_env,
    run_cli,
    swapped_environ,
    worker_args,
)
from codeindex.contract import TaskInfo
from codeindex.tasks import Task

RUNNING = ("Queued", "Running", "Paused")


@dataclass(slots=True)
class Run:
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
        with swapped_environ(self.env(bump)):
            service = await CodeIndexService.open(self.ws, worker="none")
            try:
                yield service
            finally:
                await service.close()

    async def cli(self, *args: str) -> tuple[float, dict[str, Any]]:
        """Run `python -m codeindex --root WS ARGS --json`; wall seconds and its JSON."""
        return await run_cli(self.ws, self.env(), *args)


@dataclass(frozen=True, slots=True)
class Timed:
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


async def await_task(
    service: CodeIndexService,
    task_id: str,
    worker: WorkerProcess | None,
    on_progress: Callable[[TaskInfo], None] | None = None,
) -> Task:
    """service.wait (the bench's service starts no worker); fail if the worker dies first."""
    waiter = asyncio.ensure_future(service.wait(task_id, on_progress=on_progress))
    try:
        while True:
            done, _ = await asyncio.wait({waiter}, timeout=1.0)
            if done:
                return await service.queue.get(task_id)
            if worker is not None and not worker.running:
                done, _ = await asyncio.wait({waiter}, timeout=3.0)
                if done:
                    return await service.queue.get(task_id)
                raise BenchError(
                    f"the worker exited (code {worker.proc.returncode}) before task "
                    f"{task_id} ended:\n{worker.log_tail()}"
                )
    finally:
        if not waiter.done():
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter


async def timed_reindex(
    run: Run,
    service: CodeIndexService,
    scope: str,
    paths: Sequence[str] = (),
    *,
    worker: WorkerProcess | None = None,
    bump: int = 0,
    **kwargs: Any,
) -> Timed:
    """force_reindex (async) and wait for its task; without `worker`, start one to drain it."""
    started = time.perf_counter()
    resp = await service.force_reindex(scope, list(paths), **kwargs)
    enqueued = time.perf_counter() - started
    own = None
    if worker is None and resp["status"] in RUNNING:
        own = worker = await run.start_worker(bump=bump)
    task = await await_task(service, resp["task_id"], worker)
    seconds = time.perf_counter() - started
    if own is not None:
        await own.finish()
    return Timed(seconds, enqueued, task)


async def until_running(service: CodeIndexService, task_id: str, worker: WorkerProcess) -> None:
    """Wait until the worker has claimed items of the task (or it ended)."""
    while (await service.queue.get(task_id)).status.value == "Queued":
        if not worker.running:
            raise BenchError(f"the worker exited before it started task {task_id}")
        await asyncio.sleep(0.05)


async def until_underway(service: CodeIndexService, task_id: str, worker: WorkerProcess) -> None:
    """Wait until the task has finished an item (the worker is past its model load) or ended."""
    while True:
        task = await service.queue.get(task_id)
        if task.finished or task.items_completed + task.items_failed > 0:
            return
        if not worker.running:
            raise BenchError(f"the worker exited during task {task_id}:\n{worker.log_tail()}")
        await asyncio.sleep(0.05)


async def lingering_worker_started(run: Run) -> None:
    """Give the background worker a CLI call spawned up to 15 s to take the lease."""
    for _ in range(150):
        if await run.service.worker_alive():
            return
        await asyncio.sleep(0.1)


async def stop_lingering_worker(run: Run) -> None:
    """Stop the background worker a CLI call left lingering (found by its lease pid)."""
    lease = await run.service.queue.live_lease()
    if lease is None:
        return
    if str(run.ws) not in worker_args(lease.pid):
        raise BenchError(f"the lease of {run.ws} is held by pid {lease.pid}, not a bench worker")
    with contextlib.suppress(ProcessLookupError):
        os.kill(lease.pid, signal.SIGTERM)
    deadline = time.perf_counter() + 30
    while await run.service.worker_alive():
        if time.perf_counter() > deadline:
            raise BenchError(f"the lingering worker (pid {lease.pid}) did not stop")
        await asyncio.sleep(0.1)


async def until_lease(service: CodeIndexService, worker: WorkerProcess) -> None:
    """Wait until the worker subprocess holds the lease."""
    deadline = time.perf_counter() + 60
    while not await service.worker_alive():
        if not worker.running or time.perf_counter() > deadline:
            raise BenchError(f"the worker did not take the lease:\n{worker.log_tail()}")
        await asyncio.sleep(0.1)
