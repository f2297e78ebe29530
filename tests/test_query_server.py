"""CLI queries through the running worker's query socket, and without one: the same answers."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import cli_env, run_cli

from codeindex import query_server
from codeindex.errors import BadArgument
from codeindex.query_server import QueryServer

SERVED = "answered by the query server"
QUERIES = [
    pytest.param(("search", "add a sub command to the root"), id="hybrid"),
    pytest.param(("search", "execute the command", "--mode", "semantic"), id="semantic"),
    pytest.param(("search", "AddCommand", "--mode", "lexical", "--limit", "5"), id="lexical"),
    pytest.param(("search", "flags", "--path", "cobra-go/doc", "--limit", "3"), id="path"),
    pytest.param(("symbols", "Execute", "--match", "prefix"), id="symbols"),
]


def _without_timing(data: Any) -> Any:
    if isinstance(data, dict):
        data.pop("elapsed_ms", None)
    return data


@pytest.fixture(scope="module")
def served_workspace(
    cobra_template: Path, tiny_model_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    """A copy of indexed cobra, and an env whose CLI runs find no worker until one starts."""
    root = tmp_path_factory.mktemp("served") / "ws"
    shutil.copytree(cobra_template, root, symlinks=True)
    env = cli_env(CODEINDEX_EMBED_MODEL_PATH=str(tiny_model_path), CODEINDEX_ALLOW_DOWNLOAD="0")
    return root, env


def _start_worker(root: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = root.parent / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "codeindex", "--root", str(root), "--log-file", str(log), "worker"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    data_dir = root / ".codeindex"
    deadline = time.monotonic() + 60
    while query_server.ask(data_dir, "symbols", {"name": "Execute"}, timeout=5) is None:
        assert worker.poll() is None, log.read_text(encoding="utf-8")
        assert time.monotonic() < deadline, "the worker never served queries"
        time.sleep(0.05)
    return worker


REFUSED = [
    ("search", "x" * 5000),
    ("search", "!!!"),
    ("search", "x", "--path", "../outside"),
]
HEAVY = {"lancedb", "fastembed", "onnxruntime", "numpy", "aiosqlite", "tree_sitter", "rich"}


def test_cli_queries_answer_through_a_running_worker_with_the_same_hits(
    served_workspace: Any,
) -> None:
    root, env = served_workspace
    alone: dict[tuple[str, ...], Any] = {}
    for params in QUERIES:
        args = params.values[0]
        proc = run_cli(root, "--log-level", "DEBUG", *args, "--json", env=env)
        assert proc.returncode == 0, proc.stderr
        assert SERVED not in proc.stderr
        alone[args] = _without_timing(json.loads(proc.stdout))
        alone[(*args, "text")] = run_cli(root, *args, env=env).stdout
    for args in REFUSED:
        proc = run_cli(root, *args, env=env)
        assert proc.returncode == 2 and "error:" in proc.stderr, proc.stderr
        alone[args] = proc.stderr.strip().splitlines()[-1]
    worker = _start_worker(root, env)
    try:
        for params in QUERIES:
            args = params.values[0]
            proc = run_cli(root, "--log-level", "DEBUG", *args, "--json", env=env)
            assert proc.returncode == 0, proc.stderr
            assert SERVED in proc.stderr, args
            answer = _without_timing(json.loads(proc.stdout))
            assert answer == alone[args], args
            assert answer["hits"] if isinstance(answer, dict) else answer, args
            assert run_cli(root, *args, env=env).stdout == alone[(*args, "text")]
        for args in REFUSED:  # the same message and exit code as in-process
            proc = run_cli(root, "--log-level", "DEBUG", *args, env=env)
            assert SERVED in proc.stderr
            assert proc.returncode == 2
            assert alone[args] in proc.stderr
        timed = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "codeindex", "symbols", "Execute"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in timed.stderr.splitlines()}
    assert "codeindex.entry" in imported
    assert not HEAVY & {name.split(".")[0] for name in imported}
    assert "Execute" in timed.stdout


async def _ask(data_dir: Path, op: str, args: dict[str, Any], wait: float = 5) -> Any:
    return await asyncio.to_thread(query_server.ask, data_dir, op, args, wait)


async def test_the_server_answers_refuses_and_bounds(tmp_path: Path) -> None:
    release = asyncio.Event()

    async def handler(op: str, args: dict[str, Any]) -> Any:
        if args.get("hang"):
            await release.wait()
        if args.get("bad"):
            raise BadArgument("limit must be between 1 and 1000; got 0")
        return {"op": op, "args": args}

    server = QueryServer(tmp_path, handler)
    assert await server.open()
    assert not await QueryServer(tmp_path, handler).open()  # one server per data dir
    try:
        answer = await _ask(tmp_path, "symbols", {"name": "x"})
        assert answer == {"v": 1, "ok": True, "result": {"op": "symbols", "args": {"name": "x"}}}
        refused = await _ask(tmp_path, "search", {"bad": True})
        assert refused["ok"] is False
        assert refused["error"]["code"] == "bad_argument"
        assert refused["error"]["exit_code"] == 2
        assert "limit must be" in refused["error"]["message"]
        assert (await _ask(tmp_path, "drop", {}))["ok"] is False
        assert await _ask(tmp_path, "search", {"big": "x" * (70 << 10)}) is None
        assert await _ask(tmp_path, "search", {"hang": True}, wait=0.3) is None
        release.set()
    finally:
        await server.close()
    assert await _ask(tmp_path, "symbols", {"name": "x"}) is None  # nobody listens: fall back
