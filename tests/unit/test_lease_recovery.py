"""After a worker dies: its items come back as suspects, each tried alone, and only a file
proven to kill the worker MAX_CRASHES times fails."""

from __future__ import annotations

import pytest
from tests.unit.builders import create, dead_pid

from codeindex.storage import Storage
from codeindex.storage.item_rows import InFlight
from codeindex.tasks import MAX_CRASHES, Item, ItemOutcome, Queue, TaskStatus
from codeindex.tasks.lease import crashed_message, recovery


async def die(storage: Storage) -> None:
    """The lease holder is killed: its process is gone, its rows stay as they were."""
    async with storage.transaction() as tx:
        await tx.execute("UPDATE worker_lease SET pid = ?", (dead_pid(),))


async def take_over(storage: Storage, queue: Queue, owner: str) -> None:
    await die(storage)
    assert await queue.acquire_lease(owner, ttl=60)


async def item_row(storage: Storage, path: str) -> tuple[str, int, int, int]:
    row = await storage.fetchone(
        "SELECT status, suspect, crashes, attempts FROM reindexing_task_items WHERE file_path = ?",
        (path,),
    )
    return tuple(row)  # type: ignore[return-value]


async def test_items_in_flight_come_back_as_suspects(storage: Storage, queue: Queue) -> None:
    await create(queue, ["a.py", "b.py", "c.py"])
    assert await queue.acquire_lease("w1", ttl=60)
    await queue.claim(2, "w1")
    await take_over(storage, queue, "w2")
    assert await item_row(storage, "a.py") == ("pending", 1, 0, 1)
    assert await item_row(storage, "b.py") == ("pending", 1, 0, 1)
    assert await item_row(storage, "c.py") == ("pending", 0, 0, 0)


async def test_suspects_are_tried_first_and_alone(storage: Storage, queue: Queue) -> None:
    await create(queue, ["a.py", "b.py", "c.py"])
    assert await queue.acquire_lease("w1", ttl=60)
    await queue.claim(2, "w1")
    await take_over(storage, queue, "w2")
    first = await queue.claim(10, "w2")
    assert [(i.path, i.suspect, i.attempts) for i in first] == [("a.py", True, 2)]
    assert (await item_row(storage, "a.py"))[1] == 2  # being tried alone


async def test_a_suspect_that_goes_through_is_innocent(storage: Storage, queue: Queue) -> None:
    await create(queue, ["a.py"])
    assert await queue.acquire_lease("w1", ttl=60)
    await queue.claim(1, "w1")
    await take_over(storage, queue, "w2")
    [item] = await queue.claim(1, "w2")
    await queue.cleared([item])
    await take_over(storage, queue, "w3")  # a later death, while it was not alone
    assert await item_row(storage, "a.py") == ("pending", 1, 0, 2)


async def crash_alone(storage: Storage, queue: Queue, times: int) -> list[Item]:
    """Kill the worker each time it tries `a.py` alone; returns what each claim took."""
    claimed: list[Item] = []
    for n in range(times):
        claimed += await queue.claim(1, f"w{n}")
        await take_over(storage, queue, f"w{n + 1}")
    return claimed


async def test_a_file_that_kills_the_worker_alone_counts_each_crash(
    storage: Storage, queue: Queue
) -> None:
    await create(queue, ["a.py", "b.py"])
    assert await queue.acquire_lease("w0", ttl=60)
    await queue.claim(2, "w0")  # both in flight when the first kill comes
    await take_over(storage, queue, "w0")
    claimed = await crash_alone(storage, queue, MAX_CRASHES - 1)
    assert {i.path for i in claimed} == {"a.py"}
    assert await item_row(storage, "a.py") == ("pending", 1, MAX_CRASHES - 1, MAX_CRASHES)
    assert await item_row(storage, "b.py") == ("pending", 1, 0, 1)  # never tried alone yet


async def test_after_max_crashes_the_file_fails_and_its_task_ends(
    storage: Storage, queue: Queue
) -> None:
    task = await create(queue, ["killer.py"])
    assert await queue.acquire_lease("w0", ttl=60)
    await queue.claim(1, "w0")
    await take_over(storage, queue, "w0")
    await crash_alone(storage, queue, MAX_CRASHES)
    status, _, crashes, _ = await item_row(storage, "killer.py")
    assert (status, crashes) == ("failed", MAX_CRASHES)
    ended = await queue.get(task.id)
    assert ended.status is TaskStatus.FAILED and ended.items_failed == 1
    assert ended.message == "0 of 1 files done, 1 failed"
    [failure] = await queue.failures(task.id)
    assert failure.error == crashed_message(MAX_CRASHES)
    assert f"died {MAX_CRASHES} times" in failure.error


async def test_a_failing_suspect_leaves_the_rest_of_its_task_running(
    storage: Storage, queue: Queue
) -> None:
    task = await create(queue, ["killer.py", "fine.py"])
    assert await queue.acquire_lease("w0", ttl=60)
    await queue.claim(1, "w0")
    await take_over(storage, queue, "w0")
    await crash_alone(storage, queue, MAX_CRASHES)
    running = await queue.get(task.id)
    assert running.status is TaskStatus.RUNNING and running.items_failed == 1
    [item] = await queue.claim(1, f"w{MAX_CRASHES}")
    await queue.finish_items([(item, ItemOutcome())], fence=f"w{MAX_CRASHES}")
    assert (await queue.get(task.id)).status is TaskStatus.FAILED


async def test_items_of_a_cancelled_task_are_cancelled_not_retried(
    storage: Storage, queue: Queue
) -> None:
    task = await create(queue, ["a.py", "b.py"])
    assert await queue.acquire_lease("w1", ttl=60)
    await queue.claim(1, "w1")
    await queue.cancel(task.id)
    await take_over(storage, queue, "w2")
    assert (await item_row(storage, "a.py"))[0] == "cancelled"
    assert (await queue.get(task.id)).items_pending == 0


def in_flight(item_id: int, suspect: int = 0, crashes: int = 0, task: str = "Running") -> InFlight:
    return InFlight(item_id, f"task-{item_id}", suspect, crashes, task)


@pytest.mark.parametrize(
    ("item", "cancelled", "failed", "retried"),
    [
        pytest.param(in_flight(1), [], [], [(1, 0)], id="in-flight-retried"),
        pytest.param(in_flight(1, suspect=1), [], [], [(1, 0)], id="waiting-suspect"),
        pytest.param(in_flight(1, suspect=2), [], [], [(1, 1)], id="alone-counts-a-crash"),
        pytest.param(
            in_flight(1, suspect=2, crashes=MAX_CRASHES - 1),
            [],
            [(1, MAX_CRASHES, crashed_message(MAX_CRASHES))],
            [],
            id="last-crash-fails",
        ),
        pytest.param(
            in_flight(1, suspect=0, crashes=MAX_CRASHES - 1),
            [],
            [],
            [(1, MAX_CRASHES - 1)],
            id="not-alone-never-fails",
        ),
        pytest.param(in_flight(1, suspect=2, task="Cancelled"), [1], [], [], id="cancelled"),
    ],
)
def test_what_becomes_of_an_item_left_processing(
    item: InFlight,
    cancelled: list[int],
    failed: list[tuple[int, int, str]],
    retried: list[tuple[int, int]],
) -> None:
    plan = recovery([item])
    assert (plan.cancelled, plan.failed, plan.retried) == (cancelled, failed, retried)
    assert plan.failed_tasks == ({item.task_id} if failed else set())
