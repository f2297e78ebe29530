"""Hits an agent can act on without opening the file, within a budget of tokens.

Each hit gets the innermost definition around its best line, or the one that a doc
comment on that line documents (its name as `Container.name`, kind and signature: the
definition's first line, or first lines until its parentheses close, without decorators or
comments), and `context_lines` lines on each side of that line, from the chunk's own text
(no file is read, so a hit says what was indexed; a doc comment longer than its chunk is
followed, through the next chunks, to the definition it documents). That name replaces
the chunk's own symbol, which names only a definition holding the whole chunk (none for a
chunk of several small definitions, or else their container): a hit's `symbol`,
`symbol_kind` and `signature` name one definition, the one to pass to get_symbol.
`max_tokens` bounds the whole JSON answer, at about four characters a token: the best hits
(or files) that fit are kept, at least one, and `truncated` says that some were left out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

from codeindex.search.hits import FileResult, Hit, SearchResult
from codeindex.storage import Storage
from codeindex.storage.search_sql import SymbolRow

CHARS_PER_TOKEN = 4
SIGNATURE_LINES = 4
LINE_CHARS = 200
DOC_LINES = 200  # the longest doc comment followed to its definition
_PREFIXES = ("@", "#[", "#", "//", "/*", "*", "///")


async def enrich(storage: Storage, hits: Sequence[Hit], context_lines: int) -> None:
    """Give each hit its enclosing definition's name, kind and signature, and its context
    lines."""
    symbols = await storage.search.symbols_of_files(sorted({h.path for h in hits}))
    by_path: dict[str, list[SymbolRow]] = {}
    for row in symbols:
        by_path.setdefault(row.path, []).append(row)
    signatures: dict[tuple[str, int], str | None] = {}
    for hit in hits:
        rows = by_path.get(hit.path, [])
        inner = _definition_at(rows, hit) or await _documented_after(storage, rows, hit)
        if inner is not None:
            key = (hit.path, inner.start_line)
            if key not in signatures:
                signatures[key] = await _signature(storage, hit, inner.start_line)
            hit.symbol_kind, hit.signature = inner.kind, signatures[key]
            hit.symbol = f"{inner.container}.{inner.name}" if inner.container else inner.name
        if context_lines > 0:
            _context(hit, context_lines)


def _definition_at(symbols: list[SymbolRow], hit: Hit) -> SymbolRow | None:
    """The innermost definition around the hit's line."""
    around = [s for s in symbols if s.start_line <= hit.line <= s.end_line]
    return max(around, key=lambda s: (s.start_line, -s.end_line), default=None)


async def _documented_after(
    storage: Storage, symbols: list[SymbolRow], hit: Hit
) -> SymbolRow | None:
    """For a hit in a doc comment: the definition the comment runs into, when only comment,
    decorator or blank lines lie between (read from the next chunks when the comment is
    longer than its own, as rxjs's JSDoc)."""
    if not hit.snippet.startswith(_PREFIXES):
        return None
    after = [s for s in symbols if s.start_line > hit.line]
    target = min(after, key=lambda s: (s.start_line, -s.end_line), default=None)
    if target is None or target.start_line - hit.line > DOC_LINES:
        return None
    between = hit.text.split("\n")[hit.line - hit.start_line :]
    last = hit.end_line
    while last < target.start_line - 1:
        found = await storage.search.text_at(hit.path, last + 1)
        lines = [""] if found is None else found[1].split("\n")[last + 1 - found[0] :]
        between += lines
        last += len(lines)
    kept = between[: target.start_line - hit.line]
    return target if all(not x.strip() or x.strip().startswith(_PREFIXES) for x in kept) else None


async def _signature(storage: Storage, hit: Hit, line: int) -> str | None:
    if hit.start_line <= line <= hit.end_line:
        start, text = hit.start_line, hit.text
    else:
        found = await storage.search.text_at(hit.path, line)
        if found is None:
            return None
        start, text = found
    return signature_of(text.split("\n")[line - start :])


def signature_of(lines: Sequence[str]) -> str | None:
    """A definition's signature from its lines: the first code line, and the next ones
    until its brackets close (at most SIGNATURE_LINES), joined by spaces."""
    kept: list[str] = []
    depth = 0
    for raw in lines[: SIGNATURE_LINES * 3]:
        line = raw.strip()
        if not kept and (not line or line.startswith(_PREFIXES)):
            continue
        kept.append(line)
        depth += sum(line.count(c) for c in "([") - sum(line.count(c) for c in ")]")
        if depth <= 0 or len(kept) >= SIGNATURE_LINES:
            break
    text = " ".join(kept)
    return _clip(text) if text else None


def _clip(line: str) -> str:
    return line if len(line) <= LINE_CHARS else line[: LINE_CHARS - 3] + "..."


def _context(hit: Hit, n: int) -> None:
    lines = hit.text.split("\n")
    first = max(hit.start_line, hit.line - n)
    last = min(hit.start_line + len(lines) - 1, hit.line + n)
    kept = lines[first - hit.start_line : last - hit.start_line + 1]
    hit.context = "\n".join(_clip(line.rstrip()) for line in kept)
    hit.context_start_line = first


def _tokens(value: object) -> int:
    return math.ceil(len(json.dumps(value)) / CHARS_PER_TOKEN)


def fit(result: SearchResult, max_tokens: int | None) -> None:
    """Keep the best hits or files whose JSON fits `max_tokens` (at least one)."""
    if max_tokens is None:
        return
    files = result.output != "hits"
    entries: Sequence[Hit | FileResult] = result.files if files else result.hits
    total = _tokens({**result.to_dict(), "hits": [], "files": []})
    kept = 0
    for entry in entries:
        size = _tokens(
            entry.to_dict(with_hits=result.output == "files")
            if isinstance(entry, FileResult)
            else entry.to_dict()
        )
        if kept and total + size > max_tokens:
            break
        total += size
        kept += 1
    if kept < len(entries):
        result.truncated = True
        if files:
            result.files = result.files[:kept]
        else:
            result.hits = result.hits[:kept]
    first = result.files[0].hits if files and result.files else result.hits[:1]
    if total > max_tokens:  # the one kept is too big alone: its context goes first
        result.truncated = True
        del first[1:]
        for hit in first:
            hit.context = hit.context_start_line = None
