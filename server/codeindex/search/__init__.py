"""Search: full-text (FTS5, bm25), symbols, semantic (LanceDB) and hybrid (RRF).

Modules: `query` (what a query says: terms, identifiers, the kinds of file it asks for),
`kinds` (a path's kind: source, test, docs, ...), `hits` (what search returns, fusion,
freshness), `lexical` (full-text, definitions of named identifiers, symbols), `semantic`
(the active model's table), `ranking` (the prior for source files, files by their
chunks), `shaping` (signatures, context lines, the token budget). `Search` picks and
combines them: hybrid by default once vectors exist, full-text before, and full-text with
a note when semantic search cannot answer and no mode was asked for. Each hit says how
fresh it is. A scope (folders in and out, language, symbol kind, source only) filters
before ranking, in SQL, in every mode.

The semantic half needs the model and LanceDB, which only the worker process loads: a
`Search` without a `SemanticSource` answers full-text and symbol queries (front-ends ask
the worker for the rest, `app.queries`); the worker's own has one (`semantic`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Protocol

from codeindex.contract import SymbolInfo
from codeindex.embedding.registry import ModelRegistry
from codeindex.errors import SemanticUnavailable
from codeindex.search.hits import (
    MODES,
    Hit,
    SearchError,
    SearchResult,
    annotate_freshness,
    fuse,
)
from codeindex.search.kinds import DEFAULT_KINDS, GENERATED_REASONS, NON_SOURCE, FileKinds
from codeindex.search.lexical import definitions, lexical, symbols
from codeindex.search.query import STOP_WORDS, asks, fts_query, identifiers
from codeindex.search.ranking import (
    IDENTIFIER_WEIGHT,
    LEXICAL_WEIGHT,
    SEMANTIC_WEIGHT,
    apply_prior,
    by_file,
)
from codeindex.search.shaping import enrich, fit
from codeindex.storage import Storage
from codeindex.storage.search_sql import EVERYWHERE, ChunkFilter
from codeindex.workspace import Workspace

__all__ = [
    "MODES",
    "OUTPUTS",
    "STOP_WORDS",
    "FileKinds",
    "Hit",
    "Search",
    "SearchError",
    "SearchResult",
    "SemanticSource",
    "fts_query",
    "fuse",
    "lexical",
    "symbols",
]

OUTPUTS = ("hits", "files", "paths")
HITS_PER_FILE = 3  # output `files`: the best hits shown per file
FILE_DEPTH = 5  # outputs `files` and `paths`: chunks ranked per file asked for


class SemanticSource(Protocol):
    """Chunks nearest in meaning to a query (the worker's `semantic.SemanticSearcher`)."""

    async def search(self, query: str, *, limit: int, where: ChunkFilter = ...) -> list[Hit]: ...


class _NoSemantic:
    """A process without the model: semantic search is the worker's."""

    async def search(self, query: str, *, limit: int, where: ChunkFilter = EVERYWHERE) -> list[Hit]:
        raise SemanticUnavailable("semantic search is answered by the worker, not here")


# the rankings each mode fuses: full text, meaning, the definitions of the names it mentions
_RANKINGS = {
    "lexical": ("lexical", "defs"),
    "semantic": ("semantic",),
    "hybrid": ("lexical", "semantic", "defs"),
}


_WEIGHTS = {
    "lexical": LEXICAL_WEIGHT,
    "semantic": SEMANTIC_WEIGHT,
    "defs": IDENTIFIER_WEIGHT,
}


async def _none() -> list[Hit]:
    return []


def _settled(outcome: list[Hit] | BaseException) -> list[Hit]:
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


class Search:
    """Answers queries over one index: full-text, semantic, hybrid and symbols."""

    def __init__(
        self,
        storage: Storage,
        workspace: Workspace,
        models: ModelRegistry,
        semantic: SemanticSource | None = None,
        kinds: FileKinds = DEFAULT_KINDS,
    ) -> None:
        self.storage = storage
        self.workspace = workspace
        self.models = models
        self.semantic: SemanticSource = semantic or _NoSemantic()
        self.kinds = kinds

    async def search(
        self,
        query: str,
        *,
        mode: str | None = None,
        limit: int = 10,
        path: str | Sequence[str] | None = None,
        exclude: Sequence[str] = (),
        language: str | None = None,
        kind: str | None = None,
        source_only: bool = False,
        output: str = "hits",
        context_lines: int = 2,
        max_tokens: int | None = None,
    ) -> SearchResult:
        """Semantic, lexical or hybrid search (hybrid by default once vectors exist): hits,
        or the files they are in, within the scope given."""
        started = time.perf_counter()
        self.check(query, mode=mode, limit=limit, output=output)
        where = self.scope(path, exclude, language, kind, source_only)
        active = await self.models.active()
        note = None
        chosen = mode or ("hybrid" if active is not None else "lexical")
        if mode is None and active is None:
            note = "semantic search unavailable: nothing embedded yet; showing full-text results"
        depth = limit if output == "hits" else max(limit * FILE_DEPTH, 50)
        ranked, chosen, fell_back = await self._ranked(query, chosen, depth, where)
        result = SearchResult(query, chosen, note=fell_back or note, output=output)
        if output == "hits":
            result.hits = ranked[:limit]
            shown = result.hits
        else:
            result.files = by_file(ranked, limit, HITS_PER_FILE if output == "files" else 1)
            shown = [h for f in result.files for h in f.hits]
        if not shown:
            await self._explain_empty(language, kind)
        await enrich(self.storage, shown, context_lines)
        await annotate_freshness(self.storage, self.workspace, active.id if active else None, shown)
        result.model = active.name if active is not None and chosen != "lexical" else None
        fit(result, max_tokens)
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        return result

    async def _ranked(
        self, query: str, mode: str, depth: int, where: ChunkFilter
    ) -> tuple[list[Hit], str, str | None]:
        """Every hit of the mode's rankings, fused, with the prior: (hits, mode, note)."""
        fetch = max(depth * 3, 30) if mode == "hybrid" else max(depth * 2, 20)
        note = None
        full_text = mode in ("lexical", "hybrid")
        lex, defs, sem = await asyncio.gather(
            lexical(self.storage, query, limit=fetch, where=where) if full_text else _none(),
            definitions(self.storage, identifiers(query), query, limit=fetch, where=where)
            if full_text
            else _none(),
            self.semantic.search(query, limit=fetch, where=where) if mode != "lexical" else _none(),
            return_exceptions=True,
        )
        if isinstance(sem, SemanticUnavailable) and mode == "hybrid":
            # hybrid asked for or chosen: the full-text half still answers
            note, mode, sem = f"{sem}; showing full-text results", "lexical", []
        by_name = {"lexical": _settled(lex), "semantic": _settled(sem), "defs": _settled(defs)}
        rankings = [by_name[name] for name in _RANKINGS[mode]]
        weights = [_WEIGHTS[name] for name in _RANKINGS[mode]]
        fused = fuse(rankings, fetch * 3, weights)
        for hit in fused:
            hit.file_kind = self.kinds.kind_of(hit.path, hit.embed_skip)
        return apply_prior(fused, asks(query)), mode, note

    def scope(
        self,
        path: str | Sequence[str] | None,
        exclude: Sequence[str],
        language: str | None,
        kind: str | None,
        source_only: bool,
    ) -> ChunkFilter:
        """The chunks a search may return, with its paths resolved against the workspace."""
        include = [path] if isinstance(path, str) else list(path or ())
        skip_paths, skip_names = self.kinds.sql_globs(NON_SOURCE) if source_only else ([], [])
        return ChunkFilter(
            include=tuple(self.workspace.resolve(p) for p in include),
            exclude=tuple(self.workspace.resolve(p) for p in exclude),
            language=language,
            symbol_kind=kind,
            skip_paths=tuple(skip_paths),
            skip_names=tuple(skip_names),
            skip_reasons=GENERATED_REASONS if source_only else (),
        )

    def check(self, query: str, *, mode: str | None, limit: int, output: str = "hits") -> None:
        """SearchError for arguments no search can answer (before asking anyone)."""
        if mode is not None and mode not in MODES:
            raise SearchError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
        if output not in OUTPUTS:
            raise SearchError(f"output must be one of {', '.join(OUTPUTS)}; got {output!r}")
        if limit < 1 or limit > 1000:
            raise SearchError(f"limit must be between 1 and 1000; got {limit}")
        if mode == "semantic" and not query.strip():
            raise SearchError("query is empty: type what the code does")

    async def _explain_empty(self, language: str | None, kind: str | None) -> None:
        """A language or kind that no indexed file or symbol has: say so."""
        if language:
            await self._known("language", language, await self.storage.languages())
        if kind:
            await self._known("kind", kind, await self.storage.symbol_kinds())

    async def symbols(
        self, name: str, *, match: str = "auto", kind: str | None = None, limit: int = 50
    ) -> list[SymbolInfo]:
        """Symbols by exact name, prefix or substring."""
        found = await symbols(self.storage, name, match=match, kind=kind, limit=limit)
        if not found and kind:
            await self._known("kind", kind, await self.storage.symbol_kinds())
        return found

    @staticmethod
    async def _known(field: str, value: str, present: list[str]) -> None:
        """A filter that matched nothing: say so when no row has that value at all."""
        if value not in present:
            listed = ", ".join(present) or "none yet (nothing is indexed)"
            raise SearchError(
                f"no indexed {'file' if field == 'language' else 'symbol'} has {field} "
                f"{value!r}; the {field}s in this index are: {listed}",
                field=field,
                given=value,
                allowed=present,
            )
