"""Following every task of the workspace for the editor, whoever created it.

One background loop per session reads the core's task changes and turns each into
work-done progress, the `codeindex/status` notification and, when a task ends with
failed files, the prompt that offers to show or retry them. The loop outlives errors
(a worker crash, a locked database): it logs, says so in the status, and starts again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from codeindex.contract import TaskInfo
from codeindex.lsp import failures, progress, status

if TYPE_CHECKING:
    from codeindex.lsp.server import CodeIndexServer

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0


def observe(ls: CodeIndexServer, info: TaskInfo) -> None:
    """One task state: progress, status, and the failures prompt when it ended with some."""
    ended = progress.show(ls, info)
    folder = ls.folders.current()
    ls.status.observe(info, folder.root if folder is not None else None)
    status.publish(ls)
    if ended and int(info["items_failed"]) > 0:
        ls.run_task(failures.offer(ls, info), name=f"failures-{info['task_id']}")


async def follow(ls: CodeIndexServer) -> None:
    """Follow the tasks until the session ends."""
    while True:
        try:
            async for info in ls.service().watch():
                ls.status.problem = None
                observe(ls, info)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("following tasks failed; starting again")
            ls.status.problem = f"cannot follow tasks: {exc}"
            status.publish(ls, force=True)
        await asyncio.sleep(RETRY_SECONDS)
