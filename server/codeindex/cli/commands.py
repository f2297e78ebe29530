"""The CLI's subcommands, and the background worker they start when a task has work.

Each `cmd_*` takes the service and the parsed arguments, calls the service, emits the
result (text or JSON) and returns the exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from codeindex.cli.render import (
    ProgressBar,
    emit,
    render_hits,
    render_model,
    render_reindex,
    render_status,
    render_symbols,
    render_task,
    render_tasks,
    render_validation,
)
from codeindex.config import Settings
from codeindex.embedder import ModelUnavailable
from codeindex.service import CodeIndexService

BACKGROUND_WORKER_GRACE = 15.0


async def _reindex(
    service: CodeIndexService, args: argparse.Namespace, *, label: str, **kwargs: Any
) -> dict[str, Any]:
    """force_reindex; work is done by a background worker (with a progress bar when sync)."""
    sync = kwargs.pop("async_") is False
    resp = await service.force_reindex(**kwargs)
    if resp["status"] not in ("Queued", "Running"):
        if await service.models.untried():
            # nothing changed on disk, but the model settings did: a worker with these
            # settings loads the model and queues the task that fills its table
            await _ensure_background_worker(service)
        return await service.reindex_response(resp["task_id"], with_result=sync)
    grace = await _ensure_background_worker(service)
    if not sync:
        return resp
    if not args.json and sys.stderr.isatty():
        with ProgressBar(label) as bar:
            await service.wait(resp["task_id"], on_progress=bar.update, worker_grace=grace)
    else:
        await service.wait(resp["task_id"], worker_grace=grace)
    return await service.reindex_response(resp["task_id"], with_result=True)


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
    """Start a worker process when none runs with our settings; return its grace time.

    A lingering background worker started with other settings (another model, say) is
    asked to hand over, so what the user configured now is what gets used.
    """
    if await service.worker_alive() and not await service.retire_mismatched_worker():
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
    emit(args, resp, render_reindex)
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
    emit(args, resp, render_reindex)
    return 1 if resp["status"] == "Failed" else 0


async def cmd_search(service: CodeIndexService, args: argparse.Namespace) -> int:
    """Search the index."""
    result = await service.search(
        args.query, mode=args.mode, limit=args.limit, path=args.path, language=args.lang
    )
    emit(args, result.to_dict(), render_hits)
    return 0


async def cmd_symbols(service: CodeIndexService, args: argparse.Namespace) -> int:
    """Find symbols by name."""
    hits = await service.find_symbols(args.name, match=args.match, kind=args.kind, limit=args.limit)
    emit(args, [h.to_dict() for h in hits], render_symbols)
    return 0


async def cmd_status(service: CodeIndexService, args: argparse.Namespace) -> int:
    """Show the index's state."""
    emit(args, await service.status(), render_status)
    return 0


async def cmd_validate(service: CodeIndexService, args: argparse.Namespace) -> int:
    """Check the index; exit 1 when problems were found."""
    report = await service.validate()
    emit(args, report, render_validation)
    return 0 if report["ok"] else 1


async def cmd_tasks(service: CodeIndexService, args: argparse.Namespace) -> int:
    """List reindex tasks, newest first."""
    tasks = await service.list_reindex_tasks(args.status, args.limit)
    emit(args, tasks, render_tasks)
    return 0


async def cmd_task(service: CodeIndexService, args: argparse.Namespace) -> int:
    """Show one task (optionally wait for it to end)."""
    if args.wait:
        await service.wait(args.task_id)
    status = await service.get_reindex_status(args.task_id)
    emit(args, status, render_task)
    return 1 if args.wait and status["status"] == "Failed" else 0


def control(name: str) -> Callable[[CodeIndexService, argparse.Namespace], Awaitable[int]]:
    """The command that pauses, resumes or cancels (`name`) a task."""

    async def run(service: CodeIndexService, args: argparse.Namespace) -> int:
        method = getattr(service, f"{name}_reindex")
        emit(args, await method(args.task_id), render_task)
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
    emit(args, info, render_model)
    return 0 if info["ok"] else 1
