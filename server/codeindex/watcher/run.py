"""The watcher beside the worker: file events and reconciling passes become incremental tasks.

Entered when the worker takes the lease, left before it releases it (`Worker(on_lease=)`),
so exactly one runs per workspace, whatever mix of front-ends is alive. watchfiles' Rust
side watches the tree from a thread of its own and gathers events into a set (one entry per
path and kind: a burst of writes to many files is bounded by the number of files); this
side takes a batch once no new event arrived for `watch.debounce_ms` (at most 20 times as
long after the first), sorts it in a thread and queues its tasks. The OS may drop events
without telling anyone, and nothing watches while no worker runs: a reconciling pass (an
incremental pass over the whole tree at low priority, stat first, hash only what differs)
runs when the lease is taken and every `watch.reconcile_seconds`, each once no task is
queued, running or paused, and queues nothing when nothing changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType

from watchfiles import Change
from watchfiles._rust_notify import RustNotify

from codeindex.aio import spawn
from codeindex.tasks import Priority, Scope
from codeindex.watcher.changes import ChangeSink, sort_and_queue
from codeindex.watcher.record import Recorder

log = logging.getLogger(__name__)

TIMEOUT_MS = 1_000  # an idle watcher still writes its last counts within about a second
STOP_SECONDS = 10.0
QUEUE_POLL_SECONDS = 1.0
MAX_DEBOUNCE_FACTOR = 20


class Watcher:
    """Watches one workspace and reconciles it while its worker holds the lease."""

    def __init__(self, service: ChangeSink, owner: str) -> None:
        self.service = service
        self.settings = service.settings
        self.recorder = Recorder(service.storage, owner)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pool: ThreadPoolExecutor | None = None

    async def __aenter__(self) -> Watcher:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="codeindex-watch")
        self._task = spawn(self._run(), name="codeindex-watcher", what="the file watcher")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        task = self._task
        if task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(task), STOP_SECONDS)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            except Exception:
                pass  # logged by spawn
        with contextlib.suppress(Exception):
            await self.recorder.stopped()
        if self._pool is not None:
            self._pool.shutdown(wait=False)

    # ---- watching --------------------------------------------------------

    def _open(self) -> RustNotify:
        # The Rust side walks the tree to add its watches: in a thread, not on the loop.
        return RustNotify([str(self.service.workspace.root)], False, False, 300, True, True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        notify: RustNotify | None = None
        error = None
        try:
            notify = await loop.run_in_executor(self._pool, self._open)
        except Exception as exc:  # inotify limits, a root that vanished, ...
            error = (
                f"cannot watch files ({type(exc).__name__}: {exc}); reconciling passes still "
                "keep the index fresh (raise fs.inotify.max_user_watches to watch again)"
            )
            log.warning("%s", error)
        await self.recorder.started(error)
        reconciler = spawn(
            self._reconcile_loop(), name="codeindex-reconcile", what="the reconciling passes"
        )
        try:
            if notify is not None:
                await self._watch(notify)
            await self._stop.wait()
        finally:
            reconciler.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reconciler
            if notify is not None:
                with contextlib.suppress(Exception):
                    await loop.run_in_executor(self._pool, notify.close)

    async def _watch(self, notify: RustNotify) -> None:
        loop = asyncio.get_running_loop()
        step = max(1, self.settings.watch_debounce_ms)
        while not self._stop.is_set():
            try:
                raw = await loop.run_in_executor(
                    self._pool,
                    notify.watch,
                    step * MAX_DEBOUNCE_FACTOR,
                    step,
                    TIMEOUT_MS,
                    self._stop,
                )
            except Exception as exc:
                log.exception("the file watcher stopped")
                await self.recorder.failed(
                    f"the file watcher stopped ({type(exc).__name__}: {exc}); reconciling "
                    "passes still keep the index fresh"
                )
                return
            try:
                if not isinstance(raw, str):  # else 'timeout', 'stop' or 'signal'
                    await self._handle(raw)
                await self.recorder.flush_if_due()
            except Exception:  # a locked database, say: these changes wait for a reconciliation
                log.exception("the watcher could not queue a batch; the next reconciliation will")

    async def _handle(self, raw: set[tuple[int, str]]) -> None:
        changes, created = await sort_and_queue(
            self.service, [(Change(kind), path) for kind, path in raw], "watcher"
        )
        if changes.events:
            log.info(
                "watcher: %d event(s), %d ignored, %d task(s) queued",
                changes.events,
                changes.ignored,
                len(created),
            )
            await self.recorder.batch(changes.events, len(created))

    # ---- reconciling -----------------------------------------------------

    async def _reconcile_loop(self) -> None:
        period = self.settings.watch_reconcile_seconds
        while True:
            if await self.service.queue.count_unfinished():
                # a pass now would queue files in hand a second time, or resume the work of
                # a paused task: once every task has ended
                await asyncio.sleep(QUEUE_POLL_SECONDS)
                continue
            await self.reconcile()
            if period <= 0:
                return
            await asyncio.sleep(period)

    async def reconcile(self) -> str | None:
        """One incremental pass over the whole tree; the id of its task, None when unchanged."""
        started = time.perf_counter()
        try:
            task = await self.service.queue_changes(
                Scope.PROJECT, [], priority=Priority.LOW, source="reconciliation"
            )
        except Exception:
            log.exception("a reconciling pass failed; the next one tries again")
            return None
        took = time.perf_counter() - started
        changed = task.items_total if task is not None else 0
        log.info("reconciliation took %.3f s and found %d changed file(s)", took, changed)
        await self.recorder.reconciled(took, changed, task.id if task is not None else None)
        return task.id if task is not None else None
