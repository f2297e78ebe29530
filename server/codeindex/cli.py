"""The `codeindex` command line: a third front-end over the same service.

Data goes to stdout (as text, or JSON with --json); progress and logs go to
stderr. Exit codes: 0 fine, 1 problems found (validate) or a task failed,
2 bad input (the message says what was wrong and what to do).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from codeindex import __version__
from codeindex.config import SETTINGS, ConfigError, Settings
from codeindex.embedder import ModelUnavailable
from codeindex.migrate import SchemaError
from codeindex.search import SearchError
from codeindex.service import CodeIndexService
from codeindex.tasks import Scope, TaskNotFound, TaskStateError
from codeindex.workspace import WorkspaceError

out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)
BACKGROUND_WORKER_GRACE = 15.0
USER_ERRORS = (
    WorkspaceError,
    ConfigError,
    SearchError,
    TaskNotFound,
    TaskStateError,
    SchemaError,
    ValueError,
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


def _emit(args: argparse.Namespace, data: Any, render: Callable[[Any], None]) -> None:
    if args.json:
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    else:
        render(data)


class _ProgressBar:
    """A rich progress bar on stderr fed by task status dicts."""

    def __init__(self, label: str) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[current]}", style="dim"),
            console=err,
            transient=False,
        )
        self.task: TaskID | None = None
        self.label = label

    def __enter__(self) -> _ProgressBar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, status: dict[str, Any]) -> None:
        total = max(status["items_total"], 1)
        done = status["items_completed"] + status["items_failed"]
        if self.task is None:
            self.task = self.progress.add_task(self.label, total=total, rate="", current="")
        elapsed = self.progress.tasks[0].elapsed or 0
        rate = f"{done / elapsed:,.0f} files/s" if elapsed > 0.5 else ""
        current = (status.get("current_file") or "")[-50:]
        self.progress.update(self.task, completed=done, total=total, rate=rate, current=current)


async def _reindex(
    service: CodeIndexService, args: argparse.Namespace, *, label: str, **kwargs: Any
) -> dict[str, Any]:
    """force_reindex; work is done by a background worker (with a progress bar when sync)."""
    sync = kwargs.pop("async_") is False
    resp = await service.force_reindex(**kwargs)
    if resp["status"] not in ("Queued", "Running"):
        return await service.reindex_response(resp["task_id"], with_result=sync)
    grace = await _ensure_background_worker(service)
    if not sync:
        return resp
    if not args.json and sys.stderr.isatty():
        with _ProgressBar(label) as bar:
            await service.wait(resp["task_id"], on_progress=bar.update, worker_grace=grace)
    else:
        await service.wait(resp["task_id"], worker_grace=grace)
    return await service.reindex_response(resp["task_id"], with_result=True)


def _render_reindex(resp: dict[str, Any]) -> None:
    out.print(f"task {resp['task_id']}: {resp['status']} — {resp['message']}")
    result = resp.get("result")
    if result:
        summary = result["summary"]
        out.print(
            f"{result['items_completed']} done, {result['items_failed']} failed in "
            f"{result['duration_seconds']:.1f}s: {summary['files_processed']} files, "
            f"{summary['symbols_extracted']} symbols, {summary['chunks_created']} chunks, "
            f"{summary['embeddings_generated']} embeddings"
        )
        for failure in result["failures"][:20]:
            out.print(f"  failed: {failure['path']}: {failure['error']}")
    elif resp.get("estimated_duration_seconds") is not None:
        out.print(
            f"estimated {resp['estimated_duration_seconds']}s; "
            f"follow it with `codeindex task {resp['task_id']}`"
        )


def _spawn_worker(settings: Settings) -> None:
    """Start `codeindex worker` in the background, lingering after the queue empties."""
    log_path = settings.data_dir / "worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "codeindex",
        "--root",
        str(settings.root),
        "worker",
        "--exit-when-idle",
        "--linger",
        str(settings.linger_seconds),
    ]
    with open(log_path, "ab") as log_file:
        subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
            start_new_session=True,
            close_fds=True,
        )


async def _ensure_background_worker(service: CodeIndexService) -> float:
    """Start a worker process when none runs; return how long to give it to start."""
    if await service.worker_alive():
        return 0.0
    _spawn_worker(service.settings)
    return BACKGROUND_WORKER_GRACE


async def cmd_index(service: CodeIndexService, args: argparse.Namespace) -> int:
    """First or full index of the workspace."""
    has_index = await service.storage.scalar("SELECT count(*) FROM files")
    resp = await _reindex(
        service,
        args,
        scope="project",
        async_=False,
        incremental=bool(has_index) and not args.full,
        label="indexing",
    )
    _emit(args, resp, _render_reindex)
    return 1 if resp["status"] == "Failed" else 0


async def cmd_reindex(service: CodeIndexService, args: argparse.Namespace) -> int:
    """force_reindex from the command line."""
    resp = await _reindex(
        service,
        args,
        scope=args.scope,
        paths=args.paths,
        priority=args.priority,
        embeddings_only=args.embeddings_only,
        async_=not args.sync,
        incremental=args.incremental,
        recursive=not args.no_recursive,
        label="reindexing",
    )
    _emit(args, resp, _render_reindex)
    return 1 if resp["status"] == "Failed" else 0


def _render_hits(result: dict[str, Any]) -> None:
    if result.get("note"):
        err.print(f"[yellow]note:[/] {escape(result['note'])}")
    if not result["hits"]:
        out.print("no results")
    for hit in result["hits"]:
        where = f"{hit['path']}:{hit['line']}"
        extra = f" [{hit['symbol']}]" if hit["symbol"] else ""
        fresh = "" if hit["freshness"] == "fresh" else f" ({hit['freshness']})"
        out.print(f"{where}{extra}{fresh}  {hit['snippet']}")


async def cmd_search(service: CodeIndexService, args: argparse.Namespace) -> int:
    """Search the index."""
    result = await service.search(
        args.query, mode=args.mode, limit=args.limit, path=args.path, language=args.lang
    )
    _emit(args, result.to_dict(), _render_hits)
    return 0


async def cmd_symbols(service: CodeIndexService, args: argparse.Namespace) -> int:
    """Find symbols by name."""
    hits = await service.find_symbols(args.name, match=args.match, kind=args.kind, limit=args.limit)

    def render(data: list[dict[str, Any]]) -> None:
        if not data:
            out.print("no symbols")
        for s in data:
            container = f"{s['container']}." if s["container"] else ""
            out.print(f"{s['path']}:{s['start_line']}  {s['kind']} {container}{s['name']}")

    _emit(args, [h.to_dict() for h in hits], render)
    return 0


def _render_status(data: dict[str, Any]) -> None:
    files = data["files"]
    emb = data["embeddings"]
    queue = data["queue"]
    table = Table(show_header=False, box=None)
    table.add_row("workspace", data["workspace"])
    table.add_row("data dir", f"{data['data_dir']} ({data['data_dir_bytes'] / 1e6:.1f} MB)")
    table.add_row(
        "files",
        f"{files['total']} " + ", ".join(f"{k} {v}" for k, v in sorted(files["by_status"].items())),
    )
    table.add_row("languages", ", ".join(f"{k} {v}" for k, v in files["by_language"].items()))
    table.add_row("symbols / chunks", f"{data['symbols']} / {data['chunks']}")
    table.add_row("last full index", str(data["last_full_index_at"]))
    table.add_row("schema / parser", f"{data['schema_version']} / {data['parser_version']}")
    model = emb["active_model"]
    table.add_row("active model", f"{model['name']} ({model['dim']} dims)" if model else "none")
    table.add_row(
        "embeddings",
        f"{emb['chunks_embedded']} embedded, {emb['chunks_pending']} "
        f"pending, {emb['vectors_bytes'] / 1e6:.1f} MB of vectors",
    )
    if emb["pending_reason"] and emb["chunks_pending"]:
        table.add_row("pending because", emb["pending_reason"])
    tasks = ", ".join(f"{k} {v}" for k, v in queue["tasks_by_status"].items()) or "none"
    table.add_row("tasks", f"{tasks}; {queue['items_left']} item(s) left")
    worker = queue["worker"]
    table.add_row("worker", f"pid {worker['pid']} on {worker['host']}" if worker else "none")
    out.print(table)
    for p in files["not_indexed"][:20]:
        out.print(f"  {p['status']}: {p['path']}: {p['reason']}")


async def cmd_status(service: CodeIndexService, args: argparse.Namespace) -> int:
    """Show the index's state."""
    _emit(args, await service.status(), _render_status)
    return 0


