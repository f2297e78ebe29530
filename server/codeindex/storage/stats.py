"""Read-only queries behind status, validate and the bench: counts, problems, orphans, FTS.

One small method per query, plain parameterised SQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from codeindex.storage.db import Database, batches, marks
from codeindex.storage.records import ChunkText


class Stats:
    """Counts and consistency checks of one index."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def count_files(self) -> int:
        """Rows of `files`."""
        return await self.db.count("SELECT count(*) FROM files")

    async def files_by_status(self) -> dict[str, int]:
        """How many files are indexed, skipped, failed."""
        rows = await self.db.fetchall(
            "SELECT index_status, count(*) FROM files GROUP BY index_status"
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def files_by_language(self) -> dict[str, int]:
        """Indexed files per language (`text` when no grammar), most first."""
        rows = await self.db.fetchall(
            "SELECT language, count(*) FROM files WHERE index_status = 'indexed' "
            "GROUP BY language ORDER BY count(*) DESC"
        )
        return {str(r[0] or "text"): int(r[1]) for r in rows}

    async def not_indexed(self, limit: int = 50) -> list[tuple[str, str, str]]:
        """(path, status, reason) of files skipped or failed."""
        rows = await self.db.fetchall(
            "SELECT path, index_status, coalesce(error, '') FROM files "
            "WHERE index_status != 'indexed' ORDER BY path LIMIT ?",
            (limit,),
        )
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    async def with_syntax_errors(self, limit: int = 20) -> list[tuple[str, str]]:
        """(path, error) of indexed files whose parse had errors."""
        rows = await self.db.fetchall(
            "SELECT path, error FROM files WHERE index_status = 'indexed' AND error IS NOT NULL "
            "ORDER BY path LIMIT ?",
            (limit,),
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def count_with_syntax_errors(self) -> int:
        """Indexed files whose parse had errors."""
        return await self.db.count(
            "SELECT count(*) FROM files WHERE index_status = 'indexed' AND error IS NOT NULL"
        )

    async def count_symbols(self) -> int:
        """Rows of `symbols`."""
        return await self.db.count("SELECT count(*) FROM symbols")

    async def count_chunks(self) -> int:
        """Rows of `chunks`."""
        return await self.db.count("SELECT count(*) FROM chunks")

    async def count_fts_rows(self) -> int:
        """Rows of the full-text index."""
        return await self.db.count("SELECT count(*) FROM chunks_fts")

    async def orphans(self) -> tuple[int, int]:
        """(symbols, chunks) rows that belong to no file."""
        symbols = await self.db.count(
            "SELECT count(*) FROM symbols s WHERE NOT EXISTS "
            "(SELECT 1 FROM files f WHERE f.id = s.file_id)"
        )
        chunks = await self.db.count(
            "SELECT count(*) FROM chunks c WHERE NOT EXISTS "
            "(SELECT 1 FROM files f WHERE f.id = c.file_id)"
        )
        return symbols, chunks

    async def quick_check(self) -> list[str]:
        """SQLite's quick_check messages other than `ok`."""
        rows = await self.db.fetchall("PRAGMA quick_check")
        return [str(r[0]) for r in rows if str(r[0]) != "ok"]

    async def fts_consistent(self) -> bool:
        """FTS5's own integrity check of the full-text index against `chunks`."""
        try:
            async with self.db.transaction() as tx:
                await tx.execute(
                    "INSERT INTO chunks_fts(chunks_fts, rank) VALUES('integrity-check', 1)"
                )
        except sqlite3.DatabaseError:
            return False
        return True

    async def embed_chars_left(
        self, model_id: int | None, max_chars: int, paths: Sequence[str] | None = None
    ) -> dict[str, int]:
        """Characters still to embed for a model (None: a model with no vector yet), by path:
        of each text without its vector, the path, context header and text the model reads
        (at most `max_chars`), counted once, for the first file that has it. Files with
        nothing to embed are left out; `paths` limits it to those files."""
        where, params = "", []
        if paths is not None:
            where, params = f"AND f.path IN ({marks(len(paths))})", list(paths)
        rows = await self.db.fetchall(
            "SELECT path, sum(cost) FROM (SELECT min(f.path) AS path, max(min(length(f.path) "
            "+ 1 + coalesce(length(nullif(c.context, '')) + 1, 0) + length(c.text), ?)) AS cost "
            "FROM chunks c JOIN files f ON f.id = c.file_id "
            f"WHERE f.embed_skip IS NULL AND f.index_status = 'indexed' {where} "
            "AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.model_id = ? "
            "AND e.content_hash = c.content_hash) GROUP BY c.content_hash) GROUP BY path",
            (max_chars, *params, model_id),
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def task_items_unparsed(self, task_id: str) -> int:
        """Items of a task still pending, or to index but without their `files` row yet."""
        pending = await self.db.count(
            "SELECT count(*) FROM reindexing_task_items WHERE task_id = ? AND status = 'pending'",
            (task_id,),
        )
        missing = await self.db.count(
            "SELECT count(*) FROM reindexing_task_items i LEFT JOIN files f "
            "ON f.path = i.file_path WHERE i.task_id = ? AND i.action = 'index' AND f.id IS NULL",
            (task_id,),
        )
        return pending + missing

    async def distinct_chunk_texts(self) -> list[ChunkText]:
        """Every distinct chunk text to embed (one path and context of it), by its hash."""
        rows = await self.db.fetchall(
            "SELECT c.content_hash, min(f.path), min(c.context), min(c.text) FROM chunks c "
            "JOIN files f ON f.id = c.file_id WHERE f.embed_skip IS NULL "
            "GROUP BY c.content_hash ORDER BY c.content_hash"
        )
        return [ChunkText(str(r[0]), str(r[1]), r[2], str(r[3])) for r in rows]

    async def indexed_files_in(self, languages: Sequence[str]) -> list[tuple[str, str, int]]:
        """(path, language, size) of indexed files in these languages, by path."""
        rows = await self.db.fetchall(
            "SELECT path, language, size FROM files WHERE index_status = 'indexed' "
            f"AND language IN ({marks(len(languages))}) ORDER BY path",
            list(languages),
        )
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

    async def definition_lines(self) -> list[tuple[str, int]]:
        """(path, line) of every function and method of indexed files, in order."""
        rows = await self.db.fetchall(
            "SELECT f.path, s.start_line FROM symbols s JOIN files f ON f.id = s.file_id "
            "WHERE s.kind IN ('function', 'method') AND f.index_status = 'indexed' "
            "ORDER BY f.path, s.start_line"
        )
        return [(str(r[0]), int(r[1])) for r in rows]

    async def paths_with_rows(self, paths: Sequence[str]) -> set[str]:
        """Which of these paths have a row in `files`."""
        found: set[str] = set()
        for part in batches(list(dict.fromkeys(paths))):
            rows = await self.db.fetchall(
                f"SELECT path FROM files WHERE path IN ({marks(len(part))})", part
            )
            found.update(str(r[0]) for r in rows)
        return found

    async def has_files_under(self, folder: str) -> bool:
        """Whether any file row lies below a folder."""
        base = folder.rstrip("/") + "/"
        # paths below "a/b/" sort from "a/b/" up to "a/b0" ("0" follows "/")
        row = await self.db.scalar(
            "SELECT 1 FROM files WHERE path >= ? AND path < ? LIMIT 1", (base, base[:-1] + "0")
        )
        return row is not None
