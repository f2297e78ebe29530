"""The configured model and its vector table, for the worker: loaded once, kept usable.

`ensure()` loads the model and opens its table; a shared store that cannot be used is tried
again later. A local table found damaged or vanished is set aside, SQLite forgets its
vectors, an empty one takes its place and an embeddings-only task fills it (`recover`).
While a remote engine is down, `watch_engine()` probes it in the background now and then
(backing off); once it answers, the model is loaded if it never was and what is pending is
filled. `health` says whether texts may be embedded now, and why not.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from codeindex.embedding.loader import ModelLoader
from codeindex.embedding.spec import Embedder, ModelIdentity
from codeindex.errors import (
    EngineUnavailable,
    ModelUnavailable,
    VectorsDamaged,
    VectorStoreUnavailable,
)
from codeindex.storage import LeaseLost, Storage
from codeindex.storage.meta import VECTORS_FAILURE, VectorsFailure
from codeindex.tasks import Queue
from codeindex.vectors.store import VectorStore
from codeindex.vectors.table import VectorTable
from codeindex.worker.health import EmbeddingHealth, Health

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Loaded:
    """The configured model, its id in the registry and its vector table."""

    embedder: Embedder
    model_id: int
    table: VectorTable


class ModelTable:
    """The configured model and its table, their health, and the engine's probe."""

    def __init__(
        self,
        storage: Storage,
        queue: Queue,
        loader: ModelLoader,
        vectors: VectorStore,
        *,
        fill: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        """`fill(model_id)` queues the task that embeds what a model's table lacks."""
        self.storage = storage
        self.queue = queue
        self.loader = loader
        self.models = loader.registry
        self.vectors = vectors
        self._fill = fill
        self.health = EmbeddingHealth()
        self.loaded: Loaded | None = None
        self._probe: asyncio.Task[None] | None = None

    async def ensure(self) -> Loaded | None:
        """The configured model and its table, loaded once; None while health says no."""
        if self.loaded is not None:
            return self.loaded
        if not self.health.may_load():
            return None
        try:
            embedder, model_id = await self.loader.configured()
        except ModelUnavailable as exc:
            self.health.failed(exc)
            log.warning("embeddings stay pending: %s (%s)", exc.reason, exc.hint)
            return None
        identity = embedder.identity
        gone = await asyncio.to_thread(self.models.settings.gone)
        if gone is not None:  # opening the table would re-create its folder there
            raise LeaseLost(f"{gone}: the worker stops and writes nothing more")
        try:
            table = await asyncio.to_thread(self.vectors.table, identity.table_name, identity.dim)
            lost = await self._reconcile(model_id, table)
        except VectorStoreUnavailable as exc:
            self.health.failed(exc)
            log.error("embeddings stay pending: %s", exc.message)
            await self.record_store_failure(exc)
            return None
        except VectorsDamaged as exc:
            table, lost = await self._reopen(model_id, identity, exc), True
        self.loaded = Loaded(embedder, model_id, table)
        self.health.recovered()
        if await self.storage.meta.get(VECTORS_FAILURE):
            await self.storage.meta.set(VECTORS_FAILURE, None)
        active = await self.models.active()
        if active is not None and active.id != model_id:
            await self._queue_fill(model_id)  # the configured model is new: fill its table
        elif (
            lost or (await self.storage.pending_counts(model_id))[1]
        ) and not await self.queue.count_unfinished():
            await self._queue_fill(model_id)  # pending embeddings always have work queued
        return self.loaded

    async def record_store_failure(self, exc: VectorStoreUnavailable) -> None:
        """Remember why the shared store failed: status shows it (embeddings stay pending,
        full-text search goes on); the next `index` tries again."""
        failure = VectorsFailure(self.vectors.where, exc.message, time.time())
        await self.storage.meta.set(VECTORS_FAILURE, failure)

    async def _reconcile(self, model_id: int, table: VectorTable) -> bool:
        """Forget vectors SQLite believes exist but LanceDB lost (LanceDB is derived).

        True when some were lost.
        """
        present = await asyncio.to_thread(table.hashes)
        recorded = await self.storage.embedded_hashes(model_id)
        lost = [h for h in recorded if h not in present]
        if lost:
            log.warning("%d vectors missing from LanceDB; they will be embedded again", len(lost))
            await self.storage.forget_embedded(model_id, lost)
        return bool(lost)

    async def _reopen(
        self, model_id: int, identity: ModelIdentity, why: Exception | str
    ) -> VectorTable:
        """A damaged or vanished table: set it aside, forget its vectors, open an empty one.

        SQLite forgets the model's vectors, so every chunk is pending; nothing is deleted.
        """
        name = identity.table_name
        aside = await asyncio.to_thread(self.vectors.set_aside, name)
        log.error(
            "the vectors of %s cannot be used (%s); %s; embedding again",
            name,
            why,
            f"the damaged table is kept as {aside}" if aside else "its folder is gone",
        )
        await self.storage.forget_all_embedded(model_id)
        return await asyncio.to_thread(self.vectors.table, name, identity.dim)

    async def recover(self, model: Loaded, why: Exception | str) -> Loaded:
        """The loaded model's table is damaged or gone: an empty one takes its place and an
        embeddings-only task embeds every text again."""
        table = await self._reopen(model.model_id, model.embedder.identity, why)
        self.loaded = replace(model, table=table)
        await self._queue_fill(model.model_id)
        return self.loaded

    async def check(self) -> None:
        """While idle: a table whose folder vanished (say, `rm -rf vectors`) is rebuilt."""
        model = self.loaded
        if model is None or self.vectors.shared:
            return
        if not await asyncio.to_thread(self.vectors.exists, model.embedder.identity.table_name):
            await self.recover(model, "its folder was removed")

    async def _queue_fill(self, model_id: int) -> None:
        if self._fill is not None:
            await self._fill(model_id)

    # ---- a remote engine ------------------------------------------------------------------

    async def engine_lost(self, exc: EngineUnavailable) -> None:
        """The engine stayed down after its own retries: no texts go to it until it answers."""
        log.warning("embeddings pending: %s (%s)", exc.reason, exc.hint)
        self.health.failed(exc)
        await self.models.record_engine(exc)

    async def watch_engine(self) -> None:
        """While the engine is down: probe it in the background now and then (backing off);
        once it answers, load the model if it never loaded and fill what is pending."""
        if self.health.state is not Health.ENGINE_DOWN:
            return
        probe = self._probe
        if probe is None:
            if self.health.probe_due():
                self._probe = asyncio.create_task(
                    self._probe_engine(), name="codeindex-engine-probe"
                )
            return
        if not probe.done():
            return
        self._probe = None
        failure = None if probe.cancelled() else probe.exception()
        if failure is not None:
            await self._probe_failed(failure)
            return
        log.info("the embedding engine answers again; filling pending embeddings")
        self.health.recovered()
        await self.models.record_engine(None)
        model = await self.ensure()
        if model is not None:
            await self._queue_fill(model.model_id)

    async def _probe_engine(self) -> None:
        """One request to the engine: loads the model if it never loaded; raises when down."""
        if self.loaded is None:
            await self.loader.configured()
            return
        await asyncio.to_thread(self.loaded.embedder.probe)

    async def _probe_failed(self, failure: BaseException) -> None:
        if not isinstance(failure, ModelUnavailable):
            log.error("probing the embedding engine failed: %r", failure)
            self.health.failed(failure)  # still down: the next probe waits longer
            return
        await self.models.record_engine(failure)
        if isinstance(failure, EngineUnavailable) or self.loaded is None:
            self.health.failed(failure)  # down; or wrong: remembered, not retried
        else:
            self.health.recovered()  # a loaded model that answers, not as asked: batches say why

    def close(self) -> None:
        """The worker lets go of the lease: stop probing the engine."""
        if self._probe is not None:
            self._probe.cancel()
            self._probe = None
