"""Day-one faults with files, in process (real SQLite, real tree-sitter, the worker in this
process): a file that failed is tried again by the next `index`, a submodule's `.git`
pointer file is not indexed."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import open_in_process

from codeindex.tasks import Priority, Scope

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
