"""One function per MCP tool: check the arguments, call the service, shape the answer.

A handler returns the structured result (what the tool's output schema describes)
and a short text summary for clients that show only text. The only behaviour of
its own is in sync `force_reindex`: it turns task changes into progress reports,
and a cancelled request into a cancelled task.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio

from codeindex import contract
from codeindex.contract import TaskInfo, code_args
from codeindex.errors import BadArgument
from codeindex.mcp_server import core, summaries
from codeindex.mcp_server.tools import search_defaults

if TYPE_CHECKING:
    from codeindex.app.service import CodeIndexService

Progress = Callable[[float, float | None, str | None], Awaitable[None]]
"""Report progress of the request: (progress, total, message); a no-op without a token."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """A tool's answer: the structured result and its text summary."""

    data: Mapping[str, object]
    summary: str


Handler = Callable[["CodeIndexService", Mapping[str, Any], Progress], Awaitable[Outcome]]


def _progress_reporter(progress: Progress) -> Callable[[TaskInfo], Awaitable[None]]:
    """Task changes -> progress notifications: percent done, files done, the file in progress.

    The percentage is the task's progress, weighted by the work each file needs (so it
    tracks time, not file counts); it only ever rises, as MCP requires of each
    notification.
    """
    last = -1.0

    async def on_change(info: TaskInfo) -> None:
        nonlocal last
        finished = info["status"] in ("Completed", "Failed", "Cancelled")
        percent = 100.0 if finished else round(100 * float(info["progress"]), 1)
        if percent <= last:
            return
        last = percent
        done = int(info["items_completed"]) + int(info["items_failed"])
        message = f"{info['status']}: {done}/{info['items_total']} files done"
        if info.get("current_file") and not finished:
            message += f", now {info['current_file']}"
        await progress(percent, 100.0, message)

    return on_change


async def force_reindex(
    service: CodeIndexService, args: Mapping[str, Any], progress: Progress
) -> Outcome:
    """Create a reindex task; when sync, wait for its end with progress, cancel it if cancelled."""
    kwargs = contract.reindex_args(args)
    sync = not kwargs.pop("async_")
    # shielded: once created, the task's id must come back here, to cancel it if asked
    with anyio.CancelScope(shield=True):
        created = await service.force_reindex(**kwargs, async_=True)
    if not sync:
        return Outcome(created, summaries.reindex(created))
    task_id = created["task_id"]
    try:
        await service.wait(task_id, on_progress=_progress_reporter(progress))
    except anyio.get_cancelled_exc_class():
        with anyio.CancelScope(shield=True):
            await core.cancel_if_running(service, task_id)
        raise
    final = await core.sync_response(service, task_id)
    return Outcome(final, summaries.reindex(final))


async def get_reindex_status(
    service: CodeIndexService, args: Mapping[str, Any], progress: Progress
) -> Outcome:
    """One task's state."""
    info = await service.get_reindex_status(contract.task_id_arg(args))
    return Outcome(info, summaries.task(info))


async def list_reindex_tasks(
    service: CodeIndexService, args: Mapping[str, Any], progress: Progress
) -> Outcome:
    """Tasks, newest first."""
    tasks = await service.list_reindex_tasks(**contract.list_args(args))
    return Outcome({"tasks": tasks}, summaries.tasks(tasks))


def _control(verb: str) -> Handler:
    async def control(
        service: CodeIndexService, args: Mapping[str, Any], progress: Progress
    ) -> Outcome:
        method = getattr(service, f"{verb}_reindex")
        info: TaskInfo = await method(contract.task_id_arg(args))
        return Outcome(info, summaries.task(info))

    control.__doc__ = f"{verb.capitalize()} a task."
    return control


def _no_args(tool: str, args: Mapping[str, Any]) -> None:
    if args:
        raise BadArgument(
            f"{tool} takes no arguments; got {', '.join(map(repr, sorted(args)))}",
            field=sorted(args)[0],
            allowed=[],
        )


async def get_index_status(
    service: CodeIndexService, args: Mapping[str, Any], progress: Progress
) -> Outcome:
    """What the index holds."""
    _no_args("get_index_status", args)
    status = await service.status()
    return Outcome(status, summaries.status(status))


async def validate_index(
    service: CodeIndexService, args: Mapping[str, Any], progress: Progress
) -> Outcome:
    """Problems, each with the force_reindex arguments that fix it."""
    _no_args("validate_index", args)
    report = await service.validate()
    return Outcome(report, summaries.validation(report))


async def search_code(
    service: CodeIndexService, args: Mapping[str, Any], progress: Progress
) -> Outcome:
    """Search by meaning, words or both (with the tool's own, shorter defaults)."""
    kwargs = contract.search_args(search_defaults(args))
    result = await service.search(kwargs.pop("query"), **kwargs)
    return Outcome(result, summaries.search(result))


async def find_symbol(
    service: CodeIndexService, args: Mapping[str, Any], progress: Progress
) -> Outcome:
    """Definitions by name."""
    kwargs = contract.symbol_args(args)
    found = await service.find_symbols(kwargs.pop("name"), **kwargs)
    return Outcome({"symbols": found}, summaries.symbols(found))


async def get_file_outline(
    service: CodeIndexService, args: Mapping[str, Any], progress: Progress
) -> Outcome:
    """A file's symbols as a tree."""
    outline = await service.file_outline(**code_args.outline_args(args))
    return Outcome(outline, summaries.outline(outline))


async def get_symbol(
    service: CodeIndexService, args: Mapping[str, Any], progress: Progress
) -> Outcome:
    """One symbol's source."""
    source = await service.symbol_source(**code_args.symbol_source_args(args))
    return Outcome(source, summaries.symbol_source(source))


async def find_references(
    service: CodeIndexService, args: Mapping[str, Any], progress: Progress
) -> Outcome:
    """Where a name is used."""
    found = await service.find_references(**code_args.references_args(args))
    return Outcome(found, summaries.references(found))


HANDLERS: dict[str, Handler] = {
    "force_reindex": force_reindex,
    "get_reindex_status": get_reindex_status,
    "list_reindex_tasks": list_reindex_tasks,
    "pause_reindex": _control("pause"),
    "resume_reindex": _control("resume"),
    "cancel_reindex": _control("cancel"),
    "get_index_status": get_index_status,
    "validate_index": validate_index,
    "search_code": search_code,
    "find_symbol": find_symbol,
    "get_file_outline": get_file_outline,
    "get_symbol": get_symbol,
    "find_references": find_references,
}
