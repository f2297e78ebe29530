"""What only the editor knows: which files are open, saved, or changed on disk.

Each file goes to the index of the served folder that holds it (`folders`).

`didOpen` boosts the file to high priority in every pending task (a boost owned by this
session); `didClose` drops it; `didSave` queues a reindex of that file at high priority
when it changed (a save that changed nothing, size, mtime and then content hash compared,
makes no task at all); `workspace/didChangeWatchedFiles` is a hint that goes where the
watcher's changes go (queued incrementally when no watcher runs; a running one saw them too).
Files outside the workspace, in the data dir or excluded by the ignore rules are left
alone.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import to_fs_path

from codeindex.errors import CodeIndexError

if TYPE_CHECKING:
    from codeindex.app.service import CodeIndexService
    from codeindex.lsp.server import CodeIndexServer

log = logging.getLogger(__name__)


def relative(ls: CodeIndexServer, uri: str) -> tuple[CodeIndexService, str] | None:
    """The index of the folder holding a file URI, and the file's path relative to that
    folder; None when it is not ours to index."""
    path = to_fs_path(uri)
    folder = ls.folders.containing(path) if path else None
    service = folder.service if folder is not None else None
    if service is None or path is None:
        return None
    try:
        if Path(path).resolve().is_relative_to(service.settings.data_dir):
            return None
        return service, service.workspace.resolve(path)
    except (CodeIndexError, OSError, ValueError):
        return None


async def did_open(ls: CodeIndexServer, params: types.DidOpenTextDocumentParams) -> None:
    """A file opened in the editor goes first."""
    found = relative(ls, params.text_document.uri)
    if found is not None:
        service, rel = found
        try:
            await service.boost([rel])
        except CodeIndexError as exc:
            log.info("boost of %s: %s", rel, exc.message)


async def did_close(ls: CodeIndexServer, params: types.DidCloseTextDocumentParams) -> None:
    """A file closed in the editor loses its boost."""
    found = relative(ls, params.text_document.uri)
    if found is not None:
        service, rel = found
        try:
            await service.unboost([rel])
        except CodeIndexError as exc:
            log.info("unboost of %s: %s", rel, exc.message)


async def did_save(ls: CodeIndexServer, params: types.DidSaveTextDocumentParams) -> None:
    """A saved file is reindexed at high priority, only when it changed (else no task)."""
    from codeindex.tasks import Priority, Scope  # the index's code: loaded once it is open

    found = relative(ls, params.text_document.uri)
    if found is None:
        return
    service, rel = found
    try:
        async with ls.book.lock:
            task = await service.queue_changes(
                Scope.FILE, [rel], priority=Priority.HIGH, source="saved in the editor"
            )
    except CodeIndexError as exc:
        log.info("save of %s not queued: %s", rel, exc.message)
        return
    if task is None:
        log.debug("saved %s unchanged: nothing to reindex", rel)


async def did_change_watched_files(
    ls: CodeIndexServer, params: types.DidChangeWatchedFilesParams
) -> None:
    """Files changed on disk (a hint): into the watcher's path (queued when none watches)."""
    paths = [p for p in (to_fs_path(change.uri) for change in params.changes) if p]
    for folder in ls.open_folders():
        assert folder.service is not None
        mine = [p for p in paths if ls.folders.containing(p) is folder]
        if not mine:
            continue
        try:
            async with ls.book.lock:
                await folder.service.notice_changes(mine)
        except CodeIndexError as exc:
            log.info("changed files not queued in %s: %s", folder.root, exc.message)
