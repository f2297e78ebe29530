"""The language server's life with its client, spoken to byte by byte (`Wire`): it refuses
what the LSP lifecycle forbids, answers malformed frames without losing the next message,
and exits by itself when its client goes (`exit` without `shutdown`, stdin closed, the
client's process gone) while the task a sync request started finishes in the worker.

Each test gets its own server on its own indexed copy of polyglot-small.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import client_capabilities
from tests.helpers import run_cli
from tests.lsp.support import Wire, start

GONE_SECONDS = 5.0  # the server leaves within about a second; slack for a loaded machine
CAPABILITIES = client_capabilities("visual-studio-code")


def frame(message: dict[str, Any], *, declared: int | None = None) -> bytes:
    """One framed message, with a `Content-Length` of `declared` when given (a wrong one)."""
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body) if declared is None else declared, body)


def symbol_request(msg_id: str, query: str) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": msg_id,
        "method": "workspace/symbol",
        "params": {"query": query},
    }


async def test_the_lifecycle_rules_are_answered_with_their_errors(
    workspace: Path, tiny_server_env: dict[str, str], tmp_path: Path
) -> None:
    wire = await Wire.spawn(tiny_server_env)
    try:
        early = await wire.request("early", "workspace/symbol", {"query": "Command"})
        assert early["error"]["code"] == -32002 and "initialize" in early["error"]["message"]
        assert "result" in await wire.initialize(workspace, CAPABILITIES)
        await wire.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})

        other = tmp_path / "other"
        other.mkdir()
        again = await wire.initialize(other, CAPABILITIES, msg_id="again")
        assert again["error"]["code"] == -32600
        assert str(workspace) in again["error"]["message"]
        symbols = await wire.request("after", "workspace/symbol", {"query": "Command"})
        assert symbols["result"]  # still the first folder's index
        assert not (other / ".codeindex").exists()

        await wire.request("bye", "shutdown", None)
        late = await wire.request("late", "workspace/symbol", {"query": "Command"})
        assert late["error"]["code"] == -32600 and "shut down" in late["error"]["message"]
        await wire.send({"jsonrpc": "2.0", "method": "exit"})
        assert await wire.exited(GONE_SECONDS) == 0
    finally:
        if wire.process.returncode is None:
            wire.process.kill()
            await wire.process.wait()


async def test_malformed_frames_and_long_queries_get_errors_and_the_next_message_is_served(
    workspace: Path, tiny_server_env: dict[str, str]
) -> None:
    wire = await Wire.start(workspace, tiny_server_env, CAPABILITIES)
    try:
        await wire.write(b"not json at all")
        parse_error = await wire.answer(None)
        assert parse_error["error"]["code"] == -32700

        long = await wire.request("long", "workspace/symbol", {"query": "x" * 100_000})
        assert long["error"]["code"] == -32602 and "100000" in long["error"]["message"]

        # a Content-Length too large would swallow the next message; one too small would
        # leave the rest of the body to be read as the next header
        for declared_by in (+40, -5):
            wrong = symbol_request(f"wrong{declared_by}", "Command")
            body_length = len(json.dumps(wrong).encode())
            assert wire.process.stdin is not None
            wire.process.stdin.write(
                frame(wrong, declared=body_length + declared_by)
                + frame(symbol_request(f"next{declared_by}", "Command"))
            )
            await wire.process.stdin.drain()
            refused = await wire.answer(f"wrong{declared_by}")
            assert refused["error"]["code"] == -32600
            assert "Content-Length" in refused["error"]["message"]
            assert (await wire.answer(f"next{declared_by}"))["result"]
    finally:
        assert await wire.close() == 0


async def test_exit_without_shutdown_ends_the_server_with_status_1(
    workspace: Path, tiny_server_env: dict[str, str]
) -> None:
    wire = await Wire.start(workspace, tiny_server_env, CAPABILITIES)
    assert (await wire.request("q", "workspace/symbol", {"query": "Command"}))["result"]
    await wire.send({"jsonrpc": "2.0", "method": "exit"})
    assert await wire.exited(GONE_SECONDS) == 1


async def test_a_dead_client_process_ends_the_server(
    workspace: Path, tiny_server_env: dict[str, str]
) -> None:
    editor = await asyncio.create_subprocess_exec("sleep", "600")
    wire = await Wire.start(workspace, tiny_server_env, CAPABILITIES, process_id=editor.pid)
    try:
        assert (await wire.request("q", "workspace/symbol", {"query": "Command"}))["result"]
        editor.kill()
        await editor.wait()
        assert await wire.exited(GONE_SECONDS) == 1  # stdin still open: the pid told it
    finally:
        if wire.process.returncode is None:
            wire.process.kill()
            await wire.process.wait()


async def test_closed_stdin_ends_the_server_and_its_sync_reindex_finishes(
    workspace: Path, tiny_server_env: dict[str, str]
) -> None:
    wire = await Wire.start(workspace, tiny_server_env, CAPABILITIES)
    await wire.send(
        {
            "jsonrpc": "2.0",
            "id": "sync",
            "method": "workspace/executeCommand",
            "params": {
                "command": "codeindex.forceReindex",
                "arguments": [{"scope": "project", "async": False}],
                "workDoneToken": "mine",
            },
        }
    )
    await wire.until(lambda m: m.get("method") == "$/progress" and m["params"]["token"] == "mine")
    tasks = await wire.request(
        "list", "workspace/executeCommand", {"command": "codeindex.listTasks", "arguments": []}
    )
    running = [t["task_id"] for t in tasks["result"] if t["status"] in ("Queued", "Running")]
    assert len(running) == 1
    assert wire.process.stdin is not None
    wire.process.stdin.close()  # the editor was killed
    assert await wire.exited(GONE_SECONDS) == 1
    done = run_cli(workspace, "task", running[0], "--wait", "--json", env=tiny_server_env)
    assert json.loads(done.stdout)["status"] == "Completed", done.stderr


async def test_symbol_columns_are_utf16_and_matching_folds_unicode_case(
    workspace: Path, tiny_server_env: dict[str, str]
) -> None:
    source = workspace / "cobra-go" / "unicode.go"
    source.write_text(
        'package cobra\n\nvar smile = "😀🙂"; func AfterEmoji() {}\n\nfunc Straße() {}\n',
        encoding="utf-8",
    )
    session = await start(workspace, tiny_server_env, CAPABILITIES, options={"watching": False})
    try:
        await session.reindex(scope="file", paths=["cobra-go/unicode.go"], **{"async": False})
        stored = await session.command(
            "codeindex.findSymbol", {"name": "AfterEmoji", "match": "exact"}
        )
        line = source.read_text(encoding="utf-8").split("\n")[stored[0]["start_line"] - 1]
        column = stored[0]["start_col"]  # code points, as the index keeps them
        utf16 = len(line[:column].encode("utf-16-le")) // 2
        assert utf16 == column + 2  # two astral characters before it

        found = await session.client.workspace_symbol_async(
            types.WorkspaceSymbolParams(query="afteremoji")
        )
        assert found is not None
        assert [(s.name, s.location.range.start.character) for s in found] == [
            ("AfterEmoji", utf16)
        ]
        for query in ("STRASSE", "straße", "TRAS"):
            folded = await session.client.workspace_symbol_async(
                types.WorkspaceSymbolParams(query=query)
            )
            assert folded is not None and [s.name for s in folded] == ["Straße"], query
    finally:
        await session.close()


async def test_saves_of_an_unchanged_file_make_no_task(
    workspace: Path, tiny_server_env: dict[str, str]
) -> None:
    session = await start(workspace, tiny_server_env, CAPABILITIES, options={"watching": False})
    try:
        before = await session.command("codeindex.listTasks", {"limit": 1000})
        path = workspace / "cobra-go" / "args.go"
        saved = types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=from_fs_path(str(path)) or "")
        )
        for _ in range(200):
            session.client.text_document_did_save(saved)
        # then one real change: saves are handled in order, so once its task shows, every
        # unchanged save before it has been handled
        path.write_text(path.read_text(encoding="utf-8") + "\n// saved\n", encoding="utf-8")
        session.client.text_document_did_save(saved)
        async with asyncio.timeout(60):
            while True:
                tasks = await session.command("codeindex.listTasks", {"limit": 1000})
                if len(tasks) > len(before):
                    break
                await session.client.wait_for_notification("codeindex/status")
        new = [t for t in tasks if t["task_id"] not in {b["task_id"] for b in before}]
        assert len(new) == 1, new
    finally:
        await session.close()


def command(msg_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": msg_id,
        "method": "workspace/executeCommand",
        "params": {"command": name, "arguments": [arguments]},
    }


async def test_a_client_slow_to_create_a_progress_token_holds_nothing_up(
    workspace: Path, tiny_server_env: dict[str, str]
) -> None:
    """While the client has not answered window/workDoneProgress/create, the server goes on
    (no lock held across the request: it used to make every reindex wait for the answer,
    up to the 5 s the server gives the client); the token still works once created."""
    wire = await Wire.start(workspace, tiny_server_env, CAPABILITIES)
    try:
        await wire.send(command("project", "codeindex.forceReindex", {"scope": "project"}))
        create = await wire.until(
            lambda m: m.get("method") == "window/workDoneProgress/create", answering=False
        )
        await wire.send(
            command(
                "file", "codeindex.forceReindex", {"scope": "file", "paths": ["cobra-go/args.go"]}
            )
        )
        queued = await wire.until(lambda m: m.get("id") == "file", answering=False)
        assert "result" in queued, queued
        await wire.send({"jsonrpc": "2.0", "id": create["id"], "result": None})
        token = create["params"]["token"]
        async with asyncio.timeout(60):  # the server had not given up on the token
            await wire.until(
                lambda m: m.get("method") == "$/progress" and m["params"]["token"] == token
            )
    finally:
        await wire.close()


async def test_an_answer_the_server_stopped_waiting_for_leaves_it_serving(
    workspace: Path, tiny_server_env: dict[str, str]
) -> None:
    """The client answers window/workDoneProgress/create after the server gave the token up
    (its folder left the workspace): the answer is dropped and the next requests are served.
    pygls set the result of the cancelled request, which raised and stopped the server
    reading: every later request, `shutdown` too, went unanswered."""
    wire = await Wire.start(workspace, tiny_server_env, CAPABILITIES)
    try:
        await wire.send(command("project", "codeindex.forceReindex", {"scope": "project"}))
        create = await wire.until(
            lambda m: m.get("method") == "window/workDoneProgress/create", answering=False
        )
        folder = {"uri": from_fs_path(str(workspace)), "name": workspace.name}
        await wire.send(
            {
                "jsonrpc": "2.0",
                "method": "workspace/didChangeWorkspaceFolders",
                "params": {"event": {"added": [], "removed": [folder]}},
            }
        )
        await wire.until(  # the folder is gone: no index is left to serve
            lambda m: m.get("method") == "codeindex/status" and m["params"]["state"] == "error",
            answering=False,
        )
        await wire.send({"jsonrpc": "2.0", "id": create["id"], "result": None})
        answer = await wire.request("symbols", "workspace/symbol", {"query": "Command"})
        assert "error" in answer or "result" in answer, answer
        await wire.send(
            {
                "jsonrpc": "2.0",
                "method": "workspace/didChangeWorkspaceFolders",
                "params": {"event": {"added": [folder], "removed": []}},
            }
        )
        await wire.until(  # served again
            lambda m: m.get("method") == "codeindex/status" and m["params"]["state"] != "error"
        )
        found = await wire.request("again", "workspace/symbol", {"query": "Command"})
        assert any("command.go" in s["location"]["uri"] for s in found["result"]), found
    finally:
        assert await wire.close() == 0
