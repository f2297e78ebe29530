"""`codeindex mcp`: the MCP front-end, for coding agents (Claude Code, Cursor, Cline, ...).

The only package that imports the `mcp` SDK. Ten tools over stdio: force_reindex and
its companions (get_reindex_status, list_reindex_tasks, pause/resume/cancel_reindex),
get_index_status, validate_index, search_code and find_symbol. Each is a thin
translation onto `CodeIndexService`.

Modules: `server` (the server, its lifespan, stdio), `tools` (names, descriptions,
schemas, annotations), `handlers` (one function per tool), `summaries` (the text
beside each structured result), `schema` (output schemas from the core's typed
results, `codeindex.contract`), `core` (the seam to the core: the session, errors as
tool results), `sdk` (loads only the parts of the SDK the server runs on).
Arguments are checked by `codeindex.contract`, as in every front-end.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["main"]


def main(
    workspaces: Sequence[Path] | Path | None, overrides: Mapping[str, Any] | None = None
) -> int:
    """Run the MCP server on stdio until the client goes; the exit code (0, or 2 when it
    has no workspace: no `--workspace` and a client that offers no roots)."""
    from codeindex.mcp_server import sdk

    sdk.load()  # the SDK's stdio server without its client: see `sdk`
    from codeindex.mcp_server.server import serve_stdio

    given = [workspaces] if isinstance(workspaces, Path) else list(workspaces or [])
    for workspace in given:
        if not workspace.is_dir():
            sys.stderr.write(f"error: the workspace {workspace} is not a folder: pass a folder\n")
            return 2
    unique = list(dict.fromkeys(w.resolve() for w in given))
    try:
        refused = asyncio.run(serve_stdio(unique or None, overrides))
    except KeyboardInterrupt:
        return 130
    if refused:
        sys.stderr.write(f"error: {refused}\n")
        return 2
    return 0
