"""Each workspace command of `codeindex lsp`, against the CLI's --json of the same request.

One server per client kind serves the module (`lsp`); pausing and cancelling get their own.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from tests.helpers import run_json
from tests.lsp.support import Session

TASK_ID = re.compile(r"^reindex_\d{14}_[0-9a-f]{8}$")
COMMANDS = {
    "codeindex.forceReindex",
    "codeindex.reindexStatus",
    "codeindex.listTasks",
    "codeindex.pauseReindex",
    "codeindex.resumeReindex",
    "codeindex.cancelReindex",
    "codeindex.indexStatus",
    "codeindex.validateIndex",
    "codeindex.search",
    "codeindex.findSymbol",
    "codeindex.fileOutline",
    "codeindex.getSymbol",
    "codeindex.findReferences",
}
RESPONSE_KEYS = {
    "task_id",
    "scope",
    "status",
    "items_total",
    "items_queued",
    "estimated_duration_seconds",
    "message",
    "result",
}


async def cli(root: Path, env: dict[str, str], *args: str) -> Any:
    """The CLI's --json answer (in a thread: the client keeps reading the server)."""
    return await asyncio.to_thread(run_json, root, *args, env=env)


async def test_advertises_exactly_the_thirteen_commands(lsp: Session) -> None:
    assert lsp.result is not None
    provider = lsp.result.capabilities.execute_command_provider
    assert provider is not None and set(provider.commands) == COMMANDS
    assert lsp.result.capabilities.workspace_symbol_provider


async def test_force_reindex_async_then_sync(lsp: Session) -> None:
    queued = await lsp.reindex(scope="file", paths=["cobra-go/args.go"])
    assert set(queued) == RESPONSE_KEYS and TASK_ID.match(queued["task_id"])
    assert queued["scope"] == {"File": {"path": "cobra-go/args.go"}}
    assert queued["status"] in ("Queued", "Running", "Completed") and queued["result"] is None
    done = await lsp.reindex(scope="directory", paths=["cobra-go/doc"], **{"async": False})
    assert done["status"] == "Completed"
    assert done["scope"] == {"Directory": {"path": "cobra-go/doc", "recursive": True}}
    result = done["result"]
    assert result["items_completed"] == done["items_total"] > 0
    assert result["items_failed"] == 0 and result["failures"] == []
    assert result["summary"]["files_processed"] == done["items_total"]
    first = await lsp.status_of(queued["task_id"])
    assert first["task_id"] == queued["task_id"]


async def test_status_and_list_match_the_cli(lsp: Session, tiny_server_env: dict[str, str]) -> None:
    assert lsp.root is not None
    done = await lsp.reindex(
        scope="files", paths=["cobra-go/args.go", "cobra-go/cobra.go"], **{"async": False}
    )
    assert done["result"]["items_completed"] == 2
    status = await lsp.status_of(done["task_id"])
    assert status == await cli(lsp.root, tiny_server_env, "task", done["task_id"])
    listed = await lsp.command("codeindex.listTasks", {"limit": 5})
    assert listed == await cli(lsp.root, tiny_server_env, "tasks", "--limit", "5")
    completed = await lsp.command("codeindex.listTasks", {"status": "completed", "limit": 50})
    assert done["task_id"] in [t["task_id"] for t in completed]
    assert all(t["status"] == "Completed" for t in completed)


async def test_pause_resume_cancel(fresh: Session) -> None:
    task = await fresh.reindex(scope="project", priority="low")
    paused = await fresh.command("codeindex.pauseReindex", {"task_id": task["task_id"]})
    assert paused["status"] == "Paused" and paused["task_id"] == task["task_id"]
    resumed = await fresh.command("codeindex.resumeReindex", {"task_id": task["task_id"]})
    assert resumed["status"] in ("Queued", "Running")
    cancelled = await fresh.command("codeindex.cancelReindex", {"task_id": task["task_id"]})
    assert cancelled["status"] == "Cancelled"
    assert (await fresh.status_of(task["task_id"]))["status"] == "Cancelled"


