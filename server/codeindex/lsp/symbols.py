"""`workspace/symbol` from the symbols table: names that start with the query first, then
names that contain it (case-insensitive), with LSP kinds and container names."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import from_fs_path

from codeindex.contract import SymbolInfo
from codeindex.errors import CodeIndexError

if TYPE_CHECKING:
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


def information(
    ls: CodeIndexServer, hit: SymbolInfo, known: frozenset[types.SymbolKind]
) -> types.SymbolInformation:
    """One symbol hit as SymbolInformation (lines 0-based in LSP, 1-based in the index)."""
    uri = from_fs_path(str(ls.service().settings.root / hit["path"])) or hit["path"]
    return types.SymbolInformation(
        name=hit["name"],
        kind=lsp_kind(hit["kind"], known),
        location=types.Location(
            uri=uri,
            range=types.Range(
                start=types.Position(line=hit["start_line"] - 1, character=hit["start_col"]),
                end=types.Position(line=hit["end_line"] - 1, character=hit["end_col"]),
            ),
        ),
        container_name=hit["container"] or None,
    )


async def workspace_symbol(
    ls: CodeIndexServer, params: types.WorkspaceSymbolParams
) -> list[types.SymbolInformation]:
    """Symbols whose names start with, then contain, the query."""
    query = params.query.strip()
    if not query or ls.service_ is None:
        return []
    service = ls.service_
    hits: list[SymbolInfo] = []
    seen: set[tuple[str, int, int]] = set()
    try:
        for match in ("prefix", "substring"):
            found = await service.find_symbols(query, match=match, limit=LIMIT)
            for hit in found:
                key = (hit["path"], hit["start_line"], hit["start_col"])
                if key not in seen:
                    seen.add(key)
                    hits.append(hit)
            if len(hits) >= LIMIT:
                break
    except CodeIndexError as exc:
        log.info("workspace/symbol %r: %s", query, exc.message)
        return []
    known = client_kinds(ls)
    return [information(ls, hit, known) for hit in hits[:LIMIT]]
