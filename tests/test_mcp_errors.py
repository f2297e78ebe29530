"""Bad input through the MCP server: each gets a clear error, and the server goes on serving.

Tool arguments of every wrong type and value, paths outside the workspace (symlinks
too), unknown task ids, wrong states (issue 12's list for MCP), over the SDK's in-memory
transport (the server built in this process); and raw lines on the stdin of
`python -m codeindex mcp` that are not JSON-RPC messages.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream
from mcp.shared.exceptions import MCPError
from tests.helpers import cli_env
from tests.mcp_client import call_error, call_ok, mcp_memory, serve_here, server_env, until_finished

pytestmark = pytest.mark.slow  # starts codeindex processes or indexes a corpus


@pytest.fixture
def workspace(polyglot_ws: Path) -> Path:
    """An indexed copy of the polyglot corpus (the server's workspace)."""
    return polyglot_ws


BAD_CALLS = [
    ("force_reindex", {"scope": "everything"}, "bad_argument: scope must be one of file, files"),
    ("force_reindex", {}, "bad_argument: scope is required: one of file, files"),
    ("force_reindex", {"scope": 5}, "scope must be one of"),
    ("force_reindex", {"scope": "files", "paths": "a.go"}, "paths must be an array of strings"),
    ("force_reindex", {"scope": "files", "paths": [1]}, "paths[0] must be a non-empty string"),
    ("force_reindex", {"scope": "project", "priority": "urgent"}, "priority must be one of high"),
    ("force_reindex", {"scope": "project", "priority": 1}, "priority must be one of high"),
    ("force_reindex", {"scope": "project", "embeddings_only": "yes"}, "embeddings_only must be"),
    ("force_reindex", {"scope": "project", "async": "false"}, "async must be true or false"),
    ("force_reindex", {"scope": "project", "incremental": 1}, "incremental must be true or"),
    ("force_reindex", {"scope": "directory", "paths": ["x"], "recursive": []}, "recursive must"),
    ("force_reindex", {"scope": "project", "force": True}, "has no field 'force'; its fields"),
    ("force_reindex", {"scope": "file", "paths": []}, "bad_argument: scope file needs paths"),
    ("force_reindex", {"scope": "embeddings-only", "paths": ["a"]}, "takes no paths"),
    ("force_reindex", {"scope": "file", "paths": ["a\x00b.go"]}, "bad_argument"),
    ("force_reindex", {"scope": "file", "paths": ["/etc/passwd"]}, "outside_workspace"),
    ("force_reindex", {"scope": "file", "paths": ["../outside.go"]}, "outside_workspace"),
    ("force_reindex", {"scope": "directory", "paths": ["/tmp"]}, "outside_workspace"),
    ("get_reindex_status", {"task_id": 42}, "task_id must be a string; got 42"),
    ("get_reindex_status", {"task_id": "nope"}, "unknown_task: no reindex task 'nope'"),
    ("get_reindex_status", {}, "task_id is required"),
    ("get_reindex_status", {"task_id": "reindex_20200101000000_00000000"}, "unknown_task"),
    ("cancel_reindex", {"task_id": "reindex_20200101000000_00000000"}, "list_reindex_tasks"),
    ("pause_reindex", {"task_id": ["x"]}, "task_id must be"),
    ("resume_reindex", {"task_id": None}, "task_id is required"),
    ("list_reindex_tasks", {"status": "Done"}, "status must be one of Queued"),
    ("list_reindex_tasks", {"status": 3}, "status must be one of"),
    ("list_reindex_tasks", {"limit": 0}, "limit must be a whole number from 1 to 1000"),
    ("list_reindex_tasks", {"limit": "5"}, "limit must be a whole number"),
    ("list_reindex_tasks", {"limit": 2.5}, "limit must be a whole number"),
    ("search_code", {"query": ""}, "query must be a non-empty string"),
    ("search_code", {"query": 5}, "query must be a string; got 5"),
    ("search_code", {"query": "x", "mode": "fuzzy"}, "mode must be one of hybrid"),
    ("search_code", {"query": "x", "limit": 5000}, "limit must be a whole number from 1 to"),
    ("search_code", {"query": "x", "limit": True}, "limit must be a whole number"),
    ("search_code", {"query": "x", "path": 7}, "path must be a string"),
    ("search_code", {"query": "x", "language": ["go"]}, "language must be a string"),
    ("search_code", {"query": "x", "path": "/etc"}, "outside_workspace"),
    ("search_code", {"query": "x", "path": ["go", 3]}, "path[1] must be a non-empty string"),
    ("search_code", {"query": "x", "exclude": ["/etc"]}, "outside_workspace"),
    ("search_code", {"query": "x", "output": "tree"}, "output must be one of hits, files"),
    ("search_code", {"query": "x", "source_only": "yes"}, "source_only must be true or false"),
    ("search_code", {"query": "x", "context_lines": 50}, "context_lines must be a whole number"),
    ("search_code", {"query": "x", "max_tokens": 5}, "max_tokens must be a whole number from"),
    ("search_code", {"query": "xq", "kind": "lambda"}, "no indexed symbol has kind 'lambda'"),
    ("find_symbol", {"name": 3}, "name must be a string; got 3"),
    ("find_symbol", {"name": "x", "match": "regex"}, "match must be one of auto, exact"),
    ("find_symbol", {"name": "x", "kind": 9}, "kind must be a string"),
    ("find_symbol", {"name": "x", "limit": -1}, "limit must be a whole number"),
    ("get_file_outline", {}, "bad_argument: path is required"),
    ("get_file_outline", {"path": 5}, "path must be a string; got 5"),
    ("get_file_outline", {"path": "cobra-go/nothing.go"}, "not a file of the workspace's index"),
    ("get_file_outline", {"path": "/etc/passwd"}, "outside_workspace"),
    ("get_file_outline", {"path": "cobra-go/args.go", "max_tokens": 5}, "max_tokens must be a"),
    ("get_file_outline", {"path": "cobra-go/args.go", "depth": 1}, "has no field 'depth'"),
    ("get_symbol", {}, "get_symbol takes a name (e.g. 'AddCommand'"),
    ("get_symbol", {"name": "Execute", "id": "x#Execute"}, "not both"),
    ("get_symbol", {"name": "Execute", "bodies": "no"}, "bodies must be true or false"),
    ("get_symbol", {"name": "NoSuchThingAnywhere"}, "find_symbol finds names"),
    ("get_symbol", {"id": "cobra-go/args.go#Nope"}, "no symbol 'Nope' in 'cobra-go/args.go'"),
    ("get_symbol", {"name": "Execute", "path": "/etc"}, "outside_workspace"),
    ("find_references", {"name": 3}, "name must be a string; got 3"),
    ("find_references", {"name": ""}, "name must be a non-empty string"),
    ("find_references", {"name": "x", "kind": "callers"}, "kind must be one of call, import"),
    ("find_references", {"name": "x", "limit": 0}, "limit must be a whole number from 1 to"),
    ("find_references", {"name": "x", "path": "/etc"}, "outside_workspace"),
    ("get_index_status", {"verbose": True}, "get_index_status takes no arguments"),
    ("validate_index", {"fix": True}, "validate_index takes no arguments; got 'fix'"),
]


async def test_bad_input_gives_a_clear_tool_error_and_the_server_goes_on(
    workspace: Path, tiny_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_here(monkeypatch, tiny_model_path)
    async with mcp_memory(workspace) as s:
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
        too_many = ["cobra-go/args.go"] * 10_001
        text = await call_error(s, "force_reindex", {"scope": "files", "paths": too_many})
        assert "paths has 10001 entries; at most 10000 are allowed" in text
        many = [f"cobra-go/missing_{n}.go" for n in range(10_000)]
        text = await call_error(s, "force_reindex", {"scope": "files", "paths": many})
        assert text.startswith("bad_argument: cobra-go/missing_0.go does not exist")
        same = await call_ok(
            s, "force_reindex", {"scope": "files", "paths": ["cobra-go/args.go"] * 10_000}
        )
        assert same["items_total"] == 1

        done = await call_ok(s, "force_reindex", {"scope": "file", "paths": ["cobra-go/args.go"]})
        await until_finished(s, done["task_id"])
        text = await call_error(s, "pause_reindex", {"task_id": done["task_id"]})
        assert text.startswith("wrong_state: ") and "Completed" in text

        with pytest.raises(MCPError, match="unknown tool 'reindex_everything'"):
            await s.call_tool("reindex_everything", {})
        assert (await call_ok(s, "validate_index", {}))["files_checked"] > 300


async def test_a_path_too_long_is_bad_input(
    workspace: Path, tiny_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_here(monkeypatch, tiny_model_path)
    async with mcp_memory(workspace) as s:
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
