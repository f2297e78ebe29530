"""`codeindex lsp` and `codeindex mcp`: a server alone, without the rest of the command line.

Neither imports the CLI's commands, rich, or the index's code before its protocol's
`initialize` is answered: the console script (`fast`) comes here straight from parsing the
arguments, and the server loads the index after that answer. Each runs until its client
goes, then the process exits at once, even when a library left a thread running.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading

from codeindex.cli.args import logging_to
from codeindex.errors import CodeIndexError

SERVERS = ("lsp", "mcp")

log = logging.getLogger("codeindex.cli")


def serve(args: argparse.Namespace) -> int:
    """Run the server `args.command` names until its client goes; the exit status."""
    try:
        with logging_to(args):
            if args.command == "lsp":  # the workspace comes from the editor (--root: fallback)
                from codeindex.lsp import serve as serve_lsp

                root = args.root.resolve() if args.root else None
                code = serve_lsp(args.tcp, fallback_root=root)
            else:  # stdout is the wire: nothing but MCP goes there
                from codeindex.mcp_server import main as serve_mcp

                code = serve_mcp(args.workspace or args.root)  # --workspace: a list
            return leave(code)
    except CodeIndexError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


def leave(code: int) -> int:
    """The exit status, once nothing holds the process: a thread a library left running (a
    database connection not closed, say) would keep it alive at exit for ever."""
    stuck = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if not stuck:
        return code
    log.error(
        "threads still running at exit (%s): leaving without them", ", ".join(t.name for t in stuck)
    )
    logging.shutdown()
    sys.stdout.flush()
    os._exit(code)
