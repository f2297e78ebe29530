"""When a task ends with failed files: say how many, offer to show them or retry them.

A `window/showMessageRequest` with two actions: "Show failures" answers with a
window/showMessage listing each file and its reason (all of them also go to the log
through window/logMessage); "Retry failed" queues a `files` task of exactly those files
at high priority.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lsprotocol import types

from codeindex.contract import Failure, TaskInfo
from codeindex.errors import CodeIndexError
from codeindex.lsp.tracking import counts, title

if TYPE_CHECKING:
    from codeindex.lsp.server import CodeIndexServer

log = logging.getLogger(__name__)

SHOW = "Show failures"
RETRY = "Retry failed"
SHOWN_LINES = 20


def summary(info: TaskInfo) -> str:
    """`Reindex project: 3 files failed (381/381 files).`"""
    failed = int(info["items_failed"])
    noun = "file" if failed == 1 else "files"
    return f"{title(info['scope'])}: {failed} {noun} failed ({counts(info)})."


def listing(task_id: str, failures: Sequence[Failure]) -> str:
    """The failed files with their reasons, the first SHOWN_LINES of them."""
    lines = [f"{f['path']}: {f['error']}" for f in failures[:SHOWN_LINES]]
    if len(failures) > SHOWN_LINES:
        lines.append(
            f"... and {len(failures) - SHOWN_LINES} more (codeindex.reindexStatus "
            f'{{"task_id": "{task_id}"}}, or the output log)'
        )
    return "\n".join(lines)


async def offer(ls: CodeIndexServer, info: TaskInfo) -> None:
    """Ask what to do about a task's failed files, and do it."""
    task_id = str(info["task_id"])
    try:
        choice = await ls.window_show_message_request_async(
            types.ShowMessageRequestParams(
                type=types.MessageType.Warning,
                message=summary(info),
                actions=[types.MessageActionItem(title=SHOW), types.MessageActionItem(title=RETRY)],
            )
        )
    except Exception as exc:
        log.info("the client did not answer the failures prompt: %s", exc)
        return
    if choice is None or choice.title not in (SHOW, RETRY):
        return
    try:
        service = ls.service()
        # CORE GAP: a task's failures come capped (TaskInfo 20, the sync result 100);
        # retrying "exactly those" needs them all.
        answer = await service.reindex_response(task_id, with_result=True)
        failures = list(answer["result"]["failures"]) if answer["result"] else []
        if choice.title == SHOW:
            text = listing(task_id, failures)
            ls.window_log_message(
                types.LogMessageParams(
                    type=types.MessageType.Warning,
                    message="\n".join(f"{f['path']}: {f['error']}" for f in failures),
                )
            )
            ls.show(f"{summary(info)}\n{text}", types.MessageType.Warning)
            return
        paths = [f["path"] for f in failures]
        async with ls.book.lock:
            resp = await service.force_reindex("files", paths, priority="high")
        noun = "file" if len(paths) == 1 else "files"
        ls.show(
            f"Retrying {len(paths)} failed {noun}: task {resp['task_id']}", types.MessageType.Info
        )
    except CodeIndexError as exc:
        ls.show(f"{choice.title}: {exc.message}", types.MessageType.Error)
