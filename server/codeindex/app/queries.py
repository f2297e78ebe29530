"""The queries a front-end sends to the worker: those that need the model or LanceDB.

A language server or MCP server is a small process that reads index.db; the worker
process has the embedding model and the vector tables loaded. Semantic and hybrid search
and the vector half of validate go to the worker over its query socket
(`ipc.query_socket`), so an editor or agent session never loads a model of its own: its
first semantic answer costs a socket round trip, not 7 s and 300 MB.

When no worker listens, one is started (`ensure_worker`) and asked again until `wait`
runs out. A worker that is loading its model answers `model_loading` at once; one that
does not acknowledge a request within `query_socket.ACK_SECONDS` is frozen, and one that
does not answer within the wait is busy: the front-end stops waiting on either and
answers with full text and a note instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeindex.contract import Problem, SearchResponse
from codeindex.errors import CodeIndexError, ModelLoading, SemanticUnavailable, from_dict
from codeindex.ipc import query_socket
from codeindex.search import Search

SEARCH_WAIT_SECONDS = 15.0  # a front-end waits this long for a starting worker's model
QUERY_LINGER_SECONDS = 30.0  # a worker started for a query stays at least this long idle
ENSURE_SECONDS = 1.0  # a front-end that finds no worker starts one at most this often
ANSWER_SECONDS = 2.0  # the least a worker that acknowledged a request gets to answer it
RETRY_SECONDS = 0.1


@dataclass(slots=True)
class Asked:
    """The worker's answer, or why there is none (`reason`, for a note or an error)."""

    answer: Any = None
    reason: str = ""

    def note(self) -> str:
        """The note of full-text results given instead."""
        return f"semantic search is not ready: {self.reason}; showing full-text results"

    def unavailable(self) -> SemanticUnavailable:
        """The error of a semantic search that got no answer."""
        return SemanticUnavailable(
            f"semantic search is not ready: {self.reason}; try again in a few seconds"
        )


class WorkerQueries:
    """Asks the workspace's worker, starting one when none listens."""

    def __init__(self, data_dir: Path, ensure_worker: Callable[..., Awaitable[bool]]) -> None:
        """`ensure_worker(linger=)` starts a worker when none serves (the supervisor's)."""
        self.data_dir = data_dir
        self._ensure_worker = ensure_worker

    async def ask(self, op: str, args: dict[str, Any], *, wait: float) -> Asked:
        """The worker's result for `op`; its errors are raised as they were raised there."""
        deadline = time.monotonic() + wait
        ensured = float("-inf")
        reason = "no worker answered"
        while True:
            left = deadline - time.monotonic()
            try:
                answer = await query_socket.ask_async(
                    self.data_dir,
                    op,
                    args,
                    ack_seconds=max(0.05, min(query_socket.ACK_SECONDS, left)),
                    answer_seconds=max(ANSWER_SECONDS, left),
                )
            except query_socket.Late as late:
                return Asked(reason=f"the worker is busy or not responding ({late})")
            if answer is not None and answer["ok"]:
                return Asked(answer=answer["result"])
            if answer is not None:
                error = from_dict(answer.get("error") or {})
                if not isinstance(error, ModelLoading):
                    raise error
                reason = "the worker is loading the embedding model"
            elif time.monotonic() - ensured >= ENSURE_SECONDS:
                # none listens: start one (again, if the one started left meanwhile)
                ensured = time.monotonic()
                if await self._ensure_worker(linger=QUERY_LINGER_SECONDS):
                    reason = "a worker is starting and loading the embedding model"
            if time.monotonic() >= deadline:
                return Asked(reason=f"{reason} (waited {wait:g} s)")
            await asyncio.sleep(min(RETRY_SECONDS, max(0.0, deadline - time.monotonic())))

    async def search(
        self, searcher: Search, args: dict[str, Any], *, wait: float
    ) -> SearchResponse:
        """A search: full text by `searcher` here, semantic and hybrid by the worker.

        When the worker gives no answer in time, full-text results with a note (or
        SemanticUnavailable when semantic search was asked for by name).
        """
        mode = args["mode"]
        chosen = mode or ("hybrid" if await searcher.models.active() is not None else None)
        if chosen not in ("semantic", "hybrid"):
            return (await searcher.search(**args)).to_dict()
        searcher.check(args["query"], mode=mode, limit=args["limit"], output=args["output"])
        asked = await self.ask("search", args, wait=wait)
        if asked.answer is not None:
            answer: SearchResponse = asked.answer
            return answer
        if mode == "semantic":
            raise asked.unavailable()
        result = (await searcher.search(**{**args, "mode": "lexical"})).to_dict()
        result["note"] = asked.note()
        return result

    async def vector_problems(self, *, wait: float) -> list[Problem] | str:
        """The vector store's problems as the worker sees them, or why it could not say."""
        try:
            asked = await self.ask("vectors", {}, wait=wait)
        except CodeIndexError as exc:
            return f"the vectors were not checked: {exc}"
        if asked.answer is None:
            return f"the vectors were not checked: {asked.reason}"
        problems: list[Problem] = asked.answer
        return problems
