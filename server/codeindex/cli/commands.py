"""The CLI's subcommands, and the background worker they start when a task has work.

Each `cmd_*` takes the service and the parsed arguments, calls the service, emits the
result (text or JSON) and returns the exit code; `COMMANDS` maps each command's name to
it. A command that waits on a task tells `args.following` (a `Following` of this run) which.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from rich.markup import escape

from codeindex import contract
from codeindex.app.service import CodeIndexService
from codeindex.cli.args import query_request
from codeindex.cli.render import (
    ProgressBar,
    emit,
    err,
    render_hits,
    render_model,
    render_reindex,
    render_status,
    render_symbols,
    render_task,
    render_tasks,
    render_validation,
)
from codeindex.contract import ReindexResponse, TaskInfo
from codeindex.errors import ModelUnavailable

FINAL_STATES = ("Completed", "Failed", "Cancelled")


class Following:
    """The task a sync command waits on: named when the wait is interrupted."""

    task_id: str | None = None

    def seen(self, state: TaskInfo) -> None:
        self.task_id = state["task_id"]


Command = Callable[[CodeIndexService, argparse.Namespace], Awaitable[int]]

# a search from the shell waits for a starting worker to load its model (a front-end's
# answer would be full text only): about as long as loading it here would take
QUERY_WAIT_SECONDS = 120.0


async def _reindex(
    service: CodeIndexService, args: argparse.Namespace, *, label: str, **kwargs: Any
) -> ReindexResponse:
    """force_reindex; a background worker does the work (with a progress bar when sync)."""
    sync = kwargs["async_"] is False
    if sync and not args.json and sys.stderr.isatty():
        with ProgressBar(label) as bar:

            def show(state: TaskInfo) -> None:
                args.following.seen(state)
                bar.update(state)

            return await service.force_reindex(**kwargs, on_progress=show)
    return await service.force_reindex(**kwargs, on_progress=args.following.seen)


def _from_cwd(paths: list[str]) -> list[str]:
    """Relative paths on the command line mean relative to where the user stands."""
    return [p if os.path.isabs(p) else os.path.join(os.getcwd(), p) for p in paths]


async def cmd_index(service: CodeIndexService, args: argparse.Namespace) -> int:
    """First or full index of the workspace."""
    has_index = await service.storage.count_files()
    resp = await _reindex(
        service,
        args,
        scope="project",
        async_=False,
        incremental=bool(has_index) and not args.full,
        label="indexing",
    )
    emit(args, resp, render_reindex)
    if not args.json:
        await _say_why_nothing_was_embedded(service, resp)
    return 1 if resp["status"] == "Failed" else 0


async def _say_why_nothing_was_embedded(service: CodeIndexService, resp: ReindexResponse) -> None:
    """An index that made chunks but no vector says why (no model, a store that failed...)."""
    result = resp.get("result")
    if not result or result["summary"]["embeddings_generated"]:
        return
    embeddings = (await service.status())["embeddings"]
    reason = embeddings["pending_reason"]
    if embeddings["chunks_pending"] and reason and reason != "waiting for the worker":
        err.print(
            f"[yellow]note:[/] {embeddings['chunks_pending']} chunk text(s) have no embedding, "
            f"so semantic search waits: {escape(reason)}"
        )


async def cmd_reindex(service: CodeIndexService, args: argparse.Namespace) -> int:
    """force_reindex from the command line."""
    resp = await _reindex(
        service,
        args,
        scope=args.scope,
        paths=_from_cwd(args.paths),
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
    query = contract.search_args(query_request(args))
    # a worker that froze on the fast path's request is not waited for again
    wait = 0.0 if getattr(args, "worker_late", False) else QUERY_WAIT_SECONDS
    result = await service.search(**query, wait=wait)
    emit(args, result, lambda shown: render_hits(shown, context=args.context is not None))
    return 0


async def cmd_symbols(service: CodeIndexService, args: argparse.Namespace) -> int:
    """Find symbols by name."""
    result = await service.find_symbols(**contract.symbol_args(query_request(args)))
    emit(args, result, render_symbols)
    return 0


async def cmd_status(service: CodeIndexService, args: argparse.Namespace) -> int:
    """Show the index's state."""
    emit(args, await service.status(), render_status)
    return 0


