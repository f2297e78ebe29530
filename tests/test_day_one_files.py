"""Day-one faults with files, in process (real SQLite, real tree-sitter, the worker in this
process): a file that failed is tried again by the next `index`, a submodule's `.git`
pointer file is not indexed, bursts of writes join a waiting task, temporary files of
atomic writes are never indexed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.helpers import open_in_process
from watchfiles import Change

from codeindex.tasks import Priority, Scope
from codeindex.watcher.changes import sort_changes

NO_MODEL = {"embedding.allow_download": False}


async def test_a_file_that_failed_is_tried_again_by_the_next_index(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def a():\n    return 1\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("def b():\n    return 2\n", encoding="utf-8")
    service = await open_in_process(tmp_path, NO_MODEL)
    try:
        await service.force_reindex("project", async_=False)
        # b.py could not be read then (say, no read permission), and was fixed by a chmod,
        # which changes neither its size nor its mtime
        async with service.storage.transaction() as db:
            await db.execute("UPDATE files SET index_status = 'failed' WHERE path = 'b.py'")
            await db.execute("DELETE FROM symbols WHERE name = 'b'")
        # the watcher's reconciling pass does not retry it (it would, every few minutes)
        assert (
            await service.queue_changes(
                Scope.PROJECT, [], priority=Priority.LOW, source="reconciliation"
            )
            is None
        )
        resp = await service.force_reindex("project", incremental=True, async_=False)
        assert resp["status"] == "Completed", resp
        row = await service.storage.get_file("b.py")
        assert row is not None and row.index_status == "indexed"
        assert [hit["path"] for hit in await service.find_symbols("b", match="exact")] == ["b.py"]
        again = await service.force_reindex("project", incremental=True, async_=False)
        assert "nothing to do" in again["message"]  # only failures are retried
    finally:
        await service.close()


async def test_a_submodule_git_file_is_not_indexed(tmp_path: Path) -> None:
    sub = tmp_path / "vendor" / "lib"
    sub.mkdir(parents=True)
    (sub / ".git").write_text("gitdir: ../../.git/modules/vendor/lib\n", encoding="utf-8")
    (sub / "lib.py").write_text("def lib():\n    return 1\n", encoding="utf-8")
    service = await open_in_process(tmp_path, NO_MODEL)
    try:
        await service.force_reindex("project", async_=False)
        assert await service.storage.get_file("vendor/lib/lib.py") is not None
        assert await service.storage.get_file("vendor/lib/.git") is None
    finally:
        await service.close()


async def test_a_burst_of_writes_to_a_waiting_file_joins_its_task(tmp_path: Path) -> None:
    """A file rewritten many times a second (a generator, a formatter loop) with the watcher
    on made a task per batch (115 in 30 s); while a task will still index it, changes join."""
    target = tmp_path / "gen.py"
    target.write_text("def gen():\n    return 0\n", encoding="utf-8")
    service = await open_in_process(tmp_path, NO_MODEL, mode="none")  # no worker drains
    try:
        await service.force_reindex("project")
        await service.queue.cancel((await service.queue.unfinished())[0].id)
        created = []
        for i in range(1, 6):
            target.write_text(f"def gen():\n    return {i}\n", encoding="utf-8")
            task = await service.queue_changes(
                Scope.FILES, ["gen.py"], priority=Priority.NORMAL, source="watcher"
            )
            created.append(task)
        assert created[0] is not None and created[1:] == [None] * 4
        await service.queue.pause(created[0].id)  # a paused task does not hold changes
        target.write_text("def gen():\n    return 9\n", encoding="utf-8")
        assert await service.queue_changes(
            Scope.FILES, ["gen.py"], priority=Priority.NORMAL, source="watcher"
        )
    finally:
        await service.close()


@pytest.mark.parametrize(
    "name", ["app.py.tmp", "app.py.tmp.12345", ".#app.py", "app.py~", ".app.py.swp", "a.temp"]
)
async def test_the_watcher_leaves_temporary_files_of_atomic_writes_alone(
    tmp_path: Path, name: str
) -> None:
    """The temp file of an atomic write lives for a moment (the rename is an event on the
    real name): the watcher queues nothing for it. A scan still takes a committed one."""
    (tmp_path / "app.py").write_text("def app():\n    return 1\n", encoding="utf-8")
    (tmp_path / name).write_text("def app():\n    return 2\n", encoding="utf-8")
    service = await open_in_process(tmp_path, NO_MODEL, mode="none")
    try:
        raw = [(Change.added, str(tmp_path / name)), (Change.modified, str(tmp_path / "app.py"))]
        assert sort_changes(service.workspace, raw).files == {"app.py"}
    finally:
        await service.close()


async def test_a_same_size_edit_with_its_mtime_restored_is_reindexed(tmp_path: Path) -> None:
    target = tmp_path / "same.py"
    target.write_text("def alpha():\n    return 1\n", encoding="utf-8")
    service = await open_in_process(tmp_path, NO_MODEL)
    try:
        await service.force_reindex("project", async_=False)
        before = target.stat()
        target.write_text("def omega():\n    return 1\n", encoding="utf-8")  # same size
        os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))  # `touch -r`, rsync -t
        assert (target.stat().st_size, target.stat().st_mtime_ns) == (
            before.st_size,
            before.st_mtime_ns,
        )
        resp = await service.force_reindex("project", incremental=True, async_=False)
        assert resp["items_total"] == 1, resp
        assert await service.find_symbols("omega", match="exact")
        assert not await service.find_symbols("alpha", match="exact")
        again = await service.force_reindex("project", incremental=True, async_=False)
        assert "nothing to do" in again["message"]
    finally:
        await service.close()
