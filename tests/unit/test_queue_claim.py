"""Claiming items: the best priority of any task first, suspects alone, open files raised."""

from __future__ import annotations

import pytest
from tests.unit.builders import create

from codeindex.storage import LeaseLost, Storage
from codeindex.storage.item_rows import ItemRow
from codeindex.tasks import Action, Priority, Queue, TaskStatus
from codeindex.tasks.worker_side import take_together


async def test_high_before_normal_before_low_whatever_the_order_of_tasks(
    queue: Queue, worker: str
) -> None:
    await create(queue, ["low-1.py", "low-2.py"], priority=Priority.LOW)
    await create(queue, ["normal.py"], priority=Priority.NORMAL)
    await create(queue, ["high.py"], priority=Priority.HIGH)
    order = []
    while items := await queue.claim(1, worker):
        order.append(items[0].path)
    assert order == ["high.py", "normal.py", "low-1.py", "low-2.py"]


async def test_a_high_task_is_served_between_items_of_a_long_low_task(
    queue: Queue, worker: str
) -> None:
    await create(queue, [f"low{i}.py" for i in range(5)], priority=Priority.LOW)
    [first] = await queue.claim(1, worker)
    await create(queue, ["urgent.py"], priority=Priority.HIGH)
    [second] = await queue.claim(1, worker)
    assert (first.path, second.path) == ("low0.py", "urgent.py")


async def test_one_claim_takes_items_of_the_best_priority_only(queue: Queue, worker: str) -> None:
    await create(queue, ["n1.py", "n2.py", "n3.py"], priority=Priority.NORMAL)
    await create(queue, ["l1.py"], priority=Priority.LOW)
    items = await queue.claim(10, worker)
    assert [i.path for i in items] == ["n1.py", "n2.py", "n3.py"]
    assert {i.priority for i in items} == {Priority.NORMAL}


@pytest.mark.parametrize("limit", [1, 2, 5])
async def test_a_claim_takes_at_most_its_limit_oldest_first(
    queue: Queue, worker: str, limit: int
) -> None:
    await create(queue, ["a.py", "b.py", "c.py"])
    await create(queue, ["d.py", "e.py"])
    items = await queue.claim(limit, worker)
    assert [i.path for i in items] == ["a.py", "b.py", "c.py", "d.py", "e.py"][:limit]


async def test_a_claimed_item_says_what_to_do_and_for_which_task(queue: Queue, worker: str) -> None:
    task = await create(queue, ["gone.py"], action=Action.DELETE, embed_chars=250.0)
    [item] = await queue.claim(1, worker)
    assert (item.task_id, item.path, item.action) == (task.id, "gone.py", Action.DELETE)
    assert (item.attempts, item.size, item.suspect) == (1, 7, False)
    assert (item.language, item.embed_chars) == ("python", 250.0)
    assert item.model_id is None and not item.embeddings_only


async def test_claiming_starts_the_task_and_marks_the_item_processing(
    storage: Storage, queue: Queue, worker: str
) -> None:
    task = await create(queue, ["a.py", "b.py"])
    await queue.claim(1, worker)
    running = await queue.get(task.id)
    assert running.status is TaskStatus.RUNNING and running.current_path == "a.py"
    assert running.started_at is not None and running.items_pending == 2
    row = await storage.fetchone(
        "SELECT status, worker, attempts FROM reindexing_task_items WHERE file_path = 'a.py'"
    )
    assert tuple(row) == ("processing", worker, 1)


async def test_an_item_is_claimed_once(queue: Queue, worker: str) -> None:
    await create(queue, ["a.py"])
    assert len(await queue.claim(5, worker)) == 1
    assert await queue.claim(5, worker) == []


async def test_nothing_to_claim(queue: Queue, worker: str) -> None:
    assert await queue.claim(5, worker) == []
    assert await queue.best_pending_priority() is None


async def test_the_best_pending_priority(queue: Queue, worker: str) -> None:
    await create(queue, ["l.py"], priority=Priority.LOW)
    assert await queue.best_pending_priority() is Priority.LOW
    await create(queue, ["n.py"], priority=Priority.NORMAL)
    assert await queue.best_pending_priority() is Priority.NORMAL
    await queue.claim(1, worker)
    assert await queue.best_pending_priority() is Priority.LOW


async def test_a_file_open_in_an_editor_is_served_first(queue: Queue, worker: str) -> None:
    await create(queue, ["a.py", "b.py", "open.py"], priority=Priority.LOW)
    await queue.register_client("editor", "lsp", ttl=60)
    assert await queue.boost("editor", ["open.py"]) == 1
    [first] = await queue.claim(1, worker)
    assert (first.path, first.priority) == ("open.py", Priority.HIGH)


async def test_a_task_queued_for_an_open_file_is_high_at_once(queue: Queue, worker: str) -> None:
    await queue.register_client("editor", "lsp", ttl=60)
    await queue.boost("editor", ["open.py"])
    await create(queue, ["a.py", "open.py"], priority=Priority.LOW)
    [first] = await queue.claim(1, worker)
    assert (first.path, first.priority) == ("open.py", Priority.HIGH)


async def test_a_claim_after_losing_the_lease_takes_nothing(storage: Storage, queue: Queue) -> None:
    await create(queue, ["a.py"])
    assert await queue.acquire_lease("old", ttl=-1)
    assert await queue.acquire_lease("new", ttl=60)
    with pytest.raises(LeaseLost):
        await queue.claim(1, "old")
    assert (
        await storage.scalar("SELECT status FROM reindexing_task_items WHERE file_path = 'a.py'")
        == "pending"
    )


def row(item_id: int, priority: int = 1, suspect: bool = False) -> ItemRow:
    return ItemRow(
        item_id, "t", f"{item_id}.py", "index", priority, 0, 1, None, False, suspect, None, None
    )


@pytest.mark.parametrize(
    ("pending", "taken"),
    [
        pytest.param([], [], id="none"),
        pytest.param([row(1), row(2)], [1, 2], id="same-priority"),
        pytest.param([row(1, 0), row(2, 1)], [1], id="best-priority-only"),
        pytest.param([row(1, suspect=True), row(2)], [1], id="a-suspect-alone"),
        pytest.param([row(1), row(2, suspect=True), row(3)], [1, 3], id="suspects-wait"),
        pytest.param([row(1, 0, True), row(2, 0, True)], [1], id="one-suspect-at-a-time"),
    ],
)
def test_which_pending_items_are_taken_together(pending: list[ItemRow], taken: list[int]) -> None:
    assert [r.id for r in take_together(pending)] == taken
