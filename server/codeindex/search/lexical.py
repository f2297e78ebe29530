"""Full-text search (FTS5, bm25) and symbols by name."""

from __future__ import annotations

import re

from codeindex.search.hits import WORD, Hit, SearchError, SymbolHit, hit_of
from codeindex.storage import Storage
from codeindex.storage.search import NameMatch

_TERM = re.compile(r'"([^"]+)"|(\S+)')
_WORD = WORD

# Words so common in prose and code that matching them ranks nothing and costs a scan of
# huge posting lists. Dropped from a query unless it has nothing else (or they are quoted).
_STOP_TEXT = (
    "a an and are as at be by can do does for from has have how i if in into is it its of "
    "on or so that the their then there these this to was we what when where which who "
    "why will with you"
)
STOP_WORDS = frozenset(_STOP_TEXT.split())


def fts_query(query: str, *, any_term: bool) -> str:
    """Turn user text into a safe FTS5 query: quoted phrases, AND (or OR) between terms."""
    terms: list[str] = []
    stop: list[str] = []
    for match in _TERM.finditer(query):
        words = _WORD.findall(match.group(1) or match.group(2))
        if not words:
            continue
        term = '"' + " ".join(words).replace('"', '""') + '"'
        if match.group(2) and len(words) == 1 and words[0].lower() in STOP_WORDS:
            stop.append(term)
        else:
            terms.append(term)
    terms = terms or stop
    if not terms:
        raise SearchError(f"query {query!r} has no words to search for: type some text or code")
    return (" OR " if any_term else " ").join(dict.fromkeys(terms))


async def lexical(
    storage: Storage,
    query: str,
    *,
    limit: int = 20,
    path_prefix: str | None = None,
    language: str | None = None,
) -> list[Hit]:
    """bm25-ranked full-text hits: chunks with every term first, then those with any."""
    hits: list[Hit] = []
    seen: set[int] = set()
    for any_term in (False, True):
        if len(hits) >= limit:
            break
        rows = await storage.match_chunks(
            fts_query(query, any_term=any_term),
            limit=limit,
            path_prefix=path_prefix,
            language=language,
        )
        for row in rows:
            if row.id in seen:
                continue
            seen.add(row.id)
            hits.append(hit_of(row, -row.rank, query))
            if len(hits) >= limit:
                break
    return hits


async def symbols(
    storage: Storage,
    name: str,
    *,
    match: str = "auto",
    kind: str | None = None,
    limit: int = 50,
) -> list[SymbolHit]:
    """Symbols by name: exact, prefix or substring, case-insensitive (`auto`: in that order)."""
    if not name.strip():
        raise SearchError("symbol name is empty: give a name, a prefix or a part of one")
    if match not in ("auto", "exact", "prefix", "substring"):
        raise SearchError(f"match must be exact, prefix, substring or auto; got {match!r}")
    order: list[NameMatch] = ["exact", "prefix", "substring"]
    if match != "auto":
        order = [how for how in order if how == match]
    found: list[SymbolHit] = []
    seen: set[tuple[str, int, int]] = set()
    for how in order:
        for row in await storage.symbols_named(name, how, kind=kind, limit=limit):
            key = (row.path, row.start_line, row.start_col)
            if key not in seen:
                seen.add(key)
                found.append(SymbolHit.of(row))
        if found and match == "auto":
            break
    return found[:limit]
