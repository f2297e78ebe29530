"""The connections to index.db: a write connection, a read connection, and short transactions.

Two connections per process: one for writes (serialised by a lock, each write a short
`BEGIN IMMEDIATE` transaction) and one for reads, so a reader in the same process sees a
committed snapshot and never a file half swapped (invariant 2). WAL mode lets other
processes read while one writes. Every repository of this package holds one `Database`;
statements that must share a transaction take its connection (`Connection`) as a parameter.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeAlias

import aiosqlite

from codeindex import faults
from codeindex.errors import CodeIndexError
from codeindex.faults import crash_point
from codeindex.storage.opening import Opened, connect, prepare, read_only_error, reclaim

Connection: TypeAlias = aiosqlite.Connection
"""The write connection inside a transaction: what in-transaction statements run on."""

BATCH = 500  # values per `IN (...)` list, well below SQLite's limit of bound parameters


FTS_MERGE_PAGES = 256  # pages merged per step (one short write each)
FTS_MERGE_STEPS = 400  # at most ~100k pages merged per idle pass


class LeaseLost(CodeIndexError):
    """A worker tried to write after another took its lease over (fencing)."""

    code = "lease_lost"


def marks(count: int) -> str:
    """`?,?,?` for an `IN (...)` list of `count` values."""
    return ",".join("?" * count)


def batches(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """`values` in slices of at most BATCH."""
    for start in range(0, len(values), BATCH):
        yield values[start : start + BATCH]


async def changes(tx: Connection, sql: str, params: Sequence[Any] = ()) -> int:
    """Run a write statement in a transaction; returns how many rows it changed."""
    cur = await tx.execute(sql, params)
    try:
        return max(cur.rowcount, 0)
    finally:
        await cur.close()


async def rows_in(tx: Connection, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """Run a read statement inside a transaction (it sees the transaction's own writes)."""
    async with tx.execute(sql, params) as cur:
        return list(await cur.fetchall())


async def row_in(tx: Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    """The first row of a read statement inside a transaction (or None)."""
    async with tx.execute(sql, params) as cur:
        return await cur.fetchone()


class Database:
    """index.db of one workspace: its two connections and how it was opened."""

    def __init__(
        self, path: Path, writer: Connection, reader: Connection, opened: Opened | None = None
    ) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self.opened = opened or Opened(writable=True)
        self._write_lock = asyncio.Lock()
        # One read at a time from execute to close: while a statement of the read connection
        # is open, SQLite keeps its snapshot, so a read interleaved with another would not see
        # what was committed since that other read began (a task just created, say).
        self._read_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path, *, create: bool = True) -> Database:
        """Open the database at `path`: creating and migrating it as needed (`create`), or
        only when it exists; read-only when it cannot be written (see `opening`)."""
        opened = await asyncio.to_thread(prepare, path, create=create)
        writer = await connect(path, readonly=False, opened=opened)
        reader = await connect(path, readonly=True, opened=opened)
        return cls(path, writer, reader, opened)

    @property
    def writable(self) -> bool:
        """False on read-only storage: reads work, writes raise IndexUnusable."""
        return self.opened.writable

    async def close(self) -> None:
        """Close both connections."""
        await self._reader.close()
        await self._writer.close()

    @asynccontextmanager
    async def transaction(self, fence: str | None = None) -> AsyncIterator[Connection]:
        """One short write transaction; commits on success, rolls back on error.

        With `fence` (a worker's lease owner), LeaseLost when that worker no longer holds
        the lease: a worker that was replaced writes nothing more. The `commit` crash point
        names the function that opened the transaction (`commit=apply_files`): the
        reliability tests name those functions, so keep their names.
        """
        if not self.opened.writable:
            raise read_only_error(self.path)
        async with self._write_lock:
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
                if fence is not None and (
                    await row_in(
                        self._writer, "SELECT 1 FROM worker_lease WHERE owner = ?", (fence,)
                    )
                    is None
                ):
                    raise LeaseLost(f"worker {fence} no longer holds the lease")
                yield self._writer
                if faults.armed():  # the detail names the transaction: `commit=apply_files@2`
                    crash_point("commit", faults.caller(2))
                await self._writer.execute("COMMIT")
            except BaseException:
                await self._abandon()
                raise

    async def _abandon(self) -> None:
        """Roll back whatever transaction the writer holds, none being fine. Also when the
        caller was cancelled while BEGIN or COMMIT ran: the writer's thread runs statements
        in order, so the ROLLBACK comes after them, and it is shielded from the cancellation
        (a transaction left open would refuse every later one)."""
        with contextlib.suppress(sqlite3.OperationalError):  # no transaction is active
            await asyncio.shield(self._rollback())

    async def _rollback(self) -> None:
        await self._writer.execute("ROLLBACK")

    async def reclaim_space(self) -> None:
        """Merge the full-text index's segments, give free pages back and shrink the WAL
        (see `opening.reclaim`); off the query path, in short steps."""
        if not self.opened.writable:
            return
        await self.merge_fulltext()
        async with self._write_lock:
            await reclaim(self._writer)

    async def merge_fulltext(self) -> None:
        """Merge the FTS5 index's segments (dropping what deleted rows left) in steps of
        FTS_MERGE_PAGES pages, each its own short write: without it, a branch switch back and
        forth leaves the index twice its size. Stops when a step finds no work."""
        for _ in range(FTS_MERGE_STEPS):
            async with self._write_lock:
                before = self._writer.total_changes
                await self._writer.execute(
                    "INSERT INTO chunks_fts(chunks_fts, rank) VALUES('merge', ?)",
                    (-FTS_MERGE_PAGES,),
                )
                if self._writer.total_changes - before < 2:  # FTS5: no work was left
                    return

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Run a read query on the read connection."""
        async with self._read_lock, self._reader.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run a read query and return its first row (or None)."""
        async with self._read_lock, self._reader.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run a read query and return the first column of its first row."""
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def count(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a `SELECT count(*)`-like query: its first value as an int (0 for none)."""
        return int(await self.scalar(sql, params) or 0)

    async def data_version(self) -> int:
        """Changes when any other connection commits (`PRAGMA data_version`): a cheap poll."""
        return int(await self.scalar("PRAGMA data_version"))
