"""The MCP server end to end: tools, schemas, results, progress, cancellation and roots
over the SDK's in-memory transport (the server built in this process, as `codeindex mcp`
builds it); a second server process sharing the queue and the worker, and a server with no
workspace refusing to start, with `python -m codeindex mcp` and the SDK's stdio client; an
agent killed mid sync reindex, spoken to line by line.

Real SQLite, LanceDB, tree-sitter, worker processes and the tiny ONNX model on copies of
the polyglot corpus, indexed once per session.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import jsonschema
import mcp_types as types
import pytest
from mcp.client.session import ClientRequestContext
from mcp.shared.exceptions import MCPError
from tests.helpers import background_workers, copy_tree, run_cli
from tests.mcp_client import (
    call_ok,
    mcp_memory,
    mcp_session,
    serve_here,
    server_env,
    until_finished,
)

pytestmark = pytest.mark.slow  # starts codeindex processes or indexes a corpus

TASK_ID = re.compile(r"^reindex_\d{14}_[0-9a-f]{8}$")
READ_ONLY = {
    "get_reindex_status",
    "list_reindex_tasks",
    "get_index_status",
    "validate_index",
    "search_code",
    "find_symbol",
    "get_file_outline",
    "get_symbol",
    "find_references",
}
WRITING = {"force_reindex", "pause_reindex", "resume_reindex", "cancel_reindex"}


@pytest.fixture
def workspace(polyglot_ws: Path) -> Path:
    """An indexed copy of the polyglot corpus (the server's workspace)."""
    return polyglot_ws


@pytest.fixture(autouse=True)
def here(monkeypatch: pytest.MonkeyPatch, tiny_model_path: Path) -> None:
    """This process has the server's environment: the in-memory servers run here."""
    serve_here(monkeypatch, tiny_model_path)


async def test_tools_list_shows_schemas_and_annotations(workspace: Path) -> None:
    async with mcp_memory(workspace) as s:
        listed = (await s.list_tools()).tools
    tools = {t.name: t for t in listed}
    assert set(tools) == READ_ONLY | WRITING
    for tool in listed:
        assert tool.description and len(tool.description) > 40, tool.name
        assert tool.input_schema["type"] == "object"
        assert tool.input_schema["additionalProperties"] is False
        assert tool.output_schema is not None and tool.output_schema["type"] == "object"
        jsonschema.Draft202012Validator.check_schema(tool.input_schema)
        jsonschema.Draft202012Validator.check_schema(tool.output_schema)
        notes = tool.annotations
        assert notes is not None
        assert notes.read_only_hint is (tool.name in READ_ONLY), tool.name
        assert notes.destructive_hint is False
        assert notes.idempotent_hint is True
        for name, prop in tool.input_schema["properties"].items():
            assert prop.get("description"), f"{tool.name}.{name} has no description"

    reindex = tools["force_reindex"].input_schema
    assert reindex["required"] == ["scope"]
    props = reindex["properties"]
    assert set(props) == {
        "scope",
        "paths",
        "priority",
        "embeddings_only",
        "async",
        "incremental",
        "recursive",
        "root",  # which workspace, when the server serves several (every tool has it)
    }
    assert props["root"]["type"] == "string"
    assert props["scope"]["enum"] == ["file", "files", "directory", "project", "embeddings-only"]
    assert props["priority"] == props["priority"] | {
        "enum": ["high", "normal", "low"],
        "default": "normal",
    }
    assert (props["async"]["default"], props["incremental"]["default"]) == (True, False)
    assert (props["embeddings_only"]["default"], props["recursive"]["default"]) == (False, True)
    assert props["paths"]["items"]["type"] == "string" and props["paths"]["maxItems"] == 10_000
    search = tools["search_code"].input_schema["properties"]
    assert search["mode"]["enum"] == ["hybrid", "semantic", "lexical"]
    assert tools["find_symbol"].input_schema["properties"]["match"]["enum"] == [
        "auto",
        "exact",
        "prefix",
        "substring",
    ]
    out = tools["force_reindex"].output_schema
    assert out is not None
    assert set(out["required"]) >= {"task_id", "scope", "status", "items_total", "result"}


async def test_search_answers_an_agent_can_act_on_without_opening_the_file(
    workspace: Path,
) -> None:
    async with mcp_memory(workspace) as s:
        asked = {"query": "Command::ExecuteC", "mode": "lexical", "limit": 3}
        method = await call_ok(s, "search_code", asked | {"context_lines": 2})
        first = method["hits"][0]
        assert first["path"] == "cobra-go/command.go", method["hits"]
        assert first["signature"].startswith("func (c *Command) ExecuteC("), first
        assert first["symbol_kind"] == "method" and first["file_kind"] == "source"
        assert first["symbol"] == "Command.ExecuteC", first  # what get_symbol takes
        # two lines each side of the best line, within the chunk
        context, start = first["context"].split("\n"), first["context_start_line"]
        assert start == max(first["start_line"], first["line"] - 2)
        assert start + len(context) - 1 == min(first["end_line"], first["line"] + 2)
        assert first["snippet"] in context[first["line"] - start] and len(context) >= 3
        # by default the tool's hits come without context lines, within 300 tokens (so
        # more hits fit than with context lines)
        short = await call_ok(s, "search_code", asked)
        assert short["hits"][0] == first | {"context": None, "context_start_line": None}
        assert len(json.dumps(short)) <= 300 * 4 and len(short["hits"]) > len(method["hits"])

        where = await call_ok(
            s,
            "search_code",
            {"query": "shell completion for flags", "output": "paths", "source_only": True},
        )
        assert where["output"] == "paths" and where["hits"] == [] and len(where["files"]) == 10
        assert all(f["file_kind"] == "source" and f["hits"] == [] for f in where["files"])
        assert len({f["path"] for f in where["files"]}) == 10

        grouped = await call_ok(
            s, "search_code", {"query": "regex", "output": "files", "path": ["regex-rust/src"]}
        )
        assert grouped["files"] and all(
            f["path"].startswith("regex-rust/src/") and 1 <= len(f["hits"]) <= 3
            for f in grouped["files"]
        )

        budget = await call_ok(
            s,
            "search_code",
            {"query": "command", "mode": "lexical", "limit": 50, "max_tokens": 400},
        )
        assert budget["truncated"] and 1 <= len(budget["hits"]) < 50
        roomy = await call_ok(
            s,
            "search_code",
            {"query": "command", "mode": "lexical", "limit": 50, "max_tokens": 100_000},
        )
        assert len(roomy["hits"]) == 50 and not roomy["truncated"]
        assert len(json.dumps(budget)) <= 400 * 4 < len(json.dumps(roomy))
        default = await call_ok(
            s, "search_code", {"query": "command", "mode": "lexical", "limit": 50}
        )
        assert default["truncated"] and 1 <= len(default["hits"]) < len(budget["hits"])
        assert len(json.dumps(default)) <= 300 * 4


async def test_every_tool_works_and_matches_its_output_schema(workspace: Path) -> None:
    async with mcp_memory(workspace) as s:
        status = await call_ok(s, "get_index_status", {})
        assert status["workspace"] == str(workspace)
        assert status["files"]["by_status"]["indexed"] > 300
        assert status["embeddings"]["chunks_pending"] == 0

        report = await call_ok(s, "validate_index", {})
        assert report["ok"] is True, report

        found = await call_ok(s, "search_code", {"query": "NonInheritedFlags", "mode": "lexical"})
        assert found["mode"] == "lexical"
        assert any(h["path"].startswith("cobra-go/") for h in found["hits"])
        semantic = await call_ok(
            s,
            "search_code",
            {
                "query": "parse command line flags",
                "mode": "semantic",
                "limit": 3,
                "max_tokens": 2000,
            },
        )
        assert len(semantic["hits"]) == 3 and semantic["model"]
        scoped = await call_ok(
            s, "search_code", {"query": "error", "path": "regex-rust", "language": "rust"}
        )
        assert scoped["hits"] and all(h["path"].startswith("regex-rust/") for h in scoped["hits"])

        symbols = (await call_ok(s, "find_symbol", {"name": "Execute", "match": "exact"}))[
            "symbols"
        ]
        assert {"cobra-go/command.go"} <= {h["path"] for h in symbols}
        assert all(h["name"].lower() == "execute" for h in symbols)
        kinds = await call_ok(
            s, "find_symbol", {"name": "Comm", "match": "prefix", "kind": "struct"}
        )
        assert kinds["symbols"] and all(h["kind"] == "struct" for h in kinds["symbols"])

        # a task to control: a full project reindex, async (the default)
        created = await call_ok(s, "force_reindex", {"scope": "project", "priority": "low"})
        task_id = created["task_id"]
        assert TASK_ID.match(task_id) and created["result"] is None
        paused = await call_ok(s, "pause_reindex", {"task_id": task_id})
        assert paused["status"] == "Paused"
        listed = await call_ok(s, "list_reindex_tasks", {"status": "Paused"})
        assert [t["task_id"] for t in listed["tasks"]] == [task_id]
        resumed = await call_ok(s, "resume_reindex", {"task_id": task_id})
        assert resumed["status"] in ("Queued", "Running")
        cancelled = await call_ok(s, "cancel_reindex", {"task_id": task_id})
        assert cancelled["status"] == "Cancelled"
        final = await call_ok(s, "get_reindex_status", {"task_id": task_id})
        assert final["status"] == "Cancelled" and final["items_cancelled"] > 0
        newest = await call_ok(s, "list_reindex_tasks", {"limit": 1})
        assert [t["task_id"] for t in newest["tasks"]] == [task_id]


def _drift(workspace: Path) -> None:
    """A file changed, one deleted, one added: what validate_index must find."""
    (workspace / "cobra-go" / "args.go").write_text(
        "package cobra\n\nfunc BrandNewMcpCheck() {}\n", encoding="utf-8"
    )
    (workspace / "cobra-go" / "cobra.go").unlink()
    (workspace / "rxjs-ts" / "fresh.ts").write_text(
        "export function freshlyAdded() {}\n", encoding="utf-8"
    )


async def test_validate_gives_fixes_that_force_reindex_takes_as_they_are(workspace: Path) -> None:
    _drift(workspace)
    async with mcp_memory(workspace) as s:
        report = await call_ok(s, "validate_index", {})
        assert not report["ok"]
        assert {p["kind"] for p in report["problems"]} >= {"changed", "deleted", "new"}
        for problem in report["problems"]:
            fixed = await call_ok(s, "force_reindex", {**problem["fix"], "async": False})
            assert fixed["status"] == "Completed", fixed
        hits = await call_ok(s, "find_symbol", {"name": "BrandNewMcpCheck"})
        assert [h["path"] for h in hits["symbols"]] == ["cobra-go/args.go"]
        assert (await call_ok(s, "find_symbol", {"name": "freshlyAdded"}))["symbols"]
    async with mcp_memory(workspace) as s:
        report = await call_ok(s, "validate_index", {})
    assert report["ok"] is True, report


async def test_validate_in_a_running_server_sees_vectors_the_worker_wrote(workspace: Path) -> None:
    async with mcp_memory(workspace) as s:
        assert (await call_ok(s, "validate_index", {}))["ok"] is True
        _drift(workspace)
        for problem in (await call_ok(s, "validate_index", {}))["problems"]:
            await call_ok(s, "force_reindex", {**problem["fix"], "async": False})
        report = await call_ok(s, "validate_index", {})
    assert report["ok"] is True, report


async def test_sync_reindex_streams_progress_and_returns_the_result(workspace: Path) -> None:
    reports: list[tuple[float, float | None, str | None]] = []
    done = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        reports.append((progress, total, message))
        if progress == total:
            done.set()

    async with mcp_memory(workspace) as s:
        result = await s.call_tool(
            "force_reindex", {"scope": "project", "async": False}, progress_callback=on_progress
        )
        with anyio.fail_after(30):  # notifications race the answer on the client side
            await done.wait()
    assert not result.is_error, result.content
    resp = result.structured_content
    assert isinstance(resp, dict)
    assert TASK_ID.match(resp["task_id"]) and resp["scope"] == "Project"
    assert resp["status"] == "Completed" and resp["items_queued"] == 0
    outcome = resp["result"]
    assert outcome["items_completed"] == resp["items_total"] > 300
    assert outcome["items_failed"] == 0 and outcome["failures"] == []
    assert outcome["summary"]["files_processed"] == resp["items_total"]
    assert outcome["summary"]["symbols_extracted"] > 1000

    values = [p for p, _, _ in reports]
    assert len(values) >= 3, reports
    assert values == sorted(set(values)), "progress must rise with each notification"
    assert all(total == 100.0 for _, total, _ in reports)
    assert values[-1] == 100.0
    files = [m.rsplit("now ", 1)[1] for _, _, m in reports if m and "now " in m]
    assert files and all((workspace / f).is_file() for f in files), reports
    assert reports[-1][2] == f"Completed: {resp['items_total']}/{resp['items_total']} files done"


async def test_async_reindex_returns_a_task_that_completes(workspace: Path) -> None:
    target = workspace / "regex-rust"
    async with mcp_memory(workspace) as s:
        created = await call_ok(
            s,
            "force_reindex",
            {"scope": "directory", "paths": [str(target)], "priority": "high", "async": True},
        )
        assert created["status"] in ("Queued", "Running") and created["result"] is None
        assert created["scope"] == {"Directory": {"path": "regex-rust", "recursive": True}}
        final = await until_finished(s, created["task_id"])
    assert final["status"] == "Completed"
    assert final["items_completed"] == final["items_total"] == created["items_total"] > 10
    assert final["progress"] == 1.0 and final["priority"] == "high"


async def test_a_second_server_shares_the_queue_and_the_worker(
    workspace: Path, tiny_model_path: Path, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    async with mcp_session(tiny_model_path, log, workspace=workspace) as first:
        with anyio.fail_after(120):  # the session's worker process takes the lease
            while True:
                status = await call_ok(first, "get_index_status", {})
                if status["queue"]["worker"] is not None:
                    break
                await anyio.sleep(0.1)
        serving = set(background_workers(workspace))
        assert len(serving) == 1
        async with mcp_session(tiny_model_path, log, workspace=workspace) as second:
            created = await call_ok(second, "force_reindex", {"scope": "project"})
            seen = await call_ok(first, "list_reindex_tasks", {"limit": 1})
            assert [t["task_id"] for t in seen["tasks"]] == [created["task_id"]]
            workers = set(serving)
            with anyio.fail_after(300):
                while True:
                    workers.update(background_workers(workspace))
                    info = await call_ok(
                        first, "get_reindex_status", {"task_id": created["task_id"]}
                    )
                    if info["status"] in ("Completed", "Failed", "Cancelled"):
                        break
                    await anyio.sleep(0.1)
            assert info["status"] == "Completed"
            assert workers == serving, f"worker processes seen: {sorted(workers)}"


async def test_a_cancelled_sync_call_cancels_its_task(polyglot_src: Path, tmp_path: Path) -> None:
    fresh = copy_tree(polyglot_src, tmp_path / "fresh")  # never indexed: a long first index
    running = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        if 0 < progress < 100:
            running.set()

    async with mcp_memory(fresh) as s:
        async with anyio.create_task_group() as group:

            async def reindex() -> None:
                await s.call_tool(
                    "force_reindex",
                    {"scope": "project", "async": False},
                    progress_callback=on_progress,
                )
                raise AssertionError("the call ended before it was cancelled")

            group.start_soon(reindex)
            with anyio.fail_after(120):
                await running.wait()
            group.cancel_scope.cancel()  # the client sends notifications/cancelled

        (task,) = (await call_ok(s, "list_reindex_tasks", {"limit": 1}))["tasks"]
        final = await until_finished(s, task["task_id"], within=60)
        assert final["status"] == "Cancelled"
        assert final["items_completed"] < final["items_total"]
        # the server goes on serving
        assert (await call_ok(s, "get_index_status", {}))["workspace"] == str(fresh)


async def test_client_roots_choose_the_workspace(
    workspace: Path, tiny_model_path: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = workspace / "cobra-go"
    asked = anyio.Event()

    async def roots(context: ClientRequestContext) -> types.ListRootsResult:
        asked.set()
        return types.ListRootsResult(
            roots=[types.Root(uri=target.as_uri(), name="cobra")]  # type: ignore[arg-type]
        )

    async with mcp_memory(None, list_roots=roots) as s:
        status = await call_ok(s, "get_index_status", {})
    assert asked.is_set() and status["workspace"] == str(target)

    # the flag wins over the client's roots
    asked = anyio.Event()
    async with mcp_memory(workspace, list_roots=roots) as s:
        assert (await call_ok(s, "get_index_status", {}))["workspace"] == str(workspace)
    assert not asked.is_set()


async def test_no_workspace_and_no_roots_refuses_to_start(
    tiny_model_path: Path, tmp_path: Path
) -> None:
    """Without --workspace and with a client that offers no roots, `codeindex mcp` used to
    index the folder it was started in; now `initialize` fails saying how to give one, the
    process exits with status 2, and nothing is created in that folder."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    log_path = tmp_path / "server.log"
    refused: list[MCPError] = []
    try:
        async with mcp_session(tiny_model_path, log_path, cwd=elsewhere):
            raise AssertionError("initialize succeeded without a workspace")
    except* MCPError as group:  # the SDK's task groups wrap it
        refused = _leaves(group, MCPError)
    assert len(refused) == 1, "initialize was not refused"
    assert "--workspace PATH" in refused[0].error.message
    assert "roots" in refused[0].error.message
    assert "--workspace PATH" in log_path.read_text(encoding="utf-8")
    assert not (elsewhere / ".codeindex").exists()


def _leaves(group: BaseExceptionGroup[BaseException], kind: type[MCPError]) -> list[MCPError]:
    """The exceptions of `kind` in a (nested) exception group."""
    found: list[MCPError] = []
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            found += _leaves(exc, kind)
        elif isinstance(exc, kind):
            found.append(exc)
    return found


class _Lines:
    """`codeindex mcp` spoken to line by line: a client that can be cut off mid-request."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        await self.process.stdin.drain()

    async def until(self, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        assert self.process.stdout is not None
        with anyio.fail_after(120):
            while True:
                line = await self.process.stdout.readline()
                assert line, "the server closed its stdout"
                message: dict[str, Any] = json.loads(line)
                if wanted(message):
                    return message


async def test_a_client_that_goes_away_leaves_its_sync_reindex_to_finish(
    polyglot_src: Path, tiny_model_path: Path, tmp_path: Path
) -> None:
    """Killing the agent (its pipes close) mid sync force_reindex: the server exits at once
    and the task is not cancelled but completes in the worker, as the language server's do."""
    fresh = copy_tree(polyglot_src, tmp_path / "fresh", ["cobra-go", "regex-rust"])
    with (tmp_path / "server.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "codeindex",
            "mcp",
            "--workspace",
            str(fresh),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            env=server_env(tiny_model_path),
        )
    agent = _Lines(process)
    try:
        await agent.send(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "killed-agent", "version": "0"},
                },
            }
        )
        await agent.until(lambda m: m.get("id") == 1)
        await agent.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        arguments = {"scope": "project", "async": False}
        await agent.send(
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {
                    "name": "force_reindex",
                    "arguments": arguments,
                    "_meta": {"progressToken": "sync"},
                },
            }
        )
        await agent.until(lambda m: m.get("method") == "notifications/progress")
        await agent.send(
            {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "tools/call",
                "params": {"name": "list_reindex_tasks", "arguments": {"limit": 1}},
            }
        )
        listed = await agent.until(lambda m: m.get("id") == 3)
        (task,) = listed["result"]["structuredContent"]["tasks"]
        assert task["status"] in ("Queued", "Running")
        assert process.stdin is not None
        process.stdin.close()  # the agent is gone
        with anyio.fail_after(5):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    done = run_cli(fresh, "task", task["task_id"], "--wait", "--json")
    assert json.loads(done.stdout)["status"] == "Completed", done.stderr
