"""The worker's embedding side: the backlog of texts, batches, vector writes, maintenance.

Composed into `Worker`, which drives items and asks this for everything about vectors.
Texts without a vector wait in the backlog by priority; batches of similar length go to the
model in a thread; vectors are buffered and written to the model's LanceDB table in few
commits. What settles items (`sort_out`, `next_batch`, `flush`) hands them back as
`Settled` once their vectors are written, and the worker marks them (work is done only after
it is written). The model, its table and whether texts may go to it now are `model_table`.

A remote engine that stays down (`EngineUnavailable`, after its own retries) never holds up
file indexing: the items waiting on it are settled (an index item is complete, its chunks
stay pending; an embeddings-only item fails with the reason), and while it is down new texts
are not sent. Vector clean-up and compaction run only while the worker is idle, and only on
a local store: a shared store (`vectors.uri`) is append-only from here, and an outage of it
is waited out, never a reason to rebuild.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import numpy.typing as npt

from codeindex.config import Settings
from codeindex.embedding.loader import ModelLoader
from codeindex.embedding.spec import Embedder
from codeindex.errors import EngineUnavailable, VectorsDamaged, VectorStoreUnavailable
from codeindex.faults import crash_point
from codeindex.storage import LeaseLost, Storage
from codeindex.storage.meta import ACTIVE_MODEL, VECTORS_FAILURE, MetaEntry
from codeindex.tasks import Action, Item, ItemOutcome, Priority, Queue, TaskStatus
from codeindex.tasks.speeds import text_chars
from codeindex.vectors.store import VectorStore
from codeindex.worker.backlog import Backlog, Pending, Text, Wait, around_oldest
from codeindex.worker.cache_lookups import CacheLookups
from codeindex.worker.estimates import Estimates
from codeindex.worker.health import EmbeddingHealth
from codeindex.worker.model_table import Loaded, ModelTable
from codeindex.worker.shared_lookups import SharedLookups

log = logging.getLogger(__name__)

# Batches are cut from a window of the oldest texts sorted by token count: on
# polyglot-small with MiniLM (batches of 16), padding was 13% of the tokens run with
# windows of 64 sorted by characters, 3% with windows of 256 sorted by tokens.
# Tokenising costs under 1% of inference, so counting tokens first is cheap, and
# overlapping tokenisation with inference would gain no more than that.
WINDOW_BATCHES = 16
BOOSTS_SECONDS = 0.5
FLUSH_VECTORS = 512
FLUSH_SECONDS = 3.0
GC_MIN_UNREFERENCED = 1000
# Old LanceDB versions are deleted at once: each compaction rewrites the table, so keeping
# them a minute kept a copy of the table per write in that minute (and for good when the
# worker left within it). A reader whose version's files went reloads the latest (vectors).
VERSIONS_KEPT_FOR = timedelta(0)


@dataclass(slots=True)
class Settled:
    """Items the embedding side is done with: the worker marks them completed or failed."""

    done: list[tuple[Item, ItemOutcome]] = field(default_factory=list)
    failed: list[tuple[Item, str]] = field(default_factory=list)

    def __add__(self, other: Settled) -> Settled:
        return Settled(self.done + other.done, self.failed + other.failed)

    def __bool__(self) -> bool:
        return bool(self.done or self.failed)


class Embedding:
    """The model, its table, the backlog and the vectors not yet written, of one worker."""

    def __init__(
        self,
        storage: Storage,
        queue: Queue,
        settings: Settings,
        loader: ModelLoader,
        vectors: VectorStore,
        *,
        owner: str,
        estimates: Estimates,
        fill: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        """`owner` is the worker's lease; `estimates` measures its speeds; `fill(model_id)`
        queues the task that embeds what a model's table lacks."""
        self.storage = storage
        self.queue = queue
        self.settings = settings
        self.models = loader.registry
        self.owner = owner
        self.estimates = estimates
        self.model_table = ModelTable(storage, queue, loader, vectors, fill=fill)
        self.backlog = Backlog(cost=self.cost)
        self.batch_chars = 0  # what the last batch embedded cost, in characters
        self.shared = SharedLookups(storage, vectors, owner)
        self.cache = CacheLookups(settings)
        self.texts_embedded = 0
        self.dirty = False  # vectors written since the last maintenance
        self._unflushed: list[tuple[str, npt.NDArray[np.float32]]] = []
        self._last_flush = time.monotonic()
        self._boosts_read = 0.0
        self._write_failed = False  # a write to the shared store failed since the last good one

    @property
    def unflushed(self) -> bool:
        """True while vectors wait to be written."""
        return bool(self._unflushed)

    def buffered(self) -> set[str]:
        """Hashes whose vectors are made and not written yet."""
        return {h for h, _ in self._unflushed}

    def cost(self, text: str) -> int:
        """Characters that cost model time: inputs are truncated to max_tokens."""
        return min(len(text), text_chars(self.settings.embed_max_tokens))

    @property
    def model(self) -> Loaded | None:
        """The configured model and its table, once loaded."""
        return self.model_table.loaded

    @property
    def health(self) -> EmbeddingHealth:
        """Whether texts may go to the model now, and why not."""
        return self.model_table.health

    async def ensure_model(self) -> Loaded | None:
        """The configured model and its table, loaded once; None while health says no."""
        if self.model_table.loaded is not None:
            return self.model_table.loaded
        started = time.monotonic()
        loaded = await self.model_table.ensure()
        if loaded is not None:
            self.estimates.loaded(loaded.model_id, time.monotonic() - started)
        return loaded

    async def check_table(self) -> None:
        """While idle: a local table whose folder vanished is rebuilt (LeaseLost when the
        whole workspace or its index went: nothing is re-created there)."""
        gone = await asyncio.to_thread(self.settings.gone)
        if gone is not None:
            raise LeaseLost(f"{gone}: worker {self.owner} stops and writes nothing more")
        await self.model_table.check()

    async def watch_engine(self) -> None:
        """While a remote engine is down: probe it now and then; fill once it answers."""
        await self.model_table.watch_engine()

    def close(self) -> None:
        """The worker lets go of the lease: stop probing the engine."""
        self.model_table.close()

    # ---- texts and batches ----------------------------------------------------------------

    async def follow_task_states(self) -> bool:
        """Read pause/cancel of the tasks whose items wait on embeddings (invariant 6);
        True when some of those items were cancelled (and dropped)."""
        backlog = self.backlog
        if not backlog.tasks:
            backlog.paused = set()
            return False
        states = await self.queue.task_states(sorted(backlog.tasks))
        backlog.paused = {t for t, s in states.items() if s is TaskStatus.PAUSED}
        cancelled = {t for t, s in states.items() if s is TaskStatus.CANCELLED}
        if not cancelled:
            return False
        dropped = [w.item for w in backlog.waiting.values() if w.item.task_id in cancelled]
        for item in dropped:
            backlog.drop(item.id)
        await self.queue.cancel_items(dropped)
        return True

    async def follow_boosts(self) -> None:
        """Files an editor opened after the worker claimed them go first in the backlog too."""
        if not self.backlog.waiting or time.monotonic() - self._boosts_read < BOOSTS_SECONDS:
            return
        self._boosts_read = time.monotonic()
        boosted = await self.queue.boosted_paths()
        if boosted:
            self.backlog.raise_paths(boosted, Priority.HIGH)

    async def sort_out(self, pending: list[Pending]) -> tuple[list[Wait], Settled]:
        """Split items into those waiting on texts without a vector and those settled."""
        waits: list[Wait] = []
        settled = Settled()
        if not pending:
            return waits, settled
        model = await self.ensure_model()
        if model is None or not self.health.can_embed():
            reason = self.health.reason()
            for item, outcome, hashes, required in pending:
                if required and hashes:
                    settled.failed.append((item, reason))
                else:
                    settled.done.append((item, outcome))
            return waits, settled
        every = list({h for _, _, hashes, _ in pending for h, _ in hashes})
        have = await self.storage.embedded_among(model.model_id, every)
        buffered = self.buffered()
        unknown = [
            h for h in every if h not in have and h not in buffered and h not in self.backlog
        ]
        cached = await self.cache.found(model, unknown)  # written like embedded ones
        self._unflushed.extend(cached.items())
        unknown = [h for h in unknown if h not in cached]
        have |= await self.shared.found(model.model_id, model.table, unknown)
        for item, outcome, hashes, _ in pending:
            texts = dict(hashes)
            missing = {h for h in texts if h not in have}
            if missing:
                waits.append((item, outcome, texts, missing))
            else:
                settled.done.append((item, outcome))
        return waits, settled

    async def next_batch(self) -> Settled:
        """Embed the next batch of the backlog; the items that settled (written or failed)."""
        self.batch_chars = 0
        model = self.model
        if model is None or not self.health.can_embed():
            return Settled()
        batch = await self._cut(model.embedder)
        if not batch:
            return Settled()
        texts = [t.text for _, t in batch]
        try:
            crash_point("embed")
            vectors = await asyncio.to_thread(model.embedder.embed, texts)
        except EngineUnavailable as exc:
            return await self._engine_lost(exc)
        except Exception as exc:
            log.exception("embedding a batch failed")
            dropped = [self.backlog.drop(i) for i in {i for _, t in batch for i in t.items}]
            reason = f"embedding failed: {exc}"
            return Settled(failed=[(w.item, reason) for w in dropped if w is not None])
        self.batch_chars = sum(t.cost for _, t in batch)
        self.texts_embedded += len(texts)
        for (h, _), vector in zip(batch, vectors, strict=True):
            self._unflushed.append((h, vector))
            self.backlog.embedded(h)
        await self.models.record_engine(None)  # a remote engine answered
        return await self.flush(force=any(t.priority == Priority.HIGH for _, t in batch))

    async def _cut(self, embedder: Embedder) -> list[tuple[str, Text]]:
        """The next batch: runnable texts of similar length around the oldest one."""
        size = embedder.batch_texts or self.settings.embed_batch_size
        window = self.backlog.window(size * WINDOW_BATCHES)
        uncounted = [t for _, t in window if not t.tokens]
        if uncounted:
            counts = await asyncio.to_thread(embedder.count_tokens, [t.text for t in uncounted])
            for entry, count in zip(uncounted, counts, strict=True):
                entry.tokens = count
        return around_oldest(window, size)

    async def renew_estimates(self) -> None:
        """Estimate every unfinished task's time left anew, now and then (see `estimates`)."""
        await self.estimates.renew(
            self.backlog.left,
            embeds=self.health.can_embed() or self.health.may_load(),
            loaded=self.model is not None,
        )

    async def _engine_lost(self, exc: EngineUnavailable) -> Settled:
        """The engine stayed down: keep what was embedded, settle the waiting items."""
        await self.model_table.engine_lost(exc)
        written = await self.flush(force=True)
        reason = f"embeddings pending: {exc.reason}"
        waiting = [w for w in (self.backlog.drop(i) for i in list(self.backlog.waiting)) if w]
        return written + Settled(
            [(w.item, w.outcome) for w in waiting if w.item.action is not Action.EMBED],
            [(w.item, reason) for w in waiting if w.item.action is Action.EMBED],
        )

    # ---- vector writes --------------------------------------------------------------------

    async def flush(self, *, force: bool) -> Settled:
        """Write buffered vectors in one LanceDB commit; the items that completes."""
        model = self.model
        if model is None or not (force or self._flush_due()):
            return Settled()
        written: set[str] = set()
        if self._unflushed:
            hashes = [h for h, _ in self._unflushed]
            matrix = np.stack([v for _, v in self._unflushed]).astype(np.float32)
            crash_point("vectors")
            lease = await self.queue.lease()
            if lease is None or lease.owner != self.owner:
                raise LeaseLost(f"worker {self.owner} no longer holds the lease")
            gone = await asyncio.to_thread(self.settings.gone)
            if gone is not None:  # LanceDB would re-create its folder in the removed path
                raise LeaseLost(f"{gone}: worker {self.owner} writes nothing more")
            try:
                await asyncio.to_thread(model.table.add, hashes, matrix)
            except VectorStoreUnavailable as exc:
                return await self._unwritten(set(hashes), exc)
            except VectorsDamaged as exc:
                model = await self.model_table.recover(model, exc)
                await asyncio.to_thread(model.table.add, hashes, matrix)
            crash_point("vectors-added")
            if self._write_failed:
                self._write_failed = False
                await self.storage.meta.set(VECTORS_FAILURE, None)
            await self.storage.mark_embedded(model.model_id, hashes, fence=self.owner)
            await self.cache.keep(model, hashes, matrix)
            written = set(hashes)
            self._unflushed = []
            self.dirty = True
        self._last_flush = time.monotonic()
        return Settled(done=[(w.item, w.outcome) for w in self.backlog.written(written)])

    def _flush_due(self) -> bool:
        return (
            len(self._unflushed) >= FLUSH_VECTORS
            or not len(self.backlog)
            or time.monotonic() - self._last_flush >= FLUSH_SECONDS
        )

    async def _unwritten(self, hashes: set[str], exc: VectorStoreUnavailable) -> Settled:
        """Vectors the shared store refused: the items waiting on them fail with the reason,
        their chunks stay pending (a later run embeds them), the other items go on."""
        log.error("%d vectors could not be written: %s", len(hashes), exc.message)
        await self.model_table.record_store_failure(exc)
        self._write_failed = True
        self._unflushed = []
        self._last_flush = time.monotonic()
        stuck = [w.item.id for w in self.backlog.waiting.values() if w.missing & hashes]
        dropped = [self.backlog.drop(i) for i in stuck]
        reason = f"vectors not written: {exc.message}"
        return Settled(failed=[(w.item, reason) for w in dropped if w is not None])

    async def maintain(self, *, min_unreferenced: int = GC_MIN_UNREFERENCED) -> int:
        """Off the query path: drop the vectors no chunk references, once there are at least
        `min_unreferenced`, and compact LanceDB; returns how many rows were deleted.

        On a shared store no row is deleted and nothing is compacted (other machines may be
        reading any row or version): only this machine's records of the rows are forgotten.
        """
        self.dirty = False
        await self.cache.prune_if_grown()
        model = self.model
        if model is None:
            return 0
        table, deleted = model.table, 0
        try:
            unreferenced = await self.storage.unreferenced_embedded(model.model_id)
            if unreferenced and len(unreferenced) >= min_unreferenced:
                if not table.shared:
                    await asyncio.to_thread(table.delete, unreferenced)
                    deleted = len(unreferenced)
                await self.storage.forget_embedded(model.model_id, unreferenced)
            if not table.shared:
                await asyncio.to_thread(table.optimize, VERSIONS_KEPT_FOR)
        except VectorsDamaged as exc:
            await self.model_table.recover(model, exc)
            return 0
        return deleted

    async def meta_at_task_end(self) -> list[MetaEntry]:
        """Index metadata written as tasks end: the shared store's counts, and the configured
        model as the active one once it has every vector (invariant 8)."""
        meta = self.shared.summary(self.texts_embedded)
        model = self.model
        if model is None:
            return meta
        active = await self.models.active()
        if active is None or active.id != model.model_id:
            _, pending = await self.storage.pending_counts(model.model_id)
            if pending == 0 and not len(self.backlog) and not self._unflushed:
                meta.append(ACTIVE_MODEL.entry(model.model_id))
                log.info("active embedding model is now %s", model.model_id)
        return meta
