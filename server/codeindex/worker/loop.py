"""The worker: the one lease holder per workspace that drains reindex items.

For each item: read -> hash -> parse (in a thread) -> swap the file's rows in
one transaction; its chunk texts without a vector join a backlog that is
embedded in batches of similar length across files (`Embedding`, composed in), and
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
from typing import Any

from codeindex.config import Settings
from codeindex.embedding.context import embed_text
from codeindex.embedding.loader import ModelLoader
from codeindex.faults import crash_point
from codeindex.ipc import doorbell
from codeindex.storage import LeaseLost, Storage
from codeindex.storage.meta import LAST_FULL_INDEX, TIDIED_AT, write_meta
from codeindex.tasks import Action, Item, ItemOutcome, Queue, Scope
from codeindex.tasks.model import host_id
from codeindex.tasks.speeds import model_key
from codeindex.vectors.store import VectorStore
from codeindex.worker.backlog import Pending
from codeindex.worker.embedding_work import Embedding, Settled
from codeindex.worker.estimates import Estimates
from codeindex.worker.pipeline import Rows, parse_items, texts_to_embed
from codeindex.workspace import Workspace

log = logging.getLogger(__name__)

CLAIM_BATCH = 16
IDLE_POLL_SECONDS = 0.05
IDLE_POLL_WITH_DOORBELL_SECONDS = 0.5
MAINTAIN_WHEN_QUIET_SECONDS = 2.0


class Worker:
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
        `on_model_change(model_id)` queues the task that fills a model's table;
        `on_lease(owner)` gives what runs beside the worker while it holds the lease
        (the file watcher): entered when the lease is taken, left before it is released;
        `busy()` True keeps an idle background worker from leaving (queries being served)."""
        self.storage = storage
        self.queue = Queue(storage)
        self.workspace = workspace
        self.settings = settings
        self.owner = f"{host_id()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.wake = asyncio.Event()
        self._doorbell = doorbell.Listener(settings.data_dir, self.wake)
        self.idle = asyncio.Event()
        self.on_change = on_change or (lambda: None)
        self.on_lease = on_lease
        self.busy = busy or (lambda: False)
        key = model_key(loader.registry.settings_key())
        self.estimates = Estimates(storage, self.queue, key, self.owner)
        self.embedding = Embedding(
            storage,
            self.queue,
            settings,
            loader,
            vectors,
            owner=self.owner,
            estimates=self.estimates,
            fill=on_model_change,
        )
        self._dirty_db = False
        self._lost = False
        self._retired = False
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
        await self.estimates.load()
        renewer = asyncio.create_task(self._renew(ttl), name="codeindex-lease")
        self._doorbell.open()
        companion = self.on_lease(self.owner) if self.on_lease else contextlib.nullcontext()
        try:
            async with companion:
                await self._drain(exit_when_idle=exit_when_idle, linger=linger, stop=stop)
        except LeaseLost as exc:
            log.error("worker %s stops writing: %s", self.owner, exc)
            self._lost = True
        finally:
            self._doorbell.close()
            self.embedding.close()
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            if not self._lost:
                with contextlib.suppress(Exception):
                    await self._settle(await self.embedding.flush(force=True))
                await asyncio.shield(self.queue.release_lease(self.owner))
        return True

    async def _renew(self, ttl: float) -> None:
        while True:
            await asyncio.sleep(ttl / 3)
            crash_point("renew")
            gone = await asyncio.to_thread(self.settings.gone)
            if gone is not None:
                # writing on would fill an unlinked index.db and re-create the vectors folder
                log.error("%s; worker %s stops and writes nothing more", gone, self.owner)
                self._lost = True
                self.wake.set()
                return
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
        self.estimates.start()
        while not stop.is_set() and not self._lost:
            if await self._hands_over(exit_when_idle):
                return
            if not self.idle.is_set():
                idle_since = None
            self.idle.clear()
            if await self._step():
                continue
            await self.estimates.save()
            await self.embedding.ensure_model()  # once, while idle: the next request finds it
            await self.embedding.check_table()
            idle_since = idle_since or time.monotonic()
            if await self._leaves(time.monotonic() - idle_since, exit_when_idle, linger):
                return
            self.idle.set()
            self.wake.clear()
            poll = (
                IDLE_POLL_WITH_DOORBELL_SECONDS if self._doorbell.listening else IDLE_POLL_SECONDS
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=poll)
            self.estimates.start()

    async def _hands_over(self, exit_when_idle: bool) -> bool:
        """A client with other settings asked for a hand-over: True when this worker goes."""
        if not await self.queue.retire_requested(self.owner):
            return False
        if exit_when_idle:
            # a client with other settings started a worker of its own: hand over now
            # (items in hand go back to pending when the lease is released)
            log.info("worker %s hands over to a worker with newer settings", self.owner)
            self._retired = True
            return True
        # a foreground or editor-hosted worker keeps serving: its owner restarts it
        log.warning(
            "a client with other settings asked this worker to hand over; restart it to apply them"
        )
        await self.queue.decline_retire(self.owner)
        return False

    async def _step(self) -> bool:
        """One step of work: items, a batch of texts or a flush; False when there was none."""
        if await self.embedding.follow_task_states():
            self.on_change()
        await self.embedding.follow_boosts()
        await self.embedding.watch_engine()
        backlog = self.embedding.backlog
        best_text = backlog.best_priority()
        best_item = await self.queue.best_pending_priority()
        if best_item is not None and (
            best_text is None
            or best_item < best_text
            or (best_item == best_text and not backlog.full and not self._probing())
        ):
            items = await self.queue.claim(CLAIM_BATCH, self.owner)
            if items:
                await self._process(items)
                self.estimates.indexed(items)
                await self.embedding.renew_estimates()
            return True
        if best_text is not None:
            await self._settle(await self.embedding.next_batch())
            self.estimates.embedded(self.embedding.batch_chars)
            await self.embedding.renew_estimates()
            return True
        if self.embedding.unflushed:
            await self._settle(await self.embedding.flush(force=True))
            return True
        return False

    async def _leaves(self, quiet: float, exit_when_idle: bool, linger: float) -> bool:
        """Idle for `quiet` seconds: maintain the index now and then; True when it leaves."""
        # an editor or agent session keeps its worker (and the watcher beside it)
        leaving = (
            exit_when_idle
            and quiet >= linger
            and not self.busy()
            and not await self._clients_alive()
        )
        if (self.embedding.dirty or self._dirty_db) and (
            leaving or quiet >= MAINTAIN_WHEN_QUIET_SECONDS
        ):
            # not after every small task: an editor saving a file again soon would
            # find the worker busy compacting instead of indexing
            if self.embedding.dirty:
                await self.embedding.maintain()
            await self._tidy()
        return leaving and not await self.queue.has_runnable()

    def _probing(self) -> bool:
        """True while the model's speed is too little known: texts waiting are embedded
        before more files are parsed (`estimates`)."""
        return self.embedding.model is not None and self.estimates.probing()

    async def _clients_alive(self) -> bool:
        """Drop dead clients (and their boosts); True when a live one remains."""
        await self.queue.expire_clients()
        return await self.queue.live_clients() > 0

    # ---- items ------------------------------------------------------------

    async def _process(self, items: list[Item]) -> None:
        """Parse a batch of items in a thread, swap their rows in one transaction."""
        rows = await asyncio.to_thread(parse_items, self.workspace, self.settings, items)
        try:
            stored = await self.storage.apply_files(
                [r for _, r in rows.records], rows.deletes, fence=self.owner
            )
        except LeaseLost:
            raise
        except Exception as exc:
            log.exception("could not store a batch of %d files", len(items))
            await self._finish([], [(i, f"could not store: {exc}") for i in items])
            return
        await self.queue.cleared(items)  # a suspect read and parsed alone: innocent
        self.on_change()
        pending = await self._texts_of(items, rows, stored)
        waits, settled = await self.embedding.sort_out(pending)
        left = {
            item.id: sum(self.embedding.cost(texts[h]) for h in missing)
            for item, _, texts, missing in waits
        }
        for item in items:
            self.estimates.parsed(item, left.get(item.id, 0))
        backlog = self.embedding.backlog
        for item, outcome, texts, missing in waits:
            backlog.wait(item, outcome, texts, missing, self.embedding.buffered())
        await self._finish(rows.done + settled.done, rows.failed + settled.failed)

    async def _texts_of(
        self, items: list[Item], rows: Rows, stored: list[tuple[int, int, int]]
    ) -> list[Pending]:
        """The chunk texts each item may need a vector for: an indexed file's, an
        embeddings-only item's (from SQLite)."""
        pending = texts_to_embed(rows.records, stored)
        for item in items:
            if item.action is Action.EMBED:
                hashes = [
                    (c.content_hash, embed_text(c.path, c.context, c.text))
                    for c in await self.storage.chunk_texts_of(item.path)
                ]
                pending.append((item, ItemOutcome(), hashes, True))
        return pending

    async def _settle(self, settled: Settled) -> None:
        """Mark what the embedding side settled (its vectors are written)."""
        if settled:
            await self._finish(settled.done, settled.failed)

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
        meta = await self.embedding.meta_at_task_end()
        for task_id in task_ids:
            task = await self.queue.get(task_id)  # scope and options never change
            if task.scope is Scope.PROJECT and not task.embeddings_only:
                meta.append(LAST_FULL_INDEX.entry(now))
        await write_meta(db, meta)
