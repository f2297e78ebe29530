"""The doorbell wakes a worker in another process as soon as work is committed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tests.helpers import open_in_process

from codeindex.ipc import doorbell

pytestmark = pytest.mark.skipif(not doorbell.SUPPORTED, reason="abstract sockets are Linux-only")


async def test_a_ring_reaches_the_listener_and_nobody_else(tmp_path: Path) -> None:
    event = asyncio.Event()
    listener = doorbell.Listener(tmp_path, event)
    assert doorbell.ring(tmp_path) is False  # nobody listens yet: dropped, no error
    assert listener.open()
    try:
        assert doorbell.ring(tmp_path / "other") is False
        assert doorbell.ring(tmp_path) is True
        await asyncio.wait_for(event.wait(), timeout=10)
        # one worker per workspace: a second listener is refused, the first keeps the name
        assert not doorbell.Listener(tmp_path, asyncio.Event()).open()
    finally:
        listener.close()
    assert doorbell.ring(tmp_path) is False


async def test_the_worker_listens_while_it_holds_the_lease(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def a():\n    return 1\n")
    service = await open_in_process(tmp_path, {"embedding.allow_download": False})
    try:
        service.start_worker()
        answered = False
        for _ in range(500):  # the worker binds its doorbell once it holds the lease
            answered = doorbell.ring(service.settings.data_dir)
            if answered:
                break
            await asyncio.sleep(0.02)
        assert answered
        assert await service.worker_alive()
        await service.stop_worker()
        assert doorbell.ring(service.settings.data_dir) is False
    finally:
        await service.close()
