"""`codeindex lsp`: the language server, the only code that imports pygls and lsprotocol.

It turns the reindex service into workspace commands with work-done progress, serves
open files first, answers `workspace/symbol` from the index and tells the editor the
index's state (`codeindex/status`). Modules, one per concern: `server` (the state of a
session), `lifecycle` (root, settings, start and end), `commands`, `progress`, `follow`
(every task's changes), `status`, `failures`, `documents` (open/save/watched files),
`symbols`, `settings`, `errors` (JSON-RPC errors), `latency` (a workspace/symbol latency
probe). Arguments are checked by `codeindex.contract`; everything else is the service's.
"""

from __future__ import annotations

import logging
from pathlib import Path

from lsprotocol import types

from codeindex.lsp import documents, lifecycle, progress, settings, symbols
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
    """Run the server over stdio (or TCP `HOST:PORT`, for debugging) until the client exits."""
    ls = create_server(fallback_root)
    if tcp:
        host, _, port = tcp.rpartition(":")
        ls.start_tcp(host or "127.0.0.1", int(port))
    else:
        ls.start_io()
    return 0
