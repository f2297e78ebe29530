"""The MCP server end to end: `python -m codeindex mcp` as a subprocess, the SDK's stdio client.

Real SQLite, LanceDB, tree-sitter and the tiny ONNX model on copies of the polyglot
corpus, indexed once per session.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import anyio
import jsonschema
import mcp_types as types
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream
from mcp.client.session import ClientRequestContext
from mcp.shared.exceptions import MCPError
from tests.helpers import cli_env, copy_tree
from tests.mcp_client import call_error, call_ok, mcp_session, server_env

TASK_ID = re.compile(r"^reindex_\d{14}_[0-9a-f]{8}$")
READ_ONLY = {
    "get_reindex_status",
    "list_reindex_tasks",
    "get_index_status",
    "validate_index",
    "search_code",
    "find_symbol",
}
WRITING = {"force_reindex", "pause_reindex", "resume_reindex", "cancel_reindex"}
FINISHED = ("Completed", "Failed", "Cancelled")


@pytest.fixture
def workspace(polyglot_ws: Path) -> Path:
    """An indexed copy of the polyglot corpus (the server's workspace)."""
    return polyglot_ws


async def _until_finished(session: Any, task_id: str, within: float = 300) -> dict[str, Any]:
    """Follow a task through get_reindex_status until it ends; its final state."""
    with anyio.fail_after(within):
        while True:
            info = await call_ok(session, "get_reindex_status", {"task_id": task_id})
            if info["status"] in FINISHED:
                return info
            await anyio.sleep(0.1)


async def test_tools_list_shows_schemas_and_annotations(
    workspace: Path, tiny_model_path: Path, tmp_path: Path
) -> None:
    async with mcp_session(tiny_model_path, tmp_path / "server.log", workspace=workspace) as s:
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
    }
    assert props["scope"]["enum"] == ["file", "files", "directory", "project", "embeddings-only"]
    assert props["priority"] == props["priority"] | {
        "enum": ["high", "normal", "low"],
        "default": "normal",
    }
    assert (props["async"]["default"], props["incremental"]["default"]) == (True, False)
    assert (props["embeddings_only"]["default"], props["recursive"]["default"]) == (False, True)
    assert props["paths"]["items"] == {"type": "string"}
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


