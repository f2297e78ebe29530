"""get_file_outline: a file's symbols as a tree, each with its signature, line range and
first doc line, within a budget of tokens.

Read from the index (the file's symbol rows and the lines of its chunks), so an outline
costs two queries and agrees with every other answer about the file. When the tree does
not fit `max_tokens` (about 4 characters a token, counted on the JSON), the deepest
levels go first (each parent says how many children it left out), then the last symbols.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from codeindex.app.code_names import freshness, qualified
from codeindex.app.source_text import first_doc, indexed_lines, signature
from codeindex.contract.navigation import FileOutline, OutlineSymbol
from codeindex.errors import BadArgument
from codeindex.storage import Storage
from codeindex.storage.code_sql import DefinitionRow
from codeindex.workspace import Workspace

CHARS_PER_TOKEN = 4
MAX_DOC = 120


def _node(row: DefinitionRow, lines: Sequence[str]) -> OutlineSymbol:
    text, _ = signature(lines, row.start_line, row.end_line) if lines else (row.name, 0)
    node: OutlineSymbol = {
        "name": row.name,
        "kind": row.kind,
        "signature": text,
        "start_line": row.start_line,
        "end_line": row.end_line,
    }
    doc = first_doc(lines, row.start_line)
    if doc:
        node["doc"] = doc if len(doc) <= MAX_DOC else doc[: MAX_DOC - 3] + "..."
    return node


def outline_tree(rows: Sequence[DefinitionRow], lines: Sequence[str]) -> list[OutlineSymbol]:
    """Symbols nested under the symbol their container names (when it is in this file)."""
    roots: list[OutlineSymbol] = []
    by_path: dict[str, OutlineSymbol] = {}
    for row in rows:
        node = _node(row, lines)
        parent = by_path.get(row.container or "")
        if parent is not None and row.start_line <= parent["end_line"]:
            parent.setdefault("children", []).append(node)
        else:
            roots.append(node)
        by_path.setdefault(qualified(row), node)
    return roots


def _size(value: object) -> int:
    return len(json.dumps(value, ensure_ascii=False))


def _prune(nodes: list[OutlineSymbol], depth: int) -> None:
    """Leave out every level below `depth`, counting what each parent lost."""
    for node in nodes:
        children = node.get("children")
        if not children:
            continue
        if depth <= 1:
            node["omitted"] = node.get("omitted", 0) + _count(children)
            del node["children"]
        else:
            _prune(children, depth - 1)


def _count(nodes: Sequence[OutlineSymbol]) -> int:
    return sum(1 + _count(n.get("children", [])) + n.get("omitted", 0) for n in nodes)


def _depth(nodes: Sequence[OutlineSymbol]) -> int:
    return max((1 + _depth(n.get("children", [])) for n in nodes), default=0)


def fit(outline: FileOutline, max_tokens: int) -> FileOutline:
    """The outline cut to `max_tokens`: deepest levels first, then the last symbols."""
    budget = max_tokens * CHARS_PER_TOKEN
    symbols = outline["symbols"]
    depth = _depth(symbols)
    while _size(outline) > budget and depth > 1:
        depth -= 1
        _prune(symbols, depth)
        outline["truncated"] = True
        outline["note"] = (
            f"symbols nested deeper than {depth} level(s) are left out (see `omitted`) to "
            f"stay within max_tokens={max_tokens}: ask get_symbol with bodies=false for a "
            "class's members, or a larger max_tokens"
        )
    if _size(outline) > budget:
        total = len(symbols)
        while len(symbols) > 1 and _size(outline) > budget:
            symbols.pop()
        outline["truncated"] = True
        last = symbols[-1]["end_line"] if symbols else 0
        outline["note"] = (
            f"only the first {len(symbols)} of {total} top-level symbols fit max_tokens="
            f"{max_tokens} (the rest start after line {last}): ask with a larger max_tokens"
        )
    return outline


async def file_outline(
    storage: Storage, workspace: Workspace, path: str, max_tokens: int
) -> FileOutline:
    """The outline of one indexed file (a workspace-relative or absolute path)."""
    rel = workspace.resolve(path)
    row = await storage.get_file(rel)
    if row is None:
        there = workspace.stat(rel) is not None
        raise BadArgument(
            f"path {rel!r} is "
            + (
                f"not indexed yet: reindex it (force_reindex scope=file paths=[{rel!r}])"
                if there
                else "not a file of the workspace's index: give a file's path, e.g. as "
                "search_code or find_symbol report it"
            ),
            field="path",
            given=path,
        )
    lines = indexed_lines(await storage.code.chunk_lines(rel))
    note = None
    if row.index_status != "indexed":
        note = f"this file is not indexed ({row.index_status}: {row.error})"
    outline: FileOutline = {
        "path": rel,
        "language": row.language,
        "lines": len(lines),
        "freshness": await freshness(storage, workspace, rel),
        "symbols": outline_tree(await storage.code.symbols_in(rel), lines),
        "truncated": False,
        "note": note,
    }
    return fit(outline, max_tokens)
