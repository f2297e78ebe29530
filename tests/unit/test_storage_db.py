"""Opening index.db and its transactions: migrations, damage, read-only, fencing, helpers."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from tests.unit.builders import complete, create, record, store

from codeindex import faults
from codeindex.errors import IndexUnusable
from codeindex.storage import LeaseLost, Storage
from codeindex.storage import db as db_module
from codeindex.storage.db import Database, batches, changes, marks
from codeindex.storage.meta import REBUILT
from codeindex.storage.migrate import SchemaError, latest_version, load_migrations
from codeindex.storage.model_rows import ModelRow
from codeindex.storage.opening import NoIndex, Opened, connect
from codeindex.tasks import Queue


def schema_version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("SELECT max(version) FROM schema_version").fetchone()[0])


async def test_a_new_index_is_created_at_the_latest_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "data" / "index.db"
    storage = await Storage.open(path)
    try:
        assert storage.writable
        assert await storage.scalar("PRAGMA journal_mode") == "wal"
        assert await storage.scalar("PRAGMA foreign_keys") == 1
    finally:
        await storage.close()
    assert schema_version(path) == latest_version() == len(load_migrations())
    assert (path.parent / ".gitignore").read_text("utf-8").startswith("# created by codeindex")


async def test_a_reader_never_creates_an_index(tmp_path: Path) -> None:
    with pytest.raises(NoIndex, match="codeindex index"):
        await Storage.open(tmp_path / "data" / "index.db", create=False)
    assert not (tmp_path / "data").exists()


async def test_an_existing_index_opens_without_create(db_path: Path) -> None:
    storage = await Storage.open(db_path, create=False)
    await storage.close()


async def test_an_index_of_a_newer_codeindex_is_refused(db_path: Path) -> None:
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute("INSERT INTO schema_version VALUES (999, '999_future.sql', 0)")
        conn.commit()
    with pytest.raises(SchemaError, match="newer"):
        await Storage.open(db_path)


async def test_a_damaged_index_is_set_aside_and_rebuilt_with_a_record(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    path.write_bytes(b"this is not a database" * 100)
    storage = await Storage.open(path)
    try:
        rebuilt = await storage.meta.get(REBUILT)
        assert rebuilt is not None and rebuilt.aside == str(storage.db.opened.set_aside)
        assert Path(rebuilt.aside).read_bytes().startswith(b"this is not a database")
        assert await storage.count_files() == 0
    finally:
        await storage.close()


async def test_a_damaged_index_is_not_touched_by_a_reader(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    path.write_bytes(b"garbage" * 100)
    with pytest.raises(IndexUnusable, match="damaged"):
        await Storage.open(path, create=False)
    assert not list(tmp_path.glob("*.damaged-*"))
    assert path.read_bytes().startswith(b"garbage")


async def test_a_transaction_commits_on_success(storage: Storage) -> None:
    async with storage.transaction() as tx:
        await tx.execute("INSERT INTO meta(key, value) VALUES ('k', 'v')")
    assert await storage.scalar("SELECT value FROM meta WHERE key = 'k'") == "v"


async def test_a_transaction_rolls_back_on_error(storage: Storage) -> None:
    with pytest.raises(RuntimeError):
        async with storage.transaction() as tx:
            await tx.execute("INSERT INTO meta(key, value) VALUES ('k', 'v')")
            raise RuntimeError("stop")
    assert await storage.scalar("SELECT value FROM meta WHERE key = 'k'") is None
    async with storage.transaction() as tx:  # the connection is usable again
        await tx.execute("INSERT INTO meta(key, value) VALUES ('k', 'w')")
    assert await storage.scalar("SELECT value FROM meta WHERE key = 'k'") == "w"


@pytest.mark.parametrize(
    ("statement", "runs", "error"),
    [
        ("BEGIN IMMEDIATE", True, asyncio.CancelledError()),  # cancelled while it ran
        ("COMMIT", False, sqlite3.OperationalError("database is locked")),  # commit failed
    ],
)
async def test_a_transaction_that_breaks_in_begin_or_commit_leaves_none_open(
    storage: Storage,
    monkeypatch: pytest.MonkeyPatch,
    statement: str,
    runs: bool,
    error: BaseException,
) -> None:
    """A cancellation that lands while BEGIN runs in the writer's thread (the statement
    still runs there), or a COMMIT that fails, leaves no transaction open: what it wrote is
    rolled back and the next transaction starts."""
    writer = storage.db._writer
    execute = writer.execute

    async def breaking(sql: str, *args: object) -> object:
        if sql != statement:
            return await execute(sql, *args)
        if runs:
            await execute(sql, *args)
        raise error

    monkeypatch.setattr(writer, "execute", breaking)
    with pytest.raises(type(error)):
        async with storage.transaction() as tx:
            await tx.execute("INSERT INTO meta(key, value) VALUES ('k', 'v')")
    monkeypatch.undo()
    assert await storage.scalar("SELECT value FROM meta WHERE key = 'k'") is None
    async with storage.transaction() as tx:  # "cannot start a transaction within a transaction"
        await tx.execute("INSERT INTO meta(key, value) VALUES ('k', 'w')")
    assert await storage.scalar("SELECT value FROM meta WHERE key = 'k'") == "w"


@pytest.mark.parametrize(
    ("holder", "fence", "allowed"),
    [
        pytest.param("w1", "w1", True, id="holder"),
        pytest.param("w1", "w2", False, id="replaced"),
        pytest.param(None, "w1", False, id="no-lease"),
        pytest.param(None, None, True, id="unfenced"),
    ],
)
async def test_a_fenced_transaction_needs_the_lease(
    storage: Storage, queue: Queue, holder: str | None, fence: str | None, allowed: bool
) -> None:
    if holder:
        assert await queue.acquire_lease(holder, ttl=60)
    if allowed:
        await storage.apply_files([record("a.py", "x")], [], fence=fence)
        assert await storage.count_files() == 1
    else:
        with pytest.raises(LeaseLost, match="no longer holds the lease"):
            await storage.apply_files([record("a.py", "x")], [], fence=fence)
        assert await storage.count_files() == 0


async def test_read_only_storage_reads_and_refuses_writes(db_path: Path) -> None:
    writable = await Storage.open(db_path)
    await store(writable, record("a.py", "x"))
    await writable.close()
    opened = Opened(writable=False)
    db = Database(
        db_path,
        await connect(db_path, readonly=True, opened=opened),
        await connect(db_path, readonly=True, opened=opened),
        opened,
    )
    storage = Storage(db)
    try:
        assert not storage.writable
        assert await storage.count_files() == 1
        with pytest.raises(IndexUnusable, match="read-only"):
            await store(storage, record("b.py", "y"))
        await storage.reclaim_space()  # nothing to give back: does nothing
    finally:
        await storage.close()


async def test_reclaim_space_gives_free_pages_back(storage: Storage) -> None:
    await store(storage, *(record(f"f{i}.py", "text " * 400) for i in range(60)))
    await storage.apply_files([], [f"f{i}.py" for i in range(60)])
    free_before = await storage.scalar("PRAGMA freelist_count")
    await storage.reclaim_space()
    assert free_before > 0
    assert await storage.scalar("PRAGMA freelist_count") == 0
    assert Path(f"{storage.path}-wal").stat().st_size == 0


async def test_in_transaction_helpers_count_changes(storage: Storage) -> None:
    async with storage.transaction() as tx:
        await tx.executemany(
            "INSERT INTO meta(key, value) VALUES (?, 'v')", [(f"k{i}",) for i in range(5)]
        )
        assert await changes(tx, "UPDATE meta SET value = 'w' WHERE key > 'k2'") == 2
        assert await changes(tx, "DELETE FROM meta WHERE key = 'absent'") == 0


@pytest.mark.parametrize(
    ("count", "expected"),
    [pytest.param(1, "?", id="one"), pytest.param(3, "?,?,?", id="three")],
)
def test_marks_of_an_in_list(count: int, expected: str) -> None:
    assert marks(count) == expected


@pytest.mark.parametrize(
    ("size", "lengths"),
    [
        pytest.param(0, [], id="empty"),
        pytest.param(500, [500], id="one-full"),
        pytest.param(1001, [500, 500, 1], id="three"),
    ],
)
def test_batches_cut_long_lists(size: int, lengths: list[int]) -> None:
    values = list(range(size))
    parts = list(batches(values))
    assert [len(p) for p in parts] == lengths
    assert [v for p in parts for v in p] == values


async def test_the_commit_crash_point_names_the_function_that_made_the_transaction(
    storage: Storage, queue: Queue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reliability tests kill a worker at `commit=<name>`: these names are a contract."""
    details: list[str] = []
    monkeypatch.setattr(faults, "_FAULTS", [("commit", "nothing-matches", 1)])
    monkeypatch.setattr(db_module, "crash_point", lambda point, detail="": details.append(detail))
    await create(queue, ["a.py"])
    assert await queue.acquire_lease("w1", ttl=60)
    items = await queue.claim(1, "w1")
    await storage.apply_files([record("a.py", "x")], [], fence="w1")
    model = await storage.register_model(ModelRow(0, "m", "m", 4, "fp", "local", "t"))
    await storage.mark_embedded(model, ["h"], fence="w1")
    await complete(queue, items, "w1")
    names = ["acquire_lease", "claim", "apply_files", "mark_embedded", "finish_items"]
    assert [d for d in details if d in names] == names
