"""Faults a new user hit probing the CLI (issue "Reliability and security"), one test each.

Real CLI subprocesses, real worker processes, the real tiny model. Crashes are injected
at named points (`CODEINDEX_FAULTS`, see codeindex.faults), never left to timing.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import background_workers, cli_env, copy_tree, run_cli, run_json

from codeindex.app.service import CodeIndexService

DJANGO_SLICE = ["django/db/models", "django/utils"]


def _stop_workers(root: Path) -> None:
    for pid in background_workers(root):
        os.kill(pid, signal.SIGTERM)


def _wait_workers_gone(root: Path) -> None:
    deadline = time.monotonic() + 60
    while background_workers(root):
        assert time.monotonic() < deadline, "workers did not exit"
        time.sleep(0.05)


@pytest.fixture
def cobra_copy(cobra_template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(cobra_template, root, symlinks=True)
    return root


async def test_workers_killed_three_times_blame_no_file(
    django_src: Path, tmp_path: Path, tiny_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault 1: files in flight when something kills the worker are retried, never failed."""
    monkeypatch.setenv("CODEINDEX_WORKER_LINGER", "0")
    root = copy_tree(django_src, tmp_path / "dj", DJANGO_SLICE)
    service = await CodeIndexService.open(root)
    try:
        await service.start_session("lsp")
        resp = await service.force_reindex("project")
        kills: list[int] = []
        done_at_kill = -1
        async with asyncio.timeout(600):
            async for state in service.watch(resp["task_id"]):
                if state["status"] in ("Completed", "Failed", "Cancelled"):
                    break
                lease = await service.queue.live_lease()
                if (
                    len(kills) < 3
                    and lease is not None
                    and lease.pid not in kills
                    and state["items_completed"] > done_at_kill
                ):
                    os.kill(lease.pid, signal.SIGKILL)
                    kills.append(lease.pid)
                    done_at_kill = state["items_completed"]
        final = await service.get_reindex_status(resp["task_id"])
        assert len(kills) == 3
        assert final["status"] == "Completed", final["failures"]
        assert final["items_failed"] == 0
        assert final["items_completed"] == final["items_total"]
        assert (await service.validate())["ok"]
    finally:
        await service.close()
        _stop_workers(root)


