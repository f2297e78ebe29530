"""Starting and ending a session: the workspace folders, the settings, the indexes.

The folders are the editor's `workspaceFolders`, else `rootUri` (`rootPath`), else the
`--root` the server was started with. Each folder is served as a workspace of its own
(its own index and worker: `folders`); `workspace/didChangeWorkspaceFolders` adds folders
(indexed, followed) and removes them (no longer followed; their index stays on disk).

`initialize` is answered at once, with nothing of the index loaded: the indexes (and the
code that reads them) are opened right after the answer has gone out (`open_index`), and
the messages that follow wait for them (`session`). The session ends with `end`, whatever
ends it: the indexes are closed, and the tasks this session created go on in the workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from codeindex.errors import CodeIndexError, ConfigError
from codeindex.lsp import progress, settings, status
from codeindex.lsp.error_codes import translate
from codeindex.lsp.folders import Folder, within
from codeindex.lsp.follow import follow, observe
from codeindex.lsp.server import CodeIndexServer

log = logging.getLogger(__name__)


def choose_roots(params: types.InitializeParams, fallback: Path | None) -> list[Path]:
    """The folders to serve, in the editor's order (the fallback when the editor sent none)."""
    uris = [f.uri for f in params.workspace_folders or []]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    paths = [to_fs_path(uri) for uri in uris]
    folders = [Path(p) for p in paths if p]
    if not folders and params.root_path:
        folders = [Path(params.root_path)]
    if not folders and fallback is not None:
        folders = [fallback]
    return folders


async def _open(ls: CodeIndexServer, folder: Folder) -> None:
    from codeindex.app.service import CodeIndexService  # the index's code: after the answer

    root = folder.root
    known = dict(ls.overrides)
    for attempt in [known, {}] if known else [{}]:
        try:
            folder.service = await CodeIndexService.open(root, attempt)
        except ConfigError as exc:
            if attempt:  # the editor's settings: report them, try the defaults
                ls.pending_messages.append(f"codeindex settings: {exc.message}; using the defaults")
                continue
            folder.error = f"cannot open the index of {root}: {exc.message}"
            return
        except Exception as exc:
            folder.error = f"cannot open the index of {root}: {translate(exc).message}"
            return
        ls.applied_settings = dict(attempt)
        return


def _check(folder: Folder) -> None:
    if not folder.root.is_dir():
        folder.error = f"codeindex: the workspace folder {folder.root} does not exist"


async def initialize(ls: CodeIndexServer, params: types.InitializeParams) -> None:
    """Pick the folders and read the settings (problems are reported once initialized)."""
    ls.overrides, problems = settings.parse(params.initialization_options)
    ls.pending_messages.extend(problems)
    for root in choose_roots(params, ls.fallback_root):
        _check(ls.folders.add(root))
    if not len(ls.folders):
        ls.no_folder_error = (
            "codeindex: no workspace folder (the editor sent no rootUri or workspaceFolders): "
            "open a folder, or start the server with --root PATH"
        )


async def open_index(ls: CodeIndexServer) -> None:
    """Open the index of every folder once `initialize` has been answered."""
    await ls.rpc.initialize_sent.wait()
    for folder in ls.folders.all():
        if folder.error is None and folder.service is None:
            await _open(ls, folder)


async def _start(ls: CodeIndexServer, folder: Folder) -> None:
    """Start the session with a folder's index and follow its tasks (or say why not)."""
    if folder.service is None:
        ls.show(folder.error or f"codeindex: no index for {folder.root}", types.MessageType.Error)
        return
    try:
        await folder.service.start_session("lsp")
        folder.session_started = True
    except CodeIndexError as exc:
        ls.show(f"codeindex: {exc.message}", types.MessageType.Error)
    with within(folder):  # the follower (and what it starts) works on this folder
        folder.follower = ls.run_task(follow(ls), name=f"follow-tasks {folder.root}")


