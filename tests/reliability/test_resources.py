"""Resource bounds: disk and memory stay the same however many times the index is rebuilt.

Ten forced full reindexes of cobra-go (38 files), one file edited before each so that new
vectors are written too, by one worker process kept by a session: the data dir (what
`codeindex status` reports) after the tenth is about its size after the first — task
history, SQLite free pages, the WAL and old LanceDB versions are given back while the
worker is idle — and the worker's memory does not grow from one reindex to the next.
The embedding backlog holds a bounded amount of text however large the tree.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import background_workers, open_in_process, worker_of
from tests.reliability.checks import until

from codeindex.app.service import CodeIndexService
from codeindex.storage.meta import TIDIED_AT
from codeindex.tasks.queue import KEEP_ITEMS_OF
from codeindex.worker.backlog import Backlog

ROUNDS = 10


def _memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in KiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text("utf-8").splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def _edit(root: Path, round_: int) -> None:
    """Replace the function the previous round added to args.go with a new one."""
    path = root / "cobra-go" / "args.go"
    text = path.read_text("utf-8").split("\n// added by round")[0]
    path.write_text(
        f"{text}\n// added by round {round_}\nfunc Round{round_}() int {{ return {round_} }}\n",
        "utf-8",
    )


async def test_ten_forced_reindexes_leave_the_data_dir_and_the_worker_as_they_were(
    cobra_template: Path, tmp_path: Path, tiny_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEINDEX_WORKER_LINGER", "0")
    root = tmp_path / "ws"
    shutil.copytree(cobra_template, root, symlinks=True)
    service = await CodeIndexService.open(root)
    rounds: list[dict[str, Any]] = []
    try:
        await service.start_session("mcp")  # one worker serves every round
        for n in range(1, ROUNDS + 1):
            _edit(root, n)
            tidied = await service.storage.meta.get(TIDIED_AT)
            async with asyncio.timeout(180):
                resp = await service.force_reindex("project", async_=False)

                async def tidy_done(before: float | None = tidied) -> bool:
                    return await service.storage.meta.get(TIDIED_AT) != before

                await until(tidy_done, "the worker tidied the data dir after the reindex")
            assert resp["status"] == "Completed" and resp["result"] is not None
            assert resp["result"]["summary"]["embeddings_generated"] >= 1  # a LanceDB write
            lease = await service.queue.live_lease()
            assert lease is not None
            status = await service.status()
            rounds.append(
                {
                    "pid": lease.pid,
                    "data_dir": status["data_dir_bytes"],
                    "vectors": status["embeddings"]["vectors_bytes"],
                    "index_db": (root / ".codeindex" / "index.db").stat().st_size,
                    "wal": (root / ".codeindex" / "index.db-wal").stat().st_size,
                    **_memory_kib(lease.pid),
                }
            )
        first, last = rounds[0], rounds[-1]
        for n, r in enumerate(rounds, start=1):
            print(f"round {n:2}: " + ", ".join(f"{k} {v}" for k, v in r.items()))
        print(
            f"data dir after 1 forced full reindex: {first['data_dir']} bytes; "
            f"after {ROUNDS}: {last['data_dir']} bytes"
        )
        assert {r["pid"] for r in rounds} == {first["pid"]}, "the worker was replaced"
        # the full-text index grows and merges in a saw-tooth (a period of 3 rounds here):
        # what must not grow is its envelope
        early = max(r["data_dir"] for r in rounds[:3])
        assert max(r["data_dir"] for r in rounds[-3:]) <= early * 1.1, rounds
        # old versions left behind would grow every round; the smallest of the last rounds
        # shows it (one round measured while LanceDB's cleanup lagged once read 2x)
        settled = min(r["vectors"] for r in rounds[-3:])
        assert settled <= first["vectors"] + 64 * 1024, ("old LanceDB versions stayed", rounds)
        assert last["wal"] <= 1024 * 1024, "the WAL was not given back"
        db = sqlite3.connect(f"file:{root / '.codeindex' / 'index.db'}?mode=ro", uri=True)
        with db:
            (free,) = db.execute("PRAGMA freelist_count").fetchone()
            (items,) = db.execute("SELECT count(*) FROM reindexing_task_items").fetchone()
        db.close()
        assert free == 0, "free pages were not given back"
        assert items <= (KEEP_ITEMS_OF + 1) * 38, "every reindex added its items for good"
        # memory: the first rounds warm the allocator; after that, no growth per reindex
        assert last["VmRSS"] <= rounds[1]["VmRSS"] * 1.1, rounds
        assert last["VmHWM"] <= rounds[1]["VmHWM"] * 1.1, rounds
    finally:
        await service.close()
        for pid in background_workers(root):
            os.kill(pid, signal.SIGTERM)


def _many_files(root: Path, files: int, functions: int) -> int:
    """`files` Python files of `functions` distinct functions each; returns their characters."""
    total = 0
    for f in range(files):
        body = "".join(
            f"def f{f}_{g}(x):\n    '''Function {g} of module {f}.'''\n    return x * {f} + {g}\n\n"
            for g in range(functions)
        )
        (root / f"m{f:03}.py").write_text(body, "utf-8")
        total += len(body)
    return total


async def test_the_embedding_backlog_holds_a_bounded_amount_of_text(
    tmp_path: Path, tiny_env: dict[str, str]
) -> None:
    """A tree with more text than the backlog may hold is embedded as it is parsed."""
    root = tmp_path / "ws"
    root.mkdir()
    total = _many_files(root, files=160, functions=12)
    cap = total // 20
    service = await open_in_process(root)
    try:
        service.start_worker()
        assert worker_of(service) is not None
        # before the worker's first step
        worker_of(service).embedding.backlog = Backlog(max_chars=cap)
        async with asyncio.timeout(300):
            resp = await service.force_reindex("project", async_=False)
        assert resp["status"] == "Completed"
        one_claim = 16 * (total // 160)  # a claim takes at most 16 files before the next check
        peak = worker_of(service).embedding.backlog.peak_chars
        print(f"backlog peak {peak} characters of {total} (cap {cap})")
        assert peak <= cap + one_claim < total / 2
        assert (await service.validate())["ok"]
        assert (await service.status())["embeddings"]["chunks_pending"] == 0
    finally:
        await service.close()