async def cmd_validate(service: CodeIndexService, args: argparse.Namespace) -> int:
    """Check the index; exit 1 when problems were found."""
    report = await service.validate()

    def render(data: dict[str, Any]) -> None:
        for skipped in data["skipped_paths"]:
            out.print(f"not indexed: {skipped['path']}: {skipped['reason']}")
        if data["ok"]:
            out.print(f"index is valid ({data['files_checked']} files checked)")
            return
        for p in data["problems"]:
            fix = p["fix"]
            paths = " ".join(fix.get("paths", [])[:5])
            more = "" if len(fix.get("paths", [])) <= 5 else " ..."
            out.print(f"{p['kind']}: {p['detail']}")
            out.print(f"  fix: codeindex reindex --scope {fix['scope']} {paths}{more}".rstrip())

    _emit(args, report, render)
    return 0 if report["ok"] else 1


async def cmd_tasks(service: CodeIndexService, args: argparse.Namespace) -> int:
    """List reindex tasks, newest first."""
    tasks = await service.list_reindex_tasks(args.status, args.limit)

    def render(data: list[dict[str, Any]]) -> None:
        if not data:
            out.print("no tasks")
        for t in data:
            out.print(
                f"{t['task_id']}  {t['status']:<9} {t['progress'] * 100:5.1f}%  "
                f"{t['items_completed']}/{t['items_total']}  {json.dumps(t['scope'])}  "
                f"{t['message'] or ''}"
            )

    _emit(args, tasks, render)
    return 0


