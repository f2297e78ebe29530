"""Search: full-text (FTS5, bm25), symbols, semantic (LanceDB) and hybrid (RRF).

Modules: `hits` (what search returns, fusion, freshness), `lexical` (full-text and
symbols), `semantic` (the active model's table). `Search` picks and combines them:
hybrid by default once vectors exist, full-text before, and full-text with a note when
semantic search cannot answer and no mode was asked for. Each hit says how fresh it is.

The semantic half needs the model and LanceDB, which only the worker process loads: a
`Search` without a `SemanticSource` answers full-text and symbol queries (front-ends ask
the worker for the rest, `app.queries`); the worker's own has one (`semantic`).
"""

from __future__ import annotations

import asyncio
import time
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
from codeindex.search.lexical import STOP_WORDS, fts_query, lexical, symbols
from codeindex.storage import Storage
from codeindex.workspace import Workspace

__all__ = [
    "MODES",
    "STOP_WORDS",
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


class SemanticSource(Protocol):
    """Chunks nearest in meaning to a query (the worker's `semantic.SemanticSearcher`)."""

    async def search(
        self, query: str, *, limit: int, path_prefix: str | None, language: str | None
    ) -> list[Hit]: ...


class _NoSemantic:
    """A process without the model: semantic search is the worker's."""

    async def search(
        self, query: str, *, limit: int, path_prefix: str | None, language: str | None
    ) -> list[Hit]:
        raise SemanticUnavailable("semantic search is answered by the worker, not here")


class Search:
    """Answers queries over one index: full-text, semantic, hybrid and symbols."""

    def __init__(
        self,
        storage: Storage,
        workspace: Workspace,
        models: ModelRegistry,
        semantic: SemanticSource | None = None,
    ) -> None:
        self.storage = storage
        self.workspace = workspace
        self.models = models
        self.semantic: SemanticSource = semantic or _NoSemantic()

    async def search(
        self,
        query: str,
        *,
        mode: str | None = None,
        limit: int = 10,
        path: str | None = None,
        language: str | None = None,
    ) -> SearchResult:
        """Semantic, lexical or hybrid search (hybrid by default once vectors exist)."""
        started = time.perf_counter()
        self.check(query, mode=mode, limit=limit)
        prefix = self.workspace.resolve(path) if path else None
        active = await self.models.active()
        note = None
        chosen = mode or ("hybrid" if active is not None else "lexical")
        if mode is None and active is None:
            note = "semantic search unavailable: nothing embedded yet; showing full-text results"
        if chosen == "lexical":
            hits = await lexical(
                self.storage, query, limit=limit, path_prefix=prefix, language=language
            )
        elif chosen == "semantic":
            hits = await self.semantic.search(
                query, limit=limit, path_prefix=prefix, language=language
            )
        else:
            depth = max(limit * 3, 30)
            lex, sem_or_error = await asyncio.gather(
                lexical(self.storage, query, limit=depth, path_prefix=prefix, language=language),
                self.semantic.search(query, limit=depth, path_prefix=prefix, language=language),
                return_exceptions=True,
            )
            if isinstance(lex, BaseException):
                raise lex
            if isinstance(sem_or_error, SemanticUnavailable):
                # hybrid asked for or chosen: the full-text half still answers
                sem: list[Hit] = []
                note = f"{sem_or_error}; showing full-text results"
                chosen = "lexical"
            elif isinstance(sem_or_error, BaseException):
                raise sem_or_error
            else:
                sem = sem_or_error
            hits = fuse([lex, sem], limit)
        if not hits and language:
            await self._known("language", language, await self.storage.languages())
        await annotate_freshness(self.storage, self.workspace, active.id if active else None, hits)
        model = active.name if active is not None and chosen != "lexical" else None
        elapsed = (time.perf_counter() - started) * 1000
        return SearchResult(query, chosen, hits, note, elapsed, model)

    def check(self, query: str, *, mode: str | None, limit: int) -> None:
        """SearchError for arguments no search can answer (before asking anyone)."""
        if mode is not None and mode not in MODES:
            raise SearchError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
        if limit < 1 or limit > 1000:
            raise SearchError(f"limit must be between 1 and 1000; got {limit}")
        if mode == "semantic" and not query.strip():
            raise SearchError("query is empty: type what the code does")

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
