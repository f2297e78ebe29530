"""The `codeindex` command line: a third front-end over the same service.

Data goes to stdout (as text, or JSON with --json); progress and logs go to
stderr. Exit codes: 0 fine, 1 problems found (validate) or a task failed,
2 bad input (the message says what was wrong and what to do).

Modules: `args` (the arguments, parsed before anything here is imported), `commands`
(one function per subcommand, and the background worker they start) and `render` (text
output and the progress bar); this module runs a parsed command. `main(argv)` keeps no
state between calls, so tests run it in their own process, again and again.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from rich.markup import escape

from codeindex.app.service import CodeIndexService
from codeindex.cli.args import build_parser, find_root, logging_to, parse
from codeindex.cli.commands import COMMANDS, Following
from codeindex.cli.render import err
from codeindex.cli.servers import SERVERS, serve
from codeindex.errors import EXIT_INTERNAL, CodeIndexError, internal

__all__ = ["build_parser", "find_root", "main", "run"]

log = logging.getLogger("codeindex.cli.main")

EXIT_INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv` (default: the process's arguments) and run the command; its exit status."""
    args = parse(argv)
    if isinstance(args, int):
        return args
    return run(args)


def run(args: argparse.Namespace) -> int:
    """Run a parsed command; its exit status (an error is reported on stderr, never raised)."""
    following = args.following = Following()
    try:
        with logging_to(args):
            return _dispatch(args)
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
        return EXIT_INTERRUPTED
    except Exception as exc:
        log.debug("unexpected error", exc_info=True)
        err.print(f"[red]error:[/] {escape(internal(exc).message)}")
        return EXIT_INTERNAL


def _dispatch(args: argparse.Namespace) -> int:
    """Commands that run their own event loop and services, else one of `COMMANDS`."""
    if args.command == "bench":
        from codeindex.bench import run_bench_command

        return run_bench_command(args)
    if args.command == "cache":  # the user's, not a workspace's: no index opened
        from codeindex.cli.cache_command import cmd_cache

        return cmd_cache(args)
    if args.command in SERVERS:  # the console script starts them without the rest of the CLI
        return serve(args)
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    if args.command == "index" and args.path is not None:
        root = args.path
    else:
        root = args.root or find_root(Path.cwd())
    creates = args.command in ("index", "reindex", "worker", "model")
    service = await CodeIndexService.open(root, create=creates)
    try:
        return await COMMANDS[args.command](service, args)
    finally:
        await service.close()
