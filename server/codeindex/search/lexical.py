"""Full-text search (FTS5, bm25), the definitions of the names a query mentions, and symbols.

A query word that is an identifier of several words (`addCommand`, `HTTPServer`) matches
itself or its words in a row (`parser.identifiers`), so "add command", `AddCommand` and
`add_command` find each other. Chunks that define a symbol matching every term come
first (for queries of up to three terms: a name, not a sentence), then chunks with every
term, then chunks with any. `definitions` ranks the chunks that define the identifiers a
query names (`search.query.identifiers`); search fuses it with the full-text ranking.
"""

from __future__ import annotations

from codeindex.contract import SymbolInfo
from codeindex.search.hits import Hit, SearchError, hit_of, symbol_info
from codeindex.search.query import Identifier, fts_query, term_count
from codeindex.storage import Storage
from codeindex.storage.search_sql import EVERYWHERE, ChunkFilter, NameMatch

# Queries of at most this many terms look for definitions first; a longer one is a sentence,
# which no definition's name holds, and the extra full-text pass would only cost time.
DEFINITION_TERMS = 3


async def lexical(
    storage: Storage, query: str, *, limit: int = 20, where: ChunkFilter = EVERYWHERE
) -> list[Hit]:
    """bm25-ranked full-text hits: chunks defining a symbol that matches every term first,
    then chunks with every term, then those with any."""
    hits: list[Hit] = []
    seen: set[int] = set()
    stages = [fts_query(query, any_term=False), fts_query(query, any_term=True)]
    if term_count(query) <= DEFINITION_TERMS:  # a name, not a sentence
        stages.insert(0, fts_query(query, any_term=False, column="defines"))
    for match in dict.fromkeys(stages):
        if len(hits) >= limit:
            break
        rows = await storage.match_chunks(match, limit=limit, where=where)
        for row in rows:
            if row.id in seen:
                continue
            seen.add(row.id)
            hits.append(hit_of(row, -row.rank, query))
            if len(hits) >= limit:
                break
    return hits


async def definitions(
    storage: Storage,
    names: list[Identifier],
    query: str,
    *,
    limit: int,
    where: ChunkFilter = EVERYWHERE,
) -> list[Hit]:
    """Chunks that define the identifiers a query names: a qualified name (`Type::method`)
    whose qualifier matches the symbol's container or file first, then the others."""
    if not names:
        return []
    rows = await storage.search.chunks_defining(
        list(dict.fromkeys(n.name for n in names)), limit=limit * 4, where=where
    )
    wanted = {n.name.lower(): n for n in names}

    def fit(name: str, container: str | None, path: str) -> int:
        qualifier = wanted[name.lower()].qualifier
        if qualifier is None:
            return 1
        q = qualifier.lower()
        held = (container or "").lower().split(".")
        return 0 if q in held or q in path.lower().rsplit("/", 1)[-1] else 2

    rows.sort(key=lambda r: fit(r.name, r.container, r.chunk.path))
    hits: list[Hit] = []
    seen: set[int] = set()
    for row in rows:
        if row.chunk.id not in seen and fit(row.name, row.container, row.chunk.path) < 2:
            seen.add(row.chunk.id)
            hits.append(hit_of(row.chunk, 0.0, query))
    return hits[:limit]


async def symbols(
    storage: Storage,
    name: str,
    *,
    match: str = "auto",
    kind: str | None = None,
    limit: int = 50,
) -> list[SymbolInfo]:
    """Symbols by name: exact, prefix or substring, case-insensitive (`auto`: in that order)."""
    if not name.strip():
        raise SearchError("symbol name is empty: give a name, a prefix or a part of one")
    if match not in ("auto", "exact", "prefix", "substring"):
        raise SearchError(f"match must be exact, prefix, substring or auto; got {match!r}")
    order: list[NameMatch] = ["exact", "prefix", "substring"]
    if match != "auto":
        order = [how for how in order if how == match]
    found: list[SymbolInfo] = []
    seen: set[tuple[str, int, int]] = set()
    for how in order:
        for row in await storage.symbols_named(name, how, kind=kind, limit=limit):
            key = (row.path, row.start_line, row.start_col)
            if key not in seen:
                seen.add(key)
                found.append(symbol_info(row))
        if found and match == "auto":
            break
    return found[:limit]
