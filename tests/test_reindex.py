"""force_reindex end to end: every scope and option, control, priority, crash recovery.

Real SQLite, real LanceDB, real tree-sitter and the real tiny ONNX model
(128 dims, meaningless vectors: the pipeline is what is under test here).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import (
    background_workers,
    cli_env,
    copy_tree,
    folder_bytes,
    open_in_process,
    run_cli,
    run_json,
    vectors_of,
    worker_of,
)

from codeindex.app.service import CodeIndexService
from codeindex.worker import loop as worker_module
from codeindex.workspace import OutsideWorkspaceError

pytestmark = pytest.mark.slow  # starts codeindex processes or indexes a corpus

TASK_ID = re.compile(r"^reindex_\d{14}_[0-9a-f]{8}$")
DJANGO_SLICE = ["django/db/models", "django/utils"]


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


async def test_single_file_sync(cobra: CodeIndexService) -> None:
    root = cobra.settings.root
    chunks_before = await cobra.storage.scalar("SELECT count(*) FROM chunks")
    _append(
        root / "cobra-go/args.go",
        "\n// BrandNewValidator checks nothing.\nfunc BrandNewValidator() error { return nil }\n",
    )
    resp = await cobra.force_reindex("file", ["cobra-go/args.go"], async_=False)
    assert TASK_ID.match(resp["task_id"])
    assert resp["scope"] == {"File": {"path": "cobra-go/args.go"}}
    assert resp["status"] == "Completed"
    result = resp["result"]
    assert result["items_completed"] == 1 and result["items_failed"] == 0
    assert result["failures"] == []
    summary = result["summary"]
    assert summary["files_processed"] == 1 and summary["symbols_extracted"] > 5
    # only the new text is embedded: the file's other chunks kept their vectors
    assert 1 <= summary["embeddings_generated"] <= 2
    found = await cobra.find_symbols("BrandNewValidator")
    assert [s["path"] for s in found] == ["cobra-go/args.go"]
    assert await cobra.storage.scalar("SELECT count(*) FROM chunks") >= chunks_before
    status = await cobra.status()
    assert status["embeddings"]["chunks_pending"] == 0


async def test_files_scope_accepts_absolute_and_relative(cobra: CodeIndexService) -> None:
    root = cobra.settings.root
    resp = await cobra.force_reindex(
        "files", [str(root / "cobra-go/args.go"), "cobra-go/command.go"], async_=False
    )
    assert resp["scope"] == {"Files": {"paths": ["cobra-go/args.go", "cobra-go/command.go"]}}
    assert resp["result"]["items_completed"] == 2
    assert resp["result"]["summary"]["embeddings_generated"] == 0  # nothing changed


@pytest.mark.parametrize("recursive", [True, False], ids=["recursive", "flat"])
async def test_directory_scope(cobra: CodeIndexService, recursive: bool) -> None:
    root = cobra.settings.root
    folder = root / "cobra-go"
    expected = sum(1 for p in (folder.rglob("*") if recursive else folder.iterdir()) if p.is_file())
    resp = await cobra.force_reindex("directory", ["cobra-go"], recursive=recursive, async_=False)
    assert resp["scope"] == {"Directory": {"path": "cobra-go", "recursive": recursive}}
    assert resp["items_total"] == expected
    assert resp["result"]["items_completed"] == expected


async def test_project_with_added_edited_and_deleted_files(cobra: CodeIndexService) -> None:
    root = cobra.settings.root
    (root / "cobra-go/new_feature.go").write_text(
        "package cobra\n\n// FreshlyAdded is new.\nfunc FreshlyAdded() {}\n", encoding="utf-8"
    )
    _append(root / "cobra-go/command.go", "\nfunc EditedInPlace() {}\n")
    (root / "cobra-go/args.go").unlink()
    on_disk = sum(1 for p in root.rglob("*") if p.is_file() and ".codeindex" not in p.parts)
    resp = await cobra.force_reindex("project", async_=False)
    assert resp["scope"] == "Project"
    assert resp["items_total"] == on_disk + 1  # every file, plus the deleted one
    assert resp["status"] == "Completed"
    assert await cobra.find_symbols("FreshlyAdded")
    assert await cobra.find_symbols("EditedInPlace")
    assert await cobra.find_symbols("ExactArgs", match="exact") == []
    assert await cobra.storage.get_file("cobra-go/args.go") is None
    assert (await cobra.validate())["ok"]


async def test_incremental_takes_only_changed_files(cobra: CodeIndexService) -> None:
    root = cobra.settings.root
    nothing = await cobra.force_reindex("project", incremental=True, async_=False)
    assert nothing["items_total"] == 0 and nothing["status"] == "Completed"

    _append(root / "cobra-go/command.go", "\n// edit one\n")
    _append(root / "cobra-go/flag_groups.go", "\n// edit two\n")
    (root / "cobra-go/added.go").write_text("package cobra\n", encoding="utf-8")
    (root / "cobra-go/cobra.go").unlink()
    os.utime(root / "cobra-go/args.go", ns=(10**18, 10**18))  # touched, same text
    resp = await cobra.force_reindex("project", incremental=True, async_=False)
    assert resp["items_total"] == 4
    assert resp["result"]["items_completed"] == 4
    assert (await cobra.validate())["ok"]


async def test_progress_rises_to_one_and_matches_items(cobra: CodeIndexService) -> None:
    root = cobra.settings.root
    for path in sorted((root / "cobra-go").glob("*.go"))[:12]:
        _append(path, f"\n// progress marker for {path.name}\n")
    reports: list[dict[str, Any]] = []
    resp = await cobra.force_reindex("project", async_=False, on_progress=reports.append)
    assert resp["status"] == "Completed"
    progress = [r["progress"] for r in reports]
    assert progress == sorted(progress)
    assert progress[-1] == 1.0
    for report in reports:
        all_done = report["items_completed"] + report["items_failed"] == report["items_total"]
        assert (report["progress"] == 1.0) == all_done
        if report["items_completed"]:
            assert report["progress"] > 0
    final = await cobra.get_reindex_status(resp["task_id"])
    assert final["progress"] == 1.0 and final["items_completed"] == final["items_total"]


async def test_async_returns_before_any_item_runs(
    cobra_template: Path, tmp_path: Path, tiny_env: dict[str, str]
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(cobra_template, root, symlinks=True)
    service = await open_in_process(root, mode="none")
    try:
        resp = await service.force_reindex("project")
        assert resp["status"] == "Queued"
        assert resp["result"] is None
        assert resp["items_queued"] == resp["items_total"] > 30
        assert resp["estimated_duration_seconds"] is not None
        status = await service.get_reindex_status(resp["task_id"])
        assert status["items_completed"] == 0 and status["status"] == "Queued"
        listed = await service.list_reindex_tasks(status="queued")
        assert [t["task_id"] for t in listed] == [resp["task_id"]]
        service.start_worker()
        task = await service.wait(resp["task_id"])
        assert task["status"] == "Completed"
    finally:
        await service.close()


async def test_failed_file_is_reported_and_others_go_on(
    cobra_template: Path, tmp_path: Path, tiny_env: dict[str, str]
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(cobra_template, root, symlinks=True)
    service = await open_in_process(root, mode="none")  # no worker yet: items wait
    try:
        (root / "cobra-go/broken.go").write_text("package cobra\n", encoding="utf-8")
        _append(root / "cobra-go/args.go", "\nfunc StillIndexed() {}\n")
        resp = await service.force_reindex("files", ["cobra-go/broken.go", "cobra-go/args.go"])
        # Between planning and reading, the file becomes unreadable (even for root).
        (root / "cobra-go/broken.go").unlink()
        (root / "cobra-go/broken.go").symlink_to("broken.go")
        service.start_worker()
        task = await service.wait(resp["task_id"])
        assert task["status"] == "Failed"
        result = await service.get_reindex_status(resp["task_id"])
        assert result["items_completed"] == 1 and result["items_failed"] == 1
        assert result["failures"] == [
            {"path": "cobra-go/broken.go", "error": "unreadable: Too many levels of symbolic links"}
        ]
        assert await service.find_symbols("StillIndexed")
        again = await service.force_reindex("file", ["cobra-go/command.go"], async_=False)
        assert again["status"] == "Completed"  # the queue went on
    finally:
        await service.close()


async def test_pause_holds_and_resume_finishes(
    cobra_template: Path, tmp_path: Path, tiny_env: dict[str, str]
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(cobra_template, root, symlinks=True)
    service = await open_in_process(root, mode="none")
    try:
        resp = await service.force_reindex("project")
        paused = await service.pause_reindex(resp["task_id"])
        assert paused["status"] == "Paused"
        service.start_worker()
        assert worker_of(service) is not None
        await asyncio.wait_for(worker_of(service).idle.wait(), timeout=60)
        held = await service.get_reindex_status(resp["task_id"])
        assert held["status"] == "Paused"
        assert held["items_completed"] == 0 and held["items_pending"] == resp["items_total"]
        resumed = await service.resume_reindex(resp["task_id"])
        assert resumed["status"] == "Queued"
        task = await service.wait(resp["task_id"])
        assert task["status"] == "Completed" and task["items_completed"] == task["items_total"]
    finally:
        await service.close()


@pytest.fixture
async def cold_django(
    django_src: Path, tmp_path: Path, tiny_env: dict[str, str]
) -> AsyncIterator[CodeIndexService]:
    """A Django slice with no index yet, its service open with a worker in this process."""
    root = copy_tree(django_src, tmp_path / "dj", DJANGO_SLICE)
    service = await open_in_process(root)
    service.start_worker()
    yield service
    await service.close()


async def _running(service: CodeIndexService, task_id: str) -> dict[str, Any]:
    """Wait (on the task's changes) until the task has started and done some work."""
    async with asyncio.timeout(60):
        async for status in service.watch(task_id):
            if status["status"] == "Running" and status["progress"] > 0:
                return dict(status)
            if status["status"] not in ("Queued", "Running"):
                raise AssertionError(f"task ended before it could be observed running: {status}")
    raise AssertionError("the task ended unseen")


async def test_cancel_stops_and_marks_the_rest(cold_django: CodeIndexService) -> None:
    service = cold_django
    resp = await service.force_reindex("project")
    await _running(service, resp["task_id"])
    cancelled = await service.cancel_reindex(resp["task_id"])
    assert cancelled["status"] == "Cancelled"
    task = await service.wait(resp["task_id"])
    assert worker_of(service) is not None
    await asyncio.wait_for(worker_of(service).idle.wait(), timeout=60)
    final = await service.get_reindex_status(resp["task_id"])
    assert final["status"] == "Cancelled" and task["status"] == "Cancelled"
    assert final["items_cancelled"] > 0
    assert final["items_pending"] == 0
    assert (
        final["items_completed"] + final["items_failed"] + final["items_cancelled"]
        == final["items_total"]
    )
    # what was written is whole: every indexed file has its symbols and chunks
    empty = await service.storage.scalar(
        "SELECT count(*) FROM files f WHERE index_status = 'indexed' AND f.size > 0 "
        "AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.file_id = f.id)"
    )
    assert empty == 0


async def test_pause_while_running_holds_between_batches(cold_django: CodeIndexService) -> None:
    service = cold_django
    service = cold_django
    resp = await service.force_reindex("project")
    await _running(service, resp["task_id"])
    await service.pause_reindex(resp["task_id"])
    assert worker_of(service) is not None
    worker_of(service).idle.clear()
    await asyncio.wait_for(worker_of(service).idle.wait(), timeout=60)
    held = await service.get_reindex_status(resp["task_id"])
    assert held["status"] == "Paused"
    assert held["items_completed"] < held["items_total"]
    worker_of(service).idle.clear()
    await asyncio.wait_for(worker_of(service).idle.wait(), timeout=60)
    still = await service.get_reindex_status(resp["task_id"])
    assert (still["items_completed"], still["progress"]) == (
        held["items_completed"],
        held["progress"],
    )
    await service.resume_reindex(resp["task_id"])
    task = await service.wait(resp["task_id"])
    assert task["status"] == "Completed" and task["items_completed"] == task["items_total"]
    assert (await service.status())["embeddings"]["chunks_pending"] == 0


async def test_high_priority_is_served_during_a_long_low_priority_task(
    cold_django: CodeIndexService,
) -> None:
    service = cold_django
    service = cold_django
    low = await service.force_reindex("project", priority="low")
    await _running(service, low["task_id"])
    (service.settings.root / "urgent.py").write_text(
        "def urgently_needed():\n    return 42\n", encoding="utf-8"
    )
    high = await service.force_reindex("file", ["urgent.py"], priority="high")
    done = await service.wait(high["task_id"])
    assert done["status"] == "Completed"
    low_now = await service.get_reindex_status(low["task_id"])
    assert low_now["status"] == "Running"
    assert low_now["items_completed"] < low_now["items_total"]
    assert [s["path"] for s in await service.find_symbols("urgently_needed")] == ["urgent.py"]
    urgent = await service.search("urgently_needed", mode="lexical", path="urgent.py")
    assert urgent["hits"] and all(h["freshness"] == "fresh" for h in urgent["hits"])  # embedded too
    await service.cancel_reindex(low["task_id"])


async def test_boost_raises_open_files(cobra: CodeIndexService) -> None:
    await cobra.stop_worker()
    cobra.supervisor.mode = "none"
    await cobra.start_session("lsp")
    resp = await cobra.force_reindex("project", priority="low")
    changed = await cobra.boost(["cobra-go/command.go"])
    assert changed == 1
    row = await cobra.storage.fetchone(
        "SELECT priority FROM reindexing_task_items WHERE task_id = ? AND file_path = ?",
        (resp["task_id"], "cobra-go/command.go"),
    )
    assert row[0] == 0
    items = await cobra.queue.claim(1)
    assert [i.path for i in items] == ["cobra-go/command.go"]


async def test_paths_outside_are_refused(cobra: CodeIndexService) -> None:
    before = await cobra.list_reindex_tasks()
    for scope, paths in [
        ("file", ["../outside.py"]),
        ("directory", ["/etc"]),
        ("files", ["cobra-go/args.go", "/etc/passwd"]),
    ]:
        with pytest.raises(OutsideWorkspaceError, match="outside the workspace"):
            await cobra.force_reindex(scope, paths)
    assert await cobra.list_reindex_tasks() == before


def _worker(root: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as sink:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "codeindex",
                "--root",
                str(root),
                "--log-level",
                "INFO",
                "worker",
                "--exit-when-idle",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )


async def test_killed_worker_is_replaced_and_nothing_is_lost_or_done_twice(
    django_src: Path, tmp_path: Path, tiny_env: dict[str, str]
) -> None:
    root = copy_tree(django_src, tmp_path / "dj", DJANGO_SLICE)
    env = cli_env(**tiny_env)
    service = await CodeIndexService.open(root, worker="none")
    try:
        resp = await service.force_reindex("project")
        log = tmp_path / "workers.log"
        first = _worker(root, env, log)
        while (await service.get_reindex_status(resp["task_id"]))["items_completed"] == 0:
            assert first.poll() is None, log.read_text(encoding="utf-8")
            await asyncio.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_at = await service.get_reindex_status(resp["task_id"])
        assert killed_at["status"] == "Running"
        assert killed_at["items_completed"] < killed_at["items_total"]

        second = _worker(root, env, log)
        task = await service.wait(resp["task_id"])
        second.wait(timeout=120)
        assert task["status"] == "Completed"
        assert task["items_completed"] == task["items_total"]
        rows = await service.storage.fetchall(
            "SELECT file_path, attempts, status FROM reindexing_task_items WHERE task_id = ?",
            (resp["task_id"],),
        )
        assert all(r[2] == "completed" for r in rows)
        redone = [r for r in rows if r[1] > 1]
        assert len(redone) <= killed_at["items_total"] - killed_at["items_completed"]
        assert all(r[1] <= 2 for r in rows)
        # one row per file, and the index matches the disk exactly
        assert (await service.validate())["ok"]
        status = await service.status()
        assert status["embeddings"]["chunks_pending"] == 0
        table = vectors_of(service).open_table(status["embeddings"]["active_model"]["table"])
        assert table is not None
        assert table.count() == len(table.hashes())  # no vector stored twice
    finally:
        await service.close()


async def test_two_processes_enqueue_at_once_one_worker_serves_both(
    cobra_template: Path, tmp_path: Path, tiny_env: dict[str, str]
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(cobra_template, root, symlinks=True)
    # the worker the first request starts lingers, so a second CLI that starts late
    # still finds it rather than starting its own
    env = cli_env(**tiny_env, CODEINDEX_WORKER_LINGER="60")
    _append(root / "cobra-go/args.go", "\nfunc FromProcessOne() {}\n")
    _append(root / "cobra-go/command.go", "\nfunc FromProcessTwo() {}\n")
    cmd = [sys.executable, "-m", "codeindex", "--root", str(root), "reindex", "--json"]
    procs = [
        subprocess.Popen(
            [*cmd, "--scope", "file", "cobra-go/args.go"],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ),
        subprocess.Popen(
            [*cmd, "--scope", "directory", "cobra-go"],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ),
    ]
    task_ids = []
    for proc in procs:
        out, err = await asyncio.to_thread(proc.communicate, timeout=120)
        assert proc.returncode == 0, err
        task_ids.append(json.loads(out)["task_id"])
    service = await CodeIndexService.open(root, worker="none")
    try:
        for task_id in task_ids:
            task = await asyncio.wait_for(service.wait(task_id), 300)
            assert task["status"] == "Completed"
    finally:
        await service.close()
        for pid in background_workers(root):
            os.kill(pid, signal.SIGTERM)
    symbols = run_cli(root, "symbols", "FromProcess", "--match", "prefix", "--json", env=env)
    assert {s["name"] for s in json.loads(symbols.stdout)} == {"FromProcessOne", "FromProcessTwo"}
    import sqlite3

    conn = sqlite3.connect(root / ".codeindex" / "index.db")
    owners = {
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT worker FROM reindexing_task_items WHERE task_id IN (?, ?)",
            tuple(task_ids),
        )
    }
    conn.close()
    assert len(owners) == 1 and None not in owners


def test_cli_reindex_async_starts_a_background_worker(
    cobra_template: Path, tmp_path: Path, tiny_env: dict[str, str]
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(cobra_template, root, symlinks=True)
    env = cli_env(**tiny_env)
    proc = run_cli(root, "reindex", "--scope", "project", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    resp = json.loads(proc.stdout)
    assert resp["status"] == "Queued" and resp["result"] is None
    waited = run_cli(root, "task", resp["task_id"], "--wait", "--json", env=env)
    assert json.loads(waited.stdout)["status"] == "Completed"
    tasks = json.loads(run_cli(root, "tasks", "--json", env=env).stdout)
    assert tasks[0]["task_id"] == resp["task_id"]


async def test_unreferenced_vectors_are_collected_and_the_folder_stays_bounded(
    cobra: CodeIndexService, monkeypatch: pytest.MonkeyPatch
) -> None:
    # only the explicit collection runs here: the idle maintenance would add a version
    # younger than its one-minute retention whenever a round takes longer than its delay
    monkeypatch.setattr(worker_module, "MAINTAIN_WHEN_QUIET_SECONDS", 3600.0)
    root = cobra.settings.root
    target = root / "cobra-go/bash_completions.go"
    original = target.read_text(encoding="utf-8")
    sizes = []
    for round_ in range(4):
        target.write_text(original.replace("func ", f"func R{round_}"), encoding="utf-8")
        await cobra.force_reindex("file", ["cobra-go/bash_completions.go"], async_=False)
        assert worker_of(cobra) is not None
        collected = await worker_of(cobra).embedding.maintain(min_unreferenced=0)
        assert collected > 0  # the previous round's texts
        sizes.append(folder_bytes(cobra.settings.vectors_path))
    status = await cobra.status()
    table = vectors_of(cobra).open_table(status["embeddings"]["active_model"]["table"])
    assert table is not None
    distinct = status["embeddings"]["chunks_total"]  # the texts to embed (not go.sum's)
    assert table.count() == distinct
    assert status["embeddings"]["chunks_pending"] == 0
    # LanceDB's clean-up cuts at a timestamp, so a version written in the same instant may
    # outlive one collection: one copy more than the table is allowed, never one per round
    assert max(sizes) <= sizes[0] * 2.2, sizes
    assert (await cobra.validate())["ok"]


def test_a_lingering_background_worker_serves_the_next_cli_request(
    cobra_template: Path, tmp_path: Path, tiny_env: dict[str, str]
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(cobra_template, root, symlinks=True)
    env = cli_env(**tiny_env, CODEINDEX_WORKER_LINGER="60")
    owners = []
    for name in ("FirstEdit", "SecondEdit"):
        _append(root / "cobra-go/args.go", f"\nfunc {name}() {{}}\n")
        proc = run_cli(
            root, "reindex", "--scope", "file", "cobra-go/args.go", "--sync", "--json", env=env
        )
        assert proc.returncode == 0, proc.stderr
        task_id = json.loads(proc.stdout)["task_id"]
        status = json.loads(run_cli(root, "status", "--json", env=env).stdout)
        worker = status["queue"]["worker"]
        assert worker is not None, "the background worker should still be there"
        owners.append(worker["pid"])
        import sqlite3

        conn = sqlite3.connect(root / ".codeindex" / "index.db")
        (item_worker,) = conn.execute(
            "SELECT worker FROM reindexing_task_items WHERE task_id = ?", (task_id,)
        ).fetchone()
        conn.close()
        if len(owners) == 2:  # served by the worker that lingered after the first request
            assert str(owners[0]) in item_worker
    assert owners[0] == owners[1]
    os.kill(owners[0], signal.SIGTERM)
    for _ in range(200):
        status = json.loads(run_cli(root, "status", "--json", env=env).stdout)
        if status["queue"]["worker"] is None:
            break
    assert status["queue"]["worker"] is None


def test_a_lingering_worker_with_another_model_hands_over_to_the_new_settings(
    tmp_path: Path, tiny_model_path: Path, minilm_path: Path
) -> None:
    root = tmp_path / "ws"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg/shapes.py").write_text(
        "class Circle:\n    def area(self, r):\n        return 3.14159 * r * r\n"
    )
    (root / "pkg/greet.py").write_text("def greet(name):\n    return f'hello {name}'\n")
    old = cli_env(
        CODEINDEX_EMBED_MODEL_PATH=str(tiny_model_path),
        CODEINDEX_ALLOW_DOWNLOAD="0",
        CODEINDEX_WORKER_LINGER="60",
    )
    new = {**old, "CODEINDEX_EMBED_MODEL_PATH": str(minilm_path)}
    try:
        assert run_cli(root, "index", env=old).returncode == 0
        lingering = run_json(root, "status", env=old)["queue"]["worker"]
        assert lingering is not None
        # nothing changed on disk; only the model did: `index` must still apply it
        proc = run_cli(root, "index", "--json", env=new)
        assert proc.returncode == 0, proc.stderr
        deadline = time.monotonic() + 300
        while True:
            status = run_json(root, "status", env=new)
            if status["embeddings"]["active_model"]["dim"] == 384:  # MiniLM, not tiny (128)
                break
            assert time.monotonic() < deadline, status["embeddings"]
            time.sleep(0.2)
        assert status["embeddings"]["chunks_pending"] == 0
        assert lingering["pid"] not in background_workers(root)
        hits = run_json(root, "search", "area of a circle", "--mode", "semantic", env=new)
        assert hits["hits"][0]["path"] == "pkg/shapes.py"
    finally:
        for pid in background_workers(root):
            os.kill(pid, signal.SIGTERM)
