"""Finishing items: counts roll into the task, a task ends Completed or Failed (progress 1.0,
never before), and old history is pruned. How far a running task has come:
test_task_progress."""

from __future__ import annotations

import pytest
from tests.unit.builders import complete, create

from codeindex.storage import LeaseLost, Storage
from codeindex.storage.db import Connection
from codeindex.storage.item_rows import Tally
from codeindex.tasks import ItemOutcome, Queue, TaskStatus
from codeindex.tasks.clock import MAX_PROGRESS
from codeindex.tasks.queue import KEEP_ITEMS_OF
from codeindex.tasks.worker_side import ending_of


async def test_a_task_completes_when_its_last_item_is_done(queue: Queue, worker: str) -> None:
    task = await create(queue, ["a.py", "b.py"])
    first, second = await queue.claim(2, worker)
    assert await complete(queue, [first], worker) == []
    half = await queue.get(task.id)
    assert half.status is TaskStatus.RUNNING and half.progress <= MAX_PROGRESS < 1.0
    assert await complete(queue, [second], worker) == [task.id]
    done = await queue.get(task.id)
    assert done.status is TaskStatus.COMPLETED and done.progress == 1.0
    assert done.message == "2 of 2 files done" and done.error_message is None
    assert done.current_path is None and done.completed_at is not None


async def test_a_task_with_a_failed_item_ends_failed_saying_so(queue: Queue, worker: str) -> None:
    task = await create(queue, ["a.py", "b.py", "c.py"])
    a, b, c = await queue.claim(3, worker)
    ended = await queue.finish_items(
        [(a, ItemOutcome()), (b, ItemOutcome())], [(c, "cannot decode")], fence=worker
    )
    assert ended == [task.id]
    failed = await queue.get(task.id)
    assert failed.status is TaskStatus.FAILED
    assert (failed.items_completed, failed.items_failed) == (2, 1)
    assert failed.message == "2 of 3 files done, 1 failed"
    assert failed.error_message == "1 file(s) failed: see failures"


async def test_what_items_produced_adds_up_in_the_summary(queue: Queue, worker: str) -> None:
    task = await create(queue, ["a.py", "b.py"])
    items = await queue.claim(2, worker)
    await complete(queue, items, worker)
    summary = (await queue.get(task.id)).summary()
    assert summary == {
        "files_processed": 2,
        "symbols_extracted": 2,
        "chunks_created": 4,
        "embeddings_generated": 6,
    }


async def test_an_item_is_counted_once_however_often_it_is_finished(
    queue: Queue, worker: str
) -> None:
    task = await create(queue, ["a.py", "b.py"])
    first, _ = await queue.claim(2, worker)
    await complete(queue, [first], worker)
    await complete(queue, [first], worker)
    await queue.finish_items([], [(first, "late failure")], fence=worker)
    again = await queue.get(task.id)
    assert (again.items_completed, again.items_failed) == (1, 0)


async def test_nothing_to_finish_writes_nothing(queue: Queue) -> None:
    assert await queue.finish_items([], []) == []


async def test_on_end_runs_in_the_transaction_that_ends_tasks(
    storage: Storage, queue: Queue, worker: str
) -> None:
    one = await create(queue, ["a.py"])
    two = await create(queue, ["b.py"])
    seen: list[list[str]] = []

    async def on_end(tx: Connection, ended: list[str], now: float) -> None:
        seen.append(sorted(ended))
        await tx.execute("INSERT INTO meta(key, value) VALUES ('ended', ?)", (str(now),))

    items = await queue.claim(2, worker)
    ended = await queue.finish_items([(i, ItemOutcome()) for i in items], on_end=on_end)
    assert sorted(ended) == seen[0] == sorted([one.id, two.id])
    assert await storage.scalar("SELECT value FROM meta WHERE key = 'ended'") is not None


async def test_a_failing_on_end_undoes_the_whole_finish(queue: Queue, worker: str) -> None:
    task = await create(queue, ["a.py"])
    items = await queue.claim(1, worker)

    async def on_end(tx: Connection, ended: list[str], now: float) -> None:
        raise RuntimeError("what the end changes could not be written")

    with pytest.raises(RuntimeError):
        await queue.finish_items([(i, ItemOutcome()) for i in items], on_end=on_end)
    after = await queue.get(task.id)
    assert after.status is TaskStatus.RUNNING and after.items_completed == 0


async def test_finishing_after_losing_the_lease_writes_nothing(queue: Queue) -> None:
    task = await create(queue, ["a.py"])
    assert await queue.acquire_lease("old", ttl=-1)
    items = await queue.claim(1, "old")
    assert await queue.acquire_lease("new", ttl=60)
    with pytest.raises(LeaseLost):
        await complete(queue, items, "old")
    assert (await queue.get(task.id)).items_completed == 0


async def test_cleared_suspects_are_suspects_no_more(
    storage: Storage, queue: Queue, worker: str
) -> None:
    await create(queue, ["a.py"])
    async with storage.transaction() as tx:
        await tx.execute("UPDATE reindexing_task_items SET suspect = 1")
    [item] = await queue.claim(1, worker)
    assert item.suspect
    await queue.cleared([item])
    assert await storage.scalar("SELECT suspect FROM reindexing_task_items") == 0


def tally(
    total: int = 4,
    completed: int = 0,
    failed: int = 0,
    status: str = "Running",
    left: int = 0,
) -> Tally:
    return Tally(total, completed, failed, status, left)


@pytest.mark.parametrize(
    ("counts", "status", "message"),
    [
        pytest.param(tally(completed=2, left=2), None, None, id="items-left"),
        pytest.param(tally(completed=4), TaskStatus.COMPLETED, "4 of 4 files done", id="done"),
        pytest.param(
            tally(completed=3, failed=1),
            TaskStatus.FAILED,
            "3 of 4 files done, 1 failed",
            id="one-failed",
        ),
        pytest.param(tally(completed=4, status="Cancelled"), None, None, id="already-ended"),
    ],
)
def test_how_a_task_ends(counts: Tally, status: TaskStatus | None, message: str | None) -> None:
    ending = ending_of(counts)
    assert (ending and ending.status, ending and ending.message) == (status, message)


async def test_pruning_keeps_the_newest_tasks_items_and_every_failure(
    storage: Storage, queue: Queue, worker: str
) -> None:
    tasks = []
    for n in range(KEEP_ITEMS_OF + 2):
        task = await create(queue, [f"t{n}a.py", f"t{n}b.py"])
        a, b = await queue.claim(2, worker)
        await queue.finish_items([(a, ItemOutcome())], [(b, "broken")], fence=worker)
        tasks.append(task)
    unfinished = await create(queue, ["open.py"])
    removed = await queue.prune_history()
    assert removed == 2  # the completed items of the two oldest tasks
    for old in tasks[:2]:
        kept = await queue.get(old.id)
        assert kept.items_completed == 1  # the task's counts are on its row
        assert [f.path for f in await queue.failures(old.id)] == [f"{old.target_paths[1]}"]
    left = await storage.scalar("SELECT count(*) FROM reindexing_task_items")
    assert left == 2 * len(tasks) - 2 + 1
    assert (await queue.get(unfinished.id)).items_pending == 1
    assert await queue.prune_history() == 0
