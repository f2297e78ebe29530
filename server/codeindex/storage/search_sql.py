"""The queries behind search: full-text (FTS5, bm25), symbols by name, chunks by text hash.

The search package decides what to ask; the SQL lives here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from codeindex.storage.db import Database, marks

NameMatch = Literal["exact", "prefix", "substring"]


@dataclass(frozen=True, slots=True)
class ChunkRow:
    """A chunk with its file, as search reads it."""

    id: int
    path: str
    start_line: int
    end_line: int
    symbol: str | None
    language: str | None
    text: str
    content_hash: str
    rank: float = 0.0  # bm25 (lower is better) for full-text rows


@dataclass(frozen=True, slots=True)
class SymbolRow:
    """A symbol with its file."""

    name: str
    kind: str
    container: str | None
    path: str
    start_line: int
    start_col: int
    end_line: int
    end_col: int
    language: str | None


_CHUNK = "c.id, f.path, c.start_line, c.end_line, c.symbol, f.language, c.text, c.content_hash"
_SYMBOL = (
    "s.name, s.kind, s.container, f.path, s.start_line, s.start_col, s.end_line, s.end_col, "
    "f.language FROM symbols s JOIN files f ON f.id = s.file_id"
)
# a name with a character outside ASCII (more bytes than characters): the condition of the
# partial index `symbols_non_ascii` (migration 011), which the query must repeat as is
_NON_ASCII = "length(s.name) != length(CAST(s.name AS BLOB))"
_ASCII = "length(s.name) = length(CAST(s.name AS BLOB))"
_LIKE = "s.name LIKE ? ESCAPE '\\'"
_FOLDED_LIKE = "casefold(s.name) LIKE ? ESCAPE '\\'"


def _filters(path_prefix: str | None, language: str | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if path_prefix:
        prefix = path_prefix.rstrip("/")
        clauses.append("(f.path = ? OR substr(f.path, 1, ?) = ?)")
        params += [prefix, len(prefix) + 1, prefix + "/"]
    if language:
        clauses.append("f.language = ?")
        params.append(language)
    return "".join(f" AND {c}" for c in clauses), params


class SearchQueries:
    """Full-text, symbol and chunk look-ups of one index."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def match_chunks(
        self, match: str, *, limit: int, path_prefix: str | None, language: str | None
    ) -> list[ChunkRow]:
        """Chunks matching an FTS5 query, best bm25 first.

        Weights: text 1, enclosing symbol 2, identifier words 1, defined names 4.
        """
        where, params = _filters(path_prefix, language)
        rows = await self.db.fetchall(
            f"SELECT {_CHUNK}, bm25(chunks_fts, 1.0, 2.0, 1.0, 4.0) AS rank "
            "FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid "
            f"JOIN files f ON f.id = c.file_id WHERE chunks_fts MATCH ?{where} "
            "ORDER BY rank LIMIT ?",
            (match, *params, limit),
        )
        return [ChunkRow(*r) for r in rows]

    async def chunks_with_hashes(
        self, hashes: Sequence[str], *, path_prefix: str | None, language: str | None
    ) -> list[ChunkRow]:
        """Current chunks whose text has one of these hashes."""
        if not hashes:
            return []
        where, params = _filters(path_prefix, language)
        rows = await self.db.fetchall(
            f"SELECT {_CHUNK} FROM chunks c JOIN files f ON f.id = c.file_id "
            f"WHERE c.content_hash IN ({marks(len(hashes))}){where}",
            (*hashes, *params),
        )
        return [ChunkRow(*r) for r in rows]

    async def symbols_named(
        self, name: str, how: NameMatch, *, kind: str | None, limit: int
    ) -> list[SymbolRow]:
        """Symbols whose name matches exactly, by prefix or by substring, in any case
        (Unicode case folding: `straße` finds `STRASSE`, `ΣΊΣΥΦΟΣ` finds `σίσυφος`).

        Exact names first, then shorter names, then by path and line. Names all in ASCII
        (nearly all) are matched by SQLite's NOCASE index and LIKE, which fold ASCII; only
        the others (their own partial index) go through `casefold()` (a function
        `storage.opening` registers on each connection).
        """
        folded = name.casefold()
        escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        ascii_clause, fold_clause, value = {
            "exact": ("s.name = ? COLLATE NOCASE", "casefold(s.name) = ?", folded),
            "prefix": (_LIKE, _FOLDED_LIKE, escaped + "%"),
            "substring": (_LIKE, _FOLDED_LIKE, "%" + escaped + "%"),
        }[how]
        of_kind, kinds = (" AND s.kind = ?", [kind]) if kind else ("", [])
        rows = await self.db.fetchall(
            f"SELECT * FROM (SELECT {_SYMBOL} WHERE {ascii_clause} AND {_ASCII}{of_kind} "
            f"UNION ALL SELECT {_SYMBOL} WHERE {_NON_ASCII} AND {fold_clause}{of_kind}) "
            "ORDER BY (name = ?) DESC, length(name), path, start_line LIMIT ?",
            (value, *kinds, value, *kinds, name, limit),
        )
        return [SymbolRow(*r) for r in rows]

    async def recorded_stats(self, paths: Sequence[str]) -> dict[str, tuple[int, int]]:
        """(size, mtime_ns) recorded for these files, by path."""
        if not paths:
            return {}
        rows = await self.db.fetchall(
            f"SELECT path, size, mtime_ns FROM files WHERE path IN ({marks(len(paths))})",
            paths,
        )
        return {str(r[0]): (int(r[1]), int(r[2])) for r in rows}

    async def languages(self) -> list[str]:
        """Languages of indexed files (`text` for files without a grammar), sorted."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT coalesce(language, 'text') FROM files WHERE index_status = 'indexed'"
        )
        return sorted(str(r[0]) for r in rows)

    async def symbol_kinds(self) -> list[str]:
        """Kinds of the symbols in the index, sorted."""
        return sorted(
            str(r[0]) for r in await self.db.fetchall("SELECT DISTINCT kind FROM symbols")
        )

    async def not_embedded_among(self, paths: Sequence[str]) -> set[str]:
        """Those of these files whose chunks get no vectors (`files.embed_skip`)."""
        if not paths:
            return set()
        rows = await self.db.fetchall(
            f"SELECT path FROM files WHERE path IN ({marks(len(paths))}) "
            "AND embed_skip IS NOT NULL",
            paths,
        )
        return {str(r[0]) for r in rows}

    async def symbol_names(self, min_length: int = 4) -> list[str]:
        """Distinct symbol names at least `min_length` long, sorted."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT name FROM symbols WHERE length(name) >= ? ORDER BY name",
            (min_length,),
        )
        return [str(r[0]) for r in rows]
