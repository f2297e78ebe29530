"""Read-only queries behind status and validate: counts, problems, orphans, the FTS check.

A mixin of `Storage`: one small method per query, plain parameterised SQL.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiosqlite

from codeindex.embedding.context import embed_text


class StatsQueries(ABC):
    """Counts and consistency checks of index.db; `Storage` provides the connections."""

    @abstractmethod
    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]: ...

    @abstractmethod
    async def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]: ...

    async def count_files(self) -> int:
        """Rows of `files`."""
        return int(await self.scalar("SELECT count(*) FROM files") or 0)

    async def files_by_status(self) -> dict[str, int]:
        """How many files are indexed, skipped, failed."""
        rows = await self.fetchall("SELECT index_status, count(*) FROM files GROUP BY index_status")
        return {str(r[0]): int(r[1]) for r in rows}

    async def files_by_language(self) -> dict[str, int]:
        """Indexed files per language (`text` when no grammar), most first."""
        rows = await self.fetchall(
            "SELECT language, count(*) FROM files WHERE index_status = 'indexed' "
            "GROUP BY language ORDER BY count(*) DESC"
        )
        return {str(r[0] or "text"): int(r[1]) for r in rows}

    async def not_indexed(self, limit: int = 50) -> list[tuple[str, str, str]]:
        """(path, status, reason) of files skipped or failed."""
        rows = await self.fetchall(
            "SELECT path, index_status, coalesce(error, '') FROM files "
            "WHERE index_status != 'indexed' ORDER BY path LIMIT ?",
            (limit,),
        )
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    async def with_syntax_errors(self, limit: int = 20) -> list[tuple[str, str]]:
        """(path, error) of indexed files whose parse had errors."""
        rows = await self.fetchall(
            "SELECT path, error FROM files WHERE index_status = 'indexed' AND error IS NOT NULL "
            "ORDER BY path LIMIT ?",
            (limit,),
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def count_with_syntax_errors(self) -> int:
        """Indexed files whose parse had errors."""
        return int(
            await self.scalar(
                "SELECT count(*) FROM files WHERE index_status = 'indexed' AND error IS NOT NULL"
            )
            or 0
        )

    async def count_symbols(self) -> int:
        """Rows of `symbols`."""
        return int(await self.scalar("SELECT count(*) FROM symbols") or 0)

    async def count_chunks(self) -> int:
        """Rows of `chunks`."""
        return int(await self.scalar("SELECT count(*) FROM chunks") or 0)

    async def count_fts_rows(self) -> int:
        """Rows of the full-text index."""
        return int(await self.scalar("SELECT count(*) FROM chunks_fts") or 0)

    async def orphans(self) -> tuple[int, int]:
        """(symbols, chunks) rows that belong to no file."""
        symbols = await self.scalar(
            "SELECT count(*) FROM symbols s WHERE NOT EXISTS "
            "(SELECT 1 FROM files f WHERE f.id = s.file_id)"
        )
        chunks = await self.scalar(
            "SELECT count(*) FROM chunks c WHERE NOT EXISTS "
            "(SELECT 1 FROM files f WHERE f.id = c.file_id)"
        )
        return int(symbols or 0), int(chunks or 0)

    async def quick_check(self) -> list[str]:
        """SQLite's quick_check messages other than `ok`."""
        rows = await self.fetchall("PRAGMA quick_check")
        return [str(r[0]) for r in rows if str(r[0]) != "ok"]

    async def fts_consistent(self) -> bool:
        """FTS5's own integrity check of the full-text index against `chunks`."""
        try:
            async with self.transaction() as db:
                await db.execute(
                    "INSERT INTO chunks_fts(chunks_fts, rank) VALUES('integrity-check', 1)"
                )
        except sqlite3.DatabaseError:
            return False
        return True

    async def count_embedded(self, model_id: int) -> int:
        """Texts recorded as having a vector of the model."""
        return int(
            await self.scalar("SELECT count(*) FROM embeddings WHERE model_id = ?", (model_id,))
            or 0
        )

    async def embedded_hashes(self, model_id: int) -> list[str]:
        """Every text hash recorded as having a vector of the model."""
        rows = await self.fetchall(
            "SELECT content_hash FROM embeddings WHERE model_id = ?", (model_id,)
        )
        return [str(r[0]) for r in rows]

    async def file_sizes(self) -> dict[str, int]:
        """Size of every file row, by path."""
        return {str(r[0]): int(r[1]) for r in await self.fetchall("SELECT path, size FROM files")}

    async def chunk_chars_by_file(self) -> dict[str, int]:
        """Characters of chunk text per file, by path."""
        rows = await self.fetchall(
            "SELECT f.path, sum(length(c.text)) FROM chunks c "
            "JOIN files f ON f.id = c.file_id GROUP BY f.path"
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def data_version(self) -> int:
        """Changes when any other connection commits (`PRAGMA data_version`): a cheap poll."""
        rows = await self.fetchall("PRAGMA data_version")
        return int(rows[0][0])

    # ---- for `codeindex bench` ----------------------------------------------------

    async def task_items_unparsed(self, task_id: str) -> int:
        """Items of a task still pending, or to index but without their `files` row yet."""
        pending = await self.scalar(
            "SELECT count(*) FROM reindexing_task_items WHERE task_id = ? AND status = 'pending'",
            (task_id,),
        )
        missing = await self.scalar(
            "SELECT count(*) FROM reindexing_task_items i LEFT JOIN files f "
            "ON f.path = i.file_path WHERE i.task_id = ? AND i.action = 'index' AND f.id IS NULL",
            (task_id,),
        )
        return int(pending or 0) + int(missing or 0)

    async def distinct_chunk_texts(self) -> list[str]:
        """Every distinct embedded text (context and chunk), ordered by its hash."""
        rows = await self.fetchall(
            "SELECT c.content_hash, min(f.path), min(c.context), min(c.text) FROM chunks c "
            "JOIN files f ON f.id = c.file_id WHERE f.embed_skip IS NULL "
            "GROUP BY c.content_hash ORDER BY c.content_hash"
        )
        return [embed_text(str(r[1]), r[2], str(r[3])) for r in rows]

    async def indexed_files_in(self, languages: Sequence[str]) -> list[tuple[str, str, int]]:
        """(path, language, size) of indexed files in these languages, by path."""
        rows = await self.fetchall(
            "SELECT path, language, size FROM files WHERE index_status = 'indexed' "
            f"AND language IN ({','.join('?' * len(languages))}) ORDER BY path",
            list(languages),
        )
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

    async def definition_lines(self) -> list[tuple[str, int]]:
        """(path, line) of every function and method of indexed files, in order."""
        rows = await self.fetchall(
            "SELECT f.path, s.start_line FROM symbols s JOIN files f ON f.id = s.file_id "
            "WHERE s.kind IN ('function', 'method') AND f.index_status = 'indexed' "
            "ORDER BY f.path, s.start_line"
        )
        return [(str(r[0]), int(r[1])) for r in rows]

    async def paths_with_rows(self, paths: Sequence[str]) -> set[str]:
        """Which of these paths have a row in `files` (in batches of 500)."""
        found: set[str] = set()
        unique = list(dict.fromkeys(paths))
        for start in range(0, len(unique), 500):
            part = unique[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = await self.fetchall(f"SELECT path FROM files WHERE path IN ({marks})", part)
            found.update(str(r[0]) for r in rows)
        return found

    async def has_files_under(self, folder: str) -> bool:
        """Whether any file row lies below a folder."""
        base = folder.rstrip("/") + "/"
        # paths below "a/b/" sort from "a/b/" up to "a/b0" ("0" follows "/")
        row = await self.scalar(
            "SELECT 1 FROM files WHERE path >= ? AND path < ? LIMIT 1", (base, base[:-1] + "0")
        )
        return row is not None

    async def meta_with_prefix(self, prefix: str) -> dict[str, str]:
        """The metadata values whose keys start with a prefix, by key."""
        rows = await self.fetchall(
            "SELECT key, value FROM meta WHERE substr(key, 1, ?) = ?", (len(prefix), prefix)
        )
        return {str(r[0]): str(r[1]) for r in rows}