async def _catch_up(ls: CodeIndexServer, folder: Folder) -> None:
    """Index what changed in a folder added to the workspace (no task when nothing did),
    with its progress from the start."""
    from codeindex.tasks import Priority, Scope  # the index's code: loaded once it is open

    if folder.service is None:
        return
    try:
        task = await folder.service.queue_changes(
            Scope.PROJECT, [], priority=Priority.LOW, source="folder added to the workspace"
        )
        if task is not None:
            info = await folder.service.get_reindex_status(task.id)
            with within(folder):
                observe(ls, info)
    except CodeIndexError as exc:
        log.info("%s not indexed: %s", folder.root, exc.message)


def _problem(ls: CodeIndexServer) -> str | None:
    """The status item's problem: set when no folder has a usable index."""
    if ls.open_folders():
        return None
    first = ls.folders.first()
    return (first.error if first is not None else ls.no_folder_error) or "codeindex: no index"


async def initialized(ls: CodeIndexServer, params: types.InitializedParams) -> None:
    """Say what went wrong at start, then start the session and follow every folder."""
    settings.report(ls, ls.pending_messages)
    ls.pending_messages.clear()
    if not len(ls.folders):
        ls.status.problem = ls.no_folder_error
        ls.show(ls.no_folder_error or "codeindex: no index", types.MessageType.Error)
    for folder in ls.folders.all():
        await _start(ls, folder)
    ls.status.problem = _problem(ls)
    status.publish(ls, force=True)


async def shutdown(ls: CodeIndexServer, params: None) -> None:
    """End the session: stop following, drop its boosts, close the index."""
    await _close(ls)


async def end(ls: CodeIndexServer) -> None:
    """The client is gone (or said exit): stop answering, let the index go, close it.

    Requests still running stop waiting (a sync reindex's task goes on in the worker).
    """
    pending: list[object] = list(ls.rpc._request_futures.values())
    requests = [f for f in pending if isinstance(f, asyncio.Task)]
    for request in requests:
        request.cancel()
    if requests:
        await asyncio.wait(requests)
    if ls.opening is not None:
        await asyncio.wait({ls.opening})  # never cut in half: a half-open index stays open
    await _close(ls)


async def _close(ls: CodeIndexServer) -> None:
    await ls.stop_tasks()
    for folder in ls.folders.all():
        await _close_folder(folder)


async def _close_folder(folder: Folder) -> None:
    """End the session with one folder's index and close it (the index stays on disk)."""
    if folder.follower is not None:
        folder.follower.cancel()
        await asyncio.gather(folder.follower, return_exceptions=True)
        folder.follower = None
    service, folder.service = folder.service, None
    if service is not None:
        try:
            if folder.session_started:
                with contextlib.suppress(CodeIndexError):
                    await service.end_session()
        finally:
            await service.close()


def tolerated(value: dict[str, Any]) -> dict[str, Any]:
    """A message as pygls can read it: Neovim 0.7's `add_workspace_folder` sends an empty
    folder (`{}`) as removed; folders without a uri are dropped from the change."""
    if value.get("method") != types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS:
        return value
    params = value.get("params")
    if not isinstance(params, dict) or not isinstance(params.get("event"), dict):
        return value
    event: dict[str, Any] = params["event"]
    kept = {
        side: [f for f in event.get(side) or [] if isinstance(f, dict) and f.get("uri")]
        for side in ("added", "removed")
    }
    return {**value, "params": {**params, "event": {**event, **kept}}}


async def did_change_workspace_folders(
    ls: CodeIndexServer, params: types.DidChangeWorkspaceFoldersParams
) -> None:
    """Removed folders are no longer followed (their index stays); added ones are opened,
    indexed by their worker and followed."""
    for gone in params.event.removed:
        path = to_fs_path(gone.uri)
        folder = ls.folders.remove(Path(path)) if path else None
        if folder is not None:
            log.info("no longer serving %s", folder.root)
            progress.drop_folder(ls, folder.root)
            ls.status.drop_folder(folder.root)
            await _close_folder(folder)
    for new in params.event.added:
        path = to_fs_path(new.uri)
        if not path or ls.folders.serves(Path(path)):
            continue
        folder = ls.folders.add(Path(path))
        _check(folder)
        if folder.error is None:
            await _open(ls, folder)
        log.info("serving %s", folder.root)
        await _start(ls, folder)
        await _catch_up(ls, folder)
    ls.status.problem = _problem(ls)
    status.publish(ls, force=True)
