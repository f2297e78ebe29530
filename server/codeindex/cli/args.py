"""The `codeindex` command line's arguments, declared once for both of its paths.

The console script (`fast`) parses with `build_parser()` before it imports any of the
service: `--help`, `--version` and a refused argument cost argparse and nothing more, and
the query fast path reuses the global options and the two query commands. Every parsed
command names itself in `command`; `main` maps that name to the code that runs it. The
`bench` command's options are here too, so that its package loads only when it runs.

Light on purpose, like `fast`: no asyncio, rich, SQLite or tree-sitter.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from codeindex import __version__
from codeindex.cli.bench_args import QUICK_FILES, add_bench_command
from codeindex.contract import (
    MAX_CONTEXT_LINES,
    MAX_TOKENS,
    MIN_TOKENS,
    PRIORITIES,
    SCOPES,
    SEARCH_MODES,
    SEARCH_OUTPUTS,
    SYMBOL_MATCHES,
)
from codeindex.errors import BadArgument

__all__ = [
    "LIMIT",
    "LOG_LEVELS",
    "QUICK_FILES",
    "add_global_options",
    "add_query_commands",
    "build_parser",
    "find_root",
    "logging_to",
    "parse",
    "query_request",
]

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def number_type(kind: type, low: float, high: float | None = None) -> Any:
    """An argparse type: a number of `kind` from `low` (to `high`), else a clear error."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
        if value < low or (high is not None and value > high):
            bound = f"from {low:g} to {high:g}" if high is not None else f"at least {low:g}"
            raise argparse.ArgumentTypeError(f"{text} is out of range: give a number {bound}")
        return value

    return parse


LIMIT = number_type(int, 1, 1000)
SECONDS = number_type(float, 0)


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


def add_query_commands(sub: argparse._SubParsersAction[Any]) -> None:
    """The `search` and `symbols` subcommands."""
    help_ = "search code: hybrid (default once embedded), semantic, lexical"
    p = sub.add_parser("search", help=help_, description=help_)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("query")
    p.add_argument("--mode", choices=list(SEARCH_MODES))
    p.add_argument("--limit", type=LIMIT, default=10, help="hits, or files (default 10)")
    p.add_argument(
        "--path", action="append", help="only under this path prefix (repeat for several)"
    )
    p.add_argument(
        "--exclude", action="append", help="not under this path prefix (repeat for several)"
    )
    p.add_argument("--lang", help="only this language (e.g. python, go, rust, typescript)")
    p.add_argument("--kind", help="only in symbols of this kind (function, method, class, ...)")
    p.add_argument(
        "--source-only",
        action="store_true",
        help="leave out tests, docs, changelogs, examples and generated files",
    )
    p.add_argument(
        "--output",
        choices=list(SEARCH_OUTPUTS),
        default="hits",
        help="hits (default); files: hits grouped by file; paths: only which files",
    )
    p.add_argument(
        "--context",
        type=number_type(int, 0, MAX_CONTEXT_LINES),
        help="print this many lines around each hit's line (the JSON has 2 unless given)",
    )
    p.add_argument(
        "--max-tokens",
        type=number_type(int, MIN_TOKENS, MAX_TOKENS),
        help="keep the answer under about this many tokens (4 characters each)",
    )

    help_ = "find symbols by name"
    p = sub.add_parser("symbols", help=help_, description=help_)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("name")
    p.add_argument("--match", choices=list(SYMBOL_MATCHES), default="auto")
    p.add_argument("--kind", help="function, method, class, struct, interface, ...")
    p.add_argument("--limit", type=LIMIT, default=50)


def from_cwd(path: str | None) -> str | None:
    """A path on the command line means relative to where the user stands (as absolute)."""
    if not path or os.path.isabs(path):
        return path
    return os.path.join(os.getcwd(), path)


def all_from_cwd(paths: list[str] | None) -> list[str] | None:
    """Each of a repeated path option, relative to where the user stands (`from_cwd`)."""
    return None if paths is None else [from_cwd(p) or p for p in paths]


def query_request(args: argparse.Namespace) -> dict[str, Any]:
    """The query server's arguments of a parsed `search` or `symbols` command."""
    if args.command == "search":
        return {
            "query": args.query,
            "mode": args.mode,
            "limit": args.limit,
            "path": all_from_cwd(args.path),
            "exclude": all_from_cwd(args.exclude),
            "language": args.lang,
            "kind": args.kind,
            "source_only": args.source_only,
            "output": args.output,
            "context_lines": args.context,
            "max_tokens": args.max_tokens,
        }
    return {"name": args.name, "match": args.match, "kind": args.kind, "limit": args.limit}


def _command(
    sub: argparse._SubParsersAction[Any], name: str, help_: str, json_flag: bool = True
) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help=help_, description=help_)
    if json_flag:
        p.add_argument("--json", action="store_true", help="print JSON")
    return p


