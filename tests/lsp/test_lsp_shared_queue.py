"""The language server, the MCP server and the CLI on one workspace at once: one queue, one
worker, every task done once, and no "database is locked" reaching anyone.

Both servers run as subprocesses driven by real clients (pytest-lsp's, the MCP SDK's stdio
client); the CLI runs as a subprocess too.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import suppress
from pathlib import Path
from typing import Any

from lsprotocol import types
from mcp import ClientSession
from pytest_lsp import client_capabilities
from tests.helpers import background_workers, run_cli
from tests.lsp.support import Session, start
from tests.mcp_client import call_ok, mcp_session, until_finished


def items_and_workers(
    root: Path, task_ids: list[str]
) -> tuple[dict[str, list[tuple[str, str, int]]], set[str]]:
    """Per task, (path, status, attempts) of each item; and the workers that claimed them.

    The idle worker forgets the items of all but the newest finished tasks (their counts
    stay): an old task may have no rows left.
    """
    db = sqlite3.connect(f"file:{root / '.codeindex' / 'index.db'}?mode=ro", uri=True)
    try:
        marks = ",".join("?" * len(task_ids))
        rows = db.execute(
            f"SELECT task_id, file_path, status, attempts, worker FROM reindexing_task_items "
            f"WHERE task_id IN ({marks})",
            task_ids,
        ).fetchall()
    finally:
        db.close()
    items: dict[str, list[tuple[str, str, int]]] = {t: [] for t in task_ids}
    for task_id, path, status, attempts, _ in rows:
        items[task_id].append((path, status, attempts))
    return items, {worker for *_, worker in rows if worker}


def found(answer: Any) -> list[Any]:
    """The hits or symbols in a search or symbol answer (a list, or a dict holding one)."""
    if isinstance(answer, list):
        return answer
    return list(answer.get("hits") or answer.get("symbols") or [])


async def watch_workers(root: Path, seen: list[list[int]], stop: asyncio.Event) -> None:
    """Sample the worker processes of `root` until `stop` is set."""
    while not stop.is_set():
        seen.append(await asyncio.to_thread(background_workers, root))
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.05)


async def test_a_task_created_through_mcp_shows_progress_in_the_editor_and_one_worker_runs(
    workspace: Path, tiny_server_env: dict[str, str], tiny_model_path: Path, tmp_path: Path
) -> None:
    lsp = await start(
        workspace,
        tiny_server_env,
        client_capabilities("visual-studio-code"),
        options={"watching": False},
    )
    seen: list[list[int]] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(watch_workers(workspace, seen, stop))
    try:
        async with mcp_session(
            tiny_model_path, tmp_path / "mcp.log", workspace=workspace, env=tiny_server_env
        ) as agent:
            created = await call_ok(
                agent,
                "force_reindex",
                {"scope": "directory", "paths": ["cobra-go"], "async": True},
            )
            task_id = created["task_id"]
            values = await lsp.task_ended(task_id)
            assert isinstance(values[0], types.WorkDoneProgressBegin)
            assert values[0].title == "Reindex directory cobra-go"
            n = created["items_total"]
            assert n > 10
            assert any(isinstance(v, types.WorkDoneProgressReport) for v in values)
            assert values[-1].message == f"completed: {n}/{n} files"
            final = await call_ok(agent, "get_reindex_status", {"task_id": task_id})
            assert final["status"] == "Completed" and final["items_completed"] == n
    finally:
        stop.set()
        await sampler
        await lsp.close()
    assert seen and len({pid for pids in seen for pid in pids}) == 1, seen
    items, workers = items_and_workers(workspace, [task_id])
    assert len(workers) == 1, workers
    assert all(status == "completed" and attempts == 1 for _, status, attempts in items[task_id])


async def test_editor_agent_and_cli_enqueue_and_query_at_once(
    workspace: Path, tiny_server_env: dict[str, str], tiny_model_path: Path, tmp_path: Path
) -> None:
    """Three rounds of everyone at once: the editor and the agent each reindex a folder and a
    file and search; the CLI reindexes a file and searches; statuses are read throughout."""
    lsp: Session = await start(
        workspace, tiny_server_env, client_capabilities("neovim"), options={"watching": False}
    )
    seen: list[list[int]] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(watch_workers(workspace, seen, stop))
    answers: list[tuple[str, Any]] = []
    task_ids: list[str] = []

    def cli(*args: str) -> Any:
        proc = run_cli(workspace, *args, "--json", env=tiny_server_env)
        assert proc.returncode == 0, f"codeindex {' '.join(args)}: {proc.stderr}"
        assert "locked" not in proc.stderr, proc.stderr
        return json.loads(proc.stdout)

    async def editor(round_: int) -> None:
        folder = ["cobra-go", "regex-rust/src", "rxjs-ts/src/internal/operators"][round_]
        task = await lsp.reindex(scope="directory", paths=[folder])
        task_ids.append(task["task_id"])
        one = await lsp.reindex(scope="file", paths=["cobra-go/command.go"], priority="high")
        task_ids.append(one["task_id"])
        answers.append(("lsp search", await lsp.command("codeindex.search", {"query": "Execute"})))
        answers.append(
            ("lsp symbols", await lsp.command("codeindex.findSymbol", {"name": "Command"}))
        )
        answers.append(("lsp status", await lsp.command("codeindex.indexStatus")))

    async def agent(session: ClientSession, round_: int) -> None:
        folder = ["regex-rust", "rxjs-ts/src/internal", "cobra-go"][round_]
        task = await call_ok(
            session, "force_reindex", {"scope": "directory", "paths": [folder], "async": True}
        )
        task_ids.append(task["task_id"])
        answers.append(
            ("mcp search", await call_ok(session, "search_code", {"query": "regex matcher"}))
        )
        answers.append(("mcp symbols", await call_ok(session, "find_symbol", {"name": "Regex"})))
        answers.append(("mcp status", await call_ok(session, "get_index_status", {})))

    async def terminal(round_: int) -> None:
        path = ["regex-rust/src/re_bytes.rs", "cobra-go/args.go", "rxjs-ts/src/index.ts"][round_]
        task = await asyncio.to_thread(cli, "reindex", "--scope", "file", path)
        task_ids.append(task["task_id"])
        answers.append(("cli search", await asyncio.to_thread(cli, "search", "subscribe")))
        answers.append(("cli status", await asyncio.to_thread(cli, "status")))

    try:
        async with mcp_session(
            tiny_model_path, tmp_path / "mcp.log", workspace=workspace, env=tiny_server_env
        ) as session:
            for round_ in range(3):
                await asyncio.gather(editor(round_), agent(session, round_), terminal(round_))
            finals = [await until_finished(session, task_id) for task_id in task_ids]
            report = await call_ok(session, "validate_index", {})
    finally:
        stop.set()
        await sampler
        await lsp.close()

    assert len(task_ids) == 12  # three rounds of two editor tasks, one agent, one CLI
    assert [f["status"] for f in finals] == ["Completed"] * 12, finals
    assert all(f["items_completed"] == f["items_total"] for f in finals), finals
    assert report["ok"], report["problems"]
    for name, value in answers:
        if "search" in name or "symbols" in name:
            assert found(value), f"{name} found nothing: {value}"
        assert "locked" not in json.dumps(value), (name, value)
    assert "locked" not in (tmp_path / "mcp.log").read_text("utf-8")
    # one worker process throughout: the sessions kept it, nobody started a second
    assert seen and len({pid for pids in seen for pid in pids}) == 1, seen
    items, workers = items_and_workers(workspace, task_ids)
    assert len(workers) == 1, workers
    assert any(items.values()), "no task kept its items"
    for task_id in task_ids:  # the items still recorded were each done once, none retried
        done = items[task_id]
        assert all(s == "completed" and a <= 1 for _, s, a in done), (task_id, done)
