"""CLI queries through the running worker's query socket, and without one: the same answers."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import background_workers, cli_env, open_in_process, run_cli

from codeindex.cli.fast import hit_line, query_request, symbol_line
from codeindex.cli.main import build_parser
from codeindex.errors import BadArgument, CodeIndexError
from codeindex.ipc import query_socket
from codeindex.ipc.query_socket import QueryServer

pytestmark = pytest.mark.slow  # starts codeindex processes or indexes a corpus

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
    while query_socket.ask(data_dir, "symbols", {"name": "Execute"}, timeout=5) is None:
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


async def _in_process(root: Path, model: str) -> dict[tuple[str, ...], Any]:
    """What a worker answers each query and refusal with, computed in this process."""
    service = await open_in_process(
        root, {"embedding.model_path": model, "embedding.allow_download": False}, mode="none"
    )
    host = service.local
    assert host is not None
    answers: dict[tuple[str, ...], Any] = {}
    try:
        for args in [p.values[0] for p in QUERIES] + REFUSED:
            with contextlib.chdir(root):  # the CLI runs from the root: paths are from there
                request = query_request(_parse(args))
            try:
                answers[args] = _without_timing(await host.answer(args[0], request))
            except CodeIndexError as exc:
                answers[args] = str(exc)
    finally:
        await service.close()
    return answers


def _parse(args: tuple[str, ...]) -> argparse.Namespace:
    return build_parser().parse_args(list(args))


def test_cli_queries_answer_through_a_running_worker_with_the_same_hits(
    served_workspace: Any,
) -> None:
    """With a worker running, the CLI's fast path gives exactly what the worker's code gives
    in-process, as JSON and as text; refusals keep their message and exit code."""
    root, env = served_workspace
    expected = asyncio.run(_in_process(root, env["CODEINDEX_EMBED_MODEL_PATH"]))
    worker = _start_worker(root, env)
    try:
        for params in QUERIES:
            args = params.values[0]
            proc = run_cli(root, "--log-level", "DEBUG", *args, "--json", env=env)
            assert proc.returncode == 0, proc.stderr
            assert SERVED in proc.stderr, args
            answer = _without_timing(json.loads(proc.stdout))
            assert answer == expected[args], args
            assert answer["hits"] if isinstance(answer, dict) else answer, args
            hits = answer["hits"] if isinstance(answer, dict) else answer
            lines = [hit_line(h) if args[0] == "search" else symbol_line(h) for h in hits]
            assert run_cli(root, *args, env=env).stdout.splitlines() == lines
        for args in REFUSED:  # the same message and exit code as in-process
            proc = run_cli(root, "--log-level", "DEBUG", *args, env=env)
            assert SERVED in proc.stderr
            assert proc.returncode == 2
            assert expected[args] in proc.stderr
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
    assert "codeindex.cli.fast" in imported
    assert not HEAVY & {name.split(".")[0] for name in imported}
    assert "Execute" in timed.stdout


def test_a_semantic_query_with_no_worker_starts_one_and_gets_its_answer(
    served_workspace: Any,
) -> None:
    """No worker runs: the CLI starts one (it loads the model) and prints its answer, not a
    full-text fallback; the worker leaves once idle."""
    root, env = served_workspace
    assert not background_workers(root)
    proc = run_cli(root, "search", "execute the command", "--mode", "semantic", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["mode"] == "semantic" and answer["hits"] and answer["note"] is None
    deadline = time.monotonic() + 60
    while background_workers(root):
        assert time.monotonic() < deadline, "the worker the query started did not leave"
        time.sleep(0.05)


async def _ask(data_dir: Path, op: str, args: dict[str, Any], wait: float = 5) -> Any:
    return await asyncio.to_thread(query_socket.ask, data_dir, op, args, wait)


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
        assert answer == {
            "v": query_socket.PROTOCOL,
            "ok": True,
            "result": {"op": "symbols", "args": {"name": "x"}},
        }
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
