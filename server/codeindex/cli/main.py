"""The `codeindex` command line: a third front-end over the same service.

Data goes to stdout (as text, or JSON with --json); progress and logs go to
stderr. Exit codes: 0 fine, 1 problems found (validate) or a task failed,
2 bad input (the message says what was wrong and what to do).

Modules: `commands` (one function per subcommand, and the background worker they
start) and `render` (text output and the progress bar); this module holds the parser
and `main`, the console script's entry point.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.markup import escape

from codeindex import __version__
from codeindex.app.service import CodeIndexService
from codeindex.cli.commands import (
    cmd_index,
    cmd_model,
    cmd_reindex,
    cmd_search,
    cmd_status,
    cmd_symbols,
    cmd_task,
    cmd_tasks,
    cmd_validate,
    cmd_worker,
    control,
    following,
)
from codeindex.cli.fast import (
    LIMIT,
    add_global_options,
    add_query_commands,
    find_root,
    number_type,
)
from codeindex.cli.render import err
from codeindex.config import SETTINGS
from codeindex.errors import EXIT_INTERNAL, BadArgument, CodeIndexError, internal
from codeindex.tasks import Scope

__all__ = ["build_parser", "find_root", "main"]

log = logging.getLogger("codeindex.cli.main")


SECONDS = number_type(float, 0)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="codeindex",
        description="A live index of a code workspace for editors and coding agents.",
    )
    parser.add_argument("--version", action="version", version=f"codeindex {__version__}")
    add_global_options(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Any, help_: str, json_flag: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        if json_flag:
            p.add_argument("--json", action="store_true", help="print JSON")
        return p

    p = add("index", cmd_index, "index the workspace (only what changed when an index exists)")
    p.add_argument("path", nargs="?", type=Path, help="workspace root (default: .)")
    p.add_argument("--full", action="store_true", help="reindex every file, not only changed ones")

    p = add("reindex", cmd_reindex, "force a reindex of files, a folder, the project or embeddings")
    p.add_argument("paths", nargs="*", help="files or one folder (workspace-relative or absolute)")
    p.add_argument("--scope", required=True, choices=[s.value for s in Scope])
    p.add_argument("--priority", default="normal", choices=["high", "normal", "low"])
    p.add_argument("--sync", action="store_true", help="wait for the end (live progress)")
    p.add_argument("--incremental", action="store_true", help="only files that changed")
    p.add_argument(
        "--embeddings-only",
        action="store_true",
        help="keep symbols and chunks, only (re)create missing embeddings",
    )
    p.add_argument("--no-recursive", action="store_true", help="directory: not its subfolders")

    add_query_commands(sub, cmd_search, cmd_symbols)

    add("status", cmd_status, "files, symbols, chunks, embeddings, queue and worker")
    add("validate", cmd_validate, "check the index; exit 1 with the fix for each problem")

    p = add("tasks", cmd_tasks, "list reindex tasks, newest first")
    p.add_argument("--status", help="Queued, Running, Paused, Completed, Failed or Cancelled")
    p.add_argument("--limit", type=LIMIT, default=20)

    p = add("task", cmd_task, "show one reindex task")
    p.add_argument("task_id")
    p.add_argument(
        "--wait", action="store_true", help="wait for the task to end (exit 1 if it Failed)"
    )
    p.add_argument(
        "--timeout",
        type=SECONDS,
        metavar="SECONDS",
        help="with --wait: give up waiting after this long (exit 1; the task goes on)",
    )

    for name in ("pause", "resume", "cancel"):
        p = add(name, control(name), f"{name} a reindex task")
        p.add_argument("task_id")

    p = add("worker", cmd_worker, "run the worker in the foreground", json_flag=False)
    p.add_argument("--exit-when-idle", action="store_true", help="stop when the queue is empty")
    p.add_argument(
        "--linger",
        type=SECONDS,
        default=0.0,
        metavar="SECONDS",
        help="with --exit-when-idle: stay this long after the queue empties",
    )

    p = add("model", cmd_model, "embedding model: `model check` says what loads from where")
    p.add_argument("action", choices=["check"])
    p.add_argument(
        "--download",
        action="store_true",
        help="allow fastembed to download the model now (needs network)",
    )

    p = add("mcp", None, "serve the index to coding agents over MCP (stdio)", json_flag=False)
    p.add_argument(
        "--workspace",
        type=Path,
        default=None,
        help="workspace root (default: --root, else the client's first MCP root, else as for "
        "every command)",
    )

    p = add("lsp", _cmd_lsp, "run the language server (stdio) for editors", json_flag=False)
    p.add_argument(
        "--tcp",
        metavar="HOST:PORT",
        type=_host_port,
        help="listen on TCP instead of stdio (for debugging)",
    )

    from codeindex.bench import add_bench_parser

    add_bench_parser(sub)

    settings_help = "\n".join(f"  {s.key} ({s.env}): {s.help}" for s in SETTINGS)
    parser.epilog = f"settings (in .codeindex.toml or the environment):\n{settings_help}"
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _host_port(text: str) -> str:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT (e.g. 127.0.0.1:2087), got {text!r}")
    return text


def _cmd_lsp(args: argparse.Namespace) -> int:
    """Serve the language server; the workspace comes from the editor (--root: fallback)."""
    from codeindex.lsp import serve

    return serve(args.tcp, fallback_root=args.root.resolve() if args.root else None)


def _setup_logging(args: argparse.Namespace) -> None:
    """Logs to stderr or --log-file; CodeIndexError (bad input) for a bad level or file."""
    name = str(args.log_level).upper()
    if name not in LOG_LEVELS:
        raise BadArgument(
            f"--log-level must be one of {', '.join(LOG_LEVELS)}; got {args.log_level!r}"
        )
    level = getattr(logging, name)
    try:
        handler: logging.Handler = (
            logging.FileHandler(args.log_file, encoding="utf-8")
            if args.log_file
            else logging.StreamHandler(sys.stderr)
        )
    except OSError as exc:
        raise BadArgument(
            f"cannot write the log file {args.log_file}: {exc.strerror}; pass a writable path"
        ) from None
    logging.basicConfig(
        level=level, handlers=[handler], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


async def _run(args: argparse.Namespace) -> int:
    if args.command == "index" and args.path is not None:
        root = args.path
    else:
        root = args.root or find_root(Path.cwd())
    creates = args.command in ("index", "reindex", "worker", "model")
    service = await CodeIndexService.open(root, create=creates)
    try:
        result: int = await args.func(service, args)
        return result
    finally:
        await service.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `codeindex` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _setup_logging(args)
        if args.command in ("bench", "lsp"):  # they run their own event loop and services
            return int(args.func(args))
        if args.command == "mcp":  # stdout is the wire: nothing but MCP goes there
            from codeindex.mcp_server import main as mcp_main

            return mcp_main(args.workspace or args.root, find_root(Path.cwd()))
        return asyncio.run(_run(args))
    except CodeIndexError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("interrupted")
        if following.task_id is not None:
            err.print(
                f"task {following.task_id} goes on in the background: `codeindex task "
                f"{following.task_id}` shows it, `codeindex cancel {following.task_id}` stops it"
            )
        return 130
    except Exception as exc:
        log.debug("unexpected error", exc_info=True)
        err.print(f"[red]error:[/] {escape(internal(exc).message)}")
        return EXIT_INTERNAL
