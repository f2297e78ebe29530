"""Pause, resume and cancel: what each state allows, and what the change does to items."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from tests.unit.builders import complete, create

from codeindex.errors import WrongState
from codeindex.storage import Storage
from codeindex.tasks import Queue, Task, TaskStatus

Control = Callable[[Queue, str], Awaitable[Task]]


async def task_in(queue: Queue, worker: str, status: TaskStatus) -> Task:
    """A task of two files brought to `status` through the queue's own API."""
    task = await create(queue, ["a.py", "b.py"])
    if status is TaskStatus.QUEUED:
        return task
    if status is TaskStatus.PAUSED:
        return await queue.pause(task.id)
    if status is TaskStatus.CANCELLED:
        return await queue.cancel(task.id)
    items = await queue.claim(2, worker)
    if status is TaskStatus.COMPLETED:
        await complete(queue, items, worker)
    elif status is TaskStatus.FAILED:
        await queue.finish_items([], [(i, "broken") for i in items], fence=worker)
    return await queue.get(task.id)


def pause(queue: Queue, task_id: str) -> Awaitable[Task]:
    return queue.pause(task_id)


def resume(queue: Queue, task_id: str) -> Awaitable[Task]:
    return queue.resume(task_id)


def cancel(queue: Queue, task_id: str) -> Awaitable[Task]:
    return queue.cancel(task_id)


RULES = [
    pytest.param(pause, TaskStatus.QUEUED, TaskStatus.PAUSED, id="pause-queued"),
    pytest.param(pause, TaskStatus.RUNNING, TaskStatus.PAUSED, id="pause-running"),
    pytest.param(pause, TaskStatus.PAUSED, TaskStatus.PAUSED, id="pause-paused-again"),
    pytest.param(pause, TaskStatus.COMPLETED, None, id="pause-completed"),
    pytest.param(pause, TaskStatus.FAILED, None, id="pause-failed"),
    pytest.param(pause, TaskStatus.CANCELLED, None, id="pause-cancelled"),
    pytest.param(resume, TaskStatus.PAUSED, TaskStatus.QUEUED, id="resume-paused"),
    pytest.param(resume, TaskStatus.QUEUED, None, id="resume-queued"),
    pytest.param(resume, TaskStatus.RUNNING, None, id="resume-running"),
    pytest.param(resume, TaskStatus.COMPLETED, None, id="resume-completed"),
    pytest.param(resume, TaskStatus.CANCELLED, None, id="resume-cancelled"),
    pytest.param(cancel, TaskStatus.QUEUED, TaskStatus.CANCELLED, id="cancel-queued"),
    pytest.param(cancel, TaskStatus.RUNNING, TaskStatus.CANCELLED, id="cancel-running"),
    pytest.param(cancel, TaskStatus.PAUSED, TaskStatus.CANCELLED, id="cancel-paused"),
    pytest.param(cancel, TaskStatus.COMPLETED, None, id="cancel-completed"),
    pytest.param(cancel, TaskStatus.FAILED, None, id="cancel-failed"),
    pytest.param(cancel, TaskStatus.CANCELLED, None, id="cancel-cancelled"),
]


@pytest.mark.parametrize(("control", "start", "after"), RULES)
async def test_what_each_state_allows(
    queue: Queue,
    worker: str,
    control: Control,
    start: TaskStatus,
    after: TaskStatus | None,
) -> None:
    task = await task_in(queue, worker, start)
    assert task.status is start
    if after is None:
        with pytest.raises(WrongState, match=start.value):
            await control(queue, task.id)
        assert (await queue.get(task.id)).status is start  # nothing was changed
    else:
        assert (await control(queue, task.id)).status is after


@pytest.mark.parametrize("control", [pause, resume, cancel], ids=["pause", "resume", "cancel"])
async def test_controlling_an_unknown_task_names_it(queue: Queue, control: Control) -> None:
    with pytest.raises(Exception, match="reindex_absent"):
        await control(queue, "reindex_absent")


async def test_a_paused_task_gives_no_items_until_resumed(queue: Queue, worker: str) -> None:
    task = await create(queue, ["a.py"])
    paused = await queue.pause(task.id)
    assert paused.message == "paused"
    assert await queue.claim(5, worker) == []
    assert await queue.best_pending_priority() is None
    resumed = await queue.resume(task.id)
    assert resumed.message == "resumed"
    assert [i.path for i in await queue.claim(5, worker)] == ["a.py"]


async def test_a_started_task_resumes_running(queue: Queue, worker: str) -> None:
    task = await create(queue, ["a.py", "b.py"])
    await queue.claim(1, worker)
    await queue.pause(task.id)
    assert (await queue.resume(task.id)).status is TaskStatus.RUNNING


async def test_cancel_cancels_pending_items_and_keeps_done_ones(
    storage: Storage, queue: Queue, worker: str
) -> None:
    task = await create(queue, ["a.py", "b.py", "c.py"])
    first, second = await queue.claim(2, worker)
    await complete(queue, [first], worker)
    cancelled = await queue.cancel(task.id)
    assert cancelled.status is TaskStatus.CANCELLED and cancelled.completed_at is not None
    assert (cancelled.items_completed, cancelled.items_cancelled) == (1, 1)
    assert cancelled.items_pending == 1  # still processing: the worker drops it
    await queue.cancel_items([second])
    final = await queue.get(task.id)
    assert (final.items_cancelled, final.items_pending) == (2, 0)
    rows = await storage.fetchall(
        "SELECT file_path, status FROM reindexing_task_items ORDER BY file_path"
    )
    assert [tuple(r) for r in rows] == [
        ("a.py", "completed"),
        ("b.py", "cancelled"),
        ("c.py", "cancelled"),
    ]


async def test_finishing_an_item_of_a_cancelled_task_does_not_revive_it(
    queue: Queue, worker: str
) -> None:
    task = await create(queue, ["a.py", "b.py"])
    items = await queue.claim(2, worker)
    await queue.cancel(task.id)
    assert await complete(queue, items, worker) == []  # no task ended with this call
    after = await queue.get(task.id)
    assert after.status is TaskStatus.CANCELLED and after.items_completed == 2
