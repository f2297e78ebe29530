"""`workspace/symbol` from the symbols table of every served folder: names that start
with the query first (of every folder), then names that contain it (case-insensitive,
with Unicode case folding), with LSP kinds and
container names, and columns in the position encoding negotiated with the client
(`columns`). A query longer than `contract.MAX_TEXT` characters is refused (InvalidParams),
as every text argument of the commands is."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.uris import from_fs_path

from codeindex.contract import MAX_TEXT, SymbolInfo
from codeindex.errors import CodeIndexError
from codeindex.lsp import columns

if TYPE_CHECKING:
    from codeindex.app.service import CodeIndexService
    from codeindex.lsp.server import CodeIndexServer

log = logging.getLogger(__name__)

LIMIT = 100
K = types.SymbolKind
KINDS: dict[str, types.SymbolKind] = {
    "function": K.Function,
    "method": K.Method,
    "constructor": K.Constructor,
    "class": K.Class,
    "interface": K.Interface,
    "trait": K.Interface,
    "struct": K.Struct,
    "enum": K.Enum,
    "type": K.TypeParameter,
    "module": K.Module,
    "namespace": K.Namespace,
    "impl": K.Object,
    "macro": K.Function,
    "constant": K.Constant,
    "variable": K.Variable,
    "field": K.Field,
    "property": K.Property,
}
# kinds a client may not know (LSP 3.0 clients know File..Array) and what to show instead
FALLBACK: dict[types.SymbolKind, types.SymbolKind] = {
    K.Struct: K.Class,
    K.TypeParameter: K.Class,
    K.Object: K.Class,
    K.Constructor: K.Method,
    K.Enum: K.Class,
    K.Interface: K.Class,
}
BASIC = frozenset(K(v) for v in range(K.File, K.Array + 1))


def client_kinds(ls: CodeIndexServer) -> frozenset[types.SymbolKind]:
    """The symbol kinds the client said it knows (File..Array when it did not say)."""
    workspace = ls.client_capabilities.workspace
    symbol = workspace.symbol if workspace is not None else None
    if symbol is None or symbol.symbol_kind is None or not symbol.symbol_kind.value_set:
        return BASIC
    return frozenset(symbol.symbol_kind.value_set)


def lsp_kind(kind: str, known: frozenset[types.SymbolKind]) -> types.SymbolKind:
    """The LSP SymbolKind for one of the index's kinds."""
    mapped = KINDS.get(kind, K.Variable)
    if mapped not in known:
        mapped = FALLBACK.get(mapped, K.Variable)
    return mapped if mapped in known else K.Variable


Columns = dict[tuple[str, int, int], int]


def information(
    root: Path,
    hit: SymbolInfo,
    known: frozenset[types.SymbolKind],
    converted: Columns | None = None,
) -> types.SymbolInformation:
    """One symbol hit of the folder `root` as SymbolInformation (lines 0-based in LSP,
    1-based in the index; columns as `converted` gives them in the client's encoding, else
    as stored)."""
    uri = from_fs_path(str(root / hit["path"])) or hit["path"]
    found = converted or {}
    path = hit["path"]
    start = (path, hit["start_line"], hit["start_col"])
    end = (path, hit["end_line"], hit["end_col"])
    return types.SymbolInformation(
        name=hit["name"],
        kind=lsp_kind(hit["kind"], known),
        location=types.Location(
            uri=uri,
            range=types.Range(
                start=types.Position(line=start[1] - 1, character=found.get(start, start[2])),
                end=types.Position(line=end[1] - 1, character=found.get(end, end[2])),
            ),
        ),
        container_name=hit["container"] or None,
    )


async def client_columns(ls: CodeIndexServer, root: Path, hits: list[SymbolInfo]) -> Columns:
    """The columns of the hits (in the folder `root`) that differ in the client's encoding."""
    codec = ls.workspace.position_codec
    if codec.encoding == types.PositionEncodingKind.Utf32:
        return {}
    spots = [(h["path"], h["start_line"], h["start_col"]) for h in hits]
    spots += [(h["path"], h["end_line"], h["end_col"]) for h in hits]
    return await asyncio.to_thread(columns.convert, codec, root, spots)


async def _found(service: CodeIndexService, query: str) -> list[SymbolInfo]:
    """One folder's symbols whose names start with, then contain, the query."""
    hits: list[SymbolInfo] = []
    seen: set[tuple[str, int, int]] = set()
    for match in ("prefix", "substring"):
        found = await service.find_symbols(query, match=match, limit=LIMIT)
        for hit in found:
            key = (hit["path"], hit["start_line"], hit["start_col"])
            if key not in seen:
                seen.add(key)
                hits.append(hit)
        if len(hits) >= LIMIT:
            break
    return hits


async def workspace_symbol(
    ls: CodeIndexServer, params: types.WorkspaceSymbolParams
) -> list[types.SymbolInformation]:
    """Symbols whose names start with, then contain, the query."""
    if len(params.query) > MAX_TEXT:
        raise JsonRpcInvalidParams(
            f"workspace/symbol: query is {len(params.query)} characters long; at most "
            f"{MAX_TEXT} are allowed"
        )
    query = params.query.strip()
    folders = ls.open_folders()
    if not query or not folders:
        return []
    known = client_kinds(ls)
    ranked: list[tuple[int, int, types.SymbolInformation]] = []
    folded = query.casefold()
    for folder in folders:
        assert folder.service is not None
        try:
            hits = (await _found(folder.service, query))[:LIMIT]
        except CodeIndexError as exc:
            log.info("workspace/symbol %r in %s: %s", query, folder.root, exc.message)
            continue
        converted = await client_columns(ls, folder.root, hits)
        for hit in hits:
            rank = 0 if hit["name"].casefold().startswith(folded) else 1
            ranked.append((rank, len(ranked), information(folder.root, hit, known, converted)))
    ranked.sort(key=lambda item: item[:2])  # prefix matches of every folder first
    return [info for _, _, info in ranked[:LIMIT]]