async def test_index_status_and_validate_match_the_cli(
    lsp: Session, tiny_server_env: dict[str, str]
) -> None:
    assert lsp.root is not None
    status = await lsp.command("codeindex.indexStatus")
    from_cli = await cli(lsp.root, tiny_server_env, "status")
    assert set(status) == set(from_cli)
    assert status["files"] == from_cli["files"] and status["files"]["by_status"]["indexed"] > 300
    report = await lsp.command("codeindex.validateIndex")
    assert report == await cli(lsp.root, tiny_server_env, "validate")
    assert report["ok"] is True


async def test_search_and_find_symbol_match_the_cli(
    lsp: Session, tiny_server_env: dict[str, str]
) -> None:
    assert lsp.root is not None
    found = await lsp.command(
        "codeindex.search", {"query": "execute command", "mode": "lexical", "limit": 5}
    )
    from_cli = await cli(
        lsp.root, tiny_server_env, "search", "execute command", "--mode", "lexical", "--limit", "5"
    )
    found.pop("elapsed_ms")
    from_cli.pop("elapsed_ms")
    assert found == from_cli and found["hits"]
    args = {"query": "flag completion", "output": "files", "source_only": True, "limit": 3}
    files = await lsp.command("codeindex.search", {**args, "path": ["cobra-go"]})
    files_cli = await cli(
        lsp.root,
        tiny_server_env,
        "search",
        "flag completion",
        *("--output", "files", "--source-only", "--limit", "3", "--path", "cobra-go"),
    )
    files.pop("elapsed_ms")
    files_cli.pop("elapsed_ms")
    assert files == files_cli and len(files["files"]) == 3
    assert all(
        f["file_kind"] == "source" and f["path"].startswith("cobra-go/") for f in files["files"]
    )
    assert all(h["signature"] and h["context"] for f in files["files"] for h in f["hits"])
    symbols = await lsp.command("codeindex.findSymbol", {"name": "Regex", "match": "exact"})
    assert symbols == await cli(lsp.root, tiny_server_env, "symbols", "Regex", "--match", "exact")
    assert {"regex-rust/src/re_bytes.rs", "regex-rust/src/re_unicode.rs"} <= {
        s["path"] for s in symbols if s["kind"] == "struct"
    }


async def test_code_commands_outline_symbol_and_references(lsp: Session) -> None:
    for path, name, signature in (
        ("cobra-go/args.go", "NoArgs", "func NoArgs(cmd *Command, args []string) error"),
        ("regex-rust/src/re_set.rs", "define_set", "macro_rules! define_set"),
        ("rxjs-ts/src/internal/Subject.ts", "Subject", "export class Subject<T> extends"),
    ):
        outline = await lsp.command("codeindex.fileOutline", {"path": path})
        assert outline["path"] == path and outline["freshness"] == "fresh"
        top = {s["name"]: s for s in outline["symbols"]}
        assert top[name]["signature"].startswith(signature), (path, top[name])

    found = await lsp.command("codeindex.getSymbol", {"name": "Command.AddCommand"})
    assert found["id"] == "cobra-go/command.go#Command.AddCommand"
    assert found["source"].startswith("// AddCommand adds one or more commands")
    by_id = await lsp.command("codeindex.getSymbol", {"id": found["id"], "max_tokens": 100})
    assert by_id["path"] == found["path"] and len(by_id["source"]) <= len(found["source"])

    refs = await lsp.command("codeindex.findReferences", {"name": "ExecuteC", "kind": "call"})
    assert [d["path"] for d in refs["definitions"]] == ["cobra-go/command.go"]
    assert {"Command.Execute", "Command.ExecuteContextC"} <= {
        r["caller"] for r in refs["references"]
    }