def _render_task(t: dict[str, Any]) -> None:
    out.print(f"{t['task_id']}  {t['status']}  {t['progress'] * 100:.1f}%")
    out.print(f"  scope {json.dumps(t['scope'])}, priority {t['priority']}")
    out.print(
        f"  {t['items_completed']} done, {t['items_failed']} failed, "
        f"{t['items_pending']} left, {t['items_cancelled']} cancelled of {t['items_total']}"
    )
    if t["current_file"]:
        out.print(f"  now: {t['current_file']}")
    if t["eta_seconds"] is not None:
        out.print(f"  ETA {t['eta_seconds']}s")
    if t["message"]:
        out.print(f"  {t['message']}")
    for f in t["failures"]:
        out.print(f"  failed: {f['path']}: {f['error']}")


async def cmd_task(service: CodeIndexService, args: argparse.Namespace) -> int:
    """Show one task (optionally wait for it to end)."""
    if args.wait:
        await service.wait(args.task_id)
    _emit(args, await service.get_reindex_status(args.task_id), _render_task)
    return 0


def _control(name: str) -> Callable[[CodeIndexService, argparse.Namespace], Awaitable[int]]:
    async def run(service: CodeIndexService, args: argparse.Namespace) -> int:
        method = getattr(service, f"{name}_reindex")
        _emit(args, await method(args.task_id), _render_task)
        return 0

    run.__doc__ = f"{name.capitalize()} a task."
    return run


async def cmd_worker(service: CodeIndexService, args: argparse.Namespace) -> int:
    """Run the worker in the foreground."""
    task = service.start_worker(exit_when_idle=args.exit_when_idle, linger=args.linger)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, service.request_worker_stop)
    await task
    return 0


