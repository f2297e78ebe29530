"""Watching tasks across processes: every change of any task, whoever made it.

The task rows in index.db are the only channel: the worker (usually another process),
the CLI, another front-end all write there. One pump per service polls SQLite's
`PRAGMA data_version`, which changes only when another connection commits — a single
cheap read while nothing happens — and, when it changes, compares a small fingerprint
of each recent task with the last one it saw. Changed tasks are offered to every
subscriber. Each subscriber keeps the newest state per task and an event of its own,
so nobody consumes another's wake-up (no lost wake-ups) and a slow subscriber holds at
most one state per task (bounded memory). Writers in this process call `nudge()` so
their own changes are seen without waiting for the next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from codeindex.aio import spawn
from codeindex.contract import TaskInfo
from codeindex.tasks import Queue, TaskNotFound
from codeindex.tasks.views import info

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05
GUARD_SECONDS = 1.0  # how often a waiting front-end checks that a worker serves
RECENT_SECONDS = 5.0
FINISHED = ("Completed", "Failed", "Cancelled")


class _Subscriber:
    def __init__(self, task_id: str | None) -> None:
        self.task_id = task_id
        self.pending: dict[str, TaskInfo] = {}
        self.event = asyncio.Event()

    def offer(self, state: TaskInfo) -> None:
        if self.task_id is not None and state["task_id"] != self.task_id:
            return
        self.pending.pop(state["task_id"], None)  # keep arrival order: newest last
        self.pending[state["task_id"]] = state
        self.event.set()

    def take(self) -> list[TaskInfo]:
        states = list(self.pending.values())
        self.pending.clear()
        self.event.clear()
        return states


class TaskFeed:
    """Fans task changes out to any number of `watch()` iterators."""

    def __init__(self, queue: Queue, poll_seconds: float = POLL_SECONDS) -> None:
        self.queue = queue
        self.poll_seconds = poll_seconds
        self._subscribers: set[_Subscriber] = set()
        self._pump: asyncio.Task[None] | None = None
        self._nudged = asyncio.Event()

    def nudge(self) -> None:
        """Something in this process changed a task: look now rather than at the next poll."""
        self._nudged.set()

    async def watch(self, task_id: str | None = None) -> AsyncIterator[TaskInfo]:
        """Yield the state of tasks as they change (one task's, or all), from any process.

        First the current state: of that task (UnknownTask when there is none), or of every
        unfinished task. Then each change. With a task id, it ends after the task's final
        state; without, it runs until the consumer stops.
        """
        subscriber = _Subscriber(task_id)
        self._subscribers.add(subscriber)
        self._ensure_pump()
        last: dict[str, tuple[object, ...]] = {}
        try:
            if task_id is not None:
                current = [await self.queue.get(task_id)]
            else:
                current = await self.queue.unfinished()
            for task in current:
                state = info(task, await self.queue.failures(task.id, limit=20))
                last[task.id] = _key(state)
                yield state
                if task_id is not None and state["status"] in FINISHED:
                    return
            while True:
                await subscriber.event.wait()
                for state in subscriber.take():
                    key = _key(state)
                    if last.get(state["task_id"]) == key:
                        continue
                    last[state["task_id"]] = key
                    yield state
                    if task_id is not None and state["status"] in FINISHED:
                        return
        finally:
            self._subscribers.discard(subscriber)

    async def wait(
        self,
        task_id: str,
        *,
        on_progress: Callable[[TaskInfo], Awaitable[None] | None] | None,
        guard: Callable[[], Awaitable[None]],
    ) -> TaskInfo:
        """Follow one task to its end, reporting each state; `guard()` runs every
        `GUARD_SECONDS` meanwhile (the service makes sure a worker serves)."""
        guarding = asyncio.create_task(self._guard(guard), name="codeindex-wait-guard")
        try:
            async for state in self.watch(task_id):
                if on_progress is not None:
                    maybe = on_progress(state)
                    if maybe is not None:
                        await maybe
                if state["status"] in FINISHED:
                    return state
        finally:
            guarding.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await guarding
        raise AssertionError("a task's watch ends with its final state")  # pragma: no cover

    @staticmethod
    async def _guard(guard: Callable[[], Awaitable[None]]) -> None:
        while True:
            await asyncio.sleep(GUARD_SECONDS)
            try:
                await guard()
            except Exception:
                log.exception("could not check the worker")

    async def close(self) -> None:
        """Stop the pump (subscribers see no more changes)."""
        pump, self._pump = self._pump, None
        if pump is not None:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pump

    def _ensure_pump(self) -> None:
        if self._pump is None or self._pump.done():
            self._pump = spawn(self._run(), name="codeindex-task-feed", what="the task feed")

    async def _run(self) -> None:
        seen: dict[str, tuple[object, ...]] = {}
        version: int | None = None
        idle_since = time.monotonic()
        while True:
            self._nudged.clear()
            try:
                current = await self.queue.storage.data_version()
                if current != version or version is None:
                    await self._publish(seen)
                    version = current
            except Exception:  # a locked or damaged database: say so, look again later
                log.exception("could not read the task rows; retrying")
            if self._subscribers:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > 10 * self.poll_seconds:
                return  # nobody listens: stop; the next watch() starts a new pump
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._nudged.wait(), timeout=self.poll_seconds)

    async def _publish(self, seen: dict[str, tuple[object, ...]]) -> None:
        states = await self.queue.recent_states(time.time() - RECENT_SECONDS)
        changed = [task_id for task_id, key in states.items() if seen.get(task_id) != key]
        for task_id in list(seen):
            if task_id not in states:
                del seen[task_id]
        for task_id in changed:
            seen[task_id] = states[task_id]
            try:
                task = await self.queue.get(task_id)
            except TaskNotFound:
                continue
            state = info(task, await self.queue.failures(task_id, limit=20))
            for subscriber in list(self._subscribers):
                subscriber.offer(state)


def _key(state: TaskInfo) -> tuple[object, ...]:
    return (
        state["status"],
        state["progress"],
        state["items_completed"],
        state["items_failed"],
        state["items_cancelled"],
        state["current_file"],
        state["message"],
    )
