"""get_symbol: the source of one definition, found by name or id, within a budget of tokens.

The source runs from the comments, decorators and attributes above the definition to its
last line, as the file was indexed. A class (struct, trait, impl, ...) can come without
its members' bodies: each method is its signature (and a Python docstring's first line)
followed by `...`. A source longer than `max_tokens` (about 4 characters a token) is cut
at a line, and the answer says where.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from codeindex.app import code_names
from codeindex.app.code_names import (
    freshness,
    qualified,
    qualifies,
    ranked,
    split_name,
    under,
)
from codeindex.app.source_text import elided, first_doc, head_line, indexed_lines, signature
from codeindex.contract.navigation import SymbolSource
from codeindex.errors import BadArgument
from codeindex.search.hits import symbol_info
from codeindex.storage import Storage
from codeindex.storage.code_sql import DefinitionRow
from codeindex.workspace import Workspace

CHARS_PER_TOKEN = 4
MAX_OTHERS = 10
MAX_CANDIDATES = 500
NOTE_ROOM = 200  # the note a cut source gets
_CALLABLE = frozenset({"function", "method", "constructor"})


async def _by_id(storage: Storage, symbol: str) -> list[DefinitionRow]:
    path, sep, name = symbol.rpartition("#")
    if not sep or not path or not name:
        raise BadArgument(
            "id must be 'path#Container.name' (as get_symbol answers it: the file's path, "
            f"'#', the dotted name); got {symbol!r}",
            field="id",
            given=symbol,
        )
    rows = [r for r in await storage.code.symbols_in(path) if qualified(r) == name]
    if not rows:
        raise BadArgument(
            f"no symbol {name!r} in {path!r} (the file changed, or the id is mistyped): "
            "get_file_outline lists its symbols",
            field="id",
            given=symbol,
        )
    return rows


async def candidates(
    storage: Storage,
    workspace: Workspace,
    name: str,
    *,
    path: str | None,
    kind: str | None,
) -> list[DefinitionRow]:
    """The definitions `name` may mean, most likely first (BadArgument when none)."""
    parts, bare = split_name(name)
    rows = await storage.code.definitions_named(bare, limit=MAX_CANDIDATES)
    rows = [r for r in rows if qualifies(r, parts) and (kind is None or r.kind == kind)]
    prefix = workspace.resolve(path) if path else ""
    found = [r for r in rows if under(r.path, prefix)]
    if not found:
        where = f" under {prefix!r}" if prefix else ""
        what = f" of kind {kind!r}" if kind else ""
        elsewhere = f"; it is defined in {', '.join(sorted({r.path for r in rows})[:5])}"
        raise BadArgument(
            f"no symbol named {name!r}{what}{where}"
            + (elsewhere if rows else "; find_symbol finds names by prefix or substring"),
            field="name",
            given=name,
        )
    return ranked(found, bare)


def _members(rows: Sequence[DefinitionRow], row: DefinitionRow) -> list[tuple[int, int]]:
    inside = qualified(row)
    return [
        (r.start_line, r.end_line)
        for r in rows
        if r.container == inside and r.kind in _CALLABLE and r.end_line > r.start_line
    ]


def _cut(text: str, budget: int) -> tuple[str, int]:
    """The whole lines of `text` that fit `budget` characters, and how many there are."""
    kept: list[str] = []
    size = 0
    for line in text.split("\n"):
        size += len(line) + 1
        if size > budget and kept:
            break
        kept.append(line)
    return "\n".join(kept), len(kept)


async def symbol_source(
    storage: Storage,
    workspace: Workspace,
    *,
    name: str | None,
    symbol_id: str | None,
    path: str | None = None,
    kind: str | None = None,
    bodies: bool = True,
    max_tokens: int = 3000,
) -> SymbolSource:
    """One definition's source, signature and doc; the other matches listed."""
    if symbol_id is not None:
        found = await _by_id(storage, symbol_id)
    else:
        found = await candidates(storage, workspace, name or "", path=path, kind=kind)
    row = found[0]
    lines = indexed_lines(await storage.code.chunk_lines(row.path))
    first = head_line(lines, row.start_line)
    members = [] if bodies else _members(await storage.code.symbols_in(row.path), row)
    body = elided(lines, first, row.end_line, members)
    answer: SymbolSource = {
        "id": code_names.symbol_id(row),
        "name": row.name,
        "kind": row.kind,
        "container": row.container,
        "path": row.path,
        "language": row.language,
        "start_line": first,
        "end_line": row.end_line,
        "signature": signature(lines, row.start_line, row.end_line)[0],
        "doc": first_doc(lines, row.start_line),
        "source": "",
        "bodies": bodies,
        "truncated": False,
        "freshness": await freshness(storage, workspace, row.path),
        "others": [symbol_info(r) for r in found[1 : 1 + MAX_OTHERS]],
        "note": f"{len(members)} member bodies left out (bodies=false)" if members else None,
    }
    budget = max_tokens * CHARS_PER_TOKEN - len(json.dumps(answer)) - NOTE_ROOM
    answer["source"], kept = _cut("\n".join(body), budget)
    if kept < len(body):
        upto = "" if members else f" (up to line {first + kept - 1})"
        answer["truncated"] = True
        answer["note"] = (
            f"source cut after {kept} of {len(body)} lines{upto} to stay within "
            f"max_tokens={max_tokens}: ask again with a larger max_tokens"
            + (" or bodies=false" if bodies and row.kind not in _CALLABLE else "")
        )
    return answer