async def test_a_file_that_kills_the_worker_alone_is_blamed_and_the_rest_indexed(
    cobra_copy: Path, tiny_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash is blamed on a file only when proven: it killed the worker while tried alone."""
    monkeypatch.setenv("CODEINDEX_WORKER_LINGER", "0")
    monkeypatch.setenv("CODEINDEX_FAULTS", "parse=cobra-go/args.go")
    service = await CodeIndexService.open(cobra_copy)
    try:
        resp = await service.force_reindex("directory", ["cobra-go"])
        async with asyncio.timeout(300):
            final = await service.wait(resp["task_id"])
        assert final["status"] == "Failed"
        assert [f["path"] for f in final["failures"]] == ["cobra-go/args.go"]
        assert "died 3 times while it processed this file alone" in final["failures"][0]["error"]
        assert final["items_completed"] == final["items_total"] - 1
    finally:
        await service.close()
        _stop_workers(cobra_copy)


def _damage_vectors(root: Path) -> None:
    files = [p for p in (root / ".codeindex" / "vectors").rglob("*.lance") if p.is_file()]
    assert files
    for path in files:
        path.write_bytes(os.urandom(max(path.stat().st_size, 64)))


def test_damaged_vectors_are_reported_searched_around_and_repaired(
    cobra_copy: Path, tiny_env: dict[str, str]
) -> None:
    """Fault 2: validate sees it; every search answers meanwhile; the damage is repaired.

    `validate` checks the vectors in the CLI's own process (no worker runs yet). The first
    search starts a worker, which finds the damage when it opens the table, sets it aside
    and embeds again: a search answers from full text with a note while the table cannot be
    read, or from the table being refilled; an explicit semantic search answers or says
    which reindex rebuilds the vectors. Never a failure.
    """
    env = cli_env(**tiny_env)
    _damage_vectors(cobra_copy)
    assert not background_workers(cobra_copy)
    report = run_json(cobra_copy, "validate", env=env)
    assert [p["kind"] for p in report["problems"]] == ["vectors_damaged"]
    assert report["problems"][0]["fix"] == {"scope": "embeddings-only"}
    for mode in ("hybrid", None):
        args = ["search", "parse flags", "--json"] + (["--mode", mode] if mode else [])
        proc = run_cli(cobra_copy, *args, env=env)
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert result["hits"]
        assert result["note"] is None or "showing full-text results" in result["note"]
    semantic = run_cli(cobra_copy, "search", "parse flags", "--mode", "semantic", env=env)
    assert semantic.returncode == 0 or (
        semantic.returncode == 3 and "embeddings-only" in semantic.stderr
    ), semantic.stderr
    repair = run_cli(
        cobra_copy,
        "reindex",
        "--scope",
        "embeddings-only",
        "--sync",
        "--json",
        env=env,
        timeout=300,
    )
    assert repair.returncode == 0, repair.stderr
    assert json.loads(repair.stdout)["status"] == "Completed"
    assert run_json(cobra_copy, "validate", env=env)["ok"]
    assert run_json(cobra_copy, "search", "parse flags", "--mode", "semantic", env=env)["hits"]
    assert list((cobra_copy / ".codeindex" / "vectors").glob("*.damaged-*"))  # kept, not deleted


def test_vectors_removed_while_a_worker_lingers_get_work_queued(
    cobra_copy: Path, tiny_env: dict[str, str]
) -> None:
    """Fault 3: pending embeddings always have work queued for them; validate sees the gap."""
    env = cli_env(**tiny_env, CODEINDEX_WORKER_LINGER="60")
    try:
        with (cobra_copy / "cobra-go/args.go").open("a", encoding="utf-8") as fh:
            fh.write("\nfunc LingerOne() {}\n")
        assert run_cli(cobra_copy, "index", env=env).returncode == 0
        assert background_workers(cobra_copy), "the worker should linger"
        shutil.rmtree(cobra_copy / ".codeindex" / "vectors")
        with (cobra_copy / "cobra-go/args.go").open("a", encoding="utf-8") as fh:
            fh.write("\nfunc LingerTwo() {}\n")
        assert run_cli(cobra_copy, "index", env=env).returncode == 0
        deadline = time.monotonic() + 300
        while True:
            status = run_json(cobra_copy, "status", env=env)
            if status["embeddings"]["chunks_pending"] == 0:
                break
            tasks = status["queue"]["tasks_by_status"]
            assert tasks.get("Queued", 0) + tasks.get("Running", 0) > 0, status
            assert time.monotonic() < deadline, status
            time.sleep(0.2)
        assert run_json(cobra_copy, "validate", env=env)["ok"]
    finally:
        _stop_workers(cobra_copy)


def test_a_bad_ignore_line_is_skipped_and_named(cobra_copy: Path) -> None:
    """Fault 4: one invalid pattern never stops index, validate or search."""
    (cobra_copy / "cobra-go" / ".gitignore").write_text("[z-a]\n*_test.go\n", encoding="utf-8")
    (cobra_copy / ".codeindexignore").write_text("\\\n!\n", encoding="utf-8")
    proc = run_cli(cobra_copy, "index")
    assert proc.returncode == 0, proc.stderr
    report = run_json(cobra_copy, "validate")
    assert "cobra-go/.gitignore:1: pattern '[z-a]'" in " ".join(report["warnings"])
    assert any(w.startswith(".codeindexignore:1") for w in report["warnings"])
    paths = {f["path"] for f in run_json(cobra_copy, "symbols", "Command", "--limit", "1000")}
    assert not any(p.endswith("_test.go") for p in paths)  # the other line still applies
    assert run_cli(cobra_copy, "search", "command").returncode == 0


def test_a_symlink_to_an_ancestor_never_indexes_files_twice(cobra_copy: Path) -> None:
    """Fault 5: `sub/up -> ..` is an alias of the root, not a second copy of it."""
    (cobra_copy / "sub").mkdir()
    (cobra_copy / "sub" / "up").symlink_to("..")
    proc = run_cli(cobra_copy, "reindex", "--scope", "directory", "sub/up", "--sync", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["scope"] == {"Directory": {"path": ".", "recursive": True}}
    status = run_json(cobra_copy, "status")
    assert not any(p["path"].startswith("sub/") for p in status["files"]["not_indexed"])
    report = run_json(cobra_copy, "validate")
    assert report["ok"], report["problems"]


def _read_only_mounts() -> bool:
    """Whether this process may bind-mount a folder read-only in a private mount namespace."""
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount --bind / /mnt && mount -o remount,bind,ro /mnt"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def test_a_read_only_index_reads_and_refuses_writes_clearly(cobra_copy: Path) -> None:
    """Fault 6: reading works from read-only storage; a write says read-only, not rebuild.

    The data dir is made read-only the way a read-only mount is (a bind mount, `ro`, in a
    private mount namespace): file permissions would not stop root.
    """
    if os.geteuid() != 0:
        pytest.skip("needs root for a private read-only mount (as non-root, chmod would do)")
    if not _read_only_mounts():
        pytest.skip("this machine refuses private mounts (unshare -m): cannot make one read-only")
    data = cobra_copy / ".codeindex"
    env = cli_env(CODEINDEX_ALLOW_DOWNLOAD="0")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = " ".join(
            ["exec", sys.executable, "-m", "codeindex", "--root", str(cobra_copy), *args]
        )
        script = f"mount --bind {data} {data} && mount -o remount,bind,ro {data} && {command}"
        return subprocess.run(
            ["unshare", "-m", "sh", "-c", script],
            capture_output=True,
            text=True,
            env=env,
            cwd=cobra_copy,
            check=False,
        )

    status = run("status", "--json")
    assert status.returncode == 0, status.stderr
    assert "read-only" in json.loads(status.stdout)["storage_note"]
    found = run("search", "command", "--mode", "lexical", "--json")
    assert found.returncode == 0 and json.loads(found.stdout)["hits"], found.stderr
    assert run("validate").returncode == 0
    write = run("reindex", "--scope", "project")
    assert write.returncode == 3
    assert "read-only" in write.stderr and "rebuild" not in write.stderr


@pytest.mark.parametrize(
    ("env_extra", "says"),
    [
        pytest.param(
            {"CODEINDEX_DATA_DIR": "/etc/hostname/x"}, "is a file, not a folder", id="under-a-file"
        ),
        pytest.param({}, "no index", id="never-indexed"),
    ],
)
def test_where_there_is_no_usable_index_reads_say_so_and_create_nothing(
    tmp_path: Path, env_extra: dict[str, str], says: str
) -> None:
    proc = run_cli(tmp_path, "status", env=cli_env(**env_extra))
    assert proc.returncode == 3, proc.stderr
    assert says in proc.stderr.lower() and "Traceback" not in proc.stderr
    assert not (tmp_path / ".codeindex").exists()


def test_a_damaged_index_is_kept_aside_and_rebuilt(polyglot_src: Path, tmp_path: Path) -> None:
    root = copy_tree(polyglot_src, tmp_path / "ws", ["cobra-go/args.go"])
    (root / ".codeindex").mkdir()
    (root / ".codeindex" / "index.db").write_bytes(b"garbage" * 1000)
    status = run_cli(root, "status")
    assert status.returncode == 3 and "damaged" in status.stderr
    assert run_cli(root, "index").returncode == 0
    report = run_json(root, "status")
    assert report["files"]["total"] == 1 and "damaged" in report["storage_note"]
    kept = list((root / ".codeindex").glob("index.db.damaged-*"))
    assert kept and kept[0].read_bytes().startswith(b"garbage")
    _wait_workers_gone(root)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        pytest.param(["--log-file", "/nonexistent/dir/x.log", "status"], "log file", id="log-file"),
        pytest.param(["--log-level", "bogus", "status"], "--log-level", id="log-level"),
        pytest.param(["tasks", "--limit", "-1"], "out of range", id="negative-limit"),
        pytest.param(["worker", "--linger", "-1"], "out of range", id="negative-linger"),
        pytest.param(["search", "x", "--lang", "klingon"], "languages in this index", id="lang"),
        pytest.param(["symbols", "Run", "--kind", "bogus"], "kinds in this index", id="kind"),
        pytest.param(["reindex", "--scope", "project", "a.go"], "takes no paths", id="project-p"),
        pytest.param(["resume", "{task}"], "not paused", id="resume-finished"),
        pytest.param(["cancel", "{task}"], "nothing to cancel", id="cancel-finished"),
    ],
)
def test_bad_input_is_refused_with_a_message(cobra_copy: Path, args: list[str], says: str) -> None:
    """Faults 7, 8, 11: each of these exits 2 with a message and no traceback."""
    task = run_json(cobra_copy, "tasks")[0]["task_id"]
    proc = run_cli(cobra_copy, *[a.replace("{task}", task) for a in args])
    assert proc.returncode == 2, proc.stderr
    assert says in proc.stderr and "Traceback" not in proc.stderr


def test_a_fractional_size_in_the_config_file_is_refused(cobra_copy: Path) -> None:
    """Fault 7: `max_file_size = 1.5` is not silently 1 byte."""
    (cobra_copy / ".codeindex.toml").write_text("[index]\nmax_file_size = 1.5\n", "utf-8")
    proc = run_cli(cobra_copy, "status")
    assert proc.returncode == 2
    assert "index.max_file_size" in proc.stderr and "1.5" in proc.stderr


def test_bench_on_an_empty_folder_says_so(tmp_path: Path, tiny_model_path: Path) -> None:
    """Fault 8."""
    (tmp_path / "empty").mkdir()
    proc = run_cli(tmp_path, "bench", str(tmp_path / "empty"), "--model-path", str(tiny_model_path))
    assert proc.returncode == 2 and "holds no files" in proc.stderr


def test_deep_nesting_is_not_silent(tmp_path: Path) -> None:
    """Fault 9: a tree nested deeper than the grammar follows says symbols may be missing."""
    lines = [f"{'    ' * i}def f{i}():" for i in range(600)] + [f"{'    ' * 600}pass"]
    (tmp_path / "deep.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run_cli(tmp_path, "index", str(tmp_path)).returncode == 0
    status = run_json(tmp_path, "status")
    assert status["files"]["with_syntax_errors"] == 1
    assert "symbols there may be missing" in status["files"]["syntax_errors"][0]["reason"]
    _wait_workers_gone(tmp_path)


def test_waiting_on_a_paused_task_says_so_and_can_time_out(
    cobra_copy: Path, tiny_env: dict[str, str]
) -> None:
    """Fault 10: `task --wait` on a paused task explains and stops at --timeout."""
    env = cli_env(**tiny_env)
    created = run_json(cobra_copy, "reindex", "--scope", "directory", "cobra-go", env=env)
    run_cli(cobra_copy, "pause", created["task_id"], env=env)
    proc = run_cli(cobra_copy, "task", created["task_id"], "--wait", "--timeout", "1", env=env)
    assert proc.returncode == 1
    assert "is paused" in proc.stderr and "did not end within 1 s" in proc.stderr
    run_cli(cobra_copy, "cancel", created["task_id"], env=env)
    _stop_workers(cobra_copy)


def test_an_interrupted_sync_reindex_says_the_task_goes_on(
    django_src: Path, tmp_path: Path, tiny_env: dict[str, str]
) -> None:
    """Fault 10: Ctrl-C of `reindex --sync` names the task and how to cancel it."""
    root = copy_tree(django_src, tmp_path / "dj", DJANGO_SLICE)
    proc = subprocess.Popen(
        [sys.executable, "-m", "codeindex", "--root", str(root), "index"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(**tiny_env),
        cwd=root,
    )
    try:
        deadline = time.monotonic() + 120
        while not (root / ".codeindex" / "index.db").exists() or not run_json(root, "tasks"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130
        task_id = run_json(root, "tasks")[0]["task_id"]
        assert f"task {task_id} goes on in the background" in err
        assert f"codeindex cancel {task_id}" in err
        run_cli(root, "cancel", task_id)
    finally:
        proc.kill()
        proc.communicate()
        _stop_workers(root)


def test_status_after_the_worker_died_says_what_happens_next(
    cobra_copy: Path, tiny_env: dict[str, str]
) -> None:
    """Fault 10: a Running task and no worker is explained."""
    env = cli_env(**tiny_env, CODEINDEX_FAULTS="parse")
    created = run_json(cobra_copy, "reindex", "--scope", "directory", "cobra-go", env=env)
    deadline = time.monotonic() + 120
    while True:
        task = run_json(cobra_copy, "task", created["task_id"])
        if task["status"] == "Running" and not background_workers(cobra_copy):
            break  # the worker died at the first file it parsed
        assert time.monotonic() < deadline, task
        time.sleep(0.05)
    proc = run_cli(cobra_copy, "status", env=cli_env(**tiny_env))
    assert "no worker runs" in proc.stdout and "go on" in proc.stdout
    run_cli(cobra_copy, "cancel", created["task_id"])


def test_odd_paths_are_printed_escaped(cobra_copy: Path) -> None:
    """Fault 11: a newline or an RTL override in a name does not act on the terminal."""
    for name in ("new\nline.go", "rtl\u202eog.go"):
        (cobra_copy / "cobra-go" / name).write_text("package cobra\n\nfunc Odd() {}\n", "utf-8")
    assert run_cli(cobra_copy, "index").returncode == 0
    out = run_cli(cobra_copy, "symbols", "Odd").stdout
    assert "new\\nline.go" in out and "rtl\\u202eog.go" in out
    assert "\u202e" not in out and "new\nline" not in out
    _wait_workers_gone(cobra_copy)


def test_a_model_path_naming_a_file_says_so(tmp_path: Path, tiny_model_path: Path) -> None:
    model_file = tiny_model_path / "model.onnx"
    env = cli_env(CODEINDEX_EMBED_MODEL_PATH=str(model_file))
    proc = run_cli(tmp_path, "model", "check", env=env)
    assert proc.returncode == 1
    assert "is a file, not a folder" in proc.stdout and str(tiny_model_path) in proc.stdout


def test_a_model_change_with_nothing_to_index_says_the_switch_started(
    cobra_copy: Path, minilm_path: Path
) -> None:
    """Fault 11: `index` after a model change does not answer only "nothing to do"."""
    env = cli_env(CODEINDEX_EMBED_MODEL_PATH=str(minilm_path), CODEINDEX_ALLOW_DOWNLOAD="0")
    resp: dict[str, Any] = run_json(cobra_copy, "index", env=env)
    assert "embedding model changed" in resp["message"]
    assert "codeindex tasks" in resp["message"]
    tasks = run_json(cobra_copy, "tasks", env=env)
    deadline = time.monotonic() + 120
    while not any(t["scope"] == "EmbeddingsOnly" for t in tasks):
        assert time.monotonic() < deadline, tasks
        time.sleep(0.1)
        tasks = run_json(cobra_copy, "tasks", env=env)
    for task in tasks:
        if task["status"] in ("Queued", "Running"):
            run_cli(cobra_copy, "cancel", task["task_id"], env=env)
    _stop_workers(cobra_copy)
