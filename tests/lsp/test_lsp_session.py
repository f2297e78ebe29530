"""The session around the commands: bad input, settings, workspace folders, TCP.

Bad input goes to the module's shared server (`lsp`); malformed messages are written on a
second server's stdin (`Wire`); settings and folders get servers of their own.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client
from tests.lsp.support import Session, Wire, start

OUTSIDE = "outside the workspace"
# (case, command, arguments, what the message must say)
BAD_ARGUMENTS: list[tuple[str, str, list[Any], list[str]]] = [
    ("scope-type", "codeindex.forceReindex", [{"scope": 5}], ["scope", "5", "project"]),
    (
        "unknown-scope",
        "codeindex.forceReindex",
        [{"scope": "everything"}],
        ["scope", "'everything'", "file, files, directory, project, embeddings-only"],
    ),
    (
        "paths-type",
        "codeindex.forceReindex",
        [{"scope": "files", "paths": "cobra-go/args.go"}],
        ["paths", "'cobra-go/args.go'", "array of strings"],
    ),
    (
        "relative-outside",
        "codeindex.forceReindex",
        [{"scope": "file", "paths": ["../../etc/passwd"]}],
        ["paths:", "'../../etc/passwd'", OUTSIDE],
    ),
    (
        "absolute-outside",
        "codeindex.forceReindex",
        [{"scope": "directory", "paths": ["/etc"]}],
        ["paths:", "'/etc'", OUTSIDE],
    ),
    (
        "nul-byte",
        "codeindex.forceReindex",
        [{"scope": "file", "paths": ["a\0b.go"]}],
        ["paths[0]", "NUL"],
    ),
    (
        "file-without-paths",
        "codeindex.forceReindex",
        [{"scope": "file", "paths": []}],
        ["paths:", "needs paths"],
    ),
    (
        "priority",
        "codeindex.forceReindex",
        [{"scope": "project", "priority": "urgent"}],
        ["priority", "'urgent'", "high, normal, low"],
    ),
    (
        "async-type",
        "codeindex.forceReindex",
        [{"scope": "project", "async": "no"}],
        ["async", "'no'", "true or false"],
    ),
    (
        "unknown-field",
        "codeindex.forceReindex",
        [{"scope": "project", "bogus": 1}],
        ["'bogus'", "scope, paths, priority"],
    ),
    ("no-scope", "codeindex.forceReindex", [{}], ["scope is required"]),
    (
        "very-long-path",
        "codeindex.forceReindex",
        [{"scope": "file", "paths": ["a/" * 5000 + "x.go"]}],
        ["paths", "a/a/a/"],
    ),
    (
        "too-many-paths",
        "codeindex.forceReindex",
        [{"scope": "files", "paths": [f"f{i}.go" for i in range(10_001)]}],
        ["paths", "10001", "10000"],
    ),
    (
        "missing-file",
        "codeindex.forceReindex",
        [{"scope": "file", "paths": ["cobra-go/no_such_file.go"]}],
        ["paths:", "cobra-go/no_such_file.go", "does not exist"],
    ),
    ("not-an-object", "codeindex.forceReindex", ["project"], ["'project'", "one object"]),
    (
        "two-arguments",
        "codeindex.forceReindex",
        [{"scope": "project"}, {"scope": "file"}],
        ["arguments", "one argument object", "2 arguments"],
    ),
    (
        "unknown-task",
        "codeindex.reindexStatus",
        [{"task_id": "reindex_20990101000000_deadbeef"}],
        ["'reindex_20990101000000_deadbeef'"],
    ),
    ("task-id-type", "codeindex.cancelReindex", [{"task_id": 42}], ["task_id", "42", "string"]),
    ("no-task-id", "codeindex.pauseReindex", [{}], ["task_id is required"]),
    ("negative-limit", "codeindex.listTasks", [{"limit": -1}], ["limit", "-1", "1 to 1000"]),
    (
        "unknown-status",
        "codeindex.listTasks",
        [{"status": "Sleeping"}],
        ["status", "'Sleeping'", "Queued"],
    ),
    ("empty-query", "codeindex.search", [{"query": ""}], ["query", "non-empty string"]),
    (
        "unknown-mode",
        "codeindex.search",
        [{"query": "x", "mode": "psychic"}],
        ["mode", "'psychic'", "hybrid, semantic, lexical"],
    ),
    (
        "limit-type",
        "codeindex.findSymbol",
        [{"name": "Command", "limit": "ten"}],
        ["limit", "'ten'", "whole number"],
    ),
    ("outline-path", "codeindex.fileOutline", [{"path": 5}], ["path", "must be a string"]),
    (
        "outline-unindexed",
        "codeindex.fileOutline",
        [{"path": "cobra-go/nothing.go"}],
        ["path", "not a file of the workspace's index"],
    ),
    ("symbol-neither", "codeindex.getSymbol", [{}], ["get_symbol takes a name", "got neither"]),
    (
        "references-kind",
        "codeindex.findReferences",
        [{"name": "x", "kind": "callers"}],
        ["kind", "'callers'", "call, import, type, use"],
    ),
    ("extra-argument", "codeindex.indexStatus", [{"verbose": True}], ["takes no argument"]),
]


async def test_bad_arguments_get_invalid_params_and_the_server_keeps_serving(
    lsp: Session,
) -> None:
    before = await lsp.command("codeindex.listTasks", {"limit": 100})
    for case, command, arguments, needles in BAD_ARGUMENTS:
        error = await lsp.error(command, *arguments)
        assert error.code == -32602, (case, error.message)
        for needle in needles:
            assert needle in error.message, (case, needle, error.message)
        assert isinstance(error.data, dict) and error.data["message"] == error.message, case
    status = await lsp.command("codeindex.indexStatus")
    assert status["files"]["total"] == 381
    tasks = await lsp.command("codeindex.listTasks", {"limit": 100})
    # no bad request created a task (on a fresh copy, the index's first one is the only one)
    assert [t["task_id"] for t in tasks] == [t["task_id"] for t in before]


async def test_wrong_state_and_unknown_command(lsp: Session) -> None:
    done = await lsp.reindex(scope="file", paths=["cobra-go/args.go"], **{"async": False})
    # -31002, not -32002: that is LSP's ServerNotInitialized (the kind is in data.code)
    error = await lsp.error("codeindex.resumeReindex", {"task_id": done["task_id"]})
    assert error.code == -31002 and "Completed" in error.message
    assert isinstance(error.data, dict) and error.data["code"] == "wrong_state"
    error = await lsp.error("codeindex.pauseReindex", {"task_id": done["task_id"]})
    assert error.code == -31002 and "Completed" in error.message
    for outside in ("untitled:Untitled-1", "file:///etc/passwd", "file:///nonexistent/x.go"):
        item = types.TextDocumentItem(uri=outside, language_id="go", version=1, text="")
        lsp.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
        lsp.client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=outside))
        )
    unknown = await lsp.error("codeindex.noSuchCommand", {})
    assert unknown.code == -32602 and "codeindex.noSuchCommand" in unknown.message


async def test_malformed_messages_get_errors_and_the_server_keeps_serving(
    lsp: Session, tiny_server_env: dict[str, str]
) -> None:
    assert lsp.root is not None
    wire = await Wire.start(lsp.root, tiny_server_env, lsp.capabilities)
    try:
        malformed = await wire.request("raw-1", "workspace/symbol", {})
        error = malformed["error"]
        assert error["code"] == -32602 and "query" in error["message"]
        await wire.write(b"{garbage}")  # not JSON at all
        symbols = await wire.request("raw-2", "workspace/symbol", {"query": "Regex"})
        assert symbols["result"]
    finally:
        await wire.close()


def _warnings(session: Session) -> list[str]:
    return [m.message for m in session.client.messages if m.type == types.MessageType.Warning]


async def test_bad_settings_are_reported_and_the_defaults_used(
    workspace: Path, tiny_server_env: dict[str, str]
) -> None:
    options = {
        "maxFileSize": "big",
        "model": {"name": ""},
        "surprise": 1,
        "excludes": ["vendor/**"],
        "watching": False,
    }
    session = await start(
        workspace, tiny_server_env, client_capabilities("neovim"), options=options
    )
    try:
        status = await session.command("codeindex.indexStatus")
        warnings = _warnings(session)
        assert any("maxFileSize = 'big'" in w and "using the default" in w for w in warnings)
        assert any("model.name = ''" in w for w in warnings)
        assert any("'surprise'" in w and "maxFileSize" in w for w in warnings)
        assert len(warnings) == 3  # excludes and watching are fine (and apply)
        assert status["files"]["total"] == 381
        assert status["embeddings"]["configured_model"] == "sentence-transformers/all-MiniLM-L6-v2"
        session.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"codeindex": {"maxFileSize": -3}})
        )
        await session.until("window/showMessage", lambda: len(_warnings(session)) == 4)
        assert "maxFileSize = -3" in _warnings(session)[-1]
    finally:
        await session.close()


async def test_a_changed_size_limit_applies_to_the_next_reindex(
    workspace: Path, tiny_server_env: dict[str, str]
) -> None:
    session = await start(workspace, tiny_server_env, client_capabilities("visual-studio-code"))
    try:
        session.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"codeindex": {"maxFileSize": 300}})
        )
        small = await session.reindex(
            scope="file", paths=["cobra-go/command.go"], **{"async": False}
        )
        assert small["status"] == "Completed"
        status = await session.command("codeindex.indexStatus")
        skipped = {p["path"]: p["reason"] for p in status["files"]["not_indexed"]}
        assert "300 bytes limit" in skipped["cobra-go/command.go"]

        session.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"codeindex": {}})
        )
        back = await session.reindex(
            scope="file", paths=["cobra-go/command.go"], **{"async": False}
        )
        assert back["status"] == "Completed"
        found = await session.command("codeindex.findSymbol", {"name": "Command", "match": "exact"})
        assert "cobra-go/command.go" in {s["path"] for s in found}
    finally:
        await session.close()


async def test_the_editors_excludes_leave_a_folder_out_of_the_index(
    workspace: Path, tiny_server_env: dict[str, str]
) -> None:
    """`codeindex.excludes` (gitignore patterns) keeps a folder out: its indexed files go
    with the next project reindex, its symbols are no longer found, the rest stays."""
    options = {"excludes": ["cobra-go/doc/**"], "watching": False}
    session = await start(
        workspace, tiny_server_env, client_capabilities("visual-studio-code"), options=options
    )
    try:
        before = await session.command(
            "codeindex.findSymbol", {"name": "GenMarkdownTree", "match": "exact"}
        )
        assert [s["path"] for s in before] == ["cobra-go/doc/md_docs.go"]  # indexed earlier
        done = await session.reindex(scope="project", incremental=True, **{"async": False})
        assert done["status"] == "Completed"
        gone = await session.command(
            "codeindex.findSymbol", {"name": "GenMarkdownTree", "match": "exact"}
        )
        assert gone == []
        kept = await session.command("codeindex.findSymbol", {"name": "Command", "match": "exact"})
        assert "cobra-go/command.go" in {s["path"] for s in kept}
        status = await session.command("codeindex.indexStatus")
        indexed = status["files"]["total"]
        assert 0 < indexed < 381
        assert not [w for w in _warnings(session) if "excludes" in w]
    finally:
        await session.close()


async def test_no_folder_says_what_to_do(tiny_server_env: dict[str, str]) -> None:
    session = await start(None, tiny_server_env, client_capabilities("neovim"))
    try:
        error = await session.error("codeindex.indexStatus")
        assert error.code == -31004 and "open a folder" in error.message
        await session.until("codeindex/status", lambda: bool(session.statuses))
        assert session.statuses[-1]["state"] == "error"
        assert "no workspace folder" in session.statuses[-1]["message"]
        assert any(
            m.type == types.MessageType.Error and "no workspace folder" in m.message
            for m in session.client.messages
        )
        symbols = await session.client.workspace_symbol_async(
            types.WorkspaceSymbolParams(query="Command")
        )
        assert symbols == []
    finally:
        await session.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_tcp_for_debugging(workspace: Path, tiny_server_env: dict[str, str]) -> None:
    port = _free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codeindex",
        "lsp",
        "--tcp",
        f"127.0.0.1:{port}",
        env=tiny_server_env,
        stderr=subprocess.DEVNULL,
    )
    client = make_test_lsp_client()
    try:
        async with asyncio.timeout(60):
            while True:  # until the server listens
                try:
                    await client.start_tcp("127.0.0.1", port)
                    break
                except ConnectionRefusedError:
                    assert server.returncode is None
                    await asyncio.sleep(0.05)
        assert isinstance(client, LanguageClient)
        await client.initialize_session(
            types.InitializeParams(
                capabilities=client_capabilities("neovim"),
                root_uri=from_fs_path(str(workspace)),
            )
        )
        status = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="codeindex.indexStatus")
        )
        assert status["files"]["total"] == 381
        await client.shutdown_session()
        async with asyncio.timeout(30):
            assert await server.wait() == 0
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
        await client.stop()


def test_tcp_address_is_checked() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "codeindex", "lsp", "--tcp", "localhost"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and "HOST:PORT" in proc.stderr
