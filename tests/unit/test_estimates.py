"""Estimates from measured speeds (real index.db): what one worker measured is persisted and
starts the next task's estimate and the next worker; a task's time left counts its pending
items and what it waits on to embed; text whose vector exists costs nothing."""

from __future__ import annotations

from typing import cast

import pytest
from tests.unit.builders import digest, record, store

from codeindex.app.planner import ModelPlan, Plan, create_task
from codeindex.storage import Storage
from codeindex.storage.model_rows import ModelRow
from codeindex.tasks import Action, Item, PlannedItem, Priority, Queue, Scope, Task
from codeindex.tasks.speeds import ITEM_BYTES
from codeindex.worker import estimates as estimates_module
from codeindex.worker.estimates import Estimates

SIZE = 100_000 - int(ITEM_BYTES)  # with what a file costs beyond its bytes: 100 kB


async def measured(storage: Storage, queue: Queue, model_id: int = 3) -> Estimates:
    """A worker that measured 1 MB/s of python and 10k characters embedded a second."""
    worker = Estimates(storage, queue, "m", "worker-1")
    worker.speeds.indexed({"python": 1_000_000.0}, 1.0)
    worker.speeds.embedded("m", 10_000.0, 1.0)
    worker.loaded(model_id, 2.0)
    return worker


async def plan_one(
    storage: Storage, queue: Queue, *, loaded: bool = True, indexed: bool = False
) -> Task:
    item = PlannedItem("a.py", Action.INDEX, SIZE)
    planned = Plan(["a.py"], [item], 0, frozenset({"a.py"} if indexed else ()))
    return await create_task(
        queue,
        storage,
        scope=Scope.FILES,
        planned=planned,
        priority=Priority.NORMAL,
        options=(False, False, True),
        model_id=None,
        model=ModelPlan("m", 10_000, loaded),
        message="queued",
    )


async def test_speeds_measured_are_persisted_and_start_the_next_estimates(
    storage: Storage, queue: Queue
) -> None:
    unmeasured = await plan_one(storage, queue)
    await (await measured(storage, queue)).save()
    # the next task: 0.1 s to read, parse and store 100 kB, then 100k characters to embed
    task = await plan_one(storage, queue)
    assert task.estimated_duration_seconds == pytest.approx(0.1 + SIZE / 10_000, rel=0.01)
    assert unmeasured.estimated_duration_seconds != task.estimated_duration_seconds
    cold = await plan_one(storage, queue, loaded=False)  # no worker: the model loads first
    assert cold.estimated_duration_seconds == pytest.approx(2.0 + 0.1 + SIZE / 10_000, rel=0.01)
    # the next worker starts from them too
    again = Estimates(storage, queue, "m", "worker-2")
    await again.load()
    assert again.speeds.embed_rate("m").value == pytest.approx(10_000.0, rel=0.01)
    assert again.speeds.index_rate("python").value == pytest.approx(1_000_000.0, rel=0.01)


async def test_text_whose_vector_exists_costs_nothing_to_embed(
    storage: Storage, queue: Queue
) -> None:
    model_id = await storage.register_model(ModelRow(0, "m", "m", 4, "fp", "local", "t"))
    await (await measured(storage, queue, model_id)).save()
    await store(storage, record("a.py", "x" * 5_000, "y" * 3_000, size=SIZE))
    half = await plan_one(storage, queue, indexed=True)
    await storage.mark_embedded(model_id, [digest("x" * 5_000), digest("y" * 3_000)])
    none = await plan_one(storage, queue, indexed=True)
    assert half.estimated_duration_seconds == pytest.approx(0.1 + 8_010 / 10_000, rel=0.01)
    assert none.estimated_duration_seconds == pytest.approx(0.1, rel=0.01)
    # nothing to embed, but a worker loads the model to look the texts up
    cold = await plan_one(storage, queue, indexed=True, loaded=False)
    assert cold.estimated_duration_seconds == pytest.approx(2.0 + 0.1, rel=0.01)


async def test_a_renewed_estimate_counts_pending_items_and_texts_waiting(
    storage: Storage, queue: Queue
) -> None:
    assert await queue.acquire_lease("worker-1", ttl=60)
    worker = await measured(storage, queue)
    task = await plan_one(storage, queue)
    other = await plan_one(storage, queue)
    await worker.renew({task.id: 20_000}, embeds=True, loaded=True, now=True)
    first = await queue.get(task.id)
    assert first.eta_seconds == pytest.approx(0.1 + (SIZE + 20_000) / 10_000, abs=0.05)
    second = await queue.get(other.id)
    assert second.eta_seconds == pytest.approx(first.eta_seconds + 0.1 + SIZE / 10_000, abs=0.1)
    assert second.waiting_behind == task.id
    await worker.renew({}, embeds=False, loaded=False, now=True)  # no model: no embedding
    assert (await queue.get(task.id)).eta_seconds == pytest.approx(0.5, abs=0.05)  # the tail


def test_every_moment_of_a_busy_stretch_is_some_steps_time_but_a_model_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [0.0]
    monkeypatch.setattr(estimates_module.time, "monotonic", lambda: now[0])
    worker = Estimates(cast(Storage, None), cast(Queue, None), "m", "worker-1")
    item = Item(1, "t", "a.py", Action.INDEX, Priority.NORMAL, 1, SIZE, None, False)
    worker.start()
    now[0] = 2.0
    worker.indexed([item])  # 100 kB in 2 s
    now[0] = 2.5
    worker.embedded(100)  # the first batch warms the model up: not measured
    now[0] = 3.0  # half a second of bookkeeping between steps
    now[0] = 4.5
    worker.embedded(2_000)  # 1.5 s of the batch + 0.5 s before it: 1000 a second
    now[0] = 8.0
    worker.loaded(1, 3.0)  # 3 s of the 3.5 loading the model
    now[0] = 9.0
    worker.embedded(5_000)  # warm-up again
    now[0] = 10.0
    worker.embedded(3_000)
    assert worker.speeds.index_rate("python").value == pytest.approx(50_000.0, rel=0.02)
    assert worker.speeds.embed_rate("m").value == pytest.approx(
        (2_000 + 3_000) / (2.0 + 1.0), rel=0.05
    )
    assert worker.speeds.load_seconds("m") == 3.0
