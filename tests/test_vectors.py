"""The vector store on real LanceDB in tmp_path: rows keyed by hash, readers, sizes, threads."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from tests.helpers import folder_bytes

from codeindex.embedding.local import load_embedder
from codeindex.embedding.spec import ModelSpec
from codeindex.vectors.store import VectorStore
from codeindex.vectors.table import VectorTable

TINY_RETENTION = timedelta(milliseconds=1)


def unit(count: int, dim: int, seed: int = 0) -> npt.NDArray[np.float32]:
    vectors = np.random.default_rng(seed).standard_normal((count, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def names(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{i:05d}" for i in range(count)]


@pytest.fixture
def store(tmp_path: Path) -> VectorStore:
    return VectorStore(tmp_path / "vectors")


def test_a_new_store_touches_nothing_until_the_first_write(store: VectorStore) -> None:
    assert store.table_names() == []
    assert store.open_table("v_x") is None
    assert folder_bytes(store.path) == 0
    store.drop_table("v_x")
    assert not store.path.exists()
    store.table("v_x", 8)
    assert store.path.is_dir()
    assert store.table_names() == ["v_x"]


def test_an_empty_table_answers_empty(store: VectorStore) -> None:
    table = store.table("v_a", 4)
    assert (table.count(), table.hashes(), table.delete(["x"])) == (0, set(), 0)
    assert table.search(np.ones(4, np.float32), 3) == []
    table.optimize()
    table.refresh()
    assert table.count() == 0


def test_add_search_count_hashes(store: VectorStore) -> None:
    table = store.table("v_a", 16)
    vectors = unit(200, 16)
    table.add(names("h", 200), vectors)
    assert table.count() == 200
    assert table.hashes() == set(names("h", 200))
    hits = table.search(vectors[7], 5)
    assert len(hits) == 5
    assert hits[0][0] == "h00007"
    assert hits[0][1] == pytest.approx(1.0, abs=1e-5)
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0 <= score <= 1.0 for score in scores)
    assert len(table.search(vectors[0], 1000)) == 200
    assert table.search(vectors[0], 0) == []


def test_search_scores_are_cosine_similarities(store: VectorStore) -> None:
    table = store.table("v_cos", 3)
    table.add(["x", "y", "neg"], np.array([[1, 0, 0], [0, 1, 0], [-1, 0, 0]], np.float32))
    query = np.array([3.0, 3.0, 0.0], np.float32)
    hits = dict(table.search(query, 3))
    assert hits["x"] == pytest.approx(2**-0.5, abs=1e-6)
    assert hits["y"] == pytest.approx(2**-0.5, abs=1e-6)
    assert hits["neg"] == pytest.approx(-(2**-0.5), abs=1e-6)


def test_re_adding_a_hash_does_not_duplicate_it(store: VectorStore) -> None:
    table = store.table("v_a", 8)
    vectors = unit(50, 8)
    table.add(names("h", 50), vectors)
    table.add(names("h", 50), unit(50, 8, seed=1))
    assert table.count() == 50
    doubled = ["n1", "n1", "h00001", "n2"]
    table.add(doubled, unit(4, 8, seed=2))
    assert table.count() == 52
    assert table.search(vectors[1], 1)[0] == ("h00001", pytest.approx(1.0, abs=1e-5))
    table.add([], np.zeros((0, 8), np.float32))
    assert table.count() == 52


def test_add_rejects_vectors_of_the_wrong_shape(store: VectorStore) -> None:
    table = store.table("v_a", 8)
    with pytest.raises(ValueError, match="shape"):
        table.add(["a", "b"], unit(2, 9))
    with pytest.raises(ValueError, match="shape"):
        table.add(["a", "b"], unit(3, 8))
    with pytest.raises(ValueError, match="8-dim"):
        table.search(unit(1, 4)[0], 3)


def test_delete_removes_rows_and_returns_how_many(store: VectorStore) -> None:
    table = store.table("v_a", 8)
    vectors = unit(30, 8)
    table.add(names("h", 30), vectors)
    table.search(vectors[0], 1)
    gone = names("h", 10)
    assert table.delete([*gone, "never-added", gone[0]]) == 10
    assert table.delete([]) == 0
    assert table.delete(["never-added"]) == 0
    assert table.count() == 20
    assert table.hashes() == set(names("h", 30)) - set(gone)
    assert all(digest not in gone for digest, _ in table.search(vectors[0], 30))


def test_quotes_in_hashes_are_safe(store: VectorStore) -> None:
    table = store.table("v_a", 4)
    table.add(["it's", "a') OR ('1'='1"], unit(2, 4))
    assert table.delete(["a') OR ('1'='1"]) == 1
    assert table.hashes() == {"it's"}


def test_a_second_store_sees_new_rows_after_refresh(tmp_path: Path) -> None:
    writer = VectorStore(tmp_path / "vectors").table("v_a", 8)
    vectors = unit(40, 8)
    writer.add(names("h", 20), vectors[:20])
    reader = VectorStore(tmp_path / "vectors").open_table("v_a")
    assert reader is not None
    assert reader.dim == 8
    assert reader.search(vectors[3], 1)[0][0] == "h00003"
    writer.add(names("g", 20), vectors[20:])
    reader.refresh()
    assert reader.count() == 40
    assert reader.search(vectors[25], 1)[0][0] == "g00005"


def test_a_reader_survives_the_writer_removing_old_versions(tmp_path: Path) -> None:
    writer = VectorStore(tmp_path / "vectors").table("v_a", 8)
    vectors = unit(20, 8)
    writer.add(names("h", 10), vectors[:10])
    reader = VectorStore(tmp_path / "vectors").open_table("v_a")
    assert reader is not None
    writer.add(names("g", 10), vectors[10:])
    writer.delete(names("h", 5))
    writer.optimize(TINY_RETENTION)
    # Whether LanceDB has already removed the files of the reader's version is up to its
    # cleanup timing: the reader answers from its own version or from the latest, never fails.
    assert reader.search(vectors[12], 1)[0][0] in {"h00003", "g00002"}
    assert reader.hashes() in ({f"h{i:05d}" for i in range(10)}, writer.hashes())
    reader.refresh()
    assert reader.search(vectors[12], 1)[0][0] == "g00002"
    assert reader.hashes() == writer.hashes()


def test_optimize_keeps_the_folder_from_growing(store: VectorStore) -> None:
    table = store.table("v_a", 64)
    table.add(names("keep", 1000), unit(1000, 64))
    sizes = []
    for cycle in range(10):
        batch = names(f"c{cycle}_", 1000)
        table.add(batch, unit(1000, 64, seed=cycle + 1))
        assert table.delete(batch) == 1000
        table.optimize(TINY_RETENTION)
        sizes.append(folder_bytes(store.path))
    assert table.count() == 1000
    assert max(sizes[2:]) <= sizes[1] * 1.05, sizes


def test_tables_of_two_dimensions_live_side_by_side(store: VectorStore) -> None:
    big, small = store.table("v_big", 384), store.table("v_small", 128)
    big.add(names("b", 20), unit(20, 384))
    small.add(names("s", 30), unit(30, 128))
    assert store.table_names() == ["v_big", "v_small"]
    assert (big.count(), small.count()) == (20, 30)
    assert big.search(unit(20, 384)[4], 1)[0][0] == "b00004"
    assert small.search(unit(30, 128)[9], 1)[0][0] == "s00009"
    assert store.table("v_big", 384) is big
    with pytest.raises(ValueError, match="384-dim"):
        store.table("v_big", 128)
    store.drop_table("v_big")
    assert store.table_names() == ["v_small"]
    assert store.open_table("v_big") is None
    assert folder_bytes(store.path) > 0


def test_stdout_stays_clean(store: VectorStore, capfd: pytest.CaptureFixture[str]) -> None:
    table = store.table("v_a", 8)
    table.add(names("h", 100), unit(100, 8))
    table.search(unit(1, 8)[0], 5)
    table.hashes()
    table.delete(names("h", 50))
    table.optimize(TINY_RETENTION)
    table.refresh()
    store.drop_table("v_a")
    assert capfd.readouterr().out == ""


def test_search_while_another_thread_writes(store: VectorStore) -> None:
    table = store.table("v_a", 16)
    vectors = unit(400, 16)
    table.add(names("h", 20), vectors[:20])
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for start in range(20, 400, 20):
                table.add(names("h", 400)[start : start + 20], vectors[start : start + 20])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    while writer.is_alive():
        hits = table.search(vectors[0], 3)
        assert hits[0][0] == "h00000"
    writer.join()
    assert errors == []
    assert table.count() == 400
    assert table.search(vectors[399], 1)[0][0] == "h00399"


def test_search_over_30000_rows_finds_each_vector(store: VectorStore) -> None:
    """Speed is measured by `codeindex bench`, not here; this checks a large table answers."""
    table = store.table("v_big", 384)
    vectors = unit(30_000, 384)
    table.add(names("h", 30_000), vectors)
    for i in range(20):
        hits = table.search(vectors[i * 7], 10)
        assert hits[0][0] == f"h{i * 7:05d}"


def test_embedder_vectors_round_trip(store: VectorStore, tiny_model_path: Path) -> None:
    embedder = load_embedder(ModelSpec(path=tiny_model_path))
    texts = ["def a(): pass", "class B: ...", "import os"]
    table: VectorTable = store.table(embedder.identity.table_name, embedder.identity.dim)
    table.add(["ha", "hb", "hc"], embedder.embed(texts))
    assert table.search(embedder.embed(["class B: ..."])[0], 1)[0][0] == "hb"
