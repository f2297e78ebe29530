"""The worker's side of the queue: claim items, finish them, and renew tasks' estimates.

Only the lease holder calls these (invariant 4). Priority is per item, so the best
pending item of any runnable task is always taken next (invariant 5). The rules live here:
which pending items are taken together, how a task ends, and how a new estimate of its time
left is recorded (`clock`); the statements are storage's (`storage.item_rows`), run in one
transaction per step.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from codeindex.storage import Storage
from codeindex.storage.db import Connection
from codeindex.storage.item_rows import ItemRow, PendingWork, Tally
from codeindex.tasks.clock import renew
from codeindex.tasks.model import FINISHED, Item, ItemOutcome, Priority, TaskStatus, clock_of

OnEnd = Callable[[Connection, list[str], float], Awaitable[None]]
"""Called in the transaction that ends tasks: (connection, ended task ids, time)."""


def take_together(pending: Sequence[ItemRow]) -> list[ItemRow]:
    """Of the best pending items (in claim order), those taken in one claim: a suspect
    alone, so a crash it causes is proven; otherwise the non-suspects of the best priority."""
    if not pending:
        return []
    if pending[0].suspect:
        return [pending[0]]
    return [r for r in pending if r.priority == pending[0].priority and not r.suspect]


@dataclass(frozen=True, slots=True)
class Ending:
    """How a task with nothing left ends."""

    status: TaskStatus
    message: str
    error: str | None


def ending_of(tally: Tally) -> Ending | None:
    """How the task ends now, or None while it has items left (or ended already)."""
    if tally.items_left or TaskStatus(tally.status) in FINISHED:
        return None
    done, failed, total = tally.items_completed, tally.items_failed, tally.items_total
    if failed:
        return Ending(
            TaskStatus.FAILED,
            f"{done} of {total} files done, {failed} failed",
            f"{failed} file(s) failed: see failures",
        )
    return Ending(TaskStatus.COMPLETED, f"{done} of {total} files done", None)


class WorkerSide:
    """Claiming, finishing and progress of items."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.rows = storage.item_rows

    async def best_pending_priority(self) -> Priority | None:
        """The priority of the best item any runnable task has pending."""
        found = await self.rows.best_pending_priority()
        return None if found is None else Priority(found)

    async def claim(self, limit: int = 1, owner: str | None = None) -> list[Item]:
        """Take the best pending items of any runnable task (invariant 5).

        At most `limit` items, all of the best priority pending, oldest first. A suspect
        (in flight when a worker died) is taken alone, so a crash it causes is proven.
        """
        now = time.time()
        async with self.storage.transaction(owner) as tx:
            taken = take_together(await self.rows.pending(tx, limit))
            if taken:
                await self.rows.start(tx, taken, owner, now)
        return [Item.claimed(row) for row in taken]

    async def cleared(self, items: Sequence[Item]) -> None:
        """Suspects tried alone that went through without killing the worker: innocent."""
        suspects = [i.id for i in items if i.suspect]
        if suspects:
            await self.rows.clear_suspects(suspects)

    async def finish_items(
        self,
        done: Sequence[tuple[Item, ItemOutcome]],
        failed: Sequence[tuple[Item, str]] = (),
        on_end: OnEnd | None = None,
        fence: str | None = None,
    ) -> list[str]:
        """Mark items completed/failed and roll their counts into their tasks.

        Returns the ids of tasks that ended with this call. `on_end(db, ended, now)` runs in
        the same transaction, so whoever sees a task end also sees what its end changed.
        """
        if not done and not failed:
            return []
        now = time.time()
        touched: set[str] = set()
        async with self.storage.transaction(fence) as tx:
            for item, outcome in done:
                if await self.rows.complete(tx, item.id, now):
                    produced = (outcome.symbols, outcome.chunks, outcome.embeddings)
                    await self.rows.count_done(tx, item.task_id, produced)
                    touched.add(item.task_id)
            for item, error in failed:
                if await self.rows.fail(tx, item.id, error, now):
                    await self.rows.count_failed(tx, item.task_id)
                    touched.add(item.task_id)
            ended = await self.settle(tx, touched, now)
            if ended and on_end is not None:
                await on_end(tx, ended, now)
        return ended

    async def settle(self, tx: Connection, task_ids: set[str], now: float) -> list[str]:
        """In a transaction: end those of these tasks with nothing left; returns their ids."""
        ended: list[str] = []
        for task_id in task_ids:
            tally = await self.rows.tally(tx, task_id)
            ending = ending_of(tally)
            if ending is not None:
                await self.rows.end_task(
                    tx, task_id, ending.status.value, now, ending.message, ending.error
                )
                ended.append(task_id)
        return ended

    async def cancel_items(self, items: Sequence[Item]) -> None:
        """Mark processing items of cancelled tasks as cancelled."""
        await self.rows.cancel_processing([item.id for item in items], time.time())

    async def pending_work(self) -> list[PendingWork]:
        """The pending items of every unfinished task, summed by task, action and language."""
        return await self.rows.pending_work()

    async def renew_estimates(self, lefts: dict[str, float], fence: str | None = None) -> None:
        """Record new estimates of unfinished tasks' own time left (seconds; a task not in
        `lefts` has none); the progress readers showed stays as each one's floor."""
        now = time.time()
        async with self.storage.transaction(fence) as tx:
            clocks = [clock_of(row) for row in await self.rows.unfinished(tx)]
            everyone = {c.task_id: lefts.get(c.task_id, 0.0) for c in clocks}
            renewals = renew(clocks, everyone, now)
            await self.rows.estimate(tx, [(r.task_id, r.left, r.at, r.shown) for r in renewals])
