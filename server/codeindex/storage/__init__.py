"""index.db through aiosqlite: connections, transactions, one small method per query.

Two connections per process: one for writes (serialised by a lock, each write
a short `BEGIN IMMEDIATE` transaction) and one for reads, so a reader in the
same process sees a committed snapshot and never a file half swapped
(invariant 2). WAL mode lets other processes read while one writes.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from codeindex import faults
from codeindex.embedding.context import embed_text
from codeindex.errors import CodeIndexError
from codeindex.faults import crash_point
from codeindex.parser import Symbol
from codeindex.storage.model_rows import ModelQueries
from codeindex.storage.opening import (
    REBUILT_KEY,
    Opened,
    connect,
    prepare,
    read_only_error,
    reclaim,
)
from codeindex.storage.search_sql import SearchQueries
from codeindex.storage.stats import StatsQueries


@dataclass(frozen=True, slots=True)
class FileRow:
    """A row of `files`."""

    id: int
    path: str
    language: str | None
    size: int
    mtime_ns: int
    content_hash: str | None
    index_status: str
    indexed_at: float
    parser_version: int
    error: str | None
    encoding: str | None  # None: UTF-8 without a byte-order mark
    embed_skip: str | None  # why its chunks get no vectors; None: they do


@dataclass(frozen=True, slots=True)
class NewChunk:
    """A chunk to store, with the hash of its text."""

    start_line: int
    end_line: int
    content_hash: str
    symbol: str | None
    text: str
    words: str = ""  # words of its camel-case identifiers (`identifiers`)
    defines: str = ""  # names of the symbols defined in it, with their words
    context: str = ""  # the header embedded before its text (`context`)


@dataclass(frozen=True, slots=True)
class FileRecord:
    """Everything about one file that replaces its previous rows."""

    path: str
    language: str | None
    size: int
    mtime_ns: int
    content_hash: str | None
    index_status: str
    parser_version: int
    error: str | None
    encoding: str | None = None  # None: UTF-8 without a byte-order mark
    embed_skip: str | None = None  # why its chunks get no vectors (`embed_rules`)
    symbols: Sequence[Symbol] = ()
    chunks: Sequence[NewChunk] = ()


_FILE_COLUMNS = (
    "id, path, language, size, mtime_ns, content_hash, index_status, indexed_at, "
    "parser_version, error, encoding, embed_skip"
)


def _file_row(row: Any) -> FileRow:
    return FileRow(*row)


class LeaseLost(CodeIndexError):
    """A worker tried to write after another took its lease over (fencing)."""

    code = "lease_lost"


async def write_meta(db: aiosqlite.Connection, values: Mapping[str, str]) -> None:
    """Set metadata values within a transaction the caller holds."""
    await db.executemany(
        "INSERT INTO meta(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        list(values.items()),
    )


class Storage(StatsQueries, SearchQueries, ModelQueries):
    """The index database of one workspace."""

    def __init__(
        self,
        path: Path,
        writer: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        opened: Opened | None = None,
    ):
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
    async def open(cls, path: Path, *, create: bool = True) -> Storage:
        """Open the database at `path`: creating and migrating it as needed (`create`), or
        only when it exists; read-only when it cannot be written (see `opening`)."""
        opened = await asyncio.to_thread(prepare, path, create=create)
        writer = await connect(path, readonly=False, opened=opened)
        reader = await connect(path, readonly=True, opened=opened)
        storage = cls(path, writer, reader, opened)
        if opened.set_aside is not None:
            await storage.set_meta({REBUILT_KEY: f"{time.time()}|{opened.set_aside}"})
        return storage

    @property
    def writable(self) -> bool:
        """False on read-only storage: reads work, writes raise IndexUnusable."""
        return self.opened.writable

    async def close(self) -> None:
        """Close both connections."""
        await self._reader.close()
        await self._writer.close()

    @asynccontextmanager
    async def transaction(self, fence: str | None = None) -> AsyncIterator[aiosqlite.Connection]:
        """One short write transaction; commits on success, rolls back on error.

        With `fence` (a worker's lease owner), LeaseLost when that worker no longer holds
        the lease: a worker that was replaced writes nothing more.
        """
        if not self.opened.writable:
            raise read_only_error(self.path)
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                if fence is not None:
                    async with self._writer.execute(
                        "SELECT 1 FROM worker_lease WHERE owner = ?", (fence,)
                    ) as cur:
                        if await cur.fetchone() is None:
                            raise LeaseLost(f"worker {fence} no longer holds the lease")
                yield self._writer
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            if faults.armed():  # the detail names the transaction: `commit=apply_files@2`
                crash_point("commit", faults.caller(2))
            await self._writer.execute("COMMIT")

    async def reclaim_space(self) -> None:
        """Give free pages back and shrink the WAL (see `opening.reclaim`); off the query path."""
        if self.opened.writable:
            async with self._write_lock:
                await reclaim(self._writer)

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

    # ---- meta -------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        """A value of the key/value metadata table."""
        value = await self.scalar("SELECT value FROM meta WHERE key = ?", (key,))
        return None if value is None else str(value)

    async def set_meta(self, values: dict[str, str]) -> None:
        """Set metadata values in one transaction."""
        async with self.transaction() as db:
            await write_meta(db, values)

    # ---- files ------------------------------------------------------------

    async def get_file(self, path: str) -> FileRow | None:
        """The row of one file."""
        row = await self.fetchone(f"SELECT {_FILE_COLUMNS} FROM files WHERE path = ?", (path,))
        return None if row is None else _file_row(row)

    async def files_not_embedded(self) -> dict[str, int]:
        """How many indexed files get no vectors, by reason (`embed_rules`)."""
        rows = await self.fetchall(
            "SELECT embed_skip, count(*) FROM files WHERE index_status = 'indexed' "
            "AND embed_skip IS NOT NULL GROUP BY embed_skip ORDER BY count(*) DESC, embed_skip"
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def files_by_encoding(self) -> dict[str, int]:
        """How many indexed files were read in each encoding other than plain UTF-8."""
        rows = await self.fetchall(
            "SELECT encoding, count(*) FROM files WHERE index_status = 'indexed' "
            "AND encoding IS NOT NULL GROUP BY encoding ORDER BY count(*) DESC, encoding"
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def files_under(self, prefix: str = "", *, recursive: bool = True) -> list[FileRow]:
        """Rows of files under a folder prefix ('' = all), sorted by path."""
        if not prefix:
            rows = await self.fetchall(f"SELECT {_FILE_COLUMNS} FROM files ORDER BY path")
        else:
            base = prefix.rstrip("/") + "/"
            rows = await self.fetchall(
                f"SELECT {_FILE_COLUMNS} FROM files WHERE substr(path, 1, ?) = ? ORDER BY path",
                (len(base), base),
            )
        result = [_file_row(r) for r in rows]
        if not recursive:
            depth = prefix.rstrip("/").count("/") + 1 if prefix else 0
            result = [r for r in result if r.path.count("/") == depth]
        return result

    async def replace_file(self, record: FileRecord) -> tuple[int, int, int]:
        """Swap one file's row, symbols and chunks in ONE transaction (invariant 2).

        Returns (file_id, symbols stored, chunks stored).
        """
        return (await self.apply_files([record], []))[0]

    async def apply_files(
        self, records: Sequence[FileRecord], deletes: Sequence[str], fence: str | None = None
    ) -> list[tuple[int, int, int]]:
        """Swap several files' rows and drop deleted files' rows, in ONE transaction.

        A reader sees each file old or new, never empty (invariant 2).
        Returns (file_id, symbols stored, chunks stored) per record.
        """
        now = time.time()
        stored: list[tuple[int, int, int]] = []
        async with self.transaction(fence) as db:
            for record in records:
                stored.append(await self._replace(db, record, now))
            for path in deletes:
                await self._delete(db, path)
        return stored

    async def _replace(
        self, db: aiosqlite.Connection, record: FileRecord, now: float
    ) -> tuple[int, int, int]:
        async with db.execute("SELECT id FROM files WHERE path = ?", (record.path,)) as cur:
            found = await cur.fetchone()
        values = (
            record.language,
            record.size,
            record.mtime_ns,
            record.content_hash,
            record.index_status,
            now,
            record.parser_version,
            record.error,
            record.encoding,
            record.embed_skip,
        )
        if found is None:
            async with db.execute(
                "INSERT INTO files(language, size, mtime_ns, content_hash, index_status, "
                "indexed_at, parser_version, error, encoding, embed_skip, path) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (*values, record.path),
            ) as cur:
                file_id = int(cur.lastrowid or 0)
        else:
            file_id = int(found[0])
            await db.execute("DELETE FROM symbols WHERE file_id = ?", (file_id,))
            await db.execute("DELETE FROM chunks WHERE file_id = ?", (file_id,))
            await db.execute(
                "UPDATE files SET language=?, size=?, mtime_ns=?, content_hash=?, "
                "index_status=?, indexed_at=?, parser_version=?, error=?, encoding=?, embed_skip=? "
                "WHERE id=?",
                (*values, file_id),
            )
        if record.symbols:
            await db.executemany(
                "INSERT INTO symbols(file_id, name, kind, container, start_line, start_col, "
                "end_line, end_col) VALUES (?,?,?,?,?,?,?,?)",
                [
                    (
                        file_id,
                        s.name,
                        s.kind,
                        s.container,
                        s.start_line,
                        s.start_col,
                        s.end_line,
                        s.end_col,
                    )
                    for s in record.symbols
                ],
            )
        if record.chunks:
            await db.executemany(
                "INSERT INTO chunks(file_id, ordinal, start_line, end_line, content_hash, "
                "symbol, text, words, defines, context) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        file_id,
                        i,
                        c.start_line,
                        c.end_line,
                        c.content_hash,
                        c.symbol,
                        c.text,
                        c.words or None,
                        c.defines or None,
                        c.context or None,
                    )
                    for i, c in enumerate(record.chunks)
                ],
            )
        return file_id, len(record.symbols), len(record.chunks)

    async def _delete(self, db: aiosqlite.Connection, path: str) -> bool:
        async with db.execute("SELECT id FROM files WHERE path = ?", (path,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return False
        await db.execute("DELETE FROM symbols WHERE file_id = ?", (row[0],))
        await db.execute("DELETE FROM chunks WHERE file_id = ?", (row[0],))
        await db.execute("DELETE FROM files WHERE id = ?", (row[0],))
        return True

    async def touch_file(self, path: str, size: int, mtime_ns: int) -> None:
        """Record a new size/mtime for a file whose content hash did not change."""
        async with self.transaction() as db:
            await db.execute(
                "UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?", (size, mtime_ns, path)
            )

    async def delete_files(self, paths: Iterable[str]) -> int:
        """Drop the rows of files deleted on disk; returns how many were dropped."""
        removed = 0
        async with self.transaction() as db:
            for path in paths:
                removed += await self._delete(db, path)
        return removed

    async def chunk_hashes_of(self, path: str) -> list[tuple[str, str]]:
        """(content_hash, embedded text) of every chunk of one file to embed, in order (none
        for a file that is not embedded)."""
        rows = await self.fetchall(
            "SELECT c.content_hash, c.context, c.text FROM chunks c JOIN files f "
            "ON f.id = c.file_id WHERE f.path = ? AND f.embed_skip IS NULL ORDER BY c.ordinal",
            (path,),
        )
        return [(str(r[0]), embed_text(path, r[1], str(r[2]))) for r in rows]

    # ---- embeddings bookkeeping ------------------------------------------

    async def embedded_among(self, model_id: int, hashes: Sequence[str]) -> set[str]:
        """The subset of `hashes` that already have a committed vector for the model."""
        found: set[str] = set()
        for start in range(0, len(hashes), 500):
            part = hashes[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = await self.fetchall(
                f"SELECT content_hash FROM embeddings WHERE model_id = ? "
                f"AND content_hash IN ({marks})",
                (model_id, *part),
            )
            found.update(str(r[0]) for r in rows)
        return found

    async def mark_embedded(
        self, model_id: int, hashes: Iterable[str], fence: str | None = None
    ) -> None:
        """Record that the model's LanceDB table now holds these texts' vectors."""
        async with self.transaction(fence) as db:
            await db.executemany(
                "INSERT OR IGNORE INTO embeddings(model_id, content_hash) VALUES (?, ?)",
                [(model_id, h) for h in hashes],
            )

    async def forget_embedded(self, model_id: int, hashes: Iterable[str]) -> None:
        """Forget vectors that were garbage-collected from LanceDB."""
        async with self.transaction() as db:
            await db.executemany(
                "DELETE FROM embeddings WHERE model_id = ? AND content_hash = ?",
                [(model_id, h) for h in hashes],
            )

    async def forget_all_embedded(self, model_id: int) -> None:
        """The model's vector table was lost: none of its vectors exist any more."""
        async with self.transaction() as db:
            await db.execute("DELETE FROM embeddings WHERE model_id = ?", (model_id,))

    async def unreferenced_embedded(self, model_id: int) -> list[str]:
        """Hashes with a vector that no chunk references any more."""
        rows = await self.fetchall(
            "SELECT e.content_hash FROM embeddings e WHERE e.model_id = ? AND NOT EXISTS "
            "(SELECT 1 FROM chunks c WHERE c.content_hash = e.content_hash)",
            (model_id,),
        )
        return [str(r[0]) for r in rows]

    async def pending_counts(self, model_id: int | None) -> tuple[int, int]:
        """(distinct chunk texts to embed, those without a vector for the model).

        Chunks of files that are not embedded (`files.embed_skip`) count in neither.
        """
        total = int(
            await self.scalar(
                "SELECT count(DISTINCT c.content_hash) FROM chunks c JOIN files f "
                "ON f.id = c.file_id WHERE f.embed_skip IS NULL"
            )
            or 0
        )
        if model_id is None:
            return total, total
        done = int(
            await self.scalar(
                "SELECT count(*) FROM embeddings e WHERE e.model_id = ? AND EXISTS "
                "(SELECT 1 FROM chunks c JOIN files f ON f.id = c.file_id "
                "WHERE c.content_hash = e.content_hash AND f.embed_skip IS NULL)",
                (model_id,),
            )
            or 0
        )
        return total, total - done
