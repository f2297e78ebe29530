"""Background tasks that are owned: kept referenced until they end, and never dying unseen.

`asyncio.create_task` keeps only a weak reference to a task, and an exception that ends
one is reported, at best, when it is garbage collected. Every long-lived task of codeindex
(the task feed's pump, a session's supervisor, the watcher and its reconciler, a model
loading for queries) is started through `spawn`, which holds it until it ends and logs
the error that ended it, naming what stopped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)

_running: set[asyncio.Task[Any]] = set()


def spawn(coro: Coroutine[Any, Any, T], *, name: str, what: str) -> asyncio.Task[T]:
    """Run `coro` as a task of the running loop; an error that ends it is logged as
    "`what` stopped" (cancelling it is not an error)."""
    task = asyncio.get_running_loop().create_task(coro, name=name)
    _running.add(task)

    def done(finished: asyncio.Task[T]) -> None:
        _running.discard(finished)
        if not finished.cancelled() and finished.exception() is not None:
            log.error("%s stopped", what, exc_info=finished.exception())

    task.add_done_callback(done)
    return task
