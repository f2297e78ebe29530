"""The one core every front-end calls: reindex, task control, search, status, validate.

The CLI, the language server and the MCP server each translate their protocol
into calls on `CodeIndexService` and turn its plain results (dicts shaped as
the reindex contract says) into their own messages. Nothing here knows about
a protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from codeindex import doorbell
from codeindex.config import Settings, load_settings
from codeindex.models import ModelManager
from codeindex.pipeline import parser_version
from codeindex.planner import plan
from codeindex.search import (
    MODES,
    Hit,
    SearchError,
    SearchResult,
    SemanticSearcher,
    SymbolHit,
    annotate_freshness,
    fuse,
    lexical,
    symbols,
)
from codeindex.status import index_status, iso
from codeindex.storage import Storage
from codeindex.tasks import (
    Action,
    PlannedItem,
    Priority,
    Queue,
    Rates,
    Scope,
    Task,
    TaskStatus,
)
from codeindex.vectors import VectorStore
from codeindex.worker import Worker
from codeindex.workspace import Workspace

log = logging.getLogger(__name__)

WAIT_POLL_SECONDS = 0.05
WAIT_QUICK_SECONDS = 2.0
WAIT_QUICK_POLL_SECONDS = 0.01


class CodeIndexService:
    """A workspace's index, its queue and its worker, behind one API."""

    def __init__(self, settings: Settings, storage: Storage) -> None:
        self.settings = settings
        self.storage = storage
        self.queue = Queue(storage)
        self.workspace = Workspace(
            settings.root, settings.data_dir, max_file_bytes=settings.max_file_size
        )
        self.models = ModelManager(storage, settings)
        self.vectors = VectorStore(settings.vectors_path)
        self.searcher = SemanticSearcher(storage, self.models, self.vectors)
        self.worker: Worker | None = None
        self._worker_task: asyncio.Task[None] | None = None
        self._worker_stop = asyncio.Event()
        self.changed = asyncio.Event()

    @classmethod
    async def open(
        cls, root: Path | str, overrides: Mapping[str, Any] | None = None
    ) -> CodeIndexService:
        """Open (creating if needed) the index of the workspace at `root`."""
        settings = load_settings(root, overrides)
        storage = await Storage.open(settings.db_path)
        return cls(settings, storage)

    async def close(self) -> None:
        """Stop the in-process worker (if any) and close the database."""
        await self.stop_worker()
        await self.storage.close()

    # ---- the worker ------------------------------------------------------

    def _notify(self) -> None:
        self.changed.set()

    def start_worker(
        self, *, exit_when_idle: bool = False, linger: float = 0.0
    ) -> asyncio.Task[None]:
        """Run a worker in this process; it waits for the lease if another process holds it."""
        if self._worker_task is not None and not self._worker_task.done():
            return self._worker_task
        self._worker_stop = asyncio.Event()
        self.worker = Worker(
            self.storage,
            self.workspace,
            self.settings,
            self.models,
            self.vectors,
            on_change=self._notify,
            on_model_change=self._fill_new_model,
        )
        worker = self.worker

        async def run() -> None:
            try:
                await worker.run(
                    exit_when_idle=exit_when_idle, linger=linger, stop=self._worker_stop
                )
            except Exception:
                log.exception("the worker stopped with an error")
                raise

        self._worker_task = asyncio.create_task(run(), name="codeindex-worker")
        return self._worker_task

    def request_worker_stop(self) -> None:
        """Ask the in-process worker to stop after its current step (signal-safe)."""
        self._worker_stop.set()
        if self.worker is not None:
            self.worker.wake.set()

    async def _fill_new_model(self, model_id: int) -> None:
        """The configured model is not the active one: queue the task that fills its table.

        Queries keep using the active model until that task completes (invariant 8).
        """
        unfinished = await self.storage.scalar(
            "SELECT count(*) FROM reindexing_tasks WHERE scope = 'embeddings-only' "
            "AND status IN ('Queued', 'Running', 'Paused')"
        )
        if not unfinished:
            resp = await self.force_reindex("embeddings-only", priority="low")
            log.info("embedding model changed: queued %s to fill its table", resp["task_id"])

    async def stop_worker(self) -> None:
        """Stop the in-process worker after its current step and release the lease."""
        task = self._worker_task
        if task is None:
            return
        self._worker_stop.set()
        if self.worker is not None:
            self.worker.wake.set()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await task
        self._worker_task = None

    @property
    def runs_worker(self) -> bool:
        """True while this process runs a worker task."""
        return self._worker_task is not None and not self._worker_task.done()

    async def worker_alive(self) -> bool:
        """True when some process holds an unexpired worker lease."""
        return await self.queue.live_lease() is not None

    async def retire_mismatched_worker(self) -> bool:
        """Ask a live worker of this host that serves with other settings to hand over.

        Only a background worker (`--exit-when-idle`) agrees; it stops between two steps
        and gives its unfinished items back. True when one was asked.
        """
        lease = await self.queue.live_lease()
        if (
            lease is None
            or lease.settings_key == self.settings.worker_key()
            or lease.hostname != socket.gethostname()
        ):
            return False
        asked = await self.queue.request_retire(lease.owner)
        doorbell.ring(self.settings.data_dir)
        return asked

    def _wake_worker(self) -> None:
        """Work was committed: wake the worker, in this process or (by its doorbell) another."""
        if self.runs_worker and self.worker is not None:
            self.worker.wake.set()
        else:
            doorbell.ring(self.settings.data_dir)

    # ---- force_reindex and companions -------------------------------------

    async def force_reindex(
        self,
        scope: str,
        paths: Sequence[str] = (),
        *,
        priority: str = "normal",
        embeddings_only: bool = False,
        async_: bool = True,
        incremental: bool = False,
        recursive: bool = True,
        on_progress: Callable[[dict[str, Any]], Awaitable[None] | None] | None = None,
        worker_grace: float = 0.0,
    ) -> dict[str, Any]:
        """Create a reindex task; return at once (async) or when it ends (sync).

        Sync: when no process runs a worker (for `worker_grace` seconds), one runs here.
        """
        try:
            scope_enum = Scope(scope)
        except ValueError:
            raise ValueError(
                f"scope must be one of {', '.join(s.value for s in Scope)}; got {scope!r}"
            ) from None
        prio = Priority.parse(priority)
        if isinstance(paths, str):
            paths = [paths]
        version = parser_version(self.settings)
        embed_only = embeddings_only or scope_enum is Scope.EMBEDDINGS_ONLY
        planned = await plan(
            self.storage,
            self.workspace,
            scope=scope_enum,
            paths=list(paths),
            recursive=recursive,
            embeddings_only=embed_only,
            incremental=incremental,
            parser_version=version,
        )
        items = await self._weigh(planned.items)
        estimate = round(sum(i.weight for i in items), 2)
        message = f"{len(planned.items)} file(s) queued"
        if incremental:
            message += f", {planned.unchanged} unchanged skipped"
        if not planned.items:
            message = "nothing to do: every file is up to date" if incremental else "nothing to do"
        active = await self.models.active()
        task = await self.queue.create(
            scope=scope_enum,
            target_paths=planned.target_paths,
            recursive=recursive,
            embeddings_only=embed_only,
            incremental=incremental,
            priority=prio,
            items=items,
            model_id=active.id if active is not None else None,
            estimate=estimate,
            message=message,
        )
        self._wake_worker()
        if not async_ and not task.finished:
            await self.wait(task.id, on_progress=on_progress, worker_grace=worker_grace)
        return await self.reindex_response(task.id, with_result=not async_)

    async def _weigh(self, items: Sequence[PlannedItem]) -> list[PlannedItem]:
        """Give each item its estimated seconds, from the rates measured on this index.

        Progress is weighted by these, so it tracks time, not file counts.
        """
        if not items:
            return []
        rates = await Rates.load(self.storage)
        known = {
            str(r[0]): int(r[1])
            for r in await self.storage.fetchall("SELECT path, size FROM files")
        }
        chunk_chars: dict[str, int] = {}
        if any(i.action is Action.EMBED for i in items):
            chunk_chars = {
                str(r[0]): int(r[1])
                for r in await self.storage.fetchall(
                    "SELECT f.path, sum(length(c.text)) FROM chunks c "
                    "JOIN files f ON f.id = c.file_id GROUP BY f.path"
                )
            }
        weighed = []
        for item in items:
            if item.action is Action.INDEX:
                new_text = known.get(item.path) != item.size
                weight = rates.weight(item.size, item.size if new_text else 0)
            elif item.action is Action.EMBED:
                weight = rates.weight(0, chunk_chars.get(item.path, 0))
            else:
                weight = rates.weight()
            weighed.append(replace(item, weight=weight))
        return weighed

    async def reindex_response(self, task_id: str, *, with_result: bool) -> dict[str, Any]:
        """The force_reindex response for a task, with its result when asked (sync)."""
        task = await self.queue.get(task_id)
        response = self._response(task)
        if with_result:
            response["result"] = await self._result(task)
        return response

    def _response(self, task: Task) -> dict[str, Any]:
        return {
            "task_id": task.id,
            "scope": task.scope_object(),
            "status": task.status.value,
            "items_total": task.items_total,
            "items_queued": task.items_pending,
            "estimated_duration_seconds": task.estimated_duration_seconds,
            "message": task.message,
            "result": None,
        }

    async def _result(self, task: Task) -> dict[str, Any]:
        failures = await self.queue.failures(task.id)
        duration = (task.completed_at or time.time()) - (task.started_at or task.created_at)
        return {
            "items_completed": task.items_completed,
            "items_failed": task.items_failed,
            "duration_seconds": round(duration, 3),
            "failures": [{"path": f.path, "error": f.error} for f in failures],
            "summary": task.summary(),
        }

    async def wait(
        self,
        task_id: str,
        *,
        on_progress: Callable[[dict[str, Any]], Awaitable[None] | None] | None = None,
        ensure_worker: bool = True,
        worker_grace: float = 0.0,
    ) -> Task:
        """Wait until a task ends, reporting its status as it changes.

        With ensure_worker, a worker is started in this process when no process has run
        one for `worker_grace` seconds (time for a worker process just spawned to start).
        """
        last: tuple[Any, ...] | None = None
        started = time.monotonic()
        while True:
            task = await self.queue.get(task_id)
            if on_progress is not None:
                key = (
                    task.status,
                    task.progress,
                    task.items_completed,
                    task.items_failed,
                    task.current_path,
                )
                if key != last:
                    last = key
                    maybe = on_progress(await self._status_of(task))
                    if maybe is not None:
                        await maybe
            if task.finished:
                return task
            if (
                ensure_worker
                and not self.runs_worker
                and time.monotonic() - started >= worker_grace
                and not await self.worker_alive()
            ):
                self.start_worker(exit_when_idle=True)
            self.changed.clear()
            # a short task is seen done at once; a long one is not polled for nothing
            quick = time.monotonic() - started < WAIT_QUICK_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self.changed.wait(),
                    timeout=WAIT_QUICK_POLL_SECONDS if quick else WAIT_POLL_SECONDS,
                )

    async def _status_of(self, task: Task) -> dict[str, Any]:
        now = time.time()
        eta = None
        if task.started_at and 0 < task.progress < 1 and not task.finished:
            elapsed = now - task.started_at
            eta = round(elapsed * (1 - task.progress) / task.progress, 1)
        failures = await self.queue.failures(task.id, limit=20)
        return {
            "task_id": task.id,
            "scope": task.scope_object(),
            "status": task.status.value,
            "priority": Priority(task.priority).name.lower(),
            "progress": round(task.progress, 4),
            "items_total": task.items_total,
            "items_completed": task.items_completed,
            "items_failed": task.items_failed,
            "items_cancelled": task.items_cancelled,
            "items_pending": task.items_pending,
            "current_file": task.current_path,
            "created_at": iso(task.created_at),
            "started_at": iso(task.started_at),
            "completed_at": iso(task.completed_at),
            "eta_seconds": eta,
            "estimated_duration_seconds": task.estimated_duration_seconds,
            "message": task.message,
            "error_message": task.error_message,
            "failures": [{"path": f.path, "error": f.error} for f in failures],
            "summary": task.summary(),
        }

    async def get_reindex_status(self, task_id: str) -> dict[str, Any]:
        """Status, progress, counts, current file, ETA, failures and summary of one task."""
        return await self._status_of(await self.queue.get(task_id))

    async def list_reindex_tasks(
        self, status: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Tasks, newest first, optionally filtered by status."""
        wanted = None
        if status:
            try:
                wanted = TaskStatus(status[:1].upper() + status[1:].lower())
            except ValueError:
                raise ValueError(
                    f"status must be one of {', '.join(s.value for s in TaskStatus)}; "
                    f"got {status!r}"
                ) from None
        tasks = await self.queue.list_tasks(wanted, limit)
        return [
            {
                "task_id": t.id,
                "scope": t.scope_object(),
                "status": t.status.value,
                "progress": round(t.progress, 4),
                "items_total": t.items_total,
                "items_completed": t.items_completed,
                "items_failed": t.items_failed,
                "created_at": iso(t.created_at),
                "completed_at": iso(t.completed_at),
                "message": t.message,
            }
            for t in tasks
        ]

    async def pause_reindex(self, task_id: str) -> dict[str, Any]:
        """Hold a task between items."""
        task = await self.queue.pause(task_id)
        self._wake_worker()
        return await self._status_of(task)

    async def resume_reindex(self, task_id: str) -> dict[str, Any]:
        """Let a paused task go on."""
        task = await self.queue.resume(task_id)
        self._wake_worker()
        return await self._status_of(task)

    async def cancel_reindex(self, task_id: str) -> dict[str, Any]:
        """Stop a task; what it already wrote stays (each file is whole, old or new)."""
        task = await self.queue.cancel(task_id)
        self._wake_worker()
        return await self._status_of(task)

    async def boost(self, paths: Sequence[str]) -> int:
        """Files open in an editor: their items go first (invariant 5)."""
        resolved = []
        for path in paths:
            with contextlib.suppress(ValueError):
                resolved.append(self.workspace.resolve(path))
        changed = await self.queue.boost(resolved)
        self._wake_worker()
        return changed

    # ---- queries ---------------------------------------------------------

    async def search(
        self,
        query: str,
        *,
        mode: str | None = None,
        limit: int = 10,
        path: str | None = None,
        language: str | None = None,
    ) -> SearchResult:
        """Semantic, lexical or hybrid search (hybrid by default once vectors exist)."""
        started = time.perf_counter()
        if mode is not None and mode not in MODES:
            raise SearchError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
        if limit < 1 or limit > 1000:
            raise SearchError(f"limit must be between 1 and 1000; got {limit}")
        prefix = self.workspace.resolve(path) if path else None
        active = await self.models.active()
        note = None
        chosen = mode or ("hybrid" if active is not None else "lexical")
        if mode is None and active is None:
            note = "semantic search unavailable: nothing embedded yet; showing full-text results"
        if chosen == "lexical":
            hits = await lexical(
                self.storage, query, limit=limit, path_prefix=prefix, language=language
            )
        elif chosen == "semantic":
            hits = await self.searcher.search(
                query, limit=limit, path_prefix=prefix, language=language
            )
        else:
            depth = max(limit * 3, 30)
            lex, sem_or_error = await asyncio.gather(
                lexical(self.storage, query, limit=depth, path_prefix=prefix, language=language),
                self.searcher.search(query, limit=depth, path_prefix=prefix, language=language),
                return_exceptions=True,
            )
            if isinstance(lex, BaseException):
                raise lex
            if isinstance(sem_or_error, SearchError) and mode != "hybrid":
                sem: list[Hit] = []
                note = f"{sem_or_error}; showing full-text results"
                chosen = "lexical"
            elif isinstance(sem_or_error, BaseException):
                raise sem_or_error
            else:
                sem = sem_or_error
            hits = fuse([lex, sem], limit)
        await annotate_freshness(self.storage, self.workspace, active.id if active else None, hits)
        model = active.name if active is not None and chosen != "lexical" else None
        elapsed = (time.perf_counter() - started) * 1000
        return SearchResult(query, chosen, hits, note, elapsed, model)

    async def find_symbols(
        self, name: str, *, match: str = "auto", kind: str | None = None, limit: int = 50
    ) -> list[SymbolHit]:
        """Symbols by exact name, prefix or substring."""
        return await symbols(self.storage, name, match=match, kind=kind, limit=limit)

    # ---- status ---------------------------------------------------------

    async def status(self) -> dict[str, Any]:
        """Counts, versions, model, embeddings and queue: the get_index_status capability."""
        return await index_status(self)

    async def validate(self) -> dict[str, Any]:
        """Check the index against the disk and itself; each problem names its fix."""
        from codeindex.validate import validate_index

        return await validate_index(self)
