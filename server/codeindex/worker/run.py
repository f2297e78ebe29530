"""Run a worker in this process until it leaves: `codeindex worker` and `python -m
codeindex.worker` both come here."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from codeindex.app.service import CodeIndexService
from codeindex.worker.host import WorkerHost


async def run_worker(
    root: Path,
    *,
    exit_when_idle: bool,
    linger: float,
    reservation: str | None = None,
    service: CodeIndexService | None = None,
) -> int:
    """Hold the lease and drain the queue, answering front-ends' queries meanwhile.

    SIGTERM and SIGINT stop it after its current step; the lease is released.
    """
    own = service is None
    if service is None:
        service = await CodeIndexService.open(root, worker="none")
    try:
        host = WorkerHost(service, reservation=reservation, serve_queries=True)
        task = host.start(exit_when_idle=exit_when_idle, linger=linger)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, host.request_stop)
        await task
        return 0
    finally:
        if own:
            await service.close()
