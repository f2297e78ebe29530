"""The `codeindex` console script: queries go to the running worker first, the rest to `cli`.

`codeindex search` and `codeindex symbols` ask the process that serves the workspace (its
worker, which has the index open and the model loaded) over the query socket
(`query_server`), so a query from the shell costs a process start and a few imports, not
LanceDB's and ONNX Runtime's. When nobody answers, or for any other command, the full CLI
(`codeindex.cli.main`) runs as usual: same arguments, same output, same exit codes.

This module and what it imports on that path are light on purpose (no asyncio, numpy,
rich, SQLite or tree-sitter); `python -X importtime -m codeindex search ...` shows it. The
arguments of both paths are declared once, in `args`; `--help`, `--version` and a refused
argument are answered there too, before the full CLI is imported.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from codeindex.cli.args import (
    LOG_LEVELS,
    add_global_options,
    add_query_commands,
    find_root,
    logging_to,
    parse,
    query_request,
)
from codeindex.cli.lines import hit_line, result_lines, symbol_line
from codeindex.cli.servers import SERVERS, serve
from codeindex.datadir import data_dir_for
from codeindex.errors import CodeIndexError
from codeindex.ipc import query_socket

__all__ = ["hit_line", "main", "query_request", "served", "symbol_line"]

QUERY_COMMANDS = ("search", "symbols")
LATE = -1  # `served`: the worker took the query and froze; the full CLI answers without it
_GLOBAL_WITH_VALUE = ("--root", "--log-level", "--log-file")


class _NotHere(Exception):
    """The fast path does not handle these arguments: the full CLI does."""


class _QuietParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _NotHere(message)


def _command(argv: Sequence[str]) -> str | None:
    """The subcommand named in argv (skipping global options and their values)."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in _GLOBAL_WITH_VALUE:
            i += 2
            continue
        if arg.startswith(tuple(f"{option}=" for option in _GLOBAL_WITH_VALUE)):
            i += 1
            continue
        return None if arg.startswith("-") else arg
    return None


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = _QuietParser(prog="codeindex", add_help=False)
    add_global_options(parser)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_QuietParser)
    add_query_commands(sub)
    args = parser.parse_args(argv)
    if str(args.log_level).upper() not in LOG_LEVELS:
        raise _NotHere("bad log level")
    return args


def served(argv: Sequence[str]) -> int | None:
    """Run a query command through the workspace's query server; None when it cannot."""
    if _command(argv) not in QUERY_COMMANDS or not query_socket.SUPPORTED:
        return None
    if "-h" in argv or "--help" in argv:
        return None  # the full CLI's help
    try:
        args = _parse(argv)
    except _NotHere:
        return None
    root = args.root or find_root(Path.cwd())
    data_dir = data_dir_for(Path(root).expanduser().resolve())
    if not (data_dir / "index.db").is_file():
        return None
    if args.log_file is None and str(args.log_level).upper() == "WARNING":
        return _answer(args, data_dir, logs=False)
    try:
        with logging_to(args):
            return _answer(args, data_dir, logs=True)
    except CodeIndexError:
        return None  # a log file that cannot be written: the full CLI says so


def _answer(args: argparse.Namespace, data_dir: Path, *, logs: bool) -> int | None:
    answer = query_socket.ask(data_dir, args.command, query_request(args))
    if answer is query_socket.LATE:
        return LATE  # frozen: the full CLI answers from its own read, without asking it
    if answer is None:
        return None
    if logs:
        import logging

        logging.getLogger("codeindex.cli.main").debug(
            "answered by the query server of %s", data_dir
        )
    if not answer["ok"]:
        error = answer.get("error") or {}
        if error.get("code") == "model_loading":
            return None  # the full CLI waits for it
        sys.stderr.write(f"error: {error.get('message', 'the query failed')}\n")
        return int(error.get("exit_code", 70))
    _print(args, answer["result"])
    return 0


def _print(args: argparse.Namespace, result: Any) -> None:
    if args.json:
        sys.stdout.write(json.dumps(result, indent=2, default=str) + "\n")
        return
    lines: list[str]
    if args.command == "search":
        if result.get("note"):
            sys.stderr.write(f"note: {result['note']}\n")
        lines = result_lines(result, context=args.context is not None)
    else:
        lines = [symbol_line(s) for s in result] or ["no symbols"]
    sys.stdout.write("\n".join(lines) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `codeindex` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    code = served(argv)
    if code is not None and code != LATE:
        return code
    args = parse(argv)  # --help, --version and refused arguments end here, before any import
    if isinstance(args, int):
        return args
    if args.command in SERVERS:
        return serve(args)
    args.worker_late = code == LATE
    from codeindex.cli.main import run

    return run(args)
