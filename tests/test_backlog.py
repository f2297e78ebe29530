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


def test_paused_task_texts_wait() -> None:
    backlog = Backlog()
    _wait(backlog, _item(1, "paused"), ["p1", "p2"])
    _wait(backlog, _item(2, "running", Priority.LOW), ["r1"])
    backlog.paused = {"paused"}
    assert backlog.best_priority() == Priority.LOW
    assert [h for h, _ in backlog.window(10)] == ["r1"]


def test_what_each_task_has_left_to_embed_counts_a_shared_text_once_a_task() -> None:
    backlog = Backlog(cost=lambda text: 10 * len(text))
    _wait(backlog, _item(1, "a"), ["x", "shared"])
    _wait(backlog, _item(2, "a"), ["shared"])
    _wait(backlog, _item(3, "b"), ["shared"])
    only, shared = 10 * len("text x"), 10 * len("text shared")
    assert backlog.left == {"a": only + shared, "b": shared}
    backlog.embedded("shared")
    assert backlog.left == {"a": only}
    backlog.drop(1)
    assert backlog.left == {} and "x" not in backlog


def test_drop_forgets_texts_only_that_item_needed() -> None:
    backlog = Backlog()
    _wait(backlog, _item(1, "a"), ["only", "shared"])
    _wait(backlog, _item(2, "b"), ["shared"])
    backlog.drop(1)
    assert "only" not in backlog and "shared" in backlog
    assert set(backlog.tasks) == {"b"}
