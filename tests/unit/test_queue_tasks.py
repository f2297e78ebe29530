"""Creating tasks (a task and all its items in one transaction) and reading them back."""

from __future__ import annotations

import re

import pytest
from tests.unit.builders import complete, create

from codeindex.errors import UnknownTask
from codeindex.storage import Storage
from codeindex.tasks import Action, PlannedItem, Priority, Queue, Scope, TaskStatus


async def test_a_task_is_created_queued_with_its_items(queue: Queue) -> None:
    task = await create(queue, ["a.py", "b.py"], priority=Priority.LOW, seconds=2.0)
    assert re.fullmatch(r"reindex_\d{14}_[0-9a-f]{8}", task.id)
    assert task.status is TaskStatus.QUEUED and task.priority is Priority.LOW
    assert (task.items_total, task.items_pending, task.items_completed) == (2, 2, 0)
    assert task.progress == 0.0 and task.started_at is None and task.completed_at is None
    assert task.estimated_duration_seconds == 4.0 and task.message == "queued"
    assert task.target_paths == ["a.py", "b.py"] and task.scope is Scope.FILES


async def test_a_task_with_nothing_to_do_is_completed_at_once(queue: Queue) -> None:
    task = await create(queue, [], scope=Scope.PROJECT, message="nothing to do")
    assert task.status is TaskStatus.COMPLETED and task.finished
    assert task.progress == 1.0 and task.completed_at == task.started_at == task.created_at
    assert await queue.count_unfinished() == 0


async def test_the_task_and_its_items_are_one_transaction(storage: Storage, queue: Queue) -> None:
    other = await Storage.open(storage.path)
    try:
        before = await other.data_version()
        await create(queue, [f"f{i}.py" for i in range(50)])
        assert await other.data_version() == before + 1
    finally:
        await other.close()


async def test_a_failed_create_leaves_no_task_and_no_items(storage: Storage, queue: Queue) -> None:
    bad = PlannedItem("a.py", "no-such-action", 1, 1.0)  # type: ignore[arg-type]
    with pytest.raises(Exception, match="CHECK"):
        await queue.create(
            scope=Scope.FILE,
            target_paths=["a.py"],
            recursive=False,
            embeddings_only=False,
            incremental=False,
            priority=Priority.NORMAL,
            items=[PlannedItem("ok.py", Action.INDEX), bad],
            model_id=None,
            estimate=None,
            message="",
        )
    assert await storage.scalar("SELECT count(*) FROM reindexing_tasks") == 0
    assert await storage.scalar("SELECT count(*) FROM reindexing_task_items") == 0


async def test_items_keep_what_their_cost_is_estimated_from(storage: Storage, queue: Queue) -> None:
    task = await create(queue, ["gone.py"], action=Action.EMBED, embed_chars=500.0)
    row = await storage.fetchone(
        "SELECT action, size, language, embed_chars, priority, base_priority, status "
        "FROM reindexing_task_items WHERE task_id = ?",
        (task.id,),
    )
    assert tuple(row) == ("embed", len("gone.py"), "python", 500.0, 1, 1, "pending")


async def test_an_unknown_task_is_an_error_naming_the_id(queue: Queue) -> None:
    with pytest.raises(UnknownTask, match="reindex_nope") as caught:
        await queue.get("reindex_nope")
    assert caught.value.code == "unknown_task"


async def test_tasks_are_listed_newest_first(queue: Queue) -> None:
    first = await create(queue, ["a.py"])
    second = await create(queue, ["b.py"])
    third = await create(queue, [])
    assert [t.id for t in await queue.list_tasks()] == [third.id, second.id, first.id]
    assert [t.id for t in await queue.list_tasks(limit=1)] == [third.id]
    assert [t.id for t in await queue.list_tasks(TaskStatus.COMPLETED)] == [third.id]
    assert [t.id for t in await queue.list_tasks(TaskStatus.QUEUED)] == [second.id, first.id]


async def test_unfinished_tasks_oldest_first_and_counted_by_scope(queue: Queue) -> None:
    files = await create(queue, ["a.py"], scope=Scope.FILES)
    project = await create(queue, ["b.py"], scope=Scope.PROJECT)
    await create(queue, [], scope=Scope.PROJECT)  # completed at once
    assert [t.id for t in await queue.unfinished()] == [files.id, project.id]
    assert await queue.count_unfinished() == 2
    assert await queue.count_unfinished(Scope.PROJECT) == 1
    assert await queue.count_unfinished(Scope.DIRECTORY) == 0


async def test_counts_of_tasks_and_items_left(queue: Queue, worker: str) -> None:
    await create(queue, ["a.py", "b.py"])
    await create(queue, [])
    assert await queue.counts_by_status() == {"Queued": 1, "Completed": 1}
    assert await queue.items_left() == 2
    [item] = await queue.claim(1, worker)
    assert await queue.items_left() == 2  # processing still counts
    await complete(queue, [item], worker)
    assert await queue.items_left() == 1
    assert await queue.counts_by_status() == {"Running": 1, "Completed": 1}


async def test_failures_of_a_task_in_order(queue: Queue, worker: str) -> None:
    task = await create(queue, ["a.py", "b.py", "c.py"])
    items = await queue.claim(3, worker)
    await queue.finish_items([], [(items[2], "too big"), (items[0], "binary")], fence=worker)
    failures = await queue.failures(task.id)
    assert [(f.path, f.error) for f in failures] == [("a.py", "binary"), ("c.py", "too big")]
    assert [f.path for f in await queue.failures(task.id, limit=1)] == ["a.py"]


async def test_whether_a_worker_is_needed(queue: Queue, worker: str) -> None:
    assert not await queue.has_runnable() and not await queue.needs_worker()
    task = await create(queue, ["a.py"])
    assert await queue.has_runnable() and await queue.needs_worker()
    await queue.claim(1, worker)
    assert not await queue.has_runnable()  # nothing pending
    assert await queue.needs_worker()  # processing by a worker that may die
    await queue.pause(task.id)
    assert not await queue.needs_worker()


async def test_task_states_by_id(queue: Queue) -> None:
    one = await create(queue, ["a.py"])
    two = await create(queue, [])
    await queue.pause(one.id)
    states = await queue.task_states([one.id, two.id, "reindex_absent"])
    assert states == {one.id: TaskStatus.PAUSED, two.id: TaskStatus.COMPLETED}
    assert await queue.task_states([]) == {}


async def test_recent_states_change_only_when_a_task_does(queue: Queue, worker: str) -> None:
    task = await create(queue, ["a.py", "b.py"])
    first = await queue.recent_states(since=0)
    assert await queue.recent_states(since=0) == first and task.id in first
    [item] = await queue.claim(1, worker)
    await complete(queue, [item], worker)
    assert (await queue.recent_states(since=0))[task.id] != first[task.id]


async def test_ended_tasks_leave_the_recent_states_after_a_while(queue: Queue) -> None:
    done = await create(queue, [])
    queued = await create(queue, ["a.py"])
    ended = done.completed_at or 0
    assert done.id in await queue.recent_states(since=ended)
    later = await queue.recent_states(since=ended + 60)
    assert done.id not in later and queued.id in later  # unfinished ones always show
