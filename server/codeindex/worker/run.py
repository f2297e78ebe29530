"""Run a worker in this process until it leaves: `codeindex worker` and `python -m
codeindex.worker` both come here.

SIGTERM and SIGINT stop the worker after its current step. A model load is a step that
cannot be interrupted (it runs in a thread: ONNX Runtime creating its session can take
long, and much memory with many threads), so when one is still running `STOP_GRACE_SECONDS`
after the signal the process exits at once. That is safe there: SQLite commits are atomic,
no LanceDB write is in flight while the model loads, and the next worker takes the lease of
a process that is gone at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path

from codeindex.app.service import CodeIndexService
from codeindex.embedding.loader import loads_running
from codeindex.worker.host import WorkerHost

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 3.0  # after a signal, how long a model load may go on
_RECHECK_SECONDS = 0.5


async def run_worker(
    root: Path,
    *,
    exit_when_idle: bool,
    linger: float,
    reservation: str | None = None,
    service: CodeIndexService | None = None,
) -> int:
    """Hold the lease and drain the queue, answering front-ends' queries meanwhile.

    SIGTERM and SIGINT stop it after its current step (the lease is released), or within
    `STOP_GRACE_SECONDS` when that step is a model load.
    """
    own = service is None
    if service is None:
        service = await CodeIndexService.open(root, worker="none")
    try:
        host = WorkerHost(service, reservation=reservation, serve_queries=True)
        task = host.start(exit_when_idle=exit_when_idle, linger=linger)
        loop = asyncio.get_running_loop()
        signalled: list[int] = []

        def stop(signum: int) -> None:
            host.request_stop()
            if not signalled:
                signalled.append(signum)
                loop.call_later(STOP_GRACE_SECONDS, end_if_loading)

        def end_if_loading() -> None:
            if loads_running():
                name = signal.Signals(signalled[0]).name
                log.warning(
                    "%s: a model load still runs %.0f s later and cannot be interrupted: "
                    "exiting now",
                    name,
                    STOP_GRACE_SECONDS,
                )
                os._exit(0)
            loop.call_later(_RECHECK_SECONDS, end_if_loading)

        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop, signum)
        await task
        return 0
    finally:
        if own:
            await service.close()
