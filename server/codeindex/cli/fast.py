"""The `codeindex` console script: queries go to the running worker first, the rest to `cli`.

`codeindex search` and `codeindex symbols` ask the process that serves the workspace (its
worker, which has the index open and the model loaded) over the query socket
(`query_server`), so a query from the shell costs a process start and a few imports, not
LanceDB's and ONNX Runtime's. When nobody answers, or for any other command, the full CLI
(`codeindex.cli.main`) runs as usual: same arguments, same output, same exit codes.

This module and what it imports on that path are light on purpose (no asyncio, numpy,
rich, SQLite or tree-sitter); `python -X importtime -m codeindex search ...` shows it. The
options of the two query commands are declared here, once, for both paths.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from codeindex.contract import SEARCH_MODES, SYMBOL_MATCHES
from codeindex.datadir import data_dir_for
from codeindex.ipc import query_socket

__all__ = [
    "LIMIT",
    "add_global_options",
    "add_query_commands",
    "find_root",
    "main",
    "number_type",
    "query_request",
    "shown",
]

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
QUERY_COMMANDS = ("search", "symbols")
_GLOBAL_WITH_VALUE = ("--root", "--log-level", "--log-file")


def number_type(kind: type, low: float, high: float | None = None) -> Any:
    """An argparse type: a number of `kind` from `low` (to `high`), else a clear error."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__}") from None
        if value < low or (high is not None and value > high):
            bound = f"from {low:g} to {high:g}" if high is not None else f"at least {low:g}"
            raise argparse.ArgumentTypeError(f"{text} is out of range: give a number {bound}")
        return value

    return parse


LIMIT = number_type(int, 1, 1000)


def shown(text: Any) -> str:
    """A path or name safe to print on a terminal: control and direction-changing characters
    (a newline, an RTL override) are shown escaped instead of acting."""
    value = str(text)
    if all(unicodedata.category(ch) not in ("Cc", "Cf") for ch in value):
        return value
    return "".join(
        ch if unicodedata.category(ch) not in ("Cc", "Cf") else ch.encode("unicode_escape").decode()
        for ch in value
    )


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` that holds an index, else `start`."""
    start = start.resolve()
    if os.environ.get("CODEINDEX_DATA_DIR"):
        return start
    for folder in (start, *start.parents):
        if (folder / ".codeindex" / "index.db").is_file():
            return folder
    return start


def add_global_options(parser: argparse.ArgumentParser) -> None:
    """--root, --log-level and --log-file, before the command."""
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help="workspace root (default: the nearest folder with an index, else .)",
    )
    parser.add_argument(
        "--log-level",
        default=os.environ.get("CODEINDEX_LOG_LEVEL", "WARNING"),
        help="DEBUG, INFO, WARNING (default) or ERROR; logs go to stderr",
    )
    parser.add_argument("--log-file", type=Path, help="write logs to this file instead of stderr")


def add_query_commands(sub: argparse._SubParsersAction[Any], search: Any, symbols: Any) -> None:
    """The `search` and `symbols` subcommands, whose `func` defaults are `search`/`symbols`."""
    help_ = "search code: hybrid (default once embedded), semantic, lexical"
    p = sub.add_parser("search", help=help_, description=help_)
    p.set_defaults(func=search)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("query")
    p.add_argument("--mode", choices=list(SEARCH_MODES))
    p.add_argument("--limit", type=LIMIT, default=10)
    p.add_argument("--path", help="only under this path prefix")
    p.add_argument("--lang", help="only this language (e.g. python, go, rust, typescript)")

    help_ = "find symbols by name"
    p = sub.add_parser("symbols", help=help_, description=help_)
    p.set_defaults(func=symbols)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("name")
    p.add_argument("--match", choices=list(SYMBOL_MATCHES), default="auto")
    p.add_argument("--kind", help="function, method, class, struct, interface, ...")
    p.add_argument("--limit", type=LIMIT, default=50)


def hit_line(hit: dict[str, Any]) -> str:
    """One search hit as the CLI prints it."""
    extra = f" [{hit['symbol']}]" if hit["symbol"] else ""
    fresh = "" if hit["freshness"] == "fresh" else f" ({hit['freshness']})"
    return f"{shown(hit['path'])}:{hit['line']}{extra}{fresh}  {hit['snippet']}"


def symbol_line(symbol: dict[str, Any]) -> str:
    """One found symbol as the CLI prints it."""
    container = f"{symbol['container']}." if symbol["container"] else ""
    return (
        f"{shown(symbol['path'])}:{symbol['start_line']}  {symbol['kind']} "
        f"{container}{shown(symbol['name'])}"
    )


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
    add_query_commands(sub, "search", "symbols")
    args = parser.parse_args(argv)
    if str(args.log_level).upper() not in LOG_LEVELS:
        raise _NotHere("bad log level")
    return args


def query_request(args: argparse.Namespace) -> dict[str, Any]:
    """The query server's arguments of a parsed `search` or `symbols` command."""
    if args.command == "search":
        return {
            "query": args.query,
            "mode": args.mode,
            "limit": args.limit,
            "path": args.path,
            "language": args.lang,
        }
    return {"name": args.name, "match": args.match, "kind": args.kind, "limit": args.limit}


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
    logs = args.log_file is not None or str(args.log_level).upper() != "WARNING"
    if logs:
        _setup_logging(args)
    answer = query_socket.ask(data_dir, args.command, query_request(args))
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


def _setup_logging(args: argparse.Namespace) -> None:
    import logging

    level = getattr(logging, str(args.log_level).upper())
    try:
        handler: logging.Handler = (
            logging.FileHandler(args.log_file, encoding="utf-8")
            if args.log_file
            else logging.StreamHandler(sys.stderr)
        )
    except OSError as exc:
        raise _NotHere(str(exc)) from exc
    logging.basicConfig(
        level=level, handlers=[handler], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def _print(args: argparse.Namespace, result: Any) -> None:
    if args.json:
        sys.stdout.write(json.dumps(result, indent=2, default=str) + "\n")
        return
    lines: list[str]
    if args.command == "search":
        if result.get("note"):
            sys.stderr.write(f"note: {result['note']}\n")
        lines = [hit_line(h) for h in result["hits"]] or ["no results"]
    else:
        lines = [symbol_line(s) for s in result] or ["no symbols"]
    sys.stdout.write("\n".join(lines) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `codeindex` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = served(args)
    except _NotHere:
        code = None
    if code is not None:
        return code
    from codeindex.cli.main import main as full

    return full(args)