async def cmd_model(service: CodeIndexService, args: argparse.Namespace) -> int:
    """Say which model would be loaded from where, and try to load it."""
    from codeindex.embedder import describe

    info: dict[str, Any] = {"describe": describe(service.models.spec)}
    try:
        embedder, model_id = await service.models.configured(allow_download=args.download or None)
        ident = embedder.identity
        info.update(
            ok=True,
            name=ident.name,
            dim=ident.dim,
            fingerprint=ident.fingerprint,
            source=ident.source,
            model_id=model_id,
        )
    except ModelUnavailable as exc:
        info.update(ok=False, reason=exc.reason, hint=exc.hint)

    def render(data: dict[str, Any]) -> None:
        out.print(data["describe"])
        if data["ok"]:
            out.print(f"loaded {data['name']} ({data['dim']} dims) from {data['source']}")
        else:
            out.print(f"unavailable: {data['reason']}\n{data['hint']}")

    _emit(args, info, render)
    return 0 if info["ok"] else 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="codeindex",
        description="A live index of a code workspace for editors and coding agents.",
    )
    parser.add_argument("--version", action="version", version=f"codeindex {__version__}")
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

    p = add("search", cmd_search, "search code: hybrid (default once embedded), semantic, lexical")
    p.add_argument("query")
    p.add_argument("--mode", choices=["hybrid", "semantic", "lexical"])
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--path", help="only under this path prefix")
    p.add_argument("--lang", help="only this language (e.g. python, go, rust, typescript)")

    p = add("symbols", cmd_symbols, "find symbols by name")
    p.add_argument("name")
    p.add_argument("--match", choices=["auto", "exact", "prefix", "substring"], default="auto")
    p.add_argument("--kind", help="function, method, class, struct, interface, ...")
    p.add_argument("--limit", type=int, default=50)

    add("status", cmd_status, "files, symbols, chunks, embeddings, queue and worker")
    add("validate", cmd_validate, "check the index; exit 1 with the fix for each problem")

    p = add("tasks", cmd_tasks, "list reindex tasks, newest first")
    p.add_argument("--status", help="Queued, Running, Paused, Completed, Failed or Cancelled")
    p.add_argument("--limit", type=int, default=20)

    p = add("task", cmd_task, "show one reindex task")
    p.add_argument("task_id")
    p.add_argument("--wait", action="store_true", help="wait for the task to end")

    for name in ("pause", "resume", "cancel"):
        p = add(name, _control(name), f"{name} a reindex task")
        p.add_argument("task_id")

    p = add("worker", cmd_worker, "run the worker in the foreground", json_flag=False)
    p.add_argument("--exit-when-idle", action="store_true", help="stop when the queue is empty")
    p.add_argument(
        "--linger",
        type=float,
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

    from codeindex.bench import add_bench_parser

    add_bench_parser(sub)

    settings_help = "\n".join(f"  {s.key} ({s.env}): {s.help}" for s in SETTINGS)
    parser.epilog = f"settings (in .codeindex.toml or the environment):\n{settings_help}"
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


def _setup_logging(args: argparse.Namespace) -> None:
    level = getattr(logging, str(args.log_level).upper(), logging.WARNING)
    handler: logging.Handler = (
        logging.FileHandler(args.log_file, encoding="utf-8")
        if args.log_file
        else logging.StreamHandler(sys.stderr)
    )
    logging.basicConfig(
        level=level, handlers=[handler], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


async def _run(args: argparse.Namespace) -> int:
    if args.command == "index" and args.path is not None:
        root = args.path
    else:
        root = args.root or find_root(Path.cwd())
    service = await CodeIndexService.open(root)
    try:
        result: int = await args.func(service, args)
        return result
    finally:
        await service.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `codeindex` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args)
    if args.command in ("lsp", "mcp", "bench"):
        return int(args.func(args))
    try:
        return asyncio.run(_run(args))
    except USER_ERRORS as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        return 2
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
