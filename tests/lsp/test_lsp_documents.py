"""What the editor tells the server: open files go first, saved and changed files are
reindexed; and `workspace/symbol` over the polyglot corpus.

The order and priority of a task's items are not in any command's answer: the tests that
check them read `reindexing_task_items` as a user's sqlite3 shell would.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path
from pytest_lsp import client_capabilities
from tests.helpers import copy_tree, line_of
from tests.lsp.support import CLIENTS, Session, start

FEW_ITEMS = 16  # one claimed batch (measured here: 0, the very next file done)


def uri(root: Path, rel: str) -> str:
    return from_fs_path(str(root / rel)) or ""


def query(root: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    """Read the index the way a user's sqlite3 shell would (read-only)."""
    db = sqlite3.connect(f"file:{root / '.codeindex' / 'index.db'}?mode=ro", uri=True)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


@pytest_asyncio.fixture(loop_scope="module", params=CLIENTS)
async def cold(
    request: pytest.FixtureRequest,
    polyglot_src: Path,
    tmp_path: Path,
    tiny_server_env: dict[str, str],
) -> AsyncIterator[Session]:
    """A session on two copies of polyglot-small (762 files) that were never indexed."""
    root = tmp_path / "ws"
    copy_tree(polyglot_src, root / "one")
    copy_tree(polyglot_src, root / "two")
    session = await start(root, tiny_server_env, client_capabilities(request.param))
    yield session
    await session.close()


async def test_file_opened_during_a_long_low_priority_reindex_is_done_within_a_few_items(
    cold: Session,
) -> None:
    assert cold.root is not None
    root = cold.root
    task = await cold.reindex(scope="project", priority="low")
    task_id = task["task_id"]
    assert task["items_total"] == 762

    def completed() -> int:
        rows = query(
            root,
            "SELECT count(*) FROM reindexing_task_items WHERE task_id = ? AND status = 'completed'",
            task_id,
        )
        return int(rows[0][0])  # type: ignore[call-overload]

    await cold.until("$/progress", lambda: completed() >= 10)
    pending = query(
        root,
        "SELECT file_path FROM reindexing_task_items WHERE task_id = ? "
        "AND status IN ('pending', 'processing') ORDER BY id DESC LIMIT 1",
        task_id,
    )
    last = str(pending[0][0])  # the file the task would do last
    before = completed()
    cold.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri(root, last), language_id="typescript", version=1, text=""
            )
        )
    )

    def last_done() -> bool:
        rows = query(
            root,
            "SELECT status FROM reindexing_task_items WHERE task_id = ? AND file_path = ?",
            task_id,
            last,
        )
        return rows[0][0] == "completed"

    await cold.until("$/progress", last_done)
    rank = query(
        root,
        "SELECT count(*) FROM reindexing_task_items WHERE task_id = ? AND status = 'completed' "
        "AND completed_at < (SELECT completed_at FROM reindexing_task_items "
        "WHERE task_id = ? AND file_path = ?)",
        task_id,
        task_id,
        last,
    )[0][0]
    assert isinstance(rank, int)
    assert rank - before <= FEW_ITEMS, (before, rank)
    assert completed() < 762 - 300  # it was served long before the task's end
    await cold.command("codeindex.cancelReindex", {"task_id": task_id})


async def test_open_boosts_and_close_drops_the_boost(fresh: Session) -> None:
    assert fresh.root is not None
    path = "cobra-go/command.go"
    sql = "SELECT priority FROM reindexing_task_items WHERE task_id = ? AND file_path = ?"
    doc = types.TextDocumentItem(uri=uri(fresh.root, path), language_id="go", version=1, text="")
    fresh.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=doc))
    await fresh.command("codeindex.indexStatus")  # answered once didOpen was handled
    opened = await fresh.reindex(scope="project", priority="low")
    await fresh.command("codeindex.pauseReindex", {"task_id": opened["task_id"]})
    assert query(fresh.root, sql, opened["task_id"], path) == [(0,)]  # high while open
    fresh.client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=doc.uri))
    )
    await fresh.command("codeindex.indexStatus")
    closed = await fresh.reindex(scope="project", priority="low")
    await fresh.command("codeindex.cancelReindex", {"task_id": closed["task_id"]})
    await fresh.command("codeindex.cancelReindex", {"task_id": opened["task_id"]})
    assert query(fresh.root, sql, opened["task_id"], path) == [(2,)]  # back to low
    assert query(fresh.root, sql, closed["task_id"], path) == [(2,)]