async def cmd_validate(service: CodeIndexService, args: argparse.Namespace) -> int:
    """Check the index; exit 1 when problems were found.

    The CLI checks the vectors in its own process (LanceDB, no model): a one-off command
    needs no worker started for it.
    """
    from codeindex.vectors.location import location_of
    from codeindex.vectors.store import VectorStore
    from codeindex.worker.vector_check import vector_problems

    here = vector_problems(
        service.storage, service.models, VectorStore(location_of(service.settings))
    )
    report = await service.validate(vectors=here)
    emit(args, report, render_validation)
    return 0 if report["ok"] else 1


async def cmd_tasks(service: CodeIndexService, args: argparse.Namespace) -> int:
    """List reindex tasks, newest first."""
    tasks = await service.list_reindex_tasks(args.status, args.limit)
    emit(args, tasks, render_tasks)
    return 0


async def cmd_task(service: CodeIndexService, args: argparse.Namespace) -> int:
    """Show one task (optionally wait for it to end)."""
    status = await service.get_reindex_status(args.task_id)
    if args.wait and status["status"] not in FINAL_STATES:
        if status["status"] == "Paused":
            err.print(
                f"task {args.task_id} is paused: it ends only after `codeindex resume "
                f"{args.task_id}` (or `codeindex cancel {args.task_id}`)"
            )
        try:
            async with asyncio.timeout(args.timeout):
                await service.wait(args.task_id, on_progress=args.following.seen)
        except TimeoutError:
            err.print(f"task {args.task_id} did not end within {args.timeout:g} s; it goes on")
            emit(args, await service.get_reindex_status(args.task_id), render_task)
            return 1
    status = await service.get_reindex_status(args.task_id)
    emit(args, status, render_task)
    return 1 if args.wait and status["status"] == "Failed" else 0


def control(name: str) -> Command:
    """The command that pauses, resumes or cancels (`name`) a task."""

    async def run(service: CodeIndexService, args: argparse.Namespace) -> int:
        method = getattr(service, f"{name}_reindex")
        emit(args, await method(args.task_id), render_task)
        return 0

    run.__doc__ = f"{name.capitalize()} a task."
    return run


async def cmd_worker(service: CodeIndexService, args: argparse.Namespace) -> int:
    """Run the worker in the foreground; it answers front-ends' queries meanwhile."""
    from codeindex.worker.run import run_worker

    return await run_worker(
        service.settings.root,
        exit_when_idle=args.exit_when_idle,
        linger=args.linger,
        service=service,
    )


async def cmd_model(service: CodeIndexService, args: argparse.Namespace) -> int:
    """Say which model would be loaded from where, and try to load it."""
    from codeindex.embedding.loader import ModelLoader
    from codeindex.embedding.local import describe

    remote = service.models.remote
    info: dict[str, Any] = {
        "describe": describe(service.models.spec)
        if remote is None
        else f"model {remote.model} from the remote engine {remote.endpoint}"
    }
    loader = ModelLoader(service.models)
    try:
        embedder, model_id = await loader.configured(allow_download=args.download or None)
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
    finally:
        loader.close()
    emit(args, info, render_model)
    return 0 if info["ok"] else 1


COMMANDS: dict[str, Command] = {
    "index": cmd_index,
    "reindex": cmd_reindex,
    "search": cmd_search,
    "symbols": cmd_symbols,
    "status": cmd_status,
    "validate": cmd_validate,
    "tasks": cmd_tasks,
    "task": cmd_task,
    "pause": control("pause"),
    "resume": control("resume"),
    "cancel": control("cancel"),
    "worker": cmd_worker,
    "model": cmd_model,
}
