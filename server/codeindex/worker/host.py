"""What the worker process runs around the façade: the worker loop, the watcher beside it,
the model and LanceDB, and the query socket that answers front-ends' semantic queries.

`WorkerHost(service)` attaches itself to a `CodeIndexService` as its in-process worker:
`start()` runs the worker loop as a task of this process (it waits for the lease when
another process holds it), and `answer(op, args)` answers what front-ends cannot answer
alone — semantic and hybrid search, the vector half of validate — from the model this
process loaded (one copy, shared by indexing and queries). `python -m codeindex.worker`
and `codeindex worker` run one; tests build one to drive a worker in their own process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from codeindex import contract
from codeindex.aio import spawn
from codeindex.app.service import CodeIndexService
from codeindex.embedding.loader import ModelLoader
from codeindex.errors import CodeIndexError, ModelLoading
from codeindex.ipc.query_socket import QueryServer
from codeindex.search import Search
from codeindex.search.kinds import kinds_of
from codeindex.search.semantic import SemanticSearcher
from codeindex.storage.model_rows import ModelRow
from codeindex.vectors.location import location_of
from codeindex.vectors.store import VectorStore
from codeindex.watcher.run import Watcher
from codeindex.worker.loop import Worker
from codeindex.worker.vector_check import vector_problems

log = logging.getLogger(__name__)

QUERY_STAY_SECONDS = 5.0  # an idle background worker that answered a query stays this long


class WorkerHost:
    """A worker run in this process, beside the service it serves."""

    def __init__(
        self,
        service: CodeIndexService,
        *,
        reservation: str | None = None,
        serve_queries: bool = False,
    ) -> None:
        """`serve_queries`: answer other processes' queries while holding the lease."""
        self.service = service
        self.reservation = reservation
        self.serves_queries = serve_queries
        self.worker: Worker | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._query_server: QueryServer | None = None
        self._loading: asyncio.Task[None] | None = None
        self._queried = float("-inf")
        self._answering = 0  # queries being answered now
        self._models = service.models
        self.loader = ModelLoader(service.models)
        self.vectors = VectorStore(location_of(service.settings))
        self._searcher = self._new_searcher()
        service.attach(self)

    def _new_searcher(self) -> Search:
        service = self.service
        semantic = SemanticSearcher(service.storage, self.loader, self.vectors)
        kinds = kinds_of(service.settings)
        return Search(service.storage, service.workspace, service.models, semantic, kinds)

    def _fresh(self) -> None:
        """The service took new settings (an editor's): load models and tables by them."""
        if self.service.models is self._models:
            return
        self._models = self.service.models
        self.loader.close()
        self.loader = ModelLoader(self._models)
        if self.vectors.location != location_of(self.service.settings):
            self.vectors = VectorStore(location_of(self.service.settings))
        self._searcher = self._new_searcher()

    # ---- the worker loop ------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while the worker task runs."""
        return self._task is not None and not self._task.done()

    def start(self, *, exit_when_idle: bool = False, linger: float = 0.0) -> asyncio.Task[None]:
        """Run a worker here (the running one, if any); it waits for the lease if needed."""
        if self._task is not None and not self._task.done():
            return self._task
        self._fresh()
        service = self.service
        self._stop = asyncio.Event()
        worker = self.worker = Worker(
            service.storage,
            service.workspace,
            service.settings,
            self.loader,
            self.vectors,
            reservation=self.reservation,
            on_change=service.feed.nudge,
            on_model_change=service.fill_new_model,
            on_lease=self._beside_lease,
            busy=self._busy,
        )
        self.reservation = None  # a reservation is taken once
        stop = self._stop

        async def run() -> None:
            try:
                await worker.run(exit_when_idle=exit_when_idle, linger=linger, stop=stop)
            except Exception:
                log.exception("the worker stopped with an error")
                raise

        self._task = asyncio.create_task(run(), name="codeindex-worker")
        return self._task

    def _busy(self) -> bool:
        """Answering a query, loading a model for one, or answered one lately: a front-end
        is using us."""
        loading = self._loading is not None and not self._loading.done()
        recent = time.monotonic() - self._queried < QUERY_STAY_SECONDS
        return loading or recent or self._answering > 0

    @contextlib.asynccontextmanager
    async def _beside_lease(self, owner: str) -> AsyncIterator[None]:
        """While the worker holds the lease: the query socket (when asked for) and the file
        watcher (when enabled) run beside it, one of each per workspace."""
        async with contextlib.AsyncExitStack() as stack:
            if self.serves_queries:
                await self._open_queries()
                stack.push_async_callback(self.close_queries)
            if self.service.settings.watch_enabled:
                await stack.enter_async_context(Watcher(self.service, owner))
            yield

    def wake(self) -> None:
        """Work was queued: the worker looks at once."""
        if self.worker is not None:
            self.worker.wake.set()

    def request_stop(self) -> None:
        """Ask the worker to stop after its current step (signal-safe)."""
        self._stop.set()
        self.wake()

    async def stop(self) -> None:
        """Stop the worker after its current step (it releases the lease), stop serving."""
        await self.close_queries()
        task = self._task
        if task is not None:
            self.request_stop()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await task
            self._task = None
        if self._loading is not None:
            self._loading.cancel()
        self.loader.close()

    # ---- queries ---------------------------------------------------------------------------

    async def _open_queries(self) -> bool:
        """Answer other processes' queries (front-ends, `codeindex search`) from now on.

        False when another process of this workspace serves them already (or the platform
        cannot).
        """
        if self._query_server is None:
            self._query_server = QueryServer(self.service.settings.data_dir, self._served)
        return await self._query_server.open()

    async def close_queries(self) -> None:
        """Stop answering other processes' queries."""
        server, self._query_server = self._query_server, None
        if server is not None:
            await server.close()

    async def _served(self, op: str, args: dict[str, Any]) -> Any:
        self._answering += 1
        try:
            return await self.answer(op, args, block=False)
        finally:
            self._answering -= 1
            self._queried = time.monotonic()

    async def answer(self, op: str, args: dict[str, Any], *, block: bool = True) -> Any:
        """A `search`, `symbols` or `vectors` request answered with this process's model.

        Without `block`, a search that needs a model still loading raises ModelLoading at
        once (the loading goes on) instead of waiting for it.
        """
        self._fresh()
        service = self.service
        if op == "vectors":
            return await vector_problems(service.storage, service.models, self.vectors)
        if op == "symbols":
            return await service.find_symbols(**contract.symbol_args(args))
        query = contract.search_args(args)
        if not block:
            await self._loaded_or_loading(query["mode"])
        return (await self._searcher.search(**query)).to_dict()

    async def _load_for_queries(self, model: ModelRow) -> None:
        """Load a model for queries; one that fails says why to the query that follows."""
        try:
            await self.loader.embedder_for(model)
        except CodeIndexError as exc:
            log.info("loading the model for queries failed: %s", exc)

    async def _loaded_or_loading(self, mode: str | None) -> None:
        """Raise ModelLoading while the active model loads (starting its load if needed)."""
        if mode == "lexical":
            return
        active = await self.service.models.active()
        if active is None or self.loader.has(active.id):
            return
        if self._loading is None or self._loading.done():
            self._loading = spawn(
                self._load_for_queries(active), name="codeindex-model-load", what="loading"
            )
        raise ModelLoading(
            f"the worker is loading the embedding model {active.name}; semantic search "
            "answers in a few seconds"
        )
