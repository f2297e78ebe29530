"""Day-one faults a new user hits on the command line, each through the real CLI: numbers on
the command line, paths from a subfolder, a Python project's folder as the cwd, `--help`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.helpers import cli_env
from tests.in_process import run_main

from codeindex.ipc import query_socket

pytestmark = pytest.mark.slow

CODEINDEX = Path(sys.executable).parent / "codeindex"  # the console script a user runs


@pytest.fixture
def cobra_ws(cobra_template: Path, tmp_path: Path, tiny_env: dict[str, str]) -> Path:
    """An indexed copy of cobra-go, no process running on it."""
    root = tmp_path / "ws"
    shutil.copytree(cobra_template, root, symlinks=True)
    return root


def _last_task(root: Path) -> str:
    tasks = json.loads(run_main(root, "tasks", "--json").stdout)
    return str(tasks[0]["task_id"])


@pytest.mark.parametrize("timeout", ["0", "0.0"])
def test_waiting_zero_seconds_for_a_finished_task_is_no_timeout(
    cobra_ws: Path, timeout: str
) -> None:
    task = _last_task(cobra_ws)
    proc = run_main(cobra_ws, "task", task, "--wait", "--timeout", timeout)
    assert proc.returncode == 0, proc.stderr
    assert "did not end" not in proc.stderr and "Completed" in proc.stdout


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_a_timeout_that_is_not_a_number_of_seconds_is_refused(cobra_ws: Path, value: str) -> None:
    proc = run_main(cobra_ws, "task", _last_task(cobra_ws), "--wait", "--timeout", value)
    assert proc.returncode == 2, proc.stderr
    assert "--timeout" in proc.stderr


def test_search_path_is_relative_to_the_folder_the_user_stands_in(cobra_ws: Path) -> None:
    sub = cobra_ws / "cobra-go" / "doc"
    proc = run_main(
        cobra_ws,
        "search",
        "deprecated",
        "--mode",
        "lexical",
        "--path",
        "util.go",
        "--json",
        cwd=sub,
    )
    assert proc.returncode == 0, proc.stderr
    hits = json.loads(proc.stdout)["hits"]
    assert hits and {h["path"] for h in hits} == {"cobra-go/doc/util.go"}
    from_root = run_main(
        cobra_ws,
        "search",
        "deprecated",
        "--mode",
        "lexical",
        "--path",
        "cobra-go/doc/util.go",
        "--json",
    )
    assert json.loads(from_root.stdout)["hits"] == hits


def test_a_types_py_in_the_folder_the_user_stands_in_shadows_nothing(
    tmp_path: Path, tiny_model_path: Path
) -> None:
    """The worker starts with `python -P`: the caller's folder is not first on its path."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "types.py").write_text("raise SystemExit('shadowed the standard library')\n", "utf-8")
    (root / "app.py").write_text("def main():\n    return 1\n", encoding="utf-8")
    env = cli_env(CODEINDEX_EMBED_MODEL_PATH=str(tiny_model_path), CODEINDEX_ALLOW_DOWNLOAD="0")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(CODEINDEX), *args],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    proc = run("index")
    assert proc.returncode == 0, proc.stderr
    status = json.loads(run("status", "--json").stdout)
    assert status["files"]["total"] == 2
    assert status["embeddings"]["chunks_pending"] == 0  # the worker ran, and embedded


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_import_no_server_code(tmp_path: Path, flag: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "codeindex", flag],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()}
    heavy = {
        m
        for m in imported
        if m.startswith(("codeindex.app", "codeindex.lsp", "codeindex.bench", "codeindex.worker"))
        or m.split(".")[0] in ("pygls", "mcp", "lancedb", "rich", "aiosqlite", "numpy")
    }
    assert not heavy, sorted(heavy)


