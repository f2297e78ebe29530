"""The worker: the one lease holder per workspace that drains reindex items.

For each item: read -> hash -> parse (in a thread) -> swap the file's rows in
one transaction; its chunk texts without a vector join a backlog that is
embedded in batches of similar length across files (`embedding_work`), and
only then is the item marked completed (work is done only after it is
written). Parsing comes before embedding at equal priority, so full-text and
symbol search are ready early; a higher-priority item's texts are embedded
before a lower-priority backlog. Pause and cancel are read between items and
between batches (invariant 6). A background worker stays while any client (an
editor or agent session) is alive, then lingers, then leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from codeindex.config import Settings
from codeindex.embedding.context import embed_text
from codeindex.embedding.loader import ModelLoader
from codeindex.embedding.spec import Embedder
from codeindex.errors import EngineUnavailable, ModelUnavailable, VectorStoreUnavailable
from codeindex.faults import crash_point
from codeindex.ipc import doorbell
from codeindex.storage import FileRecord, LeaseLost, Storage
from codeindex.storage.meta import ACTIVE_MODEL, LAST_FULL_INDEX, TIDIED_AT, write_meta
from codeindex.tasks import Action, Item, ItemOutcome, Priority, Queue, Rates, Scope
from codeindex.tasks.model import host_id
from codeindex.vectors.store import VectorStore
from codeindex.vectors.table import VectorTable
from codeindex.worker.backlog import Backlog
from codeindex.worker.embed_batches import EmbeddingWork
from codeindex.worker.pipeline import Parsed, RateMeter, read_and_parse, unindexed_record
from codeindex.workspace import SkipFile, Workspace

log = logging.getLogger(__name__)

CLAIM_BATCH = 16
IDLE_POLL_SECONDS = 0.05
IDLE_POLL_WITH_DOORBELL_SECONDS = 0.5
MAINTAIN_WHEN_QUIET_SECONDS = 2.0
BOOSTS_SECONDS = 0.5


class Worker(EmbeddingWork):
    """Drains the queue of one workspace while it holds the lease."""

    def __init__(
        self,
        storage: Storage,
        workspace: Workspace,
        settings: Settings,
        loader: ModelLoader,
        vectors: VectorStore,
        *,
        reservation: str | None = None,
        on_change: Callable[[], None] | None = None,
        on_model_change: Callable[[int], Awaitable[None]] | None = None,
        on_lease: Callable[[str], AbstractAsyncContextManager[object]] | None = None,
        busy: Callable[[], bool] | None = None,
    ) -> None:
        """`reservation` is the lease its starter took on its behalf (`Supervisor`);
        `on_lease(owner)` gives what runs beside the worker while it holds the lease
        (the file watcher): entered when the lease is taken, left before it is released;
        `busy()` True keeps an idle background worker from leaving (queries being served)."""
        self.storage = storage
        self.queue = Queue(storage)
        self.workspace = workspace
        self.settings = settings
        self.loader = loader
        self.models = loader.registry
        self.vectors = vectors
        self.owner = f"{host_id()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.wake = asyncio.Event()
        self._doorbell = doorbell.Listener(settings.data_dir, self.wake)
        self.idle = asyncio.Event()
        self.on_change = on_change or (lambda: None)
        self.on_model_change = on_model_change
        self.on_lease = on_lease
        self.busy = busy or (lambda: False)
        self.backlog = Backlog()
        self._progress_at = 0.0
        self._unflushed: list[tuple[str, npt.NDArray[np.float32]]] = []
        self._last_flush = time.monotonic()
        self._dirty_vectors = False
        self._dirty_db = False
        self._lost = False
        self._retired = False
        self._model: tuple[Embedder, int, VectorTable] | None = None
        self._model_error: ModelUnavailable | None = None
        self._vectors_error: VectorStoreUnavailable | None = None
        self._write_failed = False
        self._vectors_failed_at = 0.0
        self.shared_looked_up = 0
        self.shared_hits = 0
        self._shared_embedded_from = 0
        self._engine_down: EngineUnavailable | None = None
        self._engine_retry_at = 0.0
        self._engine_backoff = 0.0
        self._engine_probe: asyncio.Task[None] | None = None
        self.rates = RateMeter()
        self.weights = Rates()
        self.texts_embedded = 0
        self._boosts_read = 0.0
        self.reservation = reservation

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
        while not await self.queue.acquire_lease(
            self.owner, ttl, self.settings.index_key(), reservation=self.reservation
        ):
            # A background worker that lost a start-up race with another front-end's leaves
            # at once; one started to succeed a worker that is handing over waits for it.
            if exit_when_idle and not await self.queue.retire_requested():
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=min(1.0, ttl / 4))
            if stop.is_set():
                return False
        log.info("worker %s holds the lease", self.owner)
        self.weights = await Rates.load(self.storage)
        renewer = asyncio.create_task(self._renew(ttl), name="codeindex-lease")
        self._doorbell.open()
        companion = self.on_lease(self.owner) if self.on_lease else contextlib.nullcontext()
        try:
            async with companion:
                await self._drain(exit_when_idle=exit_when_idle, linger=linger, stop=stop)
        except LeaseLost:
            log.error("worker %s was replaced by another; it stops writing", self.owner)
            self._lost = True
        finally:
            self._doorbell.close()
            if self._engine_probe is not None:
                self._engine_probe.cancel()
                self._engine_probe = None
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
            crash_point("renew")
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
            await self._follow_boosts()
            await self._watch_engine()
            best_text = self.backlog.best_priority()
            best_item = await self.queue.best_pending_priority()
            if best_item is not None and (
                best_text is None
                or best_item < best_text
                or (best_item == best_text and not self.backlog.full)
            ):
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
            await self._check_vectors()
            idle_since = idle_since or time.monotonic()
            quiet = time.monotonic() - idle_since
            # an editor or agent session keeps its worker (and the watcher beside it)
            leaving = (
                exit_when_idle
                and quiet >= linger
                and not self.busy()
                and not await self._clients_alive()
            )
            if (self._dirty_vectors or self._dirty_db) and (
                leaving or quiet >= MAINTAIN_WHEN_QUIET_SECONDS
            ):
                # not after every small task: an editor saving a file again soon would
                # find the worker busy compacting instead of indexing
                await self._maintain()
                await self._tidy()
            if leaving and not await self.queue.has_runnable():
                return
            self.idle.set()
            self.wake.clear()
            poll = (
                IDLE_POLL_WITH_DOORBELL_SECONDS if self._doorbell.listening else IDLE_POLL_SECONDS
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=poll)

    async def _clients_alive(self) -> bool:
        """Drop dead clients (and their boosts); True when a live one remains."""
        await self.queue.expire_clients()
        return await self.queue.live_clients() > 0

    async def _follow_boosts(self) -> None:
        """Files an editor opened after the worker claimed them go first in the backlog too."""
        if not self.backlog.waiting or time.monotonic() - self._boosts_read < BOOSTS_SECONDS:
            return
        self._boosts_read = time.monotonic()
        boosted = await self.queue.boosted_paths()
        if boosted:
            self.backlog.raise_paths(boosted, Priority.HIGH)

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
            stored = await self.storage.apply_files(
                [r for _, r in records], deletes, fence=self.owner
            )
        except LeaseLost:
            raise
        except Exception as exc:
            log.exception("could not store a batch of %d files", len(items))
            await self._finish([], [(i, f"could not store: {exc}") for i in items])
            return
        await self.queue.cleared(items)  # a suspect read and parsed alone: innocent
        self.on_change()
        pending: list[tuple[Item, ItemOutcome, list[tuple[str, str]], bool]] = []
        for (item, record), (_, n_symbols, n_chunks) in zip(records, stored, strict=True):
            if record.index_status == "indexed":
                outcome = ItemOutcome(symbols=n_symbols, chunks=n_chunks)
                embed = record.embed_skip is None  # else: not searched by meaning
                hashes = (
                    [
                        (c.content_hash, embed_text(item.path, c.context, c.text))
                        for c in record.chunks
                    ]
                    if embed
                    else []
                )
                pending.append((item, outcome, hashes, False))
        for item in items:
            if item.action is Action.EMBED:
                hashes = [
                    (c.content_hash, embed_text(c.path, c.context, c.text))
                    for c in await self.storage.chunk_texts_of(item.path)
                ]
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
            crash_point("parse", item.path)
            try:
                results.append(read_and_parse(self.workspace, self.settings, item.path))
            except Exception as exc:  # one bad file never stops the batch (invariant 9)
                log.exception("parsing %s failed", item.path)
                results.append(exc)
        return results

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
        if model is None or self._engine_down is not None:
            down = self._engine_down
            if down is not None:
                reason = f"embeddings pending: {down.reason}"
            elif self._vectors_error is not None:
                reason = f"vectors unavailable: {self._vectors_error.message}"
            else:
                why = self._model_error.reason if self._model_error else "no model"
                reason = f"embedding model unavailable: {why}"
            for item, outcome, hashes, required in pending:
                if required and hashes:
                    failed.append((item, reason))
                else:
                    done.append((item, outcome))
            return waits, done, failed
        _, model_id, table = model
        every = list({h for _, _, hashes, _ in pending for h, _ in hashes})
        have = await self.storage.embedded_among(model_id, every)
        buffered = self._buffered()
        unknown = [
            h for h in every if h not in have and h not in buffered and h not in self.backlog
        ]
        have |= await self._found_in_store(model_id, table, unknown)
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
        await self.queue.finish_items(done, failed, on_end=self._on_tasks_ended, fence=self.owner)
        self._dirty_db = True
        self.on_change()

    async def _tidy(self) -> None:
        """While idle: keep index.db from growing with every reindex (the data dir stays the
        size of the index): old task history goes, free pages and the WAL are given back."""
        if not self._dirty_db:
            return
        self._dirty_db = False
        try:
            await self.queue.prune_history()
            await self.storage.reclaim_space()
            await self.storage.meta.set(TIDIED_AT, time.time())
        except LeaseLost:
            raise
        except Exception:
            log.exception("tidying index.db failed; trying again after the next task")

    async def _on_tasks_ended(self, db: Any, task_ids: list[str], now: float) -> None:
        """Record a finished full index; flip the active model once it has every vector.

        Runs in the transaction that ends the tasks: a client that sees its embeddings-only
        task end already gets answers from the new model's table (invariant 8).
        """
        meta = self._shared_summary()
        for task_id in task_ids:
            task = await self.queue.get(task_id)  # scope and options never change
            if task.scope is Scope.PROJECT and not task.embeddings_only:
                meta.append(LAST_FULL_INDEX.entry(now))
        if self._model is not None:
            _, model_id, _ = self._model
            active = await self.models.active()
            if active is None or active.id != model_id:
                _, pending = await self.storage.pending_counts(model_id)
                if pending == 0 and not len(self.backlog) and not self._unflushed:
                    meta.append(ACTIVE_MODEL.entry(model_id))
                    log.info("active embedding model is now %s", model_id)
        await write_meta(db, meta)
