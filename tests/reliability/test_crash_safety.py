"""Crash safety: a worker process SIGKILLed anywhere in a project index loses nothing.

A cold project index of cobra-go (34 files) runs in a worker process started by a
front-end (this test's service). The worker kills itself at one named point of the work
(`CODEINDEX_FAULTS`, `@n` for the n-th time), once in all (`CODEINDEX_FAULTS_ONCE`: the
replacement runs clean). Then a new worker takes over — started by the front-end's
session supervision, or by a second `codeindex index` from the shell — and the user
checks: every task Completed with no file blamed, nothing left `processing`, `validate`
clean, every file on disk indexed once with exactly the rows a fresh parse of its bytes
gives, every chunk embedded.

The tiny model; a 2 s lease (renewed every 0.67 s) so that renewals happen mid-work (with
a session the worker stays, so the renewal comes even on a machine fast enough to finish
first). A `commit` point names its transaction (`commit=apply_files`), so it is the same
step on any machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
from pathlib import Path

import pytest
from tests.helpers import background_workers, cli_env, copy_tree, run_cli
from tests.reliability.checks import assert_index_matches_disk, assert_queue_settled, until

from codeindex.app.service import CodeIndexService

BIG_TESTS = {"command_test.go", "completions_test.go", "args_test.go", "active_help_test.go"}

POINTS = [
    pytest.param("parse@1", "session", id="parse-first-file"),
    pytest.param("parse@12", "session", id="parse-mid-batch"),
    pytest.param("parse@20", "cli", id="parse-second-batch-then-cli"),
    pytest.param("commit=acquire_lease", "session", id="commit-taking-the-lease"),
    pytest.param("commit=apply_files", "session", id="commit-first-rows"),
    pytest.param("commit=claim@2", "cli", id="commit-second-claim-then-cli"),
    pytest.param("commit=mark_embedded", "session", id="commit-recording-vectors"),
    pytest.param("embed@1", "session", id="embed-first-batch"),
    pytest.param("embed@6", "cli", id="embed-6th-batch-then-cli"),
    pytest.param("commit=finish_items", "session", id="commit-completing-items"),
    pytest.param("vectors@1", "session", id="before-lancedb-write"),
    pytest.param("vectors-added@1", "session", id="after-lancedb-write"),
    pytest.param("renew@1", "session", id="lease-renewal-1"),
    pytest.param("renew@2", "session", id="lease-renewal-2"),
]


@pytest.fixture(scope="module")
def corpus(polyglot_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """cobra-go without its four largest test files, never indexed (read-only: copy it)."""
    src = polyglot_src / "cobra-go"
    keep = [p.relative_to(polyglot_src).as_posix() for p in src.rglob("*") if p.is_file()]
    keep = [p for p in keep if Path(p).name not in BIG_TESTS]
    return copy_tree(polyglot_src, tmp_path_factory.mktemp("crash") / "ws", keep)


def _killed(marker: Path) -> tuple[str, str, int]:
    point, detail, pid = marker.read_text("utf-8").strip().split("\t")
    return point, detail, int(pid)


def _worker_pids(root: Path) -> set[int]:
    """Pids of the workers that completed items (from the items' lease owners)."""
    db = sqlite3.connect(f"file:{root / '.codeindex' / 'index.db'}?mode=ro", uri=True)
    with db:
        owners = db.execute(
            "SELECT DISTINCT worker FROM reindexing_task_items WHERE status = 'completed'"
        ).fetchall()
    db.close()
    return {int(owner.split(":")[-2]) for (owner,) in owners}


@pytest.mark.parametrize(("fault", "recovery"), POINTS)
async def test_a_worker_killed_anywhere_loses_nothing(
    corpus: Path,
    tmp_path: Path,
    tiny_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    recovery: str,
) -> None:
    root = copy_tree(corpus, tmp_path / "ws")
    marker = tmp_path / "killed"
    faults = {
        "CODEINDEX_FAULTS": fault,
        "CODEINDEX_FAULTS_ONCE": str(marker),
        "CODEINDEX_LEASE_SECONDS": "2",
        "CODEINDEX_WORKER_LINGER": "0",
    }
    for key, value in faults.items():
        monkeypatch.setenv(key, value)  # inherited by the worker processes started here
    service = await CodeIndexService.open(root)
    try:
        if recovery == "session":
            await service.start_session("mcp")
        resp = await service.force_reindex("project")
        if recovery == "session":
            async with asyncio.timeout(180):
                async for state in service.watch(resp["task_id"]):
                    final = state
        else:
            await until(marker.exists, f"the worker reached {fault}")
            _, _, pid = _killed(marker)
            await until(lambda: pid not in background_workers(root), "the worker died")
            env = cli_env(**tiny_env, **faults)
            proc = await asyncio.to_thread(run_cli, root, "index", env=env, timeout=180)
            assert proc.returncode == 0, proc.stderr
            state = await service.get_reindex_status(resp["task_id"])
            # the shell's `index` had nothing new to do, yet started a worker for the task
            assert state["status"] == "Completed" or await service.queue.live_lease(), state
            args = ("task", resp["task_id"], "--wait", "--timeout", "180", "--json")
            proc = await asyncio.to_thread(run_cli, root, *args, env=env, timeout=200)
            assert proc.returncode == 0, proc.stderr
            final = json.loads(proc.stdout)
        assert marker.exists(), f"the worker never reached {fault}"
        point, detail, killed_pid = _killed(marker)
        print(f"{fault}: killed pid {killed_pid} at {point} {detail}".rstrip())
        assert final["status"] == "Completed", (final, (root / ".codeindex/worker.log").read_text())
        assert final["items_failed"] == 0 and final["items_completed"] == final["items_total"]
        assert _worker_pids(root) - {killed_pid}, "no other worker took over"
        assert_queue_settled(root)
        report = await service.validate()
        assert report["ok"], report["problems"]
        assert_index_matches_disk(root)
        status = await service.status()
        assert status["embeddings"]["chunks_pending"] == 0, status["embeddings"]
        assert status["embeddings"]["chunks_embedded"] == status["embeddings"]["chunks_total"]
    finally:
        await service.close()
        for pid in background_workers(root):
            os.kill(pid, signal.SIGTERM)
