"""The worker's embedding side: the model, the backlog of texts, batches, LanceDB writes.

A mixin of `Worker`. Texts without a vector wait in the backlog by priority; batches of
similar length go to the model in a thread; vectors are buffered and written to the
model's LanceDB table in few commits, and only then are the items they finish marked
completed (work is done only after it is written). Pause and cancel are read between
batches (invariant 6). Vector clean-up and compaction run only while the worker is idle,
and only on a local store: a shared store (`vectors.uri`) is append-only from here.

A remote engine that stays down (`EngineUnavailable`, after its own retries) never holds up
file indexing: the items waiting on it are finished (an index item is complete, its chunks
stay pending; an embeddings-only item fails with the reason), the health record says why,
and while it is down new texts are not sent. A probe, in the background and backing off from
`ENGINE_RETRY_FIRST` to `ENGINE_RETRY_CAP` seconds, finds it back; then an embeddings-only
task fills what is pending (a worker started later does the same when it loads the model).

On a shared store, texts whose hash SQLite does not record as embedded are first looked
up in the store (another machine may have embedded them): found ones are recorded and
not embedded. The counts of a run go to index metadata (`SHARED_HITS`) for status.
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from datetime import timedelta

import numpy as np
import numpy.typing as npt

from codeindex.config import Settings
from codeindex.embedding.loader import ModelLoader
from codeindex.embedding.registry import ModelRegistry
from codeindex.embedding.spec import Embedder
from codeindex.errors import (
    EngineUnavailable,
    ModelUnavailable,
    VectorsDamaged,
    VectorStoreUnavailable,
)
from codeindex.faults import crash_point
from codeindex.storage import LeaseLost, Storage
from codeindex.storage.meta import (
    SHARED_HITS,
    VECTORS_FAILURE,
    MetaEntry,
    SharedHits,
    VectorsFailure,
)
from codeindex.tasks import Action, Item, ItemOutcome, Priority, Queue, Rates, TaskStatus
from codeindex.vectors.store import VectorStore
from codeindex.vectors.table import VectorTable
from codeindex.worker.backlog import Backlog
from codeindex.worker.pipeline import RateMeter

log = logging.getLogger(__name__)

# Batches are cut from a window of the oldest texts sorted by token count: on
# polyglot-small with MiniLM (batches of 16), padding was 13% of the tokens run with
# windows of 64 sorted by characters, 3% with windows of 256 sorted by tokens.
# Tokenising costs under 1% of inference, so counting tokens first is cheap, and
# overlapping tokenisation with inference would gain no more than that.
WINDOW_BATCHES = 16
PROGRESS_SECONDS = 0.25
FLUSH_VECTORS = 512
FLUSH_SECONDS = 3.0
GC_MIN_UNREFERENCED = 1000
# Old LanceDB versions are deleted at once: each compaction rewrites the table, so keeping
# them a minute kept a copy of the table per write in that minute (and for good when the
# worker left within it). A reader whose version's files went reloads the latest (vectors).
VERSIONS_KEPT_FOR = timedelta(0)
# On a shared store, an explicit clean-up keeps versions this recent: other machines may
# be reading them.
SHARED_VERSIONS_KEPT_FOR = timedelta(hours=1)
# A shared store that could not be used is tried again after this long (while idle too), so
# a worker outlives a short outage; each try fails within seconds.
STORE_RETRY_SECONDS = 30.0
ENGINE_RETRY_FIRST = 2.0
ENGINE_RETRY_CAP = 300.0


class EmbeddingWork(ABC):
    """Embedding and vector writes of the worker."""

    owner: str
    storage: Storage
    queue: Queue
    settings: Settings
    loader: ModelLoader
    models: ModelRegistry
    vectors: VectorStore
    backlog: Backlog
    rates: RateMeter
    weights: Rates
    texts_embedded: int
    on_change: Callable[[], None]
    on_model_change: Callable[[int], Awaitable[None]] | None
    _model: tuple[Embedder, int, VectorTable] | None
    _model_error: ModelUnavailable | None
    _vectors_error: VectorStoreUnavailable | None
    _vectors_failed_at: float
    _write_failed: bool  # a write to the shared store failed since the last good one
    shared_looked_up: int
    shared_hits: int
    _shared_embedded_from: int
    _unflushed: list[tuple[str, npt.NDArray[np.float32]]]
    _last_flush: float
    _dirty_vectors: bool
    _progress_at: float
    _engine_down: EngineUnavailable | None
    _engine_retry_at: float
    _engine_backoff: float
    _engine_probe: asyncio.Task[None] | None

    def _embed_cost(self, text: str) -> int:
        """Characters that cost model time: inputs are truncated to max_tokens (~4 chars each)."""
        return min(len(text), self.settings.embed_max_tokens * 4)

    @abstractmethod
    async def _finish(
        self, done: list[tuple[Item, ItemOutcome]], failed: list[tuple[Item, str]]
    ) -> None: ...

    async def _ensure_model(self) -> tuple[Embedder, int, VectorTable] | None:
        if self._model is not None:
            return self._model
        if self._model_error is not None:
            return None
        if self._vectors_error is not None:
            if time.monotonic() - self._vectors_failed_at < STORE_RETRY_SECONDS:
                return None
            self._vectors_error = None
        try:
            embedder, model_id = await self.loader.configured()
        except ModelUnavailable as exc:
            self._model_error = exc
            if isinstance(exc, EngineUnavailable):
                self._engine_down = exc
                self._next_engine_retry()
            log.warning("embeddings stay pending: %s (%s)", exc.reason, exc.hint)
            return None
        name, dim = embedder.identity.table_name, embedder.identity.dim
        try:
            table = await asyncio.to_thread(self.vectors.table, name, dim)
            lost = await self._reconcile(model_id, table)
        except VectorStoreUnavailable as exc:
            await self._store_failed(exc)
            return None
        except VectorsDamaged as exc:
            table, lost = await self._rebuild_table(model_id, name, dim, exc), True
        self._model = (embedder, model_id, table)
        if await self.storage.meta.get(VECTORS_FAILURE):
            await self.storage.meta.set(VECTORS_FAILURE, None)
        active = await self.models.active()
        if active is not None and active.id != model_id:
            await self._fill(model_id)  # the configured model is new: fill its table
        elif (
            lost or (await self.storage.pending_counts(model_id))[1]
        ) and not await self.queue.count_unfinished():
            await self._fill(model_id)  # pending embeddings always have work queued for them
        return self._model

    async def _store_failed(self, exc: VectorStoreUnavailable) -> None:
        """The shared store cannot be used: embeddings stay pending with the reason (status
        shows it); full-text search goes on. The next worker tries the store again."""
        self._vectors_error = exc
        self._vectors_failed_at = time.monotonic()
        log.error("embeddings stay pending: %s", exc.message)
        await self._record_store_failure(exc)

    async def _record_store_failure(self, exc: VectorStoreUnavailable) -> None:
        """Remember why the store failed (status shows it; the next `index` tries again)."""
        failure = VectorsFailure(self.vectors.where, exc.message, time.time())
        await self.storage.meta.set(VECTORS_FAILURE, failure)

    async def _found_in_store(
        self, model_id: int, table: VectorTable, wanted: list[str]
    ) -> set[str]:
        """Hashes another machine already embedded into the shared table; recorded here."""
        if not self.vectors.shared or not wanted:
            return set()
        try:
            found = await asyncio.to_thread(table.lookup, wanted)
        except VectorStoreUnavailable as exc:
            log.warning("could not look up texts in the shared store: %s", exc.message)
            return set()
        self.shared_looked_up += len(wanted)
        self.shared_hits += len(found)
        if found:
            await self.storage.mark_embedded(model_id, sorted(found), fence=self.owner)
        return found

    def _shared_summary(self) -> list[MetaEntry]:
        """The shared store counts since the last summary, as index metadata; restarts them."""
        if not self.vectors.shared or not self.shared_looked_up:
            return []
        hits = SharedHits(
            uri=self.vectors.where,
            looked_up=self.shared_looked_up,
            hits=self.shared_hits,
            embedded=self.texts_embedded - self._shared_embedded_from,
            at=time.time(),
        )
        self.shared_looked_up = self.shared_hits = 0
        self._shared_embedded_from = self.texts_embedded
        return [SHARED_HITS.entry(hits)]

    async def _fill(self, model_id: int) -> None:
        if self.on_model_change is not None:
            await self.on_model_change(model_id)

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

    async def _rebuild_table(
        self, model_id: int, name: str, dim: int, why: Exception | str
    ) -> VectorTable:
        """A damaged or vanished table: keep it aside, start an empty one, embed again.

        SQLite forgets the model's vectors, so every chunk is pending and the fill task
        (queued by the caller) embeds them again; nothing is deleted.
        """
        aside = await asyncio.to_thread(self.vectors.set_aside, name)
        log.error(
            "the vectors of %s cannot be used (%s); %s; embedding again",
            name,
            why,
            f"the damaged table is kept as {aside}" if aside else "its folder is gone",
        )
        await self.storage.forget_all_embedded(model_id)
        return await asyncio.to_thread(self.vectors.table, name, dim)

    async def _check_vectors(self) -> None:
        """While idle: a table whose folder vanished (say, `rm -rf vectors`) is rebuilt."""
        model = self._model
        if model is None or self.vectors.shared:
            return
        embedder, model_id, _ = model
        name, dim = embedder.identity.table_name, embedder.identity.dim
        if await asyncio.to_thread(self.vectors.exists, name):
            return
        table = await self._rebuild_table(model_id, name, dim, "its folder was removed")
        self._model = (embedder, model_id, table)
        await self._fill(model_id)

    async def _refresh_task_states(self) -> None:
        """Read pause/cancel of the tasks whose items wait on embeddings (invariant 6)."""
        backlog = self.backlog
        if not backlog.tasks:
            backlog.paused = set()
            return
        states = await self.queue.task_states(sorted(backlog.tasks))
        backlog.paused = {t for t, s in states.items() if s is TaskStatus.PAUSED}
        cancelled = {t for t, s in states.items() if s is TaskStatus.CANCELLED}
        if cancelled:
            dropped = [w.item for w in backlog.waiting.values() if w.item.task_id in cancelled]
            for item in dropped:
                backlog.drop(item.id)
            await self.queue.cancel_items(dropped)
            self.on_change()

    async def _embed_next_batch(self) -> None:
        model = self._model
        if model is None:
            return
        embedder, _, _ = model
        if self._engine_down is not None:
            return
        batch_size = embedder.batch_texts or self.settings.embed_batch_size
        window = self.backlog.window(batch_size * WINDOW_BATCHES)
        if not window:
            return
        oldest = window[0][0]
        uncounted = [t for _, t in window if not t.tokens]
        if uncounted:
            counts = await asyncio.to_thread(embedder.count_tokens, [t.text for t in uncounted])
            for entry, count in zip(uncounted, counts, strict=True):
                entry.tokens = count
        window.sort(key=lambda ht: ht[1].tokens)
        at = next(i for i, (h, _) in enumerate(window) if h == oldest)
        start = max(0, min(at - batch_size // 2, len(window) - batch_size))
        batch = window[start : start + batch_size]
        texts = [t.text for _, t in batch]
        started = time.perf_counter()
        try:
            crash_point("embed")
            vectors = await asyncio.to_thread(embedder.embed, texts)
            cost = sum(self._embed_cost(t) for t in texts)
            self.rates.add("embed", cost, time.perf_counter() - started)
            self.texts_embedded += len(texts)
        except EngineUnavailable as exc:
            await self._engine_lost(exc)
            return
        except Exception as exc:
            log.exception("embedding a batch failed")
            dropped = [self.backlog.drop(i) for i in {i for _, t in batch for i in t.items}]
            items = [w.item for w in dropped if w is not None]
            await self._finish([], [(it, f"embedding failed: {exc}") for it in items])
            return
        for (h, _), vector in zip(batch, vectors, strict=True):
            self._unflushed.append((h, vector))
            self.backlog.embedded(h)
        await self.models.record_engine(None)  # a remote engine answered
        urgent = any(t.priority == Priority.HIGH for _, t in batch)
        await self._flush(force=urgent)
        if time.monotonic() - self._progress_at >= PROGRESS_SECONDS:
            self._progress_at = time.monotonic()
            await self.queue.set_progress(self.backlog.partial_progress())

    def _next_engine_retry(self) -> None:
        self._engine_backoff = min(
            ENGINE_RETRY_CAP, max(ENGINE_RETRY_FIRST, self._engine_backoff * 2)
        )
        self._engine_retry_at = time.monotonic() + self._engine_backoff

    async def _engine_lost(self, exc: EngineUnavailable) -> None:
        """The engine stayed down: keep what was embedded, finish the waiting items."""
        log.warning("embeddings pending: %s (%s)", exc.reason, exc.hint)
        self._engine_down = exc
        self._next_engine_retry()
        await self.models.record_engine(exc)
        await self._flush(force=True)
        reason = f"embeddings pending: {exc.reason}"
        waiting = [w for w in (self.backlog.drop(i) for i in list(self.backlog.waiting)) if w]
        await self._finish(
            [(w.item, w.outcome) for w in waiting if w.item.action is not Action.EMBED],
            [(w.item, reason) for w in waiting if w.item.action is Action.EMBED],
        )

    async def _watch_engine(self) -> None:
        """While the engine is down: probe it in the background now and then (backing off);
        once it answers, load the model if it never loaded and fill what is pending."""
        if self._engine_down is None:
            return
        probe = self._engine_probe
        if probe is None:
            if time.monotonic() >= self._engine_retry_at:
                self._engine_probe = asyncio.create_task(
                    self._probe_engine(), name="codeindex-engine-probe"
                )
            return
        if not probe.done():
            return
        self._engine_probe = None
        failure = None if probe.cancelled() else probe.exception()
        if failure is not None:
            self._next_engine_retry()
            if isinstance(failure, ModelUnavailable):
                await self.models.record_engine(failure)
                if not isinstance(failure, EngineUnavailable):
                    self._engine_down = None  # not down but wrong: remembered, not retried
                    self._model_error = failure
            else:
                log.error("probing the embedding engine failed: %r", failure)
            return
        log.info("the embedding engine answers again; filling pending embeddings")
        self._engine_down = None
        self._model_error = None
        self._engine_backoff = 0.0
        await self.models.record_engine(None)
        model = await self._ensure_model()
        if model is not None:
            await self._fill(model[1])

    async def _probe_engine(self) -> None:
        """One request to the engine: loads the model if it never loaded; raises when down."""
        if self._model is None:
            await self.loader.configured()
            return
        await asyncio.to_thread(self._model[0].probe)

    async def _flush(self, *, force: bool) -> None:
        """Write buffered vectors in one LanceDB commit, then complete the items they finish."""
        if self._model is None:
            return
        due = (
            force
            or len(self._unflushed) >= FLUSH_VECTORS
            or not len(self.backlog)
            or time.monotonic() - self._last_flush >= FLUSH_SECONDS
        )
        if not due:
            return
        _, model_id, table = self._model
        written: set[str] = set()
        if self._unflushed:
            hashes = [h for h, _ in self._unflushed]
            matrix = np.stack([v for _, v in self._unflushed]).astype(np.float32)
            crash_point("vectors")
            lease = await self.queue.lease()
            if lease is None or lease.owner != self.owner:
                raise LeaseLost(f"worker {self.owner} no longer holds the lease")
            try:
                await asyncio.to_thread(table.add, hashes, matrix)
            except VectorStoreUnavailable as exc:
                await self._unwritten(set(hashes), exc)
                return
            except VectorsDamaged as exc:
                embedder = self._model[0]
                identity = embedder.identity
                table = await self._rebuild_table(model_id, identity.table_name, identity.dim, exc)
                self._model = (embedder, model_id, table)
                await asyncio.to_thread(table.add, hashes, matrix)
                await self._fill(model_id)
            crash_point("vectors-added")
            if self._write_failed:
                self._write_failed = False
                await self.storage.meta.set(VECTORS_FAILURE, None)
            await self.storage.mark_embedded(model_id, hashes, fence=self.owner)
            written = set(hashes)
            self._unflushed = []
            self._dirty_vectors = True
        self._last_flush = time.monotonic()
        done = [(w.item, w.outcome) for w in self.backlog.written(written)]
        if done:
            await self._finish(done, [])

    async def _unwritten(self, hashes: set[str], exc: VectorStoreUnavailable) -> None:
        """Vectors the shared store refused: the items waiting on them fail with the reason,
        their chunks stay pending (a later run embeds them), the other items go on."""
        log.error("%d vectors could not be written: %s", len(hashes), exc.message)
        await self._record_store_failure(exc)
        self._write_failed = True
        self._unflushed = []
        self._last_flush = time.monotonic()
        stuck = [w.item.id for w in self.backlog.waiting.values() if w.missing & hashes]
        dropped = [self.backlog.drop(i) for i in stuck]
        reason = f"vectors not written: {exc.message}"
        await self._finish([], [(w.item, reason) for w in dropped if w is not None])

    async def _save_rates(self) -> None:
        """Persist the throughput measured since the last save; estimates use it."""
        measured = self.rates.measured()
        if measured:
            await self.storage.meta.put(*measured)
            self.rates = RateMeter()
            self.weights = await Rates.load(self.storage)

    async def _maintain(self) -> None:
        """Off the query path: drop vectors no chunk references, compact LanceDB."""
        if not self._dirty_vectors or self._model is None:
            return
        self._dirty_vectors = False
        embedder, model_id, table = self._model
        try:
            unreferenced = await self.storage.unreferenced_embedded(model_id)
            if len(unreferenced) >= GC_MIN_UNREFERENCED:
                if not table.shared:  # other machines may rely on a shared row: kept there
                    await asyncio.to_thread(table.delete, unreferenced)
                await self.storage.forget_embedded(model_id, unreferenced)
            if not table.shared:  # another machine may be reading any shared version
                await asyncio.to_thread(table.optimize, VERSIONS_KEPT_FOR)
        except VectorsDamaged as exc:
            identity = embedder.identity
            table = await self._rebuild_table(model_id, identity.table_name, identity.dim, exc)
            self._model = (embedder, model_id, table)
            await self._fill(model_id)

    async def collect_garbage(self, older_than: timedelta = timedelta(minutes=1)) -> int:
        """Drop every unreferenced vector now and clean old versions; returns how many.

        Table versions younger than `older_than` are kept for readers still using them.
        On a shared store no row is deleted (only this machine's records of them are
        forgotten) and versions younger than `SHARED_VERSIONS_KEPT_FOR` are kept.
        """
        model = await self._ensure_model()
        if model is None:
            return 0
        self._dirty_vectors = False  # what the idle maintenance would do is done here
        _, model_id, table = model
        unreferenced = await self.storage.unreferenced_embedded(model_id)
        if table.shared:
            await self.storage.forget_embedded(model_id, unreferenced)
            kept = max(older_than, SHARED_VERSIONS_KEPT_FOR)
            await asyncio.to_thread(table.optimize, kept)
            return 0
        if unreferenced:
            await asyncio.to_thread(table.delete, unreferenced)
            await self.storage.forget_embedded(model_id, unreferenced)
        await asyncio.to_thread(table.optimize, older_than)
        return len(unreferenced)
