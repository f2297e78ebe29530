"""A worker run as a task of this process: `codeindex worker`, and tests that want one here.

Front-ends normally run no worker of their own: the supervisor starts a worker process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from codeindex.worker.loop import Worker

log = logging.getLogger(__name__)


class LocalWorker:
    """Starts and stops one worker task in this process."""

    def __init__(self, make: Callable[[], Worker]) -> None:
        self._make = make
        self.worker: Worker | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    @property
    def running(self) -> bool:
        """True while the worker task runs."""
        return self._task is not None and not self._task.done()

    def start(self, *, exit_when_idle: bool = False, linger: float = 0.0) -> asyncio.Task[None]:
        """Run a worker here (the running one, if any); it waits for the lease if needed."""
        if self._task is not None and not self._task.done():
            return self._task
        self._stop = asyncio.Event()
        worker = self.worker = self._make()
        stop = self._stop

        async def run() -> None:
            try:
                await worker.run(exit_when_idle=exit_when_idle, linger=linger, stop=stop)
            except Exception:
                log.exception("the worker stopped with an error")
                raise

        self._task = asyncio.create_task(run(), name="codeindex-worker")
        return self._task

    def request_stop(self) -> None:
        """Ask the worker to stop after its current step (signal-safe)."""
        self._stop.set()
        if self.worker is not None:
            self.worker.wake.set()

    async def stop(self) -> None:
        """Stop the worker after its current step; it releases the lease."""
        task = self._task
        if task is None:
            return
        self.request_stop()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await task
        self._task = None
