"""The worker's side of the machine-wide vector cache: look texts up before embedding them,
keep what was embedded, and keep the cache within its bound.

Texts whose hash the workspace does not record as embedded are looked up in the cache
first (`vectors.cache`), then in a shared store, and only the rest go to the model; found
vectors are written to the workspace's table like embedded ones. Every vector written to
the workspace's table (embedded here or found) is kept in the cache. A cache that cannot
be used (a full disk, a folder that cannot be written) costs embedding time, never a task:
it is logged once and left alone until the worker starts again.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from codeindex.config import Settings
from codeindex.datadir import cache_dir
from codeindex.vectors.cache import VectorCache, prune
from codeindex.worker.model_table import Loaded

log = logging.getLogger(__name__)


class CacheLookups:
    """One worker's use of the cache: hits, kept vectors, and pruning while idle."""

    def __init__(self, settings: Settings) -> None:
        self.base = cache_dir() if settings.cache_enabled else None
        self.max_bytes = settings.cache_max_bytes
        self.hits = 0
        self._caches: dict[str, VectorCache] = {}
        self._from_cache: set[str] = set()  # buffered hashes that came from the cache
        self._kept = 0  # vectors written since the last prune

    def _cache(self, model: Loaded) -> VectorCache | None:
        if self.base is None:
            return None
        identity = model.embedder.identity
        cache = self._caches.get(identity.table_name)
        if cache is None:
            cache = self._caches[identity.table_name] = VectorCache(
                self.base, identity.table_name, identity.dim
            )
        return cache

    def _failed(self, what: str, exc: Exception) -> None:
        log.warning("the vector cache in %s cannot be %s (%s); not used", self.base, what, exc)
        self.base = None

    async def found(
        self, model: Loaded, wanted: Sequence[str]
    ) -> dict[str, npt.NDArray[np.float32]]:
        """The vectors of `wanted` the cache holds (to be written like embedded ones)."""
        cache = self._cache(model)
        if cache is None or not wanted:
            return {}
        try:
            found = await asyncio.to_thread(cache.get, list(wanted))
        except (OSError, sqlite3.Error) as exc:
            self._failed("read", exc)
            return {}
        self.hits += len(found)
        self._from_cache |= found.keys()
        return found

    async def keep(
        self, model: Loaded, hashes: Sequence[str], matrix: npt.NDArray[np.float32]
    ) -> None:
        """Vectors now in the workspace's table: keep those the cache did not give."""
        cache = self._cache(model)
        new = [i for i, h in enumerate(hashes) if h not in self._from_cache]
        self._from_cache.difference_update(hashes)
        if cache is None or not new:
            return
        try:
            self._kept += await asyncio.to_thread(cache.put, [hashes[i] for i in new], matrix[new])
        except (OSError, sqlite3.Error) as exc:
            self._failed("written", exc)

    async def prune_if_grown(self) -> None:
        """While idle: bring the cache back within its bound if this worker added to it."""
        if self.base is None or not self._kept:
            return
        self._kept = 0
        try:
            dropped = await asyncio.to_thread(prune, self.base, self.max_bytes)
        except (OSError, sqlite3.Error) as exc:
            self._failed("pruned", exc)
            return
        if dropped:
            log.info("vector cache: %d least recently used vectors dropped", dropped)