def _add_index_commands(sub: argparse._SubParsersAction[Any]) -> None:
    p = _command(sub, "index", "index the workspace (only what changed when an index exists)")
    p.add_argument("path", nargs="?", type=Path, help="workspace root (default: .)")
    p.add_argument("--full", action="store_true", help="reindex every file, not only changed ones")

    p = _command(sub, "reindex", "force a reindex of files, a folder, the project or embeddings")
    p.add_argument("paths", nargs="*", help="files or one folder (workspace-relative or absolute)")
    p.add_argument("--scope", required=True, choices=list(SCOPES))
    p.add_argument("--priority", default="normal", choices=list(PRIORITIES))
    p.add_argument("--sync", action="store_true", help="wait for the end (live progress)")
    p.add_argument("--incremental", action="store_true", help="only files that changed")
    p.add_argument(
        "--embeddings-only",
        action="store_true",
        help="keep symbols and chunks, only (re)create missing embeddings",
    )
    p.add_argument("--no-recursive", action="store_true", help="directory: not its subfolders")


def _add_state_commands(sub: argparse._SubParsersAction[Any]) -> None:
    _command(sub, "status", "files, symbols, chunks, embeddings, queue and worker")
    _command(sub, "validate", "check the index; exit 1 with the fix for each problem")

    p = _command(sub, "tasks", "list reindex tasks, newest first")
    p.add_argument("--status", help="Queued, Running, Paused, Completed, Failed or Cancelled")
    p.add_argument("--limit", type=LIMIT, default=20)

    p = _command(sub, "task", "show one reindex task")
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
        p = _command(sub, name, f"{name} a reindex task")
        p.add_argument("task_id")


def _add_process_commands(sub: argparse._SubParsersAction[Any]) -> None:
    p = _command(sub, "worker", "run the worker in the foreground", json_flag=False)
    p.add_argument("--exit-when-idle", action="store_true", help="stop when the queue is empty")
    p.add_argument(
        "--linger",
        type=SECONDS,
        default=0.0,
        metavar="SECONDS",
        help="with --exit-when-idle: stay this long after the queue empties",
    )

    p = _command(sub, "model", "embedding model: `model check` says what loads from where")
    p.add_argument("action", choices=["check"])
    p.add_argument(
        "--download",
        action="store_true",
        help="allow fastembed to download the model now (needs network)",
    )

    p = _command(sub, "cache", "the machine-wide vector cache: status, prune, clear")
    p.add_argument("action", choices=["status", "prune", "clear"])

    p = _command(sub, "mcp", "serve the index to coding agents over MCP (stdio)", json_flag=False)
    p.add_argument(
        "--workspace",
        type=Path,
        action="append",
        default=None,
        help="a workspace root to serve; repeat it to serve several (default: --root, else "
        "every folder the client lists as an MCP root)",
    )

    p = _command(sub, "lsp", "run the language server (stdio) for editors", json_flag=False)
    p.add_argument(
        "--tcp",
        metavar="HOST:PORT",
        type=_host_port,
        help="listen on TCP instead of stdio (for debugging)",
    )


def _host_port(text: str) -> str:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT (e.g. 127.0.0.1:2087), got {text!r}")
    return text


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand; the parsed command's name is `command`."""
    from codeindex.config import SETTINGS  # for the epilog: the query fast path needs none

    settings_help = "\n".join(f"  {s.key} ({s.env}): {s.help}" for s in SETTINGS)
    parser = argparse.ArgumentParser(
        prog="codeindex",
        description="A live index of a code workspace for editors and coding agents.",
        epilog=f"settings (in .codeindex.toml or the environment):\n{settings_help}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"codeindex {__version__}")
    add_global_options(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_index_commands(sub)
    add_query_commands(sub)
    _add_state_commands(sub)
    _add_process_commands(sub)
    add_bench_command(sub)
    return parser


def parse(argv: Sequence[str] | None) -> argparse.Namespace | int:
    """The parsed command line, or the exit status when argparse ended the command itself
    (0 after --help or --version, 2 after refusing an argument, its message on stderr)."""
    try:
        return build_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)  # argparse exits with a number


@contextmanager
def logging_to(args: argparse.Namespace) -> Iterator[None]:
    """Logs at --log-level to stderr or --log-file while the block runs (one handler, removed
    after, so that a command run again in the same process logs once); BadArgument for an
    unknown level or a file that cannot be written."""
    import logging  # only once logs are asked for: the query fast path does without them

    name = str(args.log_level).upper()
    if name not in LOG_LEVELS:
        raise BadArgument(
            f"--log-level must be one of {', '.join(LOG_LEVELS)}; got {args.log_level!r}"
        )
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
    handler.setFormatter(logging.Formatter(_LOG_FORMAT))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(getattr(logging, name))
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()
