"""tree-sitter parsing: a file's text in, its symbols, references and search chunks out.

Pure and I/O free: callers read and decode the file, this package only looks at
the text. Symbols come from per-language queries for the main languages
(Python, JavaScript, TypeScript, TSX, Go, Rust, Java, C, C++, C#, Ruby, PHP)
and from a generic definition query built from the grammar's node types for
every other grammar in the language pack. References (calls, imports, type uses,
each with the definition around it) come from the same tree (`references`).
Chunks follow the syntax tree: a definition is one chunk, a definition longer than
``max_chunk_chars`` is split by its children (recursively), and small neighbours are
merged while they fit.
Files without a grammar are chunked by lines, preferring blank lines as breaks.

Lines are ``text.split("\\n")``: a ``\\r`` before the newline stays part of the
line's content (tree-sitter counts rows the same way), so every chunk's text
is exactly ``"\\n".join(lines[start_line - 1 : end_line])``. The one exception
is a single line longer than ``max_chunk_chars`` (minified code): it becomes
several chunks on that line whose texts are consecutive slices of it
(whitespace-only slices are dropped).

A symbol's start is the position of its name (where an editor should jump),
its end is the end of the whole definition. Columns count characters (code
points), not bytes. Parsers are cached per thread and language; compiled
queries are shared, so ``parse`` is safe to call from worker threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node

from codeindex.parser.chunks import Chunk, _chunks
from codeindex.parser.languages import _language, _parser, language_for_path
from codeindex.parser.queries import _query
from codeindex.parser.references import Reference, extract
from codeindex.parser.symbols import KINDS, Symbol, _collect, _nest, _symbols
from codeindex.parser.version import PARSER_VERSION

__all__ = [
    "KINDS",
    "PARSER_VERSION",
    "Chunk",
    "ParseResult",
    "Reference",
    "Symbol",
    "language_for_path",
    "parse",
]


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Everything ``parse`` learns about one file."""

    language: str | None
    symbols: list[Symbol]
    chunks: list[Chunk]
    error: str | None
    references: list[Reference] = field(default_factory=list)


def _error_rows(root: Node, limit: int = 3) -> list[int]:
    rows: list[int] = []
    stack = [root]
    while stack and len(rows) < limit:
        node = stack.pop()
        if node.is_error or node.is_missing:
            row = node.start_point.row + 1
            if row not in rows:
                rows.append(row)
            continue
        stack.extend(reversed([c for c in node.children if c.has_error]))
    return rows


def parse(text: str, language: str | None, *, max_chunk_chars: int = 1000) -> ParseResult:
    """Parse one file's text into symbols and chunks; never raises on bad source."""
    max_chars = max(1, max_chunk_chars)
    lines = text.split("\n")
    lang = _language(language) if language else None
    if language is None or lang is None:
        return ParseResult(None, [], _chunks(lines, None, max_chars, []), None)
    data = text.encode("utf-8", "surrogatepass")
    tree = _parser(language, lang).parse(data)
    root = tree.root_node
    query = _query(language, lang)
    defs = _collect(root, data, query, language) if query is not None else []
    defs = _nest(defs, language)
    error = None
    if root.has_error:
        rows = _error_rows(root)
        noun = "line" if len(rows) == 1 else "lines"
        where = f" near {noun} {', '.join(map(str, rows))}" if rows else ""
        error = (
            f"syntax errors{where}: the parser could not read that part (unfinished code, or "
            "nesting deeper than its grammar follows), so symbols there may be missing; "
            "the whole text is still in full-text search"
        )
    chunks = _chunks(lines, root, max_chars, defs)
    refs = extract(root, data, language, lang, defs)
    return ParseResult(language, _symbols(defs, lines, data), chunks, error, refs)