def _serving_worker(root: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A foreground `codeindex worker` on ROOT, once it answers queries."""
    log = root.parent / "worker.log"
    worker = subprocess.Popen(
        [str(CODEINDEX), "--root", str(root), "--log-file", str(log), "worker"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    data_dir = root / ".codeindex"
    deadline = time.monotonic() + 60
    while query_socket.ask(data_dir, "symbols", {"name": "Execute"}, timeout=5) in (
        None,
        query_socket.LATE,
    ):
        assert worker.poll() is None, log.read_text(encoding="utf-8")
        assert time.monotonic() < deadline, "the worker never served queries"
        time.sleep(0.05)
    return worker


def test_a_worker_whose_workspace_was_removed_stops_and_writes_nothing_there(
    cobra_ws: Path, tiny_model_path: Path
) -> None:
    env = cli_env(CODEINDEX_EMBED_MODEL_PATH=str(tiny_model_path), CODEINDEX_ALLOW_DOWNLOAD="0")
    worker = _serving_worker(cobra_ws, env)  # a foreground worker: it would stay for ever
    try:
        shutil.rmtree(cobra_ws)
        started = time.monotonic()
        code = worker.wait(timeout=30)
        took = time.monotonic() - started
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert code == 0 and took < 10, (code, took)
    assert not cobra_ws.exists()  # no .codeindex/vectors re-created in the removed path
    log = (cobra_ws.parent / "worker.log").read_text(encoding="utf-8")
    assert "was removed" in log, log[-2000:]


def test_a_frozen_worker_does_not_stall_a_search(cobra_ws: Path, tiny_model_path: Path) -> None:
    """SIGSTOP the worker: searches answer at once from the CLI's own read of the index
    (full text and symbols), saying the semantic part is late (was 15-17 s each)."""
    env = cli_env(CODEINDEX_EMBED_MODEL_PATH=str(tiny_model_path), CODEINDEX_ALLOW_DOWNLOAD="0")
    worker = _serving_worker(cobra_ws, env)

    def timed(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
        started = time.monotonic()
        proc = subprocess.run(
            [str(CODEINDEX), "--root", str(cobra_ws), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return proc, time.monotonic() - started

    os.kill(worker.pid, signal.SIGSTOP)
    try:
        hybrid, hybrid_took = timed("search", "execute command")
        symbols, symbols_took = timed("symbols", "Execute")
    finally:
        os.kill(worker.pid, signal.SIGCONT)
        worker.terminate()
        worker.wait(timeout=30)
    assert hybrid.returncode == 0, hybrid.stderr
    assert "command.go" in hybrid.stdout and "not responding" in hybrid.stderr
    assert symbols.returncode == 0 and "Execute" in symbols.stdout, symbols.stderr
    # 1 s for the acknowledgement, then a process start on a shared machine
    assert hybrid_took < 6 and symbols_took < 6, (hybrid_took, symbols_took)


def test_sigterm_during_a_long_model_load_ends_the_worker_and_the_next_one_serves(
    tmp_path: Path, tiny_model_path: Path
) -> None:
    """The model load runs in a thread nothing interrupts (ONNX Runtime creating its
    session); a SIGTERM then ends the worker within seconds, not when the load ends (it
    used to wait: with `embedding.threads = 100000`, for ever)."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text("def main():\n    return 1\n", encoding="utf-8")
    env = cli_env(CODEINDEX_EMBED_MODEL_PATH=str(tiny_model_path), CODEINDEX_ALLOW_DOWNLOAD="0")
    log = tmp_path / "worker.log"
    # a worker holding the lease, whose model load would take 2 minutes
    worker = _serving_worker(root, {**env, "CODEINDEX_STALLS": "load=120"})
    try:
        queued = run_main(root, "reindex", "--scope", "project", env=env)
        assert queued.returncode == 0, queued.stderr
        deadline = time.monotonic() + 60
        while "stalling" not in (log.read_text(encoding="utf-8") if log.exists() else ""):
            assert worker.poll() is None, log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "the worker never loaded the model"
            time.sleep(0.05)
        started = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=30)
        took = time.monotonic() - started
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert code == 0 and took < 10, (code, took, log.read_text(encoding="utf-8")[-2000:])
    assert "cannot be interrupted" in log.read_text(encoding="utf-8")
    # the next worker takes over at once (the lease's process is gone) and embeds
    assert run_main(root, "index", env=env).returncode == 0
    status = json.loads(run_main(root, "status", "--json", env=env).stdout)
    assert status["files"]["by_status"] == {"indexed": 1}, status["files"]
    deadline = time.monotonic() + 60
    while status["embeddings"]["chunks_pending"]:
        assert time.monotonic() < deadline, status["embeddings"]
        time.sleep(0.1)
        status = json.loads(run_main(root, "status", "--json", env=env).stdout)
