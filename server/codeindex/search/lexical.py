"""Full-text search (FTS5, bm25) and symbols by name.

A query word that is an identifier of several words (`addCommand`, `HTTPServer`) matches
itself or its words in a row (`identifiers`), so "add command", `AddCommand` and
`add_command` find each other. Chunks that define a symbol matching every term come
first (for queries of up to three terms: a name, not a sentence), then chunks with every
term, then chunks with any.
"""

from __future__ import annotations

import re

from codeindex.contract import SymbolInfo
from codeindex.parser.identifiers import split_identifier
from codeindex.search.hits import WORD, Hit, SearchError, hit_of, symbol_info
from codeindex.storage import Storage
from codeindex.storage.search_sql import NameMatch

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
# Queries of at most this many terms look for definitions first; a longer one is a sentence,
# which no definition's name holds, and the extra full-text pass would only cost time.
DEFINITION_TERMS = 3


def _phrase(words: list[str]) -> str:
    return '"' + " ".join(words).replace('"', '""') + '"'


def _term(words: list[str]) -> str:
    """A phrase, or for one identifier of several words: itself or its words in a row."""
    phrase = _phrase(words)
    if len(words) == 1:
        parts = split_identifier(words[0])
        if len(parts) > 1:
            return f"({phrase} OR {_phrase(parts)})"
    return phrase


def fts_query(query: str, *, any_term: bool, column: str | None = None) -> str:
    """Turn user text into a safe FTS5 query: quoted phrases, AND (or OR) between terms.

    With `column`, every term must match in that column.
    """
    terms: list[str] = []
    stop: list[str] = []
    for match in _TERM.finditer(query):
        words = _WORD.findall(match.group(1) or match.group(2))
        if not words:
            continue
        term = _term(words)
        if match.group(2) and len(words) == 1 and words[0].lower() in STOP_WORDS:
            stop.append(term)
        else:
            terms.append(term)
    terms = terms or stop
    if not terms:
        raise SearchError(f"query {query!r} has no words to search for: type some text or code")
    expression = (" OR " if any_term else " AND ").join(dict.fromkeys(terms))
    return expression if column is None else f"{{{column}}} : ({expression})"


async def lexical(
    storage: Storage,
    query: str,
    *,
    limit: int = 20,
    path_prefix: str | None = None,
    language: str | None = None,
) -> list[Hit]:
    """bm25-ranked full-text hits: chunks defining a symbol that matches every term first,
    then chunks with every term, then those with any."""
    hits: list[Hit] = []
    seen: set[int] = set()
    stages = [fts_query(query, any_term=False), fts_query(query, any_term=True)]
    if len(_TERM.findall(query)) <= DEFINITION_TERMS:  # a name, not a sentence
        stages.insert(0, fts_query(query, any_term=False, column="defines"))
    for match in dict.fromkeys(stages):
        if len(hits) >= limit:
            break
        rows = await storage.match_chunks(
            match,
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
