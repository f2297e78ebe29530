"""The worker: the one lease holder per workspace that drains reindex items.

For each item: read -> hash -> parse (in a thread) -> swap the file's rows in
one transaction; its chunk texts without a vector join a backlog that is
embedded in batches of similar length across files, flushed to LanceDB in
few commits, and only then is the item marked completed (work is done only
after it is written). Parsing comes before embedding at equal priority, so
full-text and symbol search are ready early; a higher-priority item's texts
are embedded before a lower-priority backlog. Pause and cancel are read
between items and between batches (invariant 6).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from codeindex import doorbell
from codeindex.backlog import Backlog
from codeindex.config import Settings
from codeindex.embedder import Embedder, ModelUnavailable
from codeindex.models import ACTIVE_KEY as ACTIVE_MODEL_KEY
from codeindex.models import ModelManager
from codeindex.pipeline import Parsed, RateMeter, read_and_parse, unindexed_record
from codeindex.storage import FileRecord, Storage, write_meta
from codeindex.tasks import Action, Item, ItemOutcome, Priority, Queue, Rates, Scope, TaskStatus
from codeindex.vectors import VectorStore, VectorTable
from codeindex.workspace import SkipFile, Workspace

log = logging.getLogger(__name__)

WINDOW_BATCHES = 4
CLAIM_BATCH = 16
PROGRESS_SECONDS = 0.25
FLUSH_VECTORS = 512
FLUSH_SECONDS = 3.0
IDLE_POLL_SECONDS = 0.05
IDLE_POLL_WITH_DOORBELL_SECONDS = 0.5
MAINTAIN_WHEN_QUIET_SECONDS = 2.0
GC_MIN_UNREFERENCED = 1000


class Worker:
    """Drains the queue of one workspace while it holds the lease."""

    def __init__(
        self,
        storage: Storage,
        workspace: Workspace,
        settings: Settings,
        models: ModelManager,
        vectors: VectorStore,
        *,
        on_change: Callable[[], None] | None = None,
        on_model_change: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self.storage = storage
        self.queue = Queue(storage)
        self.workspace = workspace
        self.settings = settings
        self.models = models
        self.vectors = vectors
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.wake = asyncio.Event()
        self._doorbell = doorbell.Listener(settings.data_dir, self.wake)
        self.idle = asyncio.Event()
        self.on_change = on_change or (lambda: None)
        self.on_model_change = on_model_change
        self.backlog = Backlog()
        self._progress_at = 0.0
        self._unflushed: list[tuple[str, npt.NDArray[np.float32]]] = []
        self._last_flush = time.monotonic()
        self._dirty_vectors = False
        self._lost = False
        self._retired = False
        self._model: tuple[Embedder, int, VectorTable] | None = None
        self._model_error: ModelUnavailable | None = None
        self.rates = RateMeter()
        self.weights = Rates()
        self.texts_embedded = 0

    # ---- lifecycle ---------------------------------------------------------

    async def run(
        self,
        *,
        exit_when_idle: bool = False,
        linger: float = 0.0,
        stop: asyncio.Event | None = None,
    ) -> None:
        """Hold the lease and drain items until `stop` is set.

        With exit_when_idle, also stop once the queue has been empty for `linger` seconds
        (a lingering worker keeps its model loaded for the next request).
        """
        stop = stop or asyncio.Event()
        while await self._hold_lease(exit_when_idle=exit_when_idle, linger=linger, stop=stop):
            # Work queued while this worker was leaving: its client saw our lease and
            # started no worker, so nobody else would do it. Take the lease again.
            if not exit_when_idle or stop.is_set() or self._lost or self._retired:
                return
            if not await self.queue.has_runnable():
                return
            log.info("work arrived while worker %s was leaving; it stays", self.owner)

    async def _hold_lease(
        self, *, exit_when_idle: bool, linger: float, stop: asyncio.Event
    ) -> bool:
        """Take the lease and drain; False when the lease was never taken."""
        ttl = self.settings.lease_seconds
        while not await self.queue.acquire_lease(self.owner, ttl, self.settings.worker_key()):
            if (
                exit_when_idle
                and not await self.queue.has_runnable()
                and not await self.queue.retire_requested()  # we were started to succeed it
            ):
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=min(1.0, ttl / 4))
            if stop.is_set():
                return False
        log.info("worker %s holds the lease", self.owner)
        self.weights = await Rates.load(self.storage)
        renewer = asyncio.create_task(self._renew(ttl), name="codeindex-lease")
        self._doorbell.open()
        try:
            await self._drain(exit_when_idle=exit_when_idle, linger=linger, stop=stop)
        finally:
            self._doorbell.close()
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            if not self._lost:
                with contextlib.suppress(Exception):
                    await self._flush(force=True)
                await asyncio.shield(self.queue.release_lease(self.owner))
        return True

    async def _renew(self, ttl: float) -> None:
        while True:
            await asyncio.sleep(ttl / 3)
            try:
                kept = await self.queue.renew_lease(self.owner, ttl)
            except Exception:
                log.exception("could not renew the worker lease")
                continue
            if not kept:
                log.error("worker %s lost its lease to another worker; stopping", self.owner)
                self._lost = True
                self.wake.set()
                return

    async def _drain(self, *, exit_when_idle: bool, linger: float, stop: asyncio.Event) -> None:
        idle_since: float | None = None
        while not stop.is_set() and not self._lost:
            if await self.queue.retire_requested(self.owner):
                if exit_when_idle:
                    # a client with other settings started a worker of its own: hand over
                    # now (items in hand go back to pending when the lease is released)
                    log.info("worker %s hands over to a worker with newer settings", self.owner)
                    self._retired = True
                    return
                # a foreground or editor-hosted worker keeps serving: its owner restarts it
                log.warning(
                    "a client with other settings asked this worker to hand over; "
                    "restart it to apply them"
                )
                await self.queue.decline_retire(self.owner)
            if not self.idle.is_set():
                idle_since = None
            self.idle.clear()
            await self._refresh_task_states()
            best_text = self.backlog.best_priority()
            best_item = await self.queue.best_pending_priority()
            if best_item is not None and (best_text is None or best_item <= best_text):
                items = await self.queue.claim(CLAIM_BATCH, self.owner)
                if items:
                    await self._process(items)
                continue
            if best_text is not None:
                await self._embed_next_batch()
                continue
            if self._unflushed:
                await self._flush(force=True)
                continue
            await self._save_rates()
            if self._model is None and self._model_error is None:
                await self._ensure_model()  # once, while idle: the next request finds it loaded
            idle_since = idle_since or time.monotonic()
            quiet = time.monotonic() - idle_since
            leaving = exit_when_idle and quiet >= linger
            if self._dirty_vectors and (leaving or quiet >= MAINTAIN_WHEN_QUIET_SECONDS):
                # not after every small task: an editor saving a file again soon would
                # find the worker busy compacting instead of indexing
                await self._maintain()
            if leaving and not await self.queue.has_runnable():
                return
            self.idle.set()
            self.wake.clear()
            poll = (
                IDLE_POLL_WITH_DOORBELL_SECONDS if self._doorbell.listening else IDLE_POLL_SECONDS
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=poll)

    # ---- items ------------------------------------------------------------

    async def _process(self, items: list[Item]) -> None:
        """Parse a batch of items in a thread, swap their rows in one transaction."""
        to_parse = [i for i in items if i.action is Action.INDEX]
        started = time.perf_counter()
        parsed = await asyncio.to_thread(self._parse_all, to_parse)
        self.rates.add("parse", sum(i.size for i in to_parse), time.perf_counter() - started)
        records: list[tuple[Item, FileRecord]] = []
        deletes: list[str] = [i.path for i in items if i.action is Action.DELETE]
        done: list[tuple[Item, ItemOutcome]] = [
            (i, ItemOutcome()) for i in items if i.action is Action.DELETE
        ]
        failed: list[tuple[Item, str]] = []
        for item, result in zip(to_parse, parsed, strict=True):
            if isinstance(result, Parsed):
                records.append((item, result.record))
            elif isinstance(result, SkipFile) and result.vanished:
                deletes.append(item.path)
                done.append((item, ItemOutcome()))
            elif isinstance(result, SkipFile):
                records.append(
                    (item, unindexed_record(self.workspace, self.settings, item.path, result))
                )
                if result.failure:
                    failed.append((item, result.reason))
                else:
                    done.append((item, ItemOutcome()))
            else:
                failed.append((item, f"{type(result).__name__}: {result}"))
        try:
            stored = await self.storage.apply_files([r for _, r in records], deletes)
        except Exception as exc:
            log.exception("could not store a batch of %d files", len(items))
            await self._finish([], [(i, f"could not store: {exc}") for i in items])
            return
        self.on_change()
        pending: list[tuple[Item, ItemOutcome, list[tuple[str, str]], bool]] = []
        for (item, record), (_, n_symbols, n_chunks) in zip(records, stored, strict=True):
            if record.index_status == "indexed":
                outcome = ItemOutcome(symbols=n_symbols, chunks=n_chunks)
                hashes = [(c.content_hash, c.text) for c in record.chunks]
                pending.append((item, outcome, hashes, False))
        for item in items:
            if item.action is Action.EMBED:
                hashes = await self.storage.chunk_hashes_of(item.path)
                pending.append((item, ItemOutcome(), hashes, True))
        waits, more_done, more_failed = await self._missing_texts(pending)
        # now that each file's remaining work is known, weigh its item by it
        parsed_bytes = {i.id: i.size for i in to_parse}
        left = {
            item.id: sum(self._embed_cost(texts[h]) for h in missing)
            for item, _, texts, missing in waits
        }
        weights = {
            i.id: (
                i.task_id,
                i.weight,
                self.weights.weight(parsed_bytes.get(i.id, 0), left.get(i.id, 0)),
            )
            for i in items
        }
        await self.queue.reweigh(weights)

        def reweighed(item: Item) -> Item:
            return replace(item, weight=weights[item.id][2])

        for item, outcome, texts, missing in waits:
            self.backlog.wait(reweighed(item), outcome, texts, missing, self._buffered())
        await self._finish(
            [(reweighed(i), o) for i, o in done + more_done],
            [(reweighed(i), e) for i, e in failed + more_failed],
        )

    def _parse_all(self, items: list[Item]) -> list[Parsed | SkipFile | Exception]:
        results: list[Parsed | SkipFile | Exception] = []
        for item in items:
            try:
                results.append(read_and_parse(self.workspace, self.settings, item.path))
            except Exception as exc:  # one bad file never stops the batch (invariant 9)
                log.exception("parsing %s failed", item.path)
                results.append(exc)
        return results

    def _embed_cost(self, text: str) -> int:
        """Characters that cost model time: inputs are truncated to max_tokens (~4 chars each)."""
        return min(len(text), self.settings.embed_max_tokens * 4)

    def _buffered(self) -> set[str]:
        return {h for h, _ in self._unflushed}

    async def _missing_texts(
        self, pending: list[tuple[Item, ItemOutcome, list[tuple[str, str]], bool]]
    ) -> tuple[
        list[tuple[Item, ItemOutcome, dict[str, str], set[str]]],
        list[tuple[Item, ItemOutcome]],
        list[tuple[Item, str]],
    ]:
        """Split items into those waiting on texts without a vector, done, and failed."""
        waits: list[tuple[Item, ItemOutcome, dict[str, str], set[str]]] = []
        done: list[tuple[Item, ItemOutcome]] = []
        failed: list[tuple[Item, str]] = []
        if not pending:
            return waits, done, failed
        model = await self._ensure_model()
        if model is None:
            reason = self._model_error.reason if self._model_error else "no model"
            for item, outcome, hashes, required in pending:
                if required and hashes:
                    failed.append((item, f"embedding model unavailable: {reason}"))
                else:
                    done.append((item, outcome))
            return waits, done, failed
        _, model_id, _ = model
        every = list({h for _, _, hashes, _ in pending for h, _ in hashes})
        have = await self.storage.embedded_among(model_id, every)
        for item, outcome, hashes, _ in pending:
            texts = dict(hashes)
            missing = {h for h in texts if h not in have}
            if missing:
                waits.append((item, outcome, texts, missing))
            else:
                done.append((item, outcome))
        return waits, done, failed

    async def _finish(
        self, done: list[tuple[Item, ItemOutcome]], failed: list[tuple[Item, str]]
    ) -> None:
        await self.queue.finish_items(done, failed, on_end=self._on_tasks_ended)
        self.on_change()

    async def _on_tasks_ended(self, db: Any, task_ids: list[str], now: float) -> None:
        """Record a finished full index; flip the active model once it has every vector.

        Runs in the transaction that ends the tasks: a client that sees its embeddings-only
        task end already gets answers from the new model's table (invariant 8).
        """
        meta: dict[str, str] = {}
        for task_id in task_ids:
            task = await self.queue.get(task_id)  # scope and options never change
            if task.scope is Scope.PROJECT and not task.embeddings_only:
                meta["last_full_index_at"] = str(now)
        if self._model is not None:
            _, model_id, _ = self._model
            active = await self.models.active()
            if active is None or active.id != model_id:
                _, pending = await self.storage.pending_counts(model_id)
                if pending == 0 and not len(self.backlog) and not self._unflushed:
                    meta[ACTIVE_MODEL_KEY] = str(model_id)
                    log.info("active embedding model is now %s", model_id)
        await write_meta(db, meta)

    # ---- embeddings --------------------------------------------------------

    async def _ensure_model(self) -> tuple[Embedder, int, VectorTable] | None:
        if self._model is not None:
            return self._model
        if self._model_error is not None:
            return None
        try:
            embedder, model_id = await self.models.configured()
        except ModelUnavailable as exc:
            self._model_error = exc
            log.warning("embeddings stay pending: %s (%s)", exc.reason, exc.hint)
            return None
        table = await asyncio.to_thread(
            self.vectors.table, embedder.identity.table_name, embedder.identity.dim
        )
        await self._reconcile(model_id, table)
        self._model = (embedder, model_id, table)
        active = await self.models.active()
        if active is not None and active.id != model_id and self.on_model_change is not None:
            await self.on_model_change(model_id)
        return self._model

    async def _reconcile(self, model_id: int, table: VectorTable) -> None:
        """Forget vectors SQLite believes exist but LanceDB lost (LanceDB is derived)."""
        present = await asyncio.to_thread(table.hashes)
        rows = await self.storage.fetchall(
            "SELECT content_hash FROM embeddings WHERE model_id = ?", (model_id,)
        )
        lost = [str(r[0]) for r in rows if str(r[0]) not in present]
        if lost:
            log.warning("%d vectors missing from LanceDB; they will be embedded again", len(lost))
            await self.storage.forget_embedded(model_id, lost)

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
        batch_size = self.settings.embed_batch_size
        window = self.backlog.window(batch_size * WINDOW_BATCHES)
        if not window:
            return
        oldest = window[0][0]
        cap = self.settings.embed_max_tokens * 6
        window.sort(key=lambda ht: min(len(ht[1].text), cap))
        at = next(i for i, (h, _) in enumerate(window) if h == oldest)
        start = max(0, min(at - batch_size // 2, len(window) - batch_size))
        batch = window[start : start + batch_size]
        texts = [t.text for _, t in batch]
        started = time.perf_counter()
        try:
            vectors = await asyncio.to_thread(embedder.embed, texts)
            cost = sum(self._embed_cost(t) for t in texts)
            self.rates.add("embed", cost, time.perf_counter() - started)
            self.texts_embedded += len(texts)
        except Exception as exc:
            log.exception("embedding a batch failed")
            dropped = [self.backlog.drop(i) for i in {i for _, t in batch for i in t.items}]
            items = [w.item for w in dropped if w is not None]
            await self._finish([], [(it, f"embedding failed: {exc}") for it in items])
            return
        for (h, _), vector in zip(batch, vectors, strict=True):
            self._unflushed.append((h, vector))
            self.backlog.embedded(h)
        urgent = any(t.priority == Priority.HIGH for _, t in batch)
        await self._flush(force=urgent)
        if time.monotonic() - self._progress_at >= PROGRESS_SECONDS:
            self._progress_at = time.monotonic()
            await self.queue.set_progress(self.backlog.partial_progress())

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
            await asyncio.to_thread(table.add, hashes, matrix)
            await self.storage.mark_embedded(model_id, hashes)
            written = set(hashes)
            self._unflushed = []
            self._dirty_vectors = True
        self._last_flush = time.monotonic()
        done = [(w.item, w.outcome) for w in self.backlog.written(written)]
        if done:
            await self._finish(done, [])

    async def _save_rates(self) -> None:
        """Persist the throughput measured since the last save; estimates use it."""
        measured = self.rates.measured()
        if measured:
            await self.storage.set_meta(measured)
            self.rates = RateMeter()
            self.weights = await Rates.load(self.storage)

    async def _maintain(self) -> None:
        """Off the query path: drop vectors no chunk references, compact LanceDB."""
        if not self._dirty_vectors or self._model is None:
            return
        self._dirty_vectors = False
        _, model_id, table = self._model
        unreferenced = await self.storage.unreferenced_embedded(model_id)
        if len(unreferenced) >= GC_MIN_UNREFERENCED:
            await asyncio.to_thread(table.delete, unreferenced)
            await self.storage.forget_embedded(model_id, unreferenced)
        await asyncio.to_thread(table.optimize)

    async def collect_garbage(self, older_than: timedelta = timedelta(minutes=1)) -> int:
        """Drop every unreferenced vector now and clean old versions; returns how many.

        Table versions younger than `older_than` are kept for readers still using them.
        """
        model = await self._ensure_model()
        if model is None:
            return 0
        self._dirty_vectors = False  # what the idle maintenance would do is done here
        _, model_id, table = model
        unreferenced = await self.storage.unreferenced_embedded(model_id)
        if unreferenced:
            await asyncio.to_thread(table.delete, unreferenced)
            await self.storage.forget_embedded(model_id, unreferenced)
        await asyncio.to_thread(table.optimize, older_than)
        return len(unreferenced)
