"""A running task's progress and ETA as the queue reads them: the share of its estimated run
time done, from its clock in index.db (paused time not counted) and the worker's latest
estimate of its time left; waiting behind another task counted. A task's clock is moved
back by hand (`ran_for`) so that no test waits."""

from __future__ import annotations

import pytest
from tests.unit.builders import complete, create

from codeindex.storage import Storage
from codeindex.tasks import Queue, TaskStatus
from codeindex.tasks.clock import MAX_PROGRESS
from codeindex.tasks.views import info, response


async def ran_for(storage: Storage, task_id: str, seconds: float) -> None:
    """As if the task's run under way had started `seconds` earlier."""
    async with storage.transaction() as tx:
        await tx.execute(
            "UPDATE reindexing_tasks SET running_since = running_since - ? WHERE id = ?",
            (seconds, task_id),
        )


async def test_progress_is_the_share_of_the_estimated_run_time_done(
    storage: Storage, queue: Queue, worker: str
) -> None:
    task = await create(queue, ["a.py", "b.py"], seconds=20.0)
    assert task.estimated_duration_seconds == 40.0
    await queue.claim(1, worker)
    await ran_for(storage, task.id, 10.0)
    await queue.renew_estimates({task.id: 30.0}, fence=worker)
    running = await queue.get(task.id)
    assert running.progress == pytest.approx(0.25, abs=0.01)
    assert running.eta_seconds == pytest.approx(30.0, abs=0.1)
    assert info(running, [])["eta_seconds"] == pytest.approx(30.0, abs=0.1)


async def test_before_any_new_estimate_the_one_made_at_creation_counts(
    storage: Storage, queue: Queue, worker: str
) -> None:
    task = await create(queue, ["a.py"], seconds=20.0)
    await queue.claim(1, worker)
    await ran_for(storage, task.id, 20.0)
    running = await queue.get(task.id)
    assert running.progress == pytest.approx(20.0 / 38.0, abs=0.01)  # counted down 2 s at most


async def test_progress_never_goes_backwards_when_the_estimate_grows(
    storage: Storage, queue: Queue, worker: str
) -> None:
    task = await create(queue, ["a.py"], seconds=20.0)
    await queue.claim(1, worker)
    await ran_for(storage, task.id, 10.0)
    await queue.renew_estimates({task.id: 10.0}, fence=worker)
    before = (await queue.get(task.id)).progress
    await queue.renew_estimates({task.id: 1000.0}, fence=worker)
    after = await queue.get(task.id)
    assert before == pytest.approx(0.5, abs=0.01) and after.progress >= before
    assert after.eta_seconds == pytest.approx(1000.0, abs=0.1)


async def test_progress_stays_below_one_until_the_task_completes(
    storage: Storage, queue: Queue, worker: str
) -> None:
    task = await create(queue, ["a.py"])
    [item] = await queue.claim(1, worker)
    await ran_for(storage, task.id, 1000.0)
    await queue.renew_estimates({task.id: 0.0}, fence=worker)
    running = await queue.get(task.id)
    assert running.status is TaskStatus.RUNNING and running.progress <= MAX_PROGRESS < 1.0
    await complete(queue, [item], worker)
    done = await queue.get(task.id)
    assert (done.status, done.progress, done.eta_seconds) == (TaskStatus.COMPLETED, 1.0, None)


async def test_paused_time_is_not_counted_and_a_resume_goes_on_from_the_estimate(
    storage: Storage, queue: Queue, worker: str
) -> None:
    task = await create(queue, ["a.py", "b.py"], seconds=20.0)
    await queue.claim(1, worker)
    await ran_for(storage, task.id, 10.0)
    await queue.renew_estimates({task.id: 10.0}, fence=worker)
    paused = await queue.pause(task.id)
    assert paused.progress == pytest.approx(0.5, abs=0.01) and paused.eta_seconds is None
    assert paused.run_seconds == pytest.approx(10.0, abs=0.1)
    clock = await storage.fetchone(
        "SELECT running_since, active_seconds FROM reindexing_tasks WHERE id = ?", (task.id,)
    )
    assert clock[0] is None and clock[1] == pytest.approx(10.0, abs=0.1)  # the clock stopped
    resumed = await queue.resume(task.id)
    assert resumed.status is TaskStatus.RUNNING
    assert resumed.eta_seconds == pytest.approx(10.0, abs=0.2)
    assert resumed.progress == pytest.approx(0.5, abs=0.01)


async def test_a_task_waiting_behind_another_says_so_and_counts_the_wait(
    storage: Storage, queue: Queue, worker: str
) -> None:
    first = await create(queue, ["a.py", "b.py"])
    second = await create(queue, ["c.py"])
    await queue.claim(1, worker)
    await queue.renew_estimates({first.id: 20.0, second.id: 5.0}, fence=worker)
    waiting = await queue.get(second.id)
    assert waiting.status is TaskStatus.QUEUED and waiting.progress == 0.0
    assert waiting.eta_seconds == pytest.approx(25.0, abs=0.1)
    assert response(waiting)["message"] == f"queued; waits behind {first.id}"
    assert info(await queue.get(first.id), [])["message"] == "queued"


async def test_a_task_that_runs_has_its_run_time_as_duration(
    storage: Storage, queue: Queue, worker: str
) -> None:
    task = await create(queue, ["a.py"])
    [item] = await queue.claim(1, worker)
    await ran_for(storage, task.id, 7.0)
    await complete(queue, [item], worker)
    done = await queue.get(task.id)
    assert done.run_seconds == pytest.approx(7.0, abs=0.1)
