"""Fixtures of the storage and queue unit tests: a fresh index.db per test, in process.

index.db is created once per session by storage's own `Storage.open` (which runs the
migrations); each test opens a copy of it in its own `tmp_path`, so a test costs a file
copy and two connections, not a migration run.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codeindex.storage import Storage
from codeindex.tasks import Queue


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index.db that storage created and migrated (its WAL checkpointed on close)."""
    path = tmp_path_factory.mktemp("template") / "index.db"

    async def create() -> None:
        storage = await Storage.open(path)
        await storage.close()

    asyncio.run(create())
    return path


@pytest.fixture
def db_path(tmp_path: Path, migrated_db: Path) -> Path:
    """Where this test's index.db is: a fresh copy of the migrated one."""
    path = tmp_path / "data" / "index.db"
    path.parent.mkdir()
    shutil.copyfile(migrated_db, path)
    return path


@pytest.fixture
async def storage(db_path: Path) -> AsyncIterator[Storage]:
    """This test's index.db, opened."""
    opened = await Storage.open(db_path)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def queue(storage: Storage) -> Queue:
    """The queue over this test's index.db."""
    return Queue(storage)


@pytest.fixture
async def worker(queue: Queue) -> str:
    """The owner of the lease, held for a minute (claims and fenced writes need it)."""
    assert await queue.acquire_lease("worker-1", ttl=60)
    return "worker-1"