async def test_save_reindexes_the_file_at_high_priority(lsp: Session) -> None:
    assert lsp.root is not None
    path = lsp.root / "cobra-go" / "args.go"
    before = set(lsp.client.progress_reports)  # the session may have served other tests
    path.write_text(
        path.read_text(encoding="utf-8") + "\nfunc SavedJustNow() error { return nil }\n",
        encoding="utf-8",
    )
    lsp.client.text_document_did_save(
        types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri(lsp.root, "cobra-go/args.go"))
        )
    )

    def mine() -> list[types.ProgressToken]:
        return [t for t in lsp.client.progress_reports if t not in before]

    def found() -> bool:
        return any(
            str(t).startswith("codeindex/")
            and lsp.reports(t)[0].title == "Reindex file cobra-go/args.go"
            and lsp.ended(t)
            for t in mine()
        )

    await lsp.until("$/progress", found)
    token = next(
        str(t) for t in mine() if lsp.reports(t)[0].title == "Reindex file cobra-go/args.go"
    )
    info = await lsp.status_of(token.split("/")[1])
    assert info["scope"] == {"File": {"path": "cobra-go/args.go"}}
    assert info["priority"] == "high" and info["status"] == "Completed"
    assert info["message"].endswith("done") or "1 of 1" in info["message"]
    symbols = await lsp.client.workspace_symbol_async(
        types.WorkspaceSymbolParams(query="SavedJustNow")
    )
    assert [(s.name, s.location.range.start.line) for s in symbols] == [
        ("SavedJustNow", line_of(path, "func SavedJustNow") - 1)
    ]


@pytest.mark.parametrize("capabilities", CLIENTS)
async def test_watched_file_changes_are_queued_when_no_watcher_runs(
    workspace: Path, tiny_server_env: dict[str, str], capabilities: str
) -> None:
    session = await start(
        workspace, tiny_server_env, client_capabilities(capabilities), options={"watching": False}
    )
    try:
        (workspace / "cobra-go" / "fresh.go").write_text(
            "package cobra\n\nfunc FreshlyWritten() {}\n", encoding="utf-8"
        )
        (workspace / "cobra-go" / "cobra.go").unlink()
        seen = set(session.client.progress_reports)
        changes = [
            types.FileEvent(
                uri=uri(workspace, "cobra-go/fresh.go"), type=types.FileChangeType.Created
            ),
            types.FileEvent(
                uri=uri(workspace, "cobra-go/cobra.go"), type=types.FileChangeType.Deleted
            ),
            types.FileEvent(
                uri=uri(workspace, ".codeindex/index.db"), type=types.FileChangeType.Changed
            ),
        ]
        session.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(changes)
        )

        def indexed() -> bool:
            return any(session.ended(t) for t in session.client.progress_reports if t not in seen)

        await session.until("$/progress", indexed)
        fresh = await session.client.workspace_symbol_async(
            types.WorkspaceSymbolParams(query="FreshlyWritten")
        )
        assert [to_fs_path(s.location.uri) for s in fresh] == [
            str(workspace / "cobra-go" / "fresh.go")
        ]
        gone = await session.command(
            "codeindex.findSymbol", {"name": "OnInitialize", "match": "exact"}
        )
        assert gone == []  # its only definition was in the deleted file
        status = await session.command("codeindex.indexStatus")
        assert status["files"]["total"] == 381  # one new, one gone; the data dir ignored
    finally:
        await session.close()


async def test_workspace_symbol_finds_known_symbols(lsp: Session) -> None:
    assert lsp.root is not None
    root = lsp.root

    async def symbols(text: str) -> list[types.SymbolInformation]:
        found = await lsp.client.workspace_symbol_async(types.WorkspaceSymbolParams(query=text))
        assert isinstance(found, list)
        return [s for s in found if isinstance(s, types.SymbolInformation)]

    observable = [s for s in await symbols("Observable") if s.name == "Observable"]
    ts = root / "rxjs-ts/src/internal/Observable.ts"
    assert any(
        s.kind == types.SymbolKind.Class
        and to_fs_path(s.location.uri) == str(ts)
        and s.location.range.start.line == line_of(ts, "export class Observable") - 1
        for s in observable
    )
    command = await symbols("Command")
    go = root / "cobra-go/command.go"
    assert any(
        s.name == "Command"
        and s.kind == types.SymbolKind.Struct
        and to_fs_path(s.location.uri) == str(go)
        and s.location.range.start.line == line_of(go, "type Command struct") - 1
        for s in command
    )
    prefix = [s.name.lower().startswith("command") for s in command]
    assert prefix == sorted(prefix, reverse=True)  # names starting with it, then the others
    assert not all(prefix)  # ... and substring matches too
    path = [s for s in await symbols("CommandPath") if s.name == "CommandPath"]
    assert path and path[0].kind == types.SymbolKind.Method and path[0].container_name == "Command"
    regex = await symbols("Regex")
    assert any(
        s.name == "Regex"
        and s.kind == types.SymbolKind.Struct
        and "re_unicode.rs" in s.location.uri
        for s in regex
    )
    assert await symbols("") == []
    assert await symbols("zzzNoSuchSymbolzzz") == []
