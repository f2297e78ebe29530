"""Starting and ending a session: the workspace root, the settings, the index.

The root is the first of `workspaceFolders`, else `rootUri` (`rootPath`), else the
`--root` the server was started with. One server serves one folder: when the editor
opens several, a window/showMessage says which one is indexed and that the others are
not (start one server per folder to index each).

`initialize` is answered at once, with nothing of the index loaded: the index (and the
code that reads it) is opened right after the answer has gone out (`open_index`), and the
messages that follow wait for it (`session`). The session ends with `end`, whatever ends
it: the index is closed, and the tasks this session created go on in the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from codeindex.errors import CodeIndexError, ConfigError
from codeindex.lsp import settings, status
from codeindex.lsp.error_codes import translate
from codeindex.lsp.follow import follow
from codeindex.lsp.server import CodeIndexServer

log = logging.getLogger(__name__)


def choose_root(
    params: types.InitializeParams, fallback: Path | None
) -> tuple[Path | None, list[str]]:
    """The folder to serve, and the other folders the editor opened (not served)."""
    uris = [f.uri for f in params.workspace_folders or []]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    paths = [to_fs_path(uri) for uri in uris]
    folders = [Path(p) for p in paths if p]
    if not folders and params.root_path:
        folders = [Path(params.root_path)]
    if not folders:
        return fallback, []
    return folders[0], [str(f) for f in folders[1:]]


async def _open(ls: CodeIndexServer, root: Path, overrides: dict[str, object]) -> None:
    from codeindex.app.service import CodeIndexService  # the index's code: after the answer

    known = dict(overrides)
    for attempt in [known, {}] if known else [{}]:
        try:
            ls.service_ = await CodeIndexService.open(root, attempt)
        except ConfigError as exc:
            if attempt:  # the editor's settings: report them, try the defaults
                ls.pending_messages.append(f"codeindex settings: {exc.message}; using the defaults")
                continue
            ls.open_error = f"cannot open the index of {root}: {exc.message}"
            return
        except Exception as exc:
            ls.open_error = f"cannot open the index of {root}: {translate(exc).message}"
            return
        ls.applied_settings = dict(attempt)
        return


async def initialize(ls: CodeIndexServer, params: types.InitializeParams) -> None:
    """Pick the root and read the settings (problems are reported once initialized)."""
    root, others = choose_root(params, ls.fallback_root)
    ls.root = root
    ls.overrides, problems = settings.parse(params.initialization_options)
    ls.pending_messages.extend(problems)
    if others:
        ls.pending_messages.append(
            f"codeindex serves one folder per server: indexing {root}; not indexed: "
            f"{', '.join(others)} (start one server per folder to index each)"
        )
    if root is None:
        ls.open_error = (
            "codeindex: no workspace folder (the editor sent no rootUri or workspaceFolders): "
            "open a folder, or start the server with --root PATH"
        )
    elif not root.is_dir():
        ls.open_error = f"codeindex: the workspace folder {root} does not exist"


async def open_index(ls: CodeIndexServer) -> None:
    """Open the index of the chosen root once `initialize` has been answered."""
    await ls.rpc.initialize_sent.wait()
    if ls.root is not None and ls.open_error is None:
        await _open(ls, ls.root, ls.overrides)


async def initialized(ls: CodeIndexServer, params: types.InitializedParams) -> None:
    """Say what went wrong at start, then follow tasks and start the session."""
    settings.report(ls, ls.pending_messages)
    ls.pending_messages.clear()
    if ls.service_ is None:
        ls.status.problem = ls.open_error
        ls.show(ls.open_error or "codeindex: no index", types.MessageType.Error)
        status.publish(ls, force=True)
        return
    try:
        await ls.service_.start_session("lsp")
    except CodeIndexError as exc:
        ls.show(f"codeindex: {exc.message}", types.MessageType.Error)
    status.publish(ls, force=True)
    ls.run_task(follow(ls), name="follow-tasks")


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
    service, ls.service_ = ls.service_, None
    if service is not None:
        try:
            with contextlib.suppress(CodeIndexError):
                await service.end_session()
        finally:
            await service.close()


def did_change_workspace_folders(
    ls: CodeIndexServer, params: types.DidChangeWorkspaceFoldersParams
) -> None:
    """Folders added later are not served by this server: say so."""
    added = [to_fs_path(f.uri) or f.uri for f in params.event.added]
    if added:
        ls.show(
            f"codeindex serves {ls.root} only; not indexed: {', '.join(added)} "
            "(start one server per folder to index each)",
            types.MessageType.Info,
        )
