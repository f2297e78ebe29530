"""Items 4, 5 and 8: incremental passes, a parser-bump full reindex, and priority.

They run on the index the cold run built; the incremental and priority passes edit one
file, picked with SEED, by appending comment lines to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass
from pathlib import Path

from codeindex.bench.common import SEED, BenchError
from codeindex.bench.session import (
    RUNNING,
    Run,
    lingering_worker_started,
    stop_lingering_worker,
    timed_reindex,
    until_lease,
    until_underway,
)
from codeindex.tasks import TaskStateError

COMMENT_PREFIX = {
    **dict.fromkeys(("python", "ruby", "bash", "perl", "r", "toml", "yaml"), "#"),
    **dict.fromkeys(
        ("go", "rust", "typescript", "tsx", "javascript", "java", "c", "cpp", "csharp"), "//"
    ),
    **dict.fromkeys(("kotlin", "swift", "scala", "php", "dart", "zig"), "//"),
}


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
    over_one_file_api: float  # this forced full reindex ÷ the warm one-file API reindex


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


async def pick_edit(run: Run) -> _Edit:
    """A mid-sized source file in a language whose line comment we know, picked with SEED."""
    langs = sorted(COMMENT_PREFIX)
    rows = await run.service.storage.indexed_files_in(langs)
    if not rows:
        raise BenchError("no indexed source file in a known language to edit")
    mid = [r for r in rows if 1000 <= int(r[2]) <= 30000] or list(rows)
    path, language, _ = random.Random(SEED).choice(mid)
    return _Edit(run.ws, str(path), COMMENT_PREFIX[str(language)])


async def measure_incremental(run: Run, edit: _Edit, cold_wall: float) -> IncrementalResult:
    """No-change and one-file passes via the CLI, then via the API with a running worker."""
    run.log("incremental: CLI no-change `index`, then CLI one-file `reindex --sync` x2")
    cli_nc, nc_resp = await run.cli("index")
    await lingering_worker_started(run)
    cli_one = []
    for _ in range(2):
        await edit.apply()
        seconds, one_resp = await run.cli("reindex", "--scope", "file", "--sync", edit.path)
        cli_one.append(seconds)
    await stop_lingering_worker(run)
    run.log("incremental: the same through the API, with a worker already running")
    worker = await run.start_worker(exit_when_idle=False)
    try:
        await until_lease(run.service, worker)
        api_nc = await timed_reindex(run, run.service, "project", worker=worker, incremental=True)
        await edit.apply()
        first = await timed_reindex(run, run.service, "file", [edit.path], worker=worker)
        await edit.apply()
        warm = await timed_reindex(run, run.service, "file", [edit.path], worker=worker)
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


async def measure_parser_bump(
    run: Run, cold_wall: float, one_file_seconds: float
) -> ParserBumpResult:
    """A forced project reindex after CODEINDEX_PARSER_VERSION_BUMP=1: parse only, no embedding.

    With every text already embedded it is the forced full reindex a user would compare the
    one-file reindex with (`one_file_seconds`, API warm).
    """
    run.log("parser bump: forced full reindex with CODEINDEX_PARSER_VERSION_BUMP=1")
    async with run.bumped_service(1) as bumped:
        timed = await timed_reindex(run, bumped, "project", bump=1)
    task = timed.task
    return ParserBumpResult(
        files=task.items_total,
        items_failed=task.items_failed,
        enqueue_seconds=timed.enqueue_seconds,
        wall_seconds=timed.seconds,
        task_seconds=timed.task_seconds,
        speedup_over_cold=cold_wall / timed.seconds,
        embeddings_generated=task.embeddings_generated,
        over_one_file_api=timed.seconds / one_file_seconds,
    )


async def measure_priority(run: Run, edit: _Edit) -> PriorityResult:
    """A high-priority file request made while a low-priority project reindex runs.

    The request is made once the low task has finished an item, so the worker is in its
    steady state rather than loading its model.
    """
    run.log("priority: high-priority file during a low-priority project reindex (bump 3)")
    async with run.bumped_service(3) as bumped:
        low = await bumped.force_reindex("project", priority="low")
        # not --exit-when-idle: on a small tree the low task may end before the request
        worker = await run.start_worker(bump=3, exit_when_idle=False)
        await until_underway(bumped, low["task_id"], worker)
        await edit.apply()
        before = await bumped.get_reindex_status(low["task_id"])
        timed = await timed_reindex(
            run, bumped, "file", [edit.path], worker=worker, priority="high"
        )
        after = await bumped.get_reindex_status(low["task_id"])
        if after["status"] in RUNNING:
            with contextlib.suppress(TaskStateError):
                await bumped.cancel_reindex(low["task_id"])
        await worker.stop()
    return PriorityResult(
        seconds=timed.seconds,
        task_seconds=timed.task_seconds,
        pickup_seconds=timed.pickup_seconds,
        low_task_running_at_request=before["status"] in RUNNING,
        low_task_progress_at_request=float(before["progress"]),
        low_task_running_after=after["status"] in RUNNING,
    )
