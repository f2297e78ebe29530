"""`codeindex lsp`: the language server, the only code that imports pygls and lsprotocol.

It turns the reindex service into workspace commands with work-done progress, serves
open files first, answers `workspace/symbol` from the index and tells the editor the
index's state (`codeindex/status`). Modules, one per concern: `server` (the state of a
session), `wire` (frames read from the stream), `gate` (what a message may do in the
session's state), `session` (reading, dispatching, and the end of the session),
`lifecycle` (root, settings, opening and closing the index), `commands`, `progress`,
`follow` (every task's changes), `status`, `failures`, `documents` (open/save/watched
files), `symbols`, `columns` (positions in the client's encoding), `settings`,
`error_codes` (JSON-RPC errors). Arguments are checked by `codeindex.contract`;
everything else is the service's.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from lsprotocol import types

from codeindex.lsp import documents, lifecycle, progress, session, settings, symbols
from codeindex.lsp.commands import COMMANDS
from codeindex.lsp.server import CodeIndexServer

__all__ = ["CodeIndexServer", "create_server", "serve"]

log = logging.getLogger(__name__)


def create_server(fallback_root: Path | None = None) -> CodeIndexServer:
    """A language server with every feature and command registered."""
    ls = CodeIndexServer(fallback_root)
    ls.feature(types.INITIALIZE)(lifecycle.initialize)
    ls.feature(types.INITIALIZED)(lifecycle.initialized)
    ls.feature(types.SHUTDOWN)(lifecycle.shutdown)
    ls.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)(lifecycle.did_change_workspace_folders)
    ls.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)(settings.did_change_configuration)
    ls.feature(types.TEXT_DOCUMENT_DID_OPEN)(documents.did_open)
    ls.feature(types.TEXT_DOCUMENT_DID_CLOSE)(documents.did_close)
    ls.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))(
        documents.did_save
    )
    ls.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)(documents.did_change_watched_files)
    ls.feature(types.WORKSPACE_SYMBOL)(symbols.workspace_symbol)
    ls.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)(progress.on_cancel)
    for name, handler in COMMANDS.items():
        ls.command(name)(handler)
    return ls


def serve(tcp: str | None = None, fallback_root: Path | None = None) -> int:
    """Run the server over stdio (or TCP `HOST:PORT`, for debugging) until the client goes;
    the exit status (0 after `shutdown` and `exit`, else 1)."""
    ls = create_server(fallback_root)
    if tcp:
        host, _, port = tcp.rpartition(":")
        return asyncio.run(session.serve_tcp(ls, host or "127.0.0.1", int(port)))
    return asyncio.run(session.serve_stdio(ls))