async def test_every_tool_works_and_matches_its_output_schema(
    workspace: Path, tiny_model_path: Path, tmp_path: Path
) -> None:
    async with mcp_session(tiny_model_path, tmp_path / "server.log", workspace=workspace) as s:
        status = await call_ok(s, "get_index_status", {})
        assert status["workspace"] == str(workspace)
        assert status["files"]["by_status"]["indexed"] > 300
        assert status["embeddings"]["chunks_pending"] == 0

        assert (await call_ok(s, "validate_index", {}))["ok"] is True

        found = await call_ok(s, "search_code", {"query": "NonInheritedFlags", "mode": "lexical"})
        assert found["mode"] == "lexical"
        assert any(h["path"].startswith("cobra-go/") for h in found["hits"])
        semantic = await call_ok(
            s, "search_code", {"query": "parse command line flags", "mode": "semantic", "limit": 3}
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

        # validate finds drift, and its fixes are force_reindex arguments as they are
        (workspace / "cobra-go" / "args.go").write_text(
            "package cobra\n\nfunc BrandNewMcpCheck() {}\n", encoding="utf-8"
        )
        (workspace / "cobra-go" / "cobra.go").unlink()
        (workspace / "rxjs-ts" / "fresh.ts").write_text(
            "export function freshlyAdded() {}\n", encoding="utf-8"
        )
        report = await call_ok(s, "validate_index", {})
        assert not report["ok"]
        assert {p["kind"] for p in report["problems"]} >= {"changed", "deleted", "new"}
        for problem in report["problems"]:
            fixed = await call_ok(s, "force_reindex", {**problem["fix"], "async": False})
            assert fixed["status"] == "Completed", fixed
        assert (await call_ok(s, "validate_index", {}))["ok"] is True
        hits = await call_ok(s, "find_symbol", {"name": "BrandNewMcpCheck"})
        assert [h["path"] for h in hits["symbols"]] == ["cobra-go/args.go"]


async def test_sync_reindex_streams_progress_and_returns_the_result(
    workspace: Path, tiny_model_path: Path, tmp_path: Path
) -> None:
    reports: list[tuple[float, float | None, str | None]] = []
    done = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        reports.append((progress, total, message))
        if progress == total:
            done.set()

    async with mcp_session(tiny_model_path, tmp_path / "server.log", workspace=workspace) as s:
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


async def test_async_reindex_returns_a_task_that_completes(
    workspace: Path, tiny_model_path: Path, tmp_path: Path
) -> None:
    target = workspace / "regex-rust"
    async with mcp_session(tiny_model_path, tmp_path / "server.log", workspace=workspace) as s:
        created = await call_ok(
            s,
            "force_reindex",
            {"scope": "directory", "paths": [str(target)], "priority": "high", "async": True},
        )
        assert created["status"] in ("Queued", "Running") and created["result"] is None
        assert created["scope"] == {"Directory": {"path": "regex-rust", "recursive": True}}
        final = await _until_finished(s, created["task_id"])
    assert final["status"] == "Completed"
    assert final["items_completed"] == final["items_total"] == created["items_total"] > 10
    assert final["progress"] == 1.0 and final["priority"] == "high"


async def test_a_cancelled_sync_call_cancels_its_task(
    polyglot_src: Path, tiny_model_path: Path, tmp_path: Path
) -> None:
    fresh = copy_tree(polyglot_src, tmp_path / "fresh")  # never indexed: a long first index
    running = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        if 0 < progress < 100:
            running.set()

    async with mcp_session(tiny_model_path, tmp_path / "server.log", workspace=fresh) as s:
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
        final = await _until_finished(s, task["task_id"], within=60)
        assert final["status"] == "Cancelled"
        assert final["items_cancelled"] > 0
        assert final["items_completed"] < final["items_total"]
        # the server goes on serving
        assert (await call_ok(s, "get_index_status", {}))["workspace"] == str(fresh)


BAD_CALLS = [
    ("force_reindex", {"scope": "everything"}, "bad_argument: scope must be one of file, files"),
    ("force_reindex", {}, "bad_argument: scope must be one of"),
    ("force_reindex", {"scope": 5}, "scope must be one of"),
    ("force_reindex", {"scope": "files", "paths": "a.go"}, "paths must be an array of strings"),
    ("force_reindex", {"scope": "files", "paths": [1]}, "paths must be an array of strings"),
    ("force_reindex", {"scope": "project", "priority": "urgent"}, "priority must be one of high"),
    ("force_reindex", {"scope": "project", "priority": 1}, "priority must be one of high"),
    ("force_reindex", {"scope": "project", "embeddings_only": "yes"}, "embeddings_only must be"),
    ("force_reindex", {"scope": "project", "async": "false"}, "async must be true or false"),
    ("force_reindex", {"scope": "project", "incremental": 1}, "incremental must be true or"),
    ("force_reindex", {"scope": "directory", "paths": ["x"], "recursive": []}, "recursive must"),
    ("force_reindex", {"scope": "project", "force": True}, "unknown argument(s) 'force'"),
    ("force_reindex", {"scope": "file", "paths": []}, "bad_argument: scope file needs paths"),
    ("force_reindex", {"scope": "embeddings-only", "paths": ["a"]}, "takes no paths"),
    ("force_reindex", {"scope": "file", "paths": ["a\x00b.go"]}, "bad_argument"),
    ("force_reindex", {"scope": "file", "paths": ["/etc/passwd"]}, "outside_workspace"),
    ("force_reindex", {"scope": "file", "paths": ["../outside.go"]}, "outside_workspace"),
    ("force_reindex", {"scope": "directory", "paths": ["/tmp"]}, "outside_workspace"),
    ("get_reindex_status", {"task_id": 42}, "task_id must be a task id like reindex_"),
    ("get_reindex_status", {"task_id": "nope"}, "task_id must be a task id"),
    ("get_reindex_status", {}, "task_id must be a task id"),
    ("get_reindex_status", {"task_id": "reindex_20200101000000_00000000"}, "unknown_task"),
    ("cancel_reindex", {"task_id": "reindex_20200101000000_00000000"}, "list_reindex_tasks"),
    ("pause_reindex", {"task_id": ["x"]}, "task_id must be"),
    ("resume_reindex", {"task_id": None}, "task_id must be"),
    ("list_reindex_tasks", {"status": "Done"}, "status must be one of Queued"),
    ("list_reindex_tasks", {"status": 3}, "status must be one of"),
    ("list_reindex_tasks", {"limit": 0}, "limit must be a whole number from 1 to 1000"),
    ("list_reindex_tasks", {"limit": "5"}, "limit must be a whole number"),
    ("list_reindex_tasks", {"limit": 2.5}, "limit must be a whole number"),
    ("search_code", {"query": ""}, "query must be a non-empty string"),
    ("search_code", {"query": 5}, "query must be a non-empty string"),
    ("search_code", {"query": "x", "mode": "fuzzy"}, "mode must be one of hybrid"),
    ("search_code", {"query": "x", "limit": 5000}, "limit must be a whole number from 1 to"),
    ("search_code", {"query": "x", "limit": True}, "limit must be a whole number"),
    ("search_code", {"query": "x", "path": 7}, "path must be a string"),
    ("search_code", {"query": "x", "language": ["go"]}, "language must be a string"),
    ("search_code", {"query": "x", "path": "/etc"}, "outside_workspace"),
    ("find_symbol", {"name": 3}, "name must be a non-empty string"),
    ("find_symbol", {"name": "x", "match": "regex"}, "match must be one of auto, exact"),
    ("find_symbol", {"name": "x", "kind": 9}, "kind must be a string"),
    ("find_symbol", {"name": "x", "limit": -1}, "limit must be a whole number"),
    ("get_index_status", {"verbose": True}, "get_index_status takes no arguments"),
    ("validate_index", {"fix": True}, "unknown argument(s) 'fix'"),
]


async def test_bad_input_gives_a_clear_tool_error_and_the_server_goes_on(
    workspace: Path, tiny_model_path: Path, tmp_path: Path
) -> None:
    async with mcp_session(tiny_model_path, tmp_path / "server.log", workspace=workspace) as s:
        for tool, args, expected in BAD_CALLS:
            text = await call_error(s, tool, args)
            assert expected in text, (tool, args, text)
            assert "Traceback" not in text
            assert (await call_ok(s, "get_index_status", {}))["files"]["total"] > 300

        (workspace / "cobra-go" / "etc").symlink_to("/etc")
        (workspace / "cobra-go" / "hosts").symlink_to("/etc/hosts")
        for scope, path in (("directory", "cobra-go/etc"), ("file", "cobra-go/hosts")):
            text = await call_error(s, "force_reindex", {"scope": scope, "paths": [path]})
            assert text.startswith("outside_workspace: ") and "/etc" in text
        many = [f"cobra-go/missing_{n}.go" for n in range(10_000)]
        text = await call_error(s, "force_reindex", {"scope": "files", "paths": many})
        assert text.startswith("bad_argument: cobra-go/missing_0.go does not exist")
        same = await call_ok(
            s, "force_reindex", {"scope": "files", "paths": ["cobra-go/args.go"] * 10_000}
        )
        assert same["items_total"] == 1

        done = await call_ok(s, "force_reindex", {"scope": "file", "paths": ["cobra-go/args.go"]})
        await _until_finished(s, done["task_id"])
        text = await call_error(s, "pause_reindex", {"task_id": done["task_id"]})
        assert text.startswith("wrong_state: ") and "Completed" in text

        with pytest.raises(MCPError, match="unknown tool 'reindex_everything'"):
            await s.call_tool("reindex_everything", {})
        assert (await call_ok(s, "validate_index", {}))["files_checked"] > 300


@pytest.mark.xfail(
    strict=True,
    reason="core fault (issue 12, very long paths): the core raises OSError 'File name too "
    "long' for such a path; the MCP server reports it as an internal error and goes on",
)
async def test_a_path_too_long_is_bad_input(
    workspace: Path, tiny_model_path: Path, tmp_path: Path
) -> None:
    async with mcp_session(tiny_model_path, tmp_path / "server.log", workspace=workspace) as s:
        text = await call_error(s, "force_reindex", {"scope": "file", "paths": ["d/" * 3000]})
        assert (await call_ok(s, "get_index_status", {}))["files"]["total"] > 300
    assert text.startswith("bad_argument: "), text


async def test_malformed_json_rpc_gets_an_error_and_the_server_goes_on(
    workspace: Path, tiny_model_path: Path, tmp_path: Path
) -> None:
    """Raw lines on the server's stdin: the SDK's client cannot send a malformed message."""
    with (tmp_path / "server.log").open("w", encoding="utf-8") as errlog:
        proc = await anyio.open_process(
            [sys.executable, "-m", "codeindex", "mcp", "--workspace", str(workspace)],
            env={**cli_env(), **server_env(tiny_model_path)},
            stderr=errlog,
        )
        assert proc.stdin is not None and proc.stdout is not None
        buffered = BufferedByteReceiveStream(proc.stdout)

        async def send(line: str) -> None:
            assert proc.stdin is not None
            await proc.stdin.send(line.encode() + b"\n")

        async def receive() -> dict[str, Any]:
            with anyio.fail_after(60):
                line = await buffered.receive_until(b"\n", 1 << 22)
            message: dict[str, Any] = json.loads(line)
            return message

        try:
            init = {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "raw", "version": "0"},
            }
            await send(
                json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init})
            )
            assert (await receive())["id"] == 1
            await send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))

            await send('{"jsonrpc": "2.0", "id": 2, "method": "tools/list"')  # cut short
            reply = await receive()
            assert reply["id"] is None and reply["error"]["code"] == -32700
            assert "JSON-RPC" in reply["error"]["message"]

            await send(json.dumps({"jsonrpc": "2.0", "id": 3, "method": 42}))
            reply = await receive()
            assert reply["error"]["code"] == -32600 and reply["id"] in (3, None)

            await send(json.dumps([1, 2, 3]))
            assert (await receive())["error"]["code"] == -32600

            bad_params = {"name": "get_index_status", "arguments": "all of them"}
            await send(
                json.dumps(
                    {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": bad_params}
                )
            )
            reply = await receive()
            assert reply["id"] == 4 and reply["error"]["code"] == -32602

            await send(json.dumps({"jsonrpc": "2.0", "id": 5, "method": "no/such/method"}))
            reply = await receive()
            assert reply["id"] == 5 and reply["error"]["code"] == -32601

            call = {"name": "get_index_status", "arguments": {}}
            await send(
                json.dumps({"jsonrpc": "2.0", "id": 6, "method": "tools/call", "params": call})
            )
            reply = await receive()
            assert reply["id"] == 6 and not reply["result"].get("isError")
            assert reply["result"]["structuredContent"]["workspace"] == str(workspace)
        finally:
            await proc.stdin.aclose()
            with anyio.fail_after(60):
                code = await proc.wait()
    assert code == 0, (tmp_path / "server.log").read_text(encoding="utf-8")


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

    log = tmp_path / "server.log"
    async with mcp_session(tiny_model_path, log, cwd=elsewhere, list_roots=roots) as s:
        status = await call_ok(s, "get_index_status", {})
    assert asked.is_set() and status["workspace"] == str(target)
    assert not (elsewhere / ".codeindex").exists()

    # the flag wins over the client's roots; without either, the current folder
    asked = anyio.Event()
    async with mcp_session(tiny_model_path, log, workspace=workspace, list_roots=roots) as s:
        assert (await call_ok(s, "get_index_status", {}))["workspace"] == str(workspace)
    assert not asked.is_set()
    async with mcp_session(tiny_model_path, log, cwd=elsewhere) as s:
        assert (await call_ok(s, "get_index_status", {}))["workspace"] == str(elsewhere)
