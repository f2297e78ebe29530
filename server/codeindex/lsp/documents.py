"""What only the editor knows: which files are open, saved, or changed on disk.

`didOpen` boosts the file to high priority in every pending task (a boost owned by this
session); `didClose` drops it; `didSave` queues an incremental reindex of that file at
high priority; `workspace/didChangeWatchedFiles` is a hint that goes where the watcher's
changes go (queued incrementally when no watcher runs; a running one saw them too).
Files outside the workspace, in the data dir or excluded by the ignore rules are left
alone.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import to_fs_path

from codeindex.errors import CodeIndexError

if TYPE_CHECKING:
    from codeindex.lsp.server import CodeIndexServer

log = logging.getLogger(__name__)


def relative(ls: CodeIndexServer, uri: str) -> str | None:
    """The workspace-relative path of a file URI; None when it is not ours to index."""
    service = ls.service_
    path = to_fs_path(uri) if service is not None else None
    if service is None or path is None:
        return None
    try:
        if Path(path).resolve().is_relative_to(service.settings.data_dir):
            return None
        return service.workspace.resolve(path)
    except (CodeIndexError, OSError, ValueError):
        return None


async def _queue(ls: CodeIndexServer, scope: str, paths: list[str], **options: Any) -> str | None:
    """Create a task (under the progress lock); its id, or None when the core refused."""
    try:
        async with ls.book.lock:
            resp = await ls.service().force_reindex(scope, paths, **options)
    except CodeIndexError as exc:
        log.info("not queued (%s): %s", paths, exc.message)
        return None
    return resp["task_id"]


async def did_open(ls: CodeIndexServer, params: types.DidOpenTextDocumentParams) -> None:
    """A file opened in the editor goes first."""
    rel = relative(ls, params.text_document.uri)
    if rel is not None:
        try:
            await ls.service().boost([rel])
        except CodeIndexError as exc:
            log.info("boost of %s: %s", rel, exc.message)


async def did_close(ls: CodeIndexServer, params: types.DidCloseTextDocumentParams) -> None:
    """A file closed in the editor loses its boost."""
    rel = relative(ls, params.text_document.uri)
    if rel is not None:
        try:
            await ls.service().unboost([rel])
        except CodeIndexError as exc:
            log.info("unboost of %s: %s", rel, exc.message)


async def did_save(ls: CodeIndexServer, params: types.DidSaveTextDocumentParams) -> None:
    """A saved file is reindexed at high priority (only when it changed)."""
    rel = relative(ls, params.text_document.uri)
    if rel is not None:
        await _queue(ls, "file", [rel], priority="high", incremental=True)


async def did_change_watched_files(
    ls: CodeIndexServer, params: types.DidChangeWatchedFilesParams
) -> None:
    """Files changed on disk (a hint): into the watcher's path (queued when none watches)."""
    service = ls.service_
    if service is None:
        return
    paths = [to_fs_path(change.uri) for change in params.changes]
    try:
        async with ls.book.lock:
            await service.notice_changes([p for p in paths if p])
    except CodeIndexError as exc:
        log.info("changed files not queued: %s", exc.message)
