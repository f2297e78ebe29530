"""The queries behind outlines, symbol sources and references: a file's symbols and lines,
definitions by name, and the uses of a name (`symbol_refs`).

`app.navigation` decides what to ask and how to rank it; the SQL lives here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from codeindex.storage.db import Database, marks


@dataclass(frozen=True, slots=True)
class DefinitionRow:
    """A symbol with its file (lines 1-based inclusive, columns 0-based characters)."""

    name: str
    kind: str
    container: str | None
    path: str
    language: str | None
    start_line: int
    start_col: int
    end_line: int
    end_col: int


@dataclass(frozen=True, slots=True)
class ReferenceRow:
    """A use of a name, with its file."""

    path: str
    language: str | None
    name: str
    kind: str
    line: int
    col: int
    qualifier: str | None
    caller: str | None


@dataclass(frozen=True, slots=True)
class ImportRow:
    """A name a file imports, and from where."""

    path: str
    name: str
    qualifier: str | None


_DEFINITION = (
    "s.name, s.kind, s.container, f.path, f.language, s.start_line, s.start_col, "
    "s.end_line, s.end_col"
)


class CodeQueries:
    """Symbols, lines and references of one index, as the code tools read them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def symbols_in(self, path: str) -> list[DefinitionRow]:
        """The symbols of one file, in file order (outer before inner)."""
        rows = await self.db.fetchall(
            f"SELECT {_DEFINITION} FROM symbols s JOIN files f ON f.id = s.file_id "
            "WHERE f.path = ? ORDER BY s.start_line, s.end_line DESC, s.id",
            (path,),
        )
        return [DefinitionRow(*r) for r in rows]

    async def chunk_lines(self, path: str) -> list[tuple[int, int, str]]:
        """(start_line, end_line, text) of a file's chunks, in order: its indexed text."""
        rows = await self.db.fetchall(
            "SELECT c.start_line, c.end_line, c.text FROM chunks c JOIN files f "
            "ON f.id = c.file_id WHERE f.path = ? ORDER BY c.ordinal",
            (path,),
        )
        return [(int(r[0]), int(r[1]), str(r[2])) for r in rows]

    async def definitions_named(self, name: str, *, limit: int) -> list[DefinitionRow]:
        """Symbols with this name (any case), exact case first."""
        rows = await self.db.fetchall(
            f"SELECT {_DEFINITION} FROM symbols s JOIN files f ON f.id = s.file_id "
            "WHERE s.name = ? COLLATE NOCASE ORDER BY (s.name = ?) DESC, f.path, s.start_line "
            "LIMIT ?",
            (name, name, limit),
        )
        return [DefinitionRow(*r) for r in rows]

    async def references_named(
        self, name: str, *, kinds: Sequence[str], limit: int
    ) -> list[ReferenceRow]:
        """Uses of this name (exact case), of these kinds (all when empty), by path and line."""
        where = f" AND r.kind IN ({marks(len(kinds))})" if kinds else ""
        rows = await self.db.fetchall(
            "SELECT f.path, f.language, r.name, r.kind, r.line, r.col, r.qualifier, r.caller "
            "FROM symbol_refs r JOIN files f ON f.id = r.file_id "
            f"WHERE r.name = ? COLLATE NOCASE AND r.name = ?{where} "
            "ORDER BY f.path, r.line, r.col LIMIT ?",
            (name, name, *kinds, limit),
        )
        return [ReferenceRow(*r) for r in rows]

    async def imports_of(self, paths: Sequence[str]) -> list[ImportRow]:
        """What these files import."""
        if not paths:
            return []
        rows = await self.db.fetchall(
            "SELECT f.path, r.name, r.qualifier FROM symbol_refs r JOIN files f "
            f"ON f.id = r.file_id WHERE r.kind = 'import' AND f.path IN ({marks(len(paths))})",
            tuple(paths),
        )
        return [ImportRow(str(r[0]), str(r[1]), r[2]) for r in rows]

    async def lines_at(self, path: str, lines: Sequence[int]) -> dict[int, str]:
        """The indexed text of some lines of one file, by line number."""
        wanted = sorted(set(lines))
        if not wanted:
            return {}
        rows = await self.db.fetchall(
            "SELECT c.start_line, c.end_line, c.text FROM chunks c JOIN files f "
            "ON f.id = c.file_id WHERE f.path = ? AND c.end_line >= ? AND c.start_line <= ? "
            "ORDER BY c.ordinal",
            (path, wanted[0], wanted[-1]),
        )
        found: dict[int, str] = {}
        for start, end, text in rows:
            parts = str(text).split("\n")
            for line in wanted:
                if start <= line <= end and end - start + 1 == len(parts):
                    found.setdefault(line, parts[line - start])
        return found

    async def count_older_parser(self, version: int) -> int:
        """Indexed files whose rows an older parser wrote (they have no references)."""
        return await self.db.count(
            "SELECT count(*) FROM files WHERE index_status = 'indexed' AND parser_version < ?",
            (version,),
        )
