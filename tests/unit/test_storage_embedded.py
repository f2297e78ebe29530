"""Which texts have a vector, per model; model rows; what is pending embedding."""

from __future__ import annotations

import pytest
from tests.unit.builders import digest, record, store

from codeindex.storage import LeaseLost, Storage
from codeindex.storage.meta import ACTIVE_MODEL, MODEL_FAILURE, ModelFailure
from codeindex.storage.model_rows import ModelRow
from codeindex.tasks import Queue


def model_row(key: str, dim: int = 4) -> ModelRow:
    return ModelRow(0, key, f"name-{key}", dim, f"fp-{key}", "local", f"table_{key}")


async def a_model(storage: Storage, key: str = "m1") -> int:
    return await storage.register_model(model_row(key))


async def test_a_model_is_recorded_once_and_read_back(storage: Storage) -> None:
    first = await a_model(storage, "mini")
    assert await a_model(storage, "mini") == first
    row = await storage.model(first)
    assert row == ModelRow(first, "mini", "name-mini", 4, "fp-mini", "local", "table_mini")
    assert await storage.model(first + 100) is None


async def test_the_first_model_becomes_active_and_a_later_one_does_not(storage: Storage) -> None:
    first = await a_model(storage, "one")
    second = await a_model(storage, "two")
    assert second != first
    assert await storage.meta.get(ACTIVE_MODEL) == first


async def test_registering_a_model_forgets_a_remembered_load_failure(storage: Storage) -> None:
    await storage.meta.set(MODEL_FAILURE, ModelFailure("settings", "no such model", "hint", 1.0))
    await a_model(storage)
    assert await storage.meta.get(MODEL_FAILURE) is None


async def test_embedded_texts_are_recorded_per_model(storage: Storage) -> None:
    one, two = await a_model(storage, "one"), await a_model(storage, "two")
    await storage.mark_embedded(one, ["h1", "h2"])
    await storage.mark_embedded(one, ["h2", "h3"])  # again: recorded once
    await storage.mark_embedded(two, ["h1"])
    assert sorted(await storage.embedded_hashes(one)) == ["h1", "h2", "h3"]
    assert await storage.embedded_among(two, ["h1", "h2", "h9"]) == {"h1"}


async def test_embedded_among_many_hashes(storage: Storage) -> None:
    model = await a_model(storage)
    hashes = [f"h{i:05d}" for i in range(1300)]
    await storage.mark_embedded(model, hashes[::2])
    assert await storage.embedded_among(model, hashes) == set(hashes[::2])
    assert await storage.embedded_among(model, []) == set()


async def test_forgetting_vectors(storage: Storage) -> None:
    model = await a_model(storage)
    await storage.mark_embedded(model, ["h1", "h2", "h3"])
    await storage.forget_embedded(model, ["h1", "h9"])
    assert sorted(await storage.embedded_hashes(model)) == ["h2", "h3"]
    await storage.forget_all_embedded(model)
    assert await storage.embedded_hashes(model) == []


async def test_vectors_no_chunk_references_any_more(storage: Storage) -> None:
    model = await a_model(storage)
    await store(storage, record("a.py", "kept", "dropped later"))
    await storage.mark_embedded(model, [digest("kept"), digest("dropped later")])
    await store(storage, record("a.py", "kept"))
    assert await storage.unreferenced_embedded(model) == [digest("dropped later")]


@pytest.mark.parametrize(
    ("embedded", "expected"),
    [
        pytest.param([], (3, 3), id="none"),
        pytest.param(["a"], (3, 2), id="one"),
        pytest.param(["a", "b", "c"], (3, 0), id="all"),
        pytest.param(["a", "gone", "skipped"], (3, 2), id="other-hashes-do-not-count"),
    ],
)
async def test_pending_counts_distinct_texts_of_embedded_files(
    storage: Storage, embedded: list[str], expected: tuple[int, int]
) -> None:
    model = await a_model(storage)
    await store(
        storage,
        record("one.py", "a", "b"),
        record("two.py", "b", "c"),  # "b" twice: one text to embed
        record("min.js", "skipped", embed_skip="minified"),
    )
    await storage.mark_embedded(model, [digest(t) for t in embedded])
    assert await storage.pending_counts(model) == expected


async def test_pending_counts_without_a_model_is_everything(storage: Storage) -> None:
    await store(storage, record("one.py", "a", "b"))
    assert await storage.pending_counts(None) == (2, 2)


async def test_recording_vectors_is_fenced_by_the_lease(storage: Storage, queue: Queue) -> None:
    model = await a_model(storage)
    assert await queue.acquire_lease("old", ttl=-1)  # expired at once
    assert await queue.acquire_lease("new", ttl=60)
    with pytest.raises(LeaseLost):
        await storage.mark_embedded(model, ["h1"], fence="old")
    await storage.mark_embedded(model, ["h1"], fence="new")
    assert await storage.embedded_hashes(model) == ["h1"]
