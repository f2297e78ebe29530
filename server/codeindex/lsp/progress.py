"""Work-done progress for every reindex task, whoever created it.

Each task that runs gets a progress: begin (the scope in the title), report (the
percentage and `12/25 files · path`, at most about five a second) and end (completed,
failed with the count of failed files, cancelled, or paused; a resumed task begins a new
one). A sync `codeindex.forceReindex` that carries a `workDoneToken` gets its progress on
that token; other tasks on a token this server creates, when the client supports
`window.workDoneProgress` (otherwise none: the commands still work). Cancelling the
progress in the editor cancels the task.

No lock is held while the client answers `window/workDoneProgress/create`: the token is
asked for in a background task, and the task's states that arrive meanwhile wait in its
`Tracked` (the latest one is shown once the token exists). A sync request's task is
adopted on the request's token: while one is being created (`ProgressBook.expecting`),
tasks seen for the first time wait (`deferred`) so that none of them gets a token of
this server first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from codeindex.contract import TaskInfo
from codeindex.errors import CodeIndexError
from codeindex.lsp.tracking import RUNNING, Tracked, end_message, report_message, title

if TYPE_CHECKING:
    from codeindex.lsp.server import CodeIndexServer

log = logging.getLogger(__name__)

REPORT_SECONDS = 0.2
CREATE_SECONDS = 5.0


def _begin(ls: CodeIndexServer, tracked: Tracked, info: TaskInfo) -> None:
    """Begin the task's progress: on the client's token at once, or on a token of ours once
    the client has created it (in the background)."""
    if not tracked.client_token:
        if ls.supports_progress() and tracked.creating is None:
            tracked.latest = info
            tracked.creating = ls.run_task(
                _create(ls, tracked), name=f"progress-token-{tracked.task_id}"
            )
        return
    _send_begin(ls, tracked, info)


async def _create(ls: CodeIndexServer, tracked: Tracked) -> None:
    """Ask the client for a token; then show the latest state the task reached meanwhile."""
    tracked.rounds += 1
    token = f"codeindex/{tracked.task_id}/{tracked.rounds}"
    try:
        async with asyncio.timeout(CREATE_SECONDS):  # a client that never answers
            await ls.work_done_progress.create_async(token)
    except Exception as exc:
        log.info("the client refused a progress token (%s): no progress for this task", exc)
        return
    finally:
        tracked.creating = None
    if ls.book.tasks.get(tracked.task_id) is not tracked or tracked.latest is None:
        return  # ended or released meanwhile: nothing to show on it
    tracked.token = token
    info, tracked.latest = tracked.latest, None
    _send_begin(ls, tracked, info)
    if info["status"] not in RUNNING:
        show(ls, info)


def _send_begin(ls: CodeIndexServer, tracked: Tracked, info: TaskInfo) -> None:
    if tracked.token is None:
        return
    ls.book.by_token[tracked.token] = tracked.task_id
    tracked.begun = True
    tracked.reported = (tracked.percent, report_message(info))
    tracked.last_report = time.monotonic()
    ls.work_done_progress.begin(
        tracked.token,
        types.WorkDoneProgressBegin(
            title=_titled(ls, title(info["scope"])),
            cancellable=True,
            message=tracked.reported[1],
            percentage=tracked.percent,
        ),
    )


def _titled(ls: CodeIndexServer, text: str) -> str:
    """`api: Reindex project` when the server serves several folders (the task's folder)."""
    folder = ls.folders.current()
    return f"{folder.name}: {text}" if folder is not None and len(ls.folders) > 1 else text


def _end(ls: CodeIndexServer, tracked: Tracked, message: str) -> None:
    if tracked.begun and tracked.token is not None:
        ls.work_done_progress.end(tracked.token, types.WorkDoneProgressEnd(message=message))
        ls.book.by_token.pop(tracked.token, None)
    tracked.begun = False
    if tracked.client_token:  # a client's token is spent once its progress ends
        tracked.client_token = False
        tracked.token = None


def _report(ls: CodeIndexServer, tracked: Tracked, info: TaskInfo) -> None:
    now = time.monotonic()
    state = (tracked.percent, report_message(info))
    if tracked.token is None or state == tracked.reported:
        return
    if now - tracked.last_report >= REPORT_SECONDS:
        tracked.reported, tracked.last_report = state, now
        ls.work_done_progress.report(
            tracked.token,
            types.WorkDoneProgressReport(message=state[1], percentage=state[0], cancellable=True),
        )


def show(ls: CodeIndexServer, info: TaskInfo) -> bool:
    """Turn one task state into progress messages; True when this ended a task we followed."""
    book = ls.book
    task_id = info["task_id"]
    if task_id in book.ended:
        return False
    tracked = book.tasks.get(task_id)
    status = info["status"]
    if tracked is None:
        if book.expecting:
            book.deferred[task_id] = info  # maybe the sync request's own: shown once adopted
            return False
        if status == "Paused":
            return False  # nothing runs: nothing to show until it is resumed
        if status not in RUNNING:
            book.forget(task_id)  # it ended before it was seen running
            return True
        tracked = book.tasks[task_id] = Tracked(task_id)
    if tracked.root is None:
        folder = ls.folders.current()
        tracked.root = folder.root if folder is not None else None
    tracked.percent = max(tracked.percent, min(100, int(info["progress"] * 100)))
    if tracked.creating is not None:
        tracked.latest = info  # shown when the token exists
        if status in RUNNING or status == "Paused":
            return False
        book.forget(task_id)
        return True
    if status in RUNNING:
        if not tracked.begun:
            _begin(ls, tracked, info)
        else:
            _report(ls, tracked, info)
        return False
    if status == "Paused":
        _end(ls, tracked, end_message(info))
        return False
    if tracked.client_token and not tracked.begun:
        _send_begin(ls, tracked, info)  # a sync request's task that ended at once
    _end(ls, tracked, end_message(info))
    book.forget(task_id)
    return True


def drop_folder(ls: CodeIndexServer, root: Path) -> None:
    """A folder left the workspace: end the progress of its tasks (they go on in its worker)."""
    for tracked in [t for t in ls.book.tasks.values() if t.root == root]:
        if tracked.creating is not None:
            tracked.creating.cancel()
        _end(ls, tracked, "folder removed from the workspace; the task goes on in its worker")
        ls.book.forget(tracked.task_id)


def adopted(ls: CodeIndexServer) -> list[TaskInfo]:
    """A sync request's task was created (and adopted, unless it failed): the states held
    back meanwhile, to show now."""
    book = ls.book
    book.expecting -= 1
    if book.expecting:
        return []
    held, book.deferred = list(book.deferred.values()), {}
    return held


def release(ls: CodeIndexServer, task_id: str) -> None:
    """A sync request stopped waiting: end its token's progress; the task goes on (and
    shows again on a token of this server)."""
    tracked = ls.book.tasks.get(task_id)
    if tracked is not None and tracked.client_token:
        _end(ls, tracked, "still running in the background")
        del ls.book.tasks[task_id]


async def on_cancel(ls: CodeIndexServer, params: types.WorkDoneProgressCancelParams) -> None:
    """window/workDoneProgress/cancel: cancel the task shown on that token."""
    task_id = ls.book.by_token.get(params.token)
    if task_id is None:
        return
    try:
        service = await ls.service_of_task(task_id)
        await service.cancel_reindex(task_id)
    except CodeIndexError as exc:
        log.info("cancel of %s from the editor: %s", task_id, exc)
