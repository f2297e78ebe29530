"""Semantic search: the query embedded with the active model, nearest texts from LanceDB.

A semantic hit is a content hash; it is joined back to the *current* chunks in
SQLite, so a vector whose text no chunk holds any more is skipped, and one
vector serves every chunk with that text.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from codeindex.embedding.loader import ModelLoader
from codeindex.errors import (
    ModelUnavailable,
    SemanticUnavailable,
    VectorsDamaged,
    VectorStoreUnavailable,
)
from codeindex.search.hits import Hit, SearchError, hit_of
from codeindex.storage import Storage
from codeindex.vectors.store import VectorStore
from codeindex.vectors.table import VectorTable

_BUILDING = (
    "semantic search is not ready yet: {what} are still being built by a reindex task "
    "that has not finished (`codeindex tasks`); search lexical meanwhile, or again once "
    "it ends"
)


class SemanticSearcher:
    """Embeds queries with the active model and searches its LanceDB table."""

    REFRESH_SECONDS = 1.0

    def __init__(self, storage: Storage, loader: ModelLoader, vectors: VectorStore) -> None:
        self.storage = storage
        self.models = loader.registry
        self.loader = loader
        self.vectors = vectors
        self._table: VectorTable | None = None
        self._refreshed = 0.0

    async def _active_table(self) -> tuple[Any, VectorTable, int]:
        active = await self.models.active()
        if active is None:
            failure = await self.models.remembered_failure()
            if failure is not None:
                raise SemanticUnavailable(
                    f"semantic search is unavailable: {failure.reason}. {failure.hint}"
                )
            if await self.storage.task_rows.count_unfinished():
                raise SemanticUnavailable(_BUILDING.format(what="embeddings"))
            raise SemanticUnavailable(
                "semantic search is unavailable: nothing has been embedded yet. Run "
                "`codeindex index` (with a model: set CODEINDEX_EMBED_MODEL_PATH or "
                "embedding.model_path), then search again"
            )
        try:
            embedder = await self.loader.embedder_for(active)
        except ModelUnavailable as exc:
            raise SemanticUnavailable(
                f"semantic search is unavailable: {exc.reason}. {exc.hint}"
            ) from None
        table = self._table
        if table is None or table.name != active.table_name:
            table = await asyncio.to_thread(self.vectors.open_table, active.table_name)
            if table is None:
                raise await self._no_table(active.name)
            self._table = table
            self._refreshed = time.monotonic()
        elif time.monotonic() - self._refreshed > self.REFRESH_SECONDS:
            await asyncio.to_thread(table.refresh)
            self._refreshed = time.monotonic()
        return embedder, table, active.id

    async def _no_table(self, model: str) -> SemanticUnavailable:
        """Why the active model has no table: not built yet while a task is unfinished (the
        first index writes it), else lost (an embeddings-only reindex rebuilds it)."""
        if await self.storage.task_rows.count_unfinished():
            return SemanticUnavailable(_BUILDING.format(what=f"the vectors of model {model}"))
        return SemanticUnavailable(
            f"the vectors of model {model} are missing from {self.vectors.where}: "
            "run `codeindex reindex --scope embeddings-only` to rebuild them"
        )

    async def search(
        self,
        query: str,
        *,
        limit: int,
        path_prefix: str | None,
        language: str | None,
    ) -> list[Hit]:
        """Chunks nearest in meaning to the query, from the active model's table."""
        if not query.strip():
            raise SearchError("query is empty: type what the code does")
        try:
            embedder, table, _ = await self._active_table()

            def run() -> list[tuple[str, float]]:
                vector = embedder.embed([query])[0]
                k = limit * (20 if (path_prefix or language) else 3)
                return table.search(vector, k)

            scored = await asyncio.to_thread(run)
        except (VectorsDamaged, VectorStoreUnavailable) as exc:
            self._table = None  # open it afresh next time (the worker may have rebuilt it)
            raise SemanticUnavailable(f"semantic search is unavailable: {exc}") from None
        except ModelUnavailable as exc:  # a remote engine that does not answer the query
            raise SemanticUnavailable(
                f"semantic search is unavailable: {exc.reason}. {exc.hint}"
            ) from None
        if not scored:
            return []
        order = {h: i for i, (h, _) in enumerate(scored)}
        score_of = dict(scored)
        rows = await self.storage.chunks_with_hashes(
            list(order), path_prefix=path_prefix, language=language
        )
        rows.sort(key=lambda r: (order[r.content_hash], r.path, r.start_line))
        return [hit_of(r, score_of[r.content_hash], query) for r in rows[:limit]]
