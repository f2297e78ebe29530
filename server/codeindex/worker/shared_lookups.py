"""Texts looked up in a shared vector store before they are embedded, and the counts of it.

On a shared store (`vectors.uri`), texts whose hash SQLite does not record as embedded are
first looked up in the store (another machine may have embedded them): found ones are
recorded and not embedded. The counts of a run go to index metadata (`SHARED_HITS`)
for status.
"""

from __future__ import annotations

import asyncio
import logging
import time

from codeindex.errors import VectorStoreUnavailable
from codeindex.storage import Storage
from codeindex.storage.meta import SHARED_HITS, MetaEntry, SharedHits
from codeindex.vectors.store import VectorStore
from codeindex.vectors.table import VectorTable

log = logging.getLogger(__name__)


class SharedLookups:
    """The worker's look-ups in a shared store, counted since the last summary."""

    def __init__(self, storage: Storage, vectors: VectorStore, owner: str) -> None:
        self.storage = storage
        self.vectors = vectors
        self.owner = owner
        self.looked_up = 0
        self.hits = 0
        self._embedded_from = 0

    async def found(self, model_id: int, table: VectorTable, wanted: list[str]) -> set[str]:
        """Hashes another machine already embedded into the shared table; recorded here."""
        if not self.vectors.shared or not wanted:
            return set()
        try:
            found = await asyncio.to_thread(table.lookup, wanted)
        except VectorStoreUnavailable as exc:
            log.warning("could not look up texts in the shared store: %s", exc.message)
            return set()
        self.looked_up += len(wanted)
        self.hits += len(found)
        if found:
            await self.storage.mark_embedded(model_id, sorted(found), fence=self.owner)
        return found

    def summary(self, texts_embedded: int) -> list[MetaEntry]:
        """The counts since the last summary, as index metadata; restarts them.

        `texts_embedded` is how many texts this worker has embedded in all.
        """
        if not self.vectors.shared or not self.looked_up:
            return []
        hits = SharedHits(
            uri=self.vectors.where,
            looked_up=self.looked_up,
            hits=self.hits,
            embedded=texts_embedded - self._embedded_from,
            at=time.time(),
        )
        self.looked_up = self.hits = 0
        self._embedded_from = texts_embedded
        return [SHARED_HITS.entry(hits)]
