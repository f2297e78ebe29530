"""A multi-root workspace: one `codeindex lsp` serves every folder the editor opened, each
with its own index and worker, and follows folders added and removed while it runs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.uris import from_fs_path
from pytest_lsp import client_capabilities
from tests.helpers import copy_tree, index_with_cli
from tests.lsp.support import STATUS, Session, start

pytestmark = pytest.mark.slow  # language server processes, their workers, cold indexes

STEP_SECONDS = 240
API = ["cobra-go/args.go", "cobra-go/command.go"]
LIB = ["regex-rust/src/sparse.rs", "regex-rust/src/backtrack.rs"]
EXTRA = ["regex-rust/src/pattern.rs"]


def _titles(session: Session) -> dict[str, bool]:
    """Each progress title begun so far, and whether its progress has ended."""
    found: dict[str, bool] = {}
    for values in session.client.progress_reports.values():
        if values and isinstance(values[0], types.WorkDoneProgressBegin):
            found[values[0].title] = isinstance(values[-1], types.WorkDoneProgressEnd)
    return found


async def _until_indexed(session: Session, name: str) -> None:
    """Wait until a progress titled for folder `name` has ended."""

    def ended() -> bool:
        return any(t.startswith(f"{name}: ") and done for t, done in _titles(session).items())

    await session.until("$/progress", ended)


async def _owed(what: str, awaitable: Awaitable[Any]) -> Any:
    """An answer the server owes; a hang fails the test naming the request."""
    try:
        async with asyncio.timeout(STEP_SECONDS):
            return await awaitable
    except TimeoutError:
        raise AssertionError(f"no answer within {STEP_SECONDS} s: {what}") from None


async def _command(session: Session, name: str, *arguments: Any, **kw: Any) -> Any:
    return await _owed(f"{name} {arguments}", session.command(name, *arguments, **kw))


async def _symbols(session: Session, query: str) -> list[str]:
    found = await _owed(
        f"workspace/symbol {query}",
        session.client.workspace_symbol_async(types.WorkspaceSymbolParams(query=query)),
    )
    return [s.location.uri for s in found or [] if isinstance(s, types.SymbolInformation)]


def _folder(path: Path) -> types.WorkspaceFolder:
    return types.WorkspaceFolder(uri=from_fs_path(str(path)) or "", name=path.name)


async def test_every_folder_is_indexed_searched_and_followed(
    polyglot_src: Path, tmp_path: Path, tiny_server_env: dict[str, str]
) -> None:
    api = copy_tree(polyglot_src, tmp_path / "api", API)
    lib = copy_tree(polyglot_src, tmp_path / "lib", LIB)
    extra = copy_tree(polyglot_src, tmp_path / "extra", EXTRA)  # never indexed
    for root in (api, lib):
        index_with_cli(root, tiny_server_env)
    session = await start(
        api,
        tiny_server_env,
        client_capabilities("visual-studio-code"),
        options={"watching": False},
        folders=[api, lib],
    )
    try:
        # a task in each folder: each progress names its folder
        for name in ("api", "lib"):
            answer = await _command(
                session,
                "codeindex.forceReindex",
                {"scope": "project", "folder": name, "async": False},
                token=f"reindex-{name}",
            )
            assert answer["status"] == "Completed"
        assert _titles(session) == {"api: Reindex project": True, "lib: Reindex project": True}

        # workspace/symbol answers from both folders, with each folder's URIs
        [command_uri] = {u for u in await _symbols(session, "Command") if "command.go" in u}
        assert command_uri == from_fs_path(str(api / "cobra-go/command.go"))
        sparse = await _symbols(session, "SparseSet")
        assert from_fs_path(str(lib / "regex-rust/src/sparse.rs")) in sparse

        # search without a folder asks both, each hit naming its root; with one, only it
        answer = await _command(
            session, "codeindex.search", {"query": "fn struct func", "mode": "lexical", "limit": 20}
        )
        assert {h["root"] for h in answer["hits"]} == {str(api), str(lib)}
        only = await _command(
            session, "codeindex.search", {"query": "SparseSet", "mode": "lexical", "folder": "lib"}
        )
        assert only["hits"] and all("root" not in h for h in only["hits"])
        assert {h["path"] for h in only["hits"]} <= {"regex-rust/src/sparse.rs", *LIB}
        status = await _command(session, "codeindex.indexStatus", {"folder": str(lib)})
        assert Path(status["workspace"]) == lib

        # a path decides the folder: a reindex of a file of lib goes to lib's queue
        task = await _command(
            session,
            "codeindex.forceReindex",
            {"scope": "file", "paths": [str(lib / "regex-rust/src/backtrack.rs")], "async": True},
        )
        lib_status = await _command(
            session, "codeindex.reindexStatus", {"task_id": task["task_id"]}
        )
        assert lib_status["task_id"] == task["task_id"]

        # remove lib while a task of it runs, add extra: extra is indexed and followed,
        # lib's symbols are gone from answers, and its index stays on disk
        await _command(
            session, "codeindex.forceReindex", {"scope": "project", "folder": "lib", "async": True}
        )
        session.client.workspace_did_change_workspace_folders(
            types.DidChangeWorkspaceFoldersParams(
                event=types.WorkspaceFoldersChangeEvent(
                    added=[_folder(extra)], removed=[_folder(lib)]
                )
            )
        )
        await _until_indexed(session, "extra")
        pattern = await _symbols(session, "RegexSearcher")
        assert set(pattern) == {from_fs_path(str(extra / "regex-rust/src/pattern.rs"))}
        assert await _symbols(session, "SparseSet") == []
        # the status counts no task of lib's any more (its task goes on in lib's worker)
        await session.until(
            STATUS, lambda: bool(session.statuses) and session.statuses[-1]["tasks"] == 0, 60
        )
        assert (lib / ".codeindex" / "index.db").is_file()
        with pytest.raises(JsonRpcException) as refused:
            await _command(session, "codeindex.indexStatus", {"folder": "lib"})
        assert "not a served folder" in refused.value.message
        assert str(extra) in refused.value.message
    finally:
        await _owed("shutdown", session.close())
