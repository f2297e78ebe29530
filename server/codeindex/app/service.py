"""The one core every front-end calls: reindex, task control, watching, search, status, validate.

The CLI, the language server and the MCP server each translate their protocol into
calls on `CodeIndexService` and turn its typed results (`codeindex.contract`) into
their own messages. Nothing here knows about a protocol. The service makes sure a
worker serves the workspace (`supervisor`), and any front-end follows any task,
whoever created it, through `watch()` (`feed`).

Nothing here loads a model or LanceDB: semantic queries and validate's vector half go to
the worker (`queries`; its `WorkerHost` answers them), so front-ends stay small.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from codeindex.app import tasking
from codeindex.app.feed import TaskFeed
from codeindex.app.navigation import CodeNavigation
from codeindex.app.queries import SEARCH_WAIT_SECONDS, WorkerQueries
from codeindex.app.sessions import Sessions
from codeindex.app.status import index_status
from codeindex.app.supervisor import InProcessWorker, Supervisor, WorkerMode
from codeindex.app.validate import validate_index
from codeindex.config import Settings, load_settings
from codeindex.contract import (
    IndexStatus,
    Problem,
    ReindexResponse,
    SearchResponse,
    SymbolInfo,
    TaskInfo,
    TaskListEntry,
    ValidationReport,
    search_args,
)
from codeindex.embedding.registry import ModelRegistry
from codeindex.errors import BadArgument
from codeindex.ipc import doorbell
from codeindex.search import Search
from codeindex.search.kinds import kinds_of
from codeindex.storage import Storage
from codeindex.tasks import Priority, Queue, Scope, Task, TaskStatus, views
from codeindex.watcher.changes import hinted_changes
from codeindex.workspace import Workspace

log = logging.getLogger(__name__)

OnProgress = Callable[[TaskInfo], Awaitable[None] | None]


class CodeIndexService(CodeNavigation):
    """A workspace's index, its queue and its worker, behind one API (code tools: base)."""

    def __init__(
        self,
        settings: Settings,
        storage: Storage,
        *,
        worker: WorkerMode = "process",
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        self.storage = storage
        self.queue = Queue(storage)
        self._overrides: dict[str, Any] = dict(overrides or {})
        self._use(settings)
        self.local: InProcessWorker | None = None
        self.feed = TaskFeed(self.queue)
        self.supervisor = Supervisor(
            self.queue,
            settings,
            mode=worker,
            start_in_process=lambda: self.start_worker(exit_when_idle=True),
            runs_in_process=lambda: self.runs_worker,
        )
        self.supervisor.overrides = self._overrides
        self.worker_queries = WorkerQueries(settings.data_dir, self.supervisor.ensure_worker)
        self.sessions = Sessions(
            self.queue,
            self.supervisor,
            self._overrides,
            workspace=lambda: self.workspace,
            use=self._use,
            wake=self._wake_worker,
            ensure_worker=self.ensure_worker,
        )

    def _use(self, settings: Settings) -> None:
        self.settings = settings
        self.workspace = Workspace(
            settings.root,
            settings.data_dir,
            max_file_bytes=settings.max_file_size,
            excludes=settings.excludes,
        )
        self.models = ModelRegistry(self.storage, settings)
        self.searcher = Search(self.storage, self.workspace, self.models, kinds=kinds_of(settings))

    @classmethod
    async def open(
        cls,
        root: Path | str,
        overrides: Mapping[str, Any] | None = None,
        *,
        worker: WorkerMode = "process",
        create: bool = True,
    ) -> CodeIndexService:
        """Open the index of the workspace at `root`, creating it if needed (`create`).

        `worker` says how a worker is started when work needs one: a background
        process (the default), a task in this process, or never. Without `create`, a
        workspace with no index raises NoIndex (nothing is created).
        """
        settings = load_settings(root, overrides)
        storage = await Storage.open(settings.db_path, create=create)
        return cls(settings, storage, worker=worker, overrides=overrides)

    async def close(self) -> None:
        """End the session (if any), stop an in-process worker and close the database."""
        await self.supervisor.end_session()
        await self.feed.close()
        await self.stop_worker()
        await self.storage.close()

    # ---- sessions of long-running front-ends (`sessions`) ------------------

    async def start_session(self, kind: str) -> str:
        """Register this front-end as a client: a worker serves while it lives."""
        return await self.sessions.start(kind)

    async def end_session(self) -> None:
        """Drop this front-end's client row and its open-file boosts."""
        await self.sessions.end()

    def client_left(self) -> None:
        """The client went away: its waiting requests stop, their tasks finish in the worker."""
        self.sessions.leave()

    @property
    def client_gone(self) -> bool:
        """True once this session's client went away (`client_left`)."""
        return self.sessions.client_gone

    async def boost(self, paths: Sequence[str]) -> int:
        """Files open in this session's editor go first, in every task (invariant 5)."""
        return await self.sessions.boost(paths)

    async def unboost(self, paths: Sequence[str]) -> None:
        """Files this session's editor closed: back to their queued priority."""
        await self.sessions.unboost(paths)

    async def apply_settings(self, overrides: Mapping[str, Any]) -> Settings:
        """Use new settings (an editor's configuration changed); the old stay on error."""
        return await self.sessions.apply_settings(self.settings, overrides)

    # ---- the worker ------------------------------------------------------

    def attach(self, local: InProcessWorker) -> None:
        """Run the worker in this process (`WorkerHost`): queries it answers itself."""
        self.local = local

    def _local(self) -> InProcessWorker:
        if self.local is None:
            raise RuntimeError("no worker is attached to this service (WorkerHost attaches one)")
        return self.local

    def start_worker(
        self, *, exit_when_idle: bool = False, linger: float = 0.0
    ) -> asyncio.Task[None]:
        """Run the attached worker here; it waits for the lease if another process holds it."""
        return self._local().start(exit_when_idle=exit_when_idle, linger=linger)

    async def stop_worker(self) -> None:
        """Stop an in-process worker after its current step and release the lease."""
        if self.local is not None:
            await self.local.stop()

    @property
    def runs_worker(self) -> bool:
        """True while this process runs a worker task."""
        return self.local is not None and self.local.running

    async def worker_alive(self) -> bool:
        """True when some process holds an unexpired worker lease."""
        return await self.queue.live_lease() is not None

    async def ensure_worker(self) -> bool:
        """Make sure a worker serves this workspace; True when one was started for it."""
        return await self.supervisor.ensure_worker()

    async def fill_new_model(self, model_id: int | None = None) -> None:
        """The configured model's table is not full: queue the task that fills it.

        Queries keep using the active model until that task completes (invariant 8).
        """
        if not await self.queue.count_unfinished(Scope.EMBEDDINGS_ONLY):
            resp = await self.force_reindex("embeddings-only", priority="low")
            log.info("queued %s to fill the table of model %s", resp["task_id"], model_id or "")

    def _wake_worker(self) -> None:
        """Work was committed: wake the worker, in this process or (by its doorbell) another."""
        self.feed.nudge()
        if self.local is not None and self.local.running:
            self.local.wake()
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
        on_progress: OnProgress | None = None,
    ) -> ReindexResponse:
        """Create a reindex task; return at once (async) or when it ends (sync).

        A worker is started when none serves the workspace.
        """
        scope_enum = Scope.parse(scope)
        prio = Priority.parse(priority)
        embed_only = embeddings_only or scope_enum is Scope.EMBEDDINGS_ONLY
        planned = await tasking.plan_for(
            self,
            scope_enum,
            tasking.checked_paths(paths),
            embeddings_only=embed_only,
            incremental=incremental,
            recursive=recursive,
            retry_failed=True,
        )
        message, need = await tasking.message_of(self, planned, incremental)
        options = (embed_only, incremental, recursive)
        task = await tasking.create(self, scope_enum, planned, prio, options, message)
        if need == "embed":
            await self.fill_new_model()
        self._wake_worker()
        # with nothing new to do, an earlier task a dead worker left behind still needs one
        if not task.finished or need or await self.queue.needs_worker():
            await self.ensure_worker()
        if not async_ and not task.finished:
            await self.wait(task.id, on_progress=on_progress)
        return await self.reindex_response(task.id, with_result=not async_)

    async def queue_changes(
        self, scope: Scope, paths: Sequence[str], *, priority: Priority, source: str
    ) -> Task | None:
        """An incremental task for changes seen on disk (by the watcher, a reconciling pass,
        an editor's hint); no task at all when nothing changed. BadArgument for bad paths."""
        planned = await tasking.plan_for(
            self, scope, list(paths), embeddings_only=False, incremental=True, recursive=True
        )
        planned = await tasking.not_waiting(self, planned)
        if not planned.items:
            return None
        message = (
            f"{source}: {len(planned.items)} changed file(s) queued, "
            f"{planned.unchanged} unchanged skipped"
        )
        task = await tasking.create(self, scope, planned, priority, (False, True, True), message)
        self._wake_worker()
        await self.ensure_worker()
        return task

    async def notice_changes(self, paths: Sequence[str]) -> list[str]:
        """Paths a client saw change on disk (LSP `workspace/didChangeWatchedFiles`).

        Hints into the watcher's path: while a watcher is active it saw them too and nothing
        is queued; otherwise what really changed gets incremental tasks. Paths outside the
        workspace and ignored paths are left alone. Returns the ids of the tasks created.
        """
        return await hinted_changes(self, paths)

    async def reindex_response(self, task_id: str, *, with_result: bool) -> ReindexResponse:
        """The force_reindex response for a task, with its result when asked (sync)."""
        task = await self.queue.get(task_id)
        response = views.response(task)
        if with_result:
            response["result"] = views.result(task, await self.queue.failures(task.id))
        return response

    def watch(self, task_id: str | None = None) -> AsyncIterator[TaskInfo]:
        """Every change of any task (or of one), whoever created it, from any process.

        Yields the current state first (of that task, or of every unfinished task), then
        each change; with a task id it ends after the task's final state.
        """
        return self.feed.watch(task_id)

    async def wait(self, task_id: str, *, on_progress: OnProgress | None = None) -> TaskInfo:
        """Wait until a task ends, reporting its state as it changes; returns the final state.

        While waiting, a worker is started again if the one serving dies. Bound the wait
        with `asyncio.timeout` (the task goes on).
        """
        return await self.feed.wait(task_id, on_progress=on_progress, guard=self._guard_worker)

    async def _guard_worker(self) -> None:
        """A worker serves while work waits (the one that served may have died)."""
        if await self.queue.needs_worker():
            await self.ensure_worker()

    async def get_reindex_status(self, task_id: str) -> TaskInfo:
        """Status, progress, counts, current file, ETA, failures and summary of one task."""
        task = await self.queue.get(task_id)
        return views.info(task, await self.queue.failures(task.id, limit=20))

    async def list_reindex_tasks(
        self, status: str | None = None, limit: int = 20
    ) -> list[TaskListEntry]:
        """Tasks, newest first, optionally filtered by status."""
        wanted = TaskStatus.parse(status) if status else None
        if limit < 1 or limit > 1000:
            raise BadArgument(
                f"limit must be from 1 to 1000; got {limit}", field="limit", given=limit
            )
        return [views.list_entry(t) for t in await self.queue.list_tasks(wanted, limit)]

    async def pause_reindex(self, task_id: str) -> TaskInfo:
        """Hold a task between items."""
        await self.queue.pause(task_id)
        self._wake_worker()
        return await self.get_reindex_status(task_id)

    async def resume_reindex(self, task_id: str) -> TaskInfo:
        """Let a paused task go on."""
        await self.queue.resume(task_id)
        self._wake_worker()
        await self.ensure_worker()
        return await self.get_reindex_status(task_id)

    async def cancel_reindex(self, task_id: str) -> TaskInfo:
        """Stop a task; what it already wrote stays (each file is whole, old or new)."""
        await self.queue.cancel(task_id)
        self._wake_worker()
        return await self.get_reindex_status(task_id)

    # ---- queries ---------------------------------------------------------

    async def search(
        self, query: str, *, wait: float = SEARCH_WAIT_SECONDS, **options: Any
    ) -> SearchResponse:
        """Semantic, lexical or hybrid search (hybrid by default once vectors exist): hits,
        or the files they are in, within a scope. `options` are those of
        `contract.search_args` (mode, limit, path, exclude, language, kind, source_only,
        output, context_lines, max_tokens), checked there.

        Full-text search is answered here; semantic and hybrid by the worker, which holds
        the model (started when none runs). A worker that cannot answer within `wait`
        seconds (loading its model, frozen) gets full-text results with a note instead, or
        SemanticUnavailable for an explicit semantic search.
        """
        args = search_args({"query": query, **options})
        if self.local is not None:
            result: SearchResponse = await self.local.answer("search", args)
            return result
        return await self.worker_queries.search(self.searcher, args, wait=wait)

    async def find_symbols(
        self, name: str, *, match: str = "auto", kind: str | None = None, limit: int = 50
    ) -> list[SymbolInfo]:
        """Symbols by exact name, prefix or substring."""
        return await self.searcher.symbols(name, match=match, kind=kind, limit=limit)

    # ---- status ---------------------------------------------------------

    async def status(self) -> IndexStatus:
        """Counts, versions, model, embeddings and queue: the get_index_status capability."""
        return await index_status(self.settings, self.storage, self.queue, self.models)

    async def validate(
        self,
        *,
        wait: float = SEARCH_WAIT_SECONDS,
        vectors: Awaitable[list[Problem] | str] | None = None,
    ) -> ValidationReport:
        """Check the index against the disk and itself; each problem names its fix.

        The vectors (LanceDB, a remote engine) are checked by the worker, or by `vectors`
        when the caller checks them itself (the CLI: one command, no worker needed).
        """
        if vectors is None and self.local is not None:
            vectors = self.local.answer("vectors", {})
        elif vectors is None:
            vectors = self.worker_queries.vector_problems(wait=wait)
        return await validate_index(
            self.settings, self.storage, self.workspace, self.models, self.queue, vectors
        )
