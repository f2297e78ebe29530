"""Item 7: how honest progress and the ETA are, for each kind of task a user starts.

Each task runs in a worker subprocess while this process samples `get_reindex_status` every
SAMPLE_SECONDS (progress and ETA); once it ends, `progress_score` compares them with the
elapsed share and the time really left. The kinds, in order, on the bench's workspace:
a cold index (the first run: nothing is calibrated yet), a forced full reindex with every
vector cached, a directory whose files all changed (every line gained a trailing space, so
each of its texts is embedded again), an embeddings-only task after the model's vectors were
lost, and the directory task again with the machine made busy half-way through (as many
spinning processes as cores, from half the unloaded directory task's time on): the ETA must
recover from the slowdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from codeindex.bench.common import SAMPLE_SECONDS, BenchError
from codeindex.bench.progress_score import ProgressRow, Sample, score
from codeindex.bench.session import Run, await_task
from codeindex.workspace import Workspace

DIRECTORY_SHARE = 0.1  # the directory task covers about this share of the tree's files
MIN_DIRECTORY_FILES = 10


class Hog:
    """As many spinning processes as cores: a machine made busy by someone else."""

    def __init__(self) -> None:
        self.procs: list[asyncio.subprocess.Process] = []
        self.started_at: float | None = None

    async def start(self) -> None:
        """Start spinning (once)."""
        if self.procs:
            return
        self.started_at = time.time()
        for _ in range(max(1, _cores())):
            self.procs.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-c",
                    "while True: pass",
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.DEVNULL,
                )
            )

    async def stop(self) -> None:
        """Stop every spinning process this hog started."""
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        self.procs = []


@dataclass(slots=True)
class Sampler:
    """Samples one task's progress and ETA until `stop` is set."""

    run: Run
    task_id: str
    samples: list[Sample] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    busy_after: float | None = None  # make the machine busy after the task ran this long
    # (or once it shows half done: the same task may run faster than the unloaded one did)
    hog: Hog = field(default_factory=lambda: Hog())

    async def sample(self) -> None:
        """Sample until `stop` is set."""
        while not self.stop.is_set():
            status = await self.run.service.get_reindex_status(self.task_id)
            now = time.time()
            self.samples.append((now, float(status["progress"]), status["eta_seconds"]))
            if self.busy_after is not None and status["started_at"] is not None:
                task = await self.run.service.queue.get(self.task_id)
                ran = now - (task.started_at or now)
                if ran >= self.busy_after or task.progress >= 0.5:
                    await self.hog.start()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), SAMPLE_SECONDS)


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2


async def sampled_task(
    run: Run,
    kind: str,
    scope: str,
    paths: list[str] | None = None,
    *,
    busy_after: float | None = None,
) -> ProgressRow:
    """Create a task, run it in a worker subprocess, sample it; its row.

    With `busy_after`, the machine is made busy once the task has run that many seconds.
    """
    service = run.service
    resp = await service.force_reindex(scope, paths or [])
    task_id = resp["task_id"]
    run.log(
        f"progress, {kind}: {resp['items_total']} items, estimated "
        f"{resp['estimated_duration_seconds']} s"
    )
    worker = await run.start_worker()
    sampler = Sampler(run, task_id, busy_after=busy_after)
    hog = sampler.hog
    sampling = asyncio.create_task(sampler.sample())
    try:
        task = await await_task(service, task_id, worker)
    finally:
        sampler.stop.set()
        await sampling
        await hog.stop()
    await worker.finish()
    if task.status.value != "Completed":
        raise BenchError(f"the {kind} task ended {task.status.value}: {task.error_message}")
    row = score(
        kind,
        sampler.samples,
        task.started_at or task.created_at,
        task.completed_at or time.time(),
        items=task.items_total,
        estimated=resp["estimated_duration_seconds"],
        busy_at=hog.started_at,
    )
    run.log(
        f"progress, {kind}: {row.seconds:.1f} s, error mean {row.mean_abs_error} "
        f"max {row.max_abs_error}, ETA at 50% {row.eta_error_at_50}"
    )
    return row


def pick_directory(ws: Path) -> str:
    """The folder whose file count is nearest DIRECTORY_SHARE of the tree's (ties: the first)."""
    scan = Workspace(ws, ws / ".codeindex").scan()
    counts: dict[str, int] = {}
    for entry in scan.files:
        parts = entry.path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folder = "/".join(parts[:depth])
            counts[folder] = counts.get(folder, 0) + 1
    goal = max(MIN_DIRECTORY_FILES, DIRECTORY_SHARE * len(scan.files))
    fits = [(abs(n - goal), folder) for folder, n in sorted(counts.items()) if n >= 1]
    if not fits:
        raise BenchError(f"{ws} has no folder for the directory task")
    return min(fits)[1]


def rewrite_directory(ws: Path, folder: str) -> int:
    """Give every line of the folder's text files a trailing space (a line ending in a
    backslash keeps its continuation): every text changes, the code stays valid. Files."""
    scan = Workspace(ws, ws / ".codeindex").scan(folder)
    changed = 0
    for entry in scan.files:
        path = ws / entry.path
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        lines = text.split("\n")
        path.write_text(
            "\n".join(line if not line or line.endswith("\\") else line + " " for line in lines),
            encoding="utf-8",
        )
        changed += 1
    return changed


async def lose_vectors(run: Run) -> None:
    """The active model's vectors are lost: its table's folder goes, SQLite forgets them."""
    active = await run.service.models.active()
    if active is None:
        raise BenchError("no active model after the cold index: nothing to embed again")
    await run.service.storage.forget_all_embedded(active.id)
    folder = run.service.settings.vectors_path / f"{active.table_name}.lance"
    await asyncio.to_thread(shutil.rmtree, folder, True)


async def measure_progress(run: Run, cold: ProgressRow | None = None) -> list[ProgressRow]:
    """Every row of item 7; the cold index is run here unless the caller measured it."""
    rows = [cold if cold is not None else await sampled_task(run, "cold index", "project")]
    rows.append(await sampled_task(run, "full reindex, vectors cached", "project"))
    folder = await asyncio.to_thread(pick_directory, run.ws)
    files = await asyncio.to_thread(rewrite_directory, run.ws, folder)
    run.log(f"progress: directory {folder}, {files} files rewritten")
    directory = await sampled_task(run, f"directory {folder}", "directory", [folder])
    rows.append(directory)
    await lose_vectors(run)
    rows.append(await sampled_task(run, "embeddings-only", "embeddings-only"))
    await asyncio.to_thread(rewrite_directory, run.ws, folder)
    busy = await sampled_task(
        run,
        f"directory {folder}, busy from half-way",
        "directory",
        [folder],
        busy_after=directory.seconds / 2,
    )
    rows.append(busy)
    return rows
