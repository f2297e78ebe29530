"""The worker's embedding backlog: ordering, sharing, pause and drop (pure bookkeeping)."""

from __future__ import annotations

from codeindex.tasks import Action, Item, ItemOutcome, Priority
from codeindex.worker.backlog import Backlog


def _item(item_id: int, task: str, priority: Priority = Priority.NORMAL) -> Item:
    return Item(
        id=item_id,
        task_id=task,
        path=f"f{item_id}.py",
        action=Action.INDEX,
        priority=priority,
        attempts=1,
        size=10,
        model_id=None,
        embeddings_only=False,
        weight=2.0,
    )


def _wait(backlog: Backlog, item: Item, hashes: list[str]) -> None:
    backlog.wait(item, ItemOutcome(), {h: f"text {h}" for h in hashes}, set(hashes), set())


def test_best_priority_first_then_arrival_order() -> None:
    backlog = Backlog()
    _wait(backlog, _item(1, "low", Priority.LOW), ["a", "b"])
    _wait(backlog, _item(2, "normal"), ["c"])
    assert backlog.best_priority() == Priority.NORMAL
    assert [h for h, _ in backlog.window(10)] == ["c"]
    _wait(backlog, _item(3, "high", Priority.HIGH), ["b"])  # a shared text is raised
    assert [h for h, _ in backlog.window(10)] == ["b"]


def test_shared_text_is_embedded_once_and_completes_both_items() -> None:
    backlog = Backlog()
    _wait(backlog, _item(1, "t"), ["x", "y"])
    _wait(backlog, _item(2, "t"), ["y"])
    assert len(backlog) == 2
    backlog.embedded("y")
    backlog.embedded("x")
    done = backlog.written({"x", "y"})
    assert sorted(w.item.id for w in done) == [1, 2]
    assert sum(w.outcome.embeddings for w in done) == 2  # each text credited once
    assert not backlog.waiting and not backlog.tasks


def test_paused_task_texts_wait_and_partial_progress_is_weighted() -> None:
    backlog = Backlog()
    _wait(backlog, _item(1, "paused"), ["p1", "p2"])
    _wait(backlog, _item(2, "running", Priority.LOW), ["r1"])
    backlog.paused = {"paused"}
    assert backlog.best_priority() == Priority.LOW
    assert [h for h, _ in backlog.window(10)] == ["r1"]
    backlog.paused = set()
    backlog.embedded("p1")
    assert backlog.partial_progress() == {"paused": 1.0, "running": 0.0}


def test_drop_forgets_texts_only_that_item_needed() -> None:
    backlog = Backlog()
    _wait(backlog, _item(1, "a"), ["only", "shared"])
    _wait(backlog, _item(2, "b"), ["shared"])
    backlog.drop(1)
    assert "only" not in backlog and "shared" in backlog
    assert set(backlog.tasks) == {"b"}
