"""The rows of files, their symbols, chunks and references: read them, swap them one
transaction at a time.

A file's row, symbols, chunks, FTS rows (kept by triggers on `chunks`) and references
(`symbol_refs`) are replaced in ONE transaction: a reader sees the old file or the new one,
never a file with nothing in it (invariant 2).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from codeindex.storage.db import Connection, Database, row_in
from codeindex.storage.records import (
    FILE_COLUMNS,
    ChunkText,
    FileRecord,
    FileRow,
    NewChunk,
    ReferenceValues,
    SymbolValues,
    file_row,
)


class Files:
    """`files`, `symbols`, `chunks` and `symbol_refs` of one index."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get_file(self, path: str) -> FileRow | None:
        """The row of one file."""
        row = await self.db.fetchone(f"SELECT {FILE_COLUMNS} FROM files WHERE path = ?", (path,))
        return None if row is None else file_row(row)

    async def files_under(self, prefix: str = "", *, recursive: bool = True) -> list[FileRow]:
        """Rows of files under a folder prefix ('' = all), sorted by path."""
        if not prefix:
            rows = await self.db.fetchall(f"SELECT {FILE_COLUMNS} FROM files ORDER BY path")
        else:
            base = prefix.rstrip("/") + "/"
            rows = await self.db.fetchall(
                f"SELECT {FILE_COLUMNS} FROM files WHERE substr(path, 1, ?) = ? ORDER BY path",
                (len(base), base),
            )
        result = [file_row(r) for r in rows]
        if not recursive:
            depth = prefix.rstrip("/").count("/") + 1 if prefix else 0
            result = [r for r in result if r.path.count("/") == depth]
        return result

    async def files_not_embedded(self) -> dict[str, int]:
        """How many indexed files get no vectors, by reason (`embed_rules`)."""
        rows = await self.db.fetchall(
            "SELECT embed_skip, count(*) FROM files WHERE index_status = 'indexed' "
            "AND embed_skip IS NOT NULL GROUP BY embed_skip ORDER BY count(*) DESC, embed_skip"
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def files_by_encoding(self) -> dict[str, int]:
        """How many indexed files were read in each encoding other than plain UTF-8."""
        rows = await self.db.fetchall(
            "SELECT encoding, count(*) FROM files WHERE index_status = 'indexed' "
            "AND encoding IS NOT NULL GROUP BY encoding ORDER BY count(*) DESC, encoding"
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def apply_files(
        self, records: Sequence[FileRecord], deletes: Sequence[str], fence: str | None = None
    ) -> list[tuple[int, int, int]]:
        """Swap several files' rows and drop deleted files' rows, in ONE transaction.

        A reader sees each file old or new, never empty (invariant 2).
        Returns (file_id, symbols stored, chunks stored) per record.
        """
        now = time.time()
        stored: list[tuple[int, int, int]] = []
        async with self.db.transaction(fence) as tx:
            for record in records:
                file_id = await _put_file(tx, record, now)
                await _insert_symbols(tx, file_id, record.symbols)
                await _insert_chunks(tx, file_id, record.chunks)
                await _insert_references(tx, file_id, record.references)
                stored.append((file_id, len(record.symbols), len(record.chunks)))
            for path in deletes:
                await _delete(tx, path)
        return stored

    async def touch_file(self, path: str, size: int, mtime_ns: int) -> None:
        """Record a new size/mtime for a file whose content hash did not change (checked now:
        its `indexed_at` moves, so a newer ctime makes it a suspect only once)."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE files SET size = ?, mtime_ns = ?, indexed_at = ? WHERE path = ?",
                (size, mtime_ns, time.time(), path),
            )

    async def chunk_texts_of(self, path: str) -> list[ChunkText]:
        """The chunks of one file to embed, in order (none for a file that is not embedded)."""
        rows = await self.db.fetchall(
            "SELECT c.content_hash, f.path, c.context, c.text FROM chunks c JOIN files f "
            "ON f.id = c.file_id WHERE f.path = ? AND f.embed_skip IS NULL ORDER BY c.ordinal",
            (path,),
        )
        return [ChunkText(str(r[0]), str(r[1]), r[2], str(r[3])) for r in rows]


async def _put_file(tx: Connection, record: FileRecord, now: float) -> int:
    """Insert or update a file's row, dropping the symbols and chunks it had; its id."""
    found = await row_in(tx, "SELECT id FROM files WHERE path = ?", (record.path,))
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
        async with tx.execute(
            "INSERT INTO files(language, size, mtime_ns, content_hash, index_status, "
            "indexed_at, parser_version, error, encoding, embed_skip, path) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (*values, record.path),
        ) as cur:
            return int(cur.lastrowid or 0)
    file_id = int(found[0])
    await _drop_contents(tx, file_id)
    await tx.execute(
        "UPDATE files SET language=?, size=?, mtime_ns=?, content_hash=?, index_status=?, "
        "indexed_at=?, parser_version=?, error=?, encoding=?, embed_skip=? WHERE id=?",
        (*values, file_id),
    )
    return file_id


async def _insert_symbols(tx: Connection, file_id: int, symbols: Sequence[SymbolValues]) -> None:
    await tx.executemany(
        "INSERT INTO symbols(file_id, name, kind, container, start_line, start_col, "
        "end_line, end_col) VALUES (?,?,?,?,?,?,?,?)",
        [
            (file_id, s.name, s.kind, s.container, s.start_line, s.start_col, s.end_line, s.end_col)
            for s in symbols
        ],
    )


async def _insert_chunks(tx: Connection, file_id: int, chunks: Sequence[NewChunk]) -> None:
    await tx.executemany(
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
            for i, c in enumerate(chunks)
        ],
    )


async def _insert_references(
    tx: Connection, file_id: int, references: Sequence[ReferenceValues]
) -> None:
    await tx.executemany(
        "INSERT OR IGNORE INTO symbol_refs(file_id, name, kind, line, col, qualifier, caller) "
        "VALUES (?,?,?,?,?,?,?)",
        [(file_id, r.name, r.kind, r.line, r.col, r.qualifier, r.caller) for r in references],
    )


async def _drop_contents(tx: Connection, file_id: int) -> None:
    await tx.execute("DELETE FROM symbols WHERE file_id = ?", (file_id,))
    await tx.execute("DELETE FROM chunks WHERE file_id = ?", (file_id,))
    await tx.execute("DELETE FROM symbol_refs WHERE file_id = ?", (file_id,))


async def _delete(tx: Connection, path: str) -> None:
    row = await row_in(tx, "SELECT id FROM files WHERE path = ?", (path,))
    if row is not None:
        await _drop_contents(tx, int(row[0]))
        await tx.execute("DELETE FROM files WHERE id = ?", (row[0],))
