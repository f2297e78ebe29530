"""Starting and ending a session: the workspace root, the settings, the index.

The root is the first of `workspaceFolders`, else `rootUri` (`rootPath`), else the
`--root` the server was started with. One server serves one folder: when the editor
opens several, a window/showMessage says which one is indexed and that the others are
not (start one server per folder to index each).
"""

from __future__ import annotations

import logging
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from codeindex.app.service import CodeIndexService
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
    """Pick the root, read the settings, open the index (problems are reported later)."""
    root, others = choose_root(params, ls.fallback_root)
    ls.root = root
    overrides, problems = settings.parse(params.initialization_options)
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
        return
    if not root.is_dir():
        ls.open_error = f"codeindex: the workspace folder {root} does not exist"
        return
    await _open(ls, root, overrides)


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
    await ls.stop_tasks()
    service, ls.service_ = ls.service_, None
    if service is not None:
        try:
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
