"""Stale state: leases of dead or unknown processes, fencing of a replaced worker.

Real SQLite and the real worker (in this process), the tiny model.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from pathlib import Path

import pytest
from tests.helpers import open_in_process, worker_of

from codeindex.app.service import CodeIndexService
from codeindex.tasks.model import host_id


async def _lease_row(
    service: CodeIndexService, owner: str, host: str, pid: int, ttl: float
) -> None:
    now = time.time()
    async with service.storage.transaction() as db:
        await db.execute(
            "INSERT INTO worker_lease(id, owner, pid, hostname, acquired_at, renewed_at, "
            "expires_at) VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "owner = excluded.owner, pid = excluded.pid, hostname = excluded.hostname, "
            "renewed_at = excluded.renewed_at, expires_at = excluded.expires_at",
            (owner, pid, host, now, now, now + ttl),
        )


@pytest.fixture
async def idle(cobra_template: Path, tmp_path: Path, tiny_env: dict[str, str]) -> CodeIndexService:
    root = tmp_path / "ws"
    shutil.copytree(cobra_template, root, symlinks=True)
    return await open_in_process(root, mode="none")


async def test_a_dead_local_holder_is_replaced_at_once(idle: CodeIndexService) -> None:
    service = idle
    try:
        await _lease_row(service, "dead", host_id(), 2**22 + 12345, ttl=3600)
        assert await service.queue.live_lease() is None  # its process is gone
        resp = await service.force_reindex("file", ["cobra-go/args.go"])
        service.start_worker()
        async with asyncio.timeout(120):
            final = await service.wait(resp["task_id"])
        assert final["status"] == "Completed"
    finally:
        await service.close()


async def test_an_unknown_host_is_waited_out_not_judged_by_pid(idle: CodeIndexService) -> None:
    """A lease of another machine (or a container sharing our host name but not our
    processes) is taken over only when it expires."""
    service = idle
    try:
        other = f"{host_id().split('#')[0]}#elsewhere"
        await _lease_row(service, "remote", other, 2**22 + 12345, ttl=2.0)
        assert await service.queue.live_lease() is not None  # not our pid to judge
        resp = await service.force_reindex("file", ["cobra-go/args.go"])
        started = time.monotonic()
        service.start_worker()
        async with asyncio.timeout(120):
            final = await service.wait(resp["task_id"])
        assert final["status"] == "Completed"
        assert time.monotonic() - started >= 1.0  # it waited for the expiry
    finally:
        await service.close()


async def test_a_replaced_worker_writes_nothing_more(idle: CodeIndexService) -> None:
    """Fencing: once another worker holds the lease, the old one's claims are refused."""
    service = idle
    try:
        task = service.start_worker()
        assert worker_of(service) is not None
        await asyncio.wait_for(worker_of(service).idle.wait(), 60)  # it holds the lease, idle
        lease = await service.queue.live_lease()
        assert lease is not None and lease.owner == worker_of(service).owner
        await _lease_row(service, "usurper", host_id(), os.getpid(), ttl=3600)
        resp = await service.force_reindex("file", ["cobra-go/args.go"])
        async with asyncio.timeout(60):
            await task  # the old worker stops instead of claiming
        state = await service.get_reindex_status(resp["task_id"])
        assert state["status"] == "Queued" and state["items_pending"] == 1
        rows = await service.storage.fetchall(
            "SELECT count(*) FROM reindexing_task_items WHERE worker = ?",
            (worker_of(service).owner,),
        )
        assert rows[0][0] == 0
    finally:
        await service.close()
