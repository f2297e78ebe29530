"""The machine-wide vector cache on its own: keyed by content hash, one file per model,
least recently used vectors dropped at the bound, a damaged file started again."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from codeindex.vectors.cache import VectorCache, clear, files, prune

DIM = 8


def _vectors(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, DIM)).astype(np.float32)


def _hashes(n: int, prefix: str = "h") -> list[str]:
    return [f"{prefix}{i:05d}" for i in range(n)]


def test_a_vector_put_comes_back_bit_for_bit(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path, "v_model_8_abcd", DIM)
    matrix = _vectors(5)
    assert cache.put(_hashes(5), matrix) == 5
    found = cache.get(["h00003", "h00001", "missing"])
    assert set(found) == {"h00001", "h00003"}
    np.testing.assert_array_equal(found["h00003"], matrix[3])
    np.testing.assert_array_equal(found["h00001"], matrix[1])


def test_nothing_asked_nothing_opened(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path, "v_model_8_abcd", DIM)
    assert cache.get([]) == {}
    assert cache.put([], _vectors(0)) == 0
    assert files(tmp_path) == []


def test_a_text_put_twice_is_kept_once(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path, "v_model_8_abcd", DIM)
    cache.put(_hashes(3), _vectors(3))
    cache.put(_hashes(3), _vectors(3, seed=1))  # the same texts: only their use is noted
    [listed] = files(tmp_path)
    assert listed.vectors == 3 and listed.model == "v_model_8_abcd"


def test_each_model_has_its_own_file_and_a_lookup_is_by_model(tmp_path: Path) -> None:
    small = VectorCache(tmp_path, "v_small_8_aaaa", DIM)
    other = VectorCache(tmp_path, "v_other_8_bbbb", DIM)
    small.put(["same-text"], _vectors(1))
    assert other.get(["same-text"]) == {}
    assert sorted(f.model for f in files(tmp_path)) == ["v_small_8_aaaa"]


def test_lookups_of_thousands_of_hashes_are_answered_whole(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path, "v_model_8_abcd", DIM)
    cache.put(_hashes(1200), _vectors(1200))
    wanted = _hashes(1500)  # more than one SELECT's worth, some missing
    assert len(cache.get(wanted)) == 1200


def test_prune_drops_the_least_recently_used_first(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path, "v_model_8_abcd", DIM)
    cache.put(_hashes(3000, "old"), _vectors(3000))
    cache.put(_hashes(3000, "new"), _vectors(3000, seed=2))
    cache.get(_hashes(200, "old"))  # used again: now among the most recent
    before = sum(f.bytes for f in files(tmp_path))
    dropped = prune(tmp_path, before // 2)
    assert dropped > 0
    assert sum(f.bytes for f in files(tmp_path)) <= before // 2
    kept = cache.get(_hashes(200, "old") + _hashes(3000, "new")[-200:])
    assert len(kept) == 400  # the recently used and the newest stay
    assert cache.get(["old02999"]) == {}  # an old one nobody used again: gone


def test_a_cache_within_its_bound_is_left_alone(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path, "v_model_8_abcd", DIM)
    cache.put(_hashes(10), _vectors(10))
    assert prune(tmp_path, 10**9) == 0
    assert files(tmp_path)[0].vectors == 10


def test_clear_removes_every_file(tmp_path: Path) -> None:
    VectorCache(tmp_path, "v_a_8_aaaa", DIM).put(_hashes(3), _vectors(3))
    VectorCache(tmp_path, "v_b_8_bbbb", DIM).put(_hashes(3), _vectors(3))
    assert clear(tmp_path) > 0
    assert files(tmp_path) == []


def test_a_damaged_file_is_set_aside_and_started_again(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path, "v_model_8_abcd", DIM)
    cache.put(_hashes(3), _vectors(3))
    for suffix in ("-wal", "-shm"):
        path = Path(f"{cache.path}{suffix}")
        if path.exists():
            path.unlink()
    cache.path.write_bytes(os.urandom(4096))
    assert cache.get(_hashes(3)) == {}  # nothing found, nothing raised
    assert cache.put(_hashes(2), _vectors(2)) == 2
    assert list(cache.path.parent.glob("*.damaged-*"))


def test_a_file_of_another_version_is_started_again(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path, "v_model_8_abcd", DIM)
    cache.put(_hashes(3), _vectors(3))
    with sqlite3.connect(cache.path) as db:
        db.execute("PRAGMA user_version=99")
    assert cache.get(_hashes(3)) == {}
    assert cache.put(_hashes(3), _vectors(3)) == 3


@pytest.mark.parametrize("dim", [4, 16], ids=["shorter", "longer"])
def test_a_vector_of_another_size_is_not_returned(tmp_path: Path, dim: int) -> None:
    VectorCache(tmp_path, "v_model_8_abcd", dim).put(["x"], np.ones((1, dim), np.float32))
    assert VectorCache(tmp_path, "v_model_8_abcd", DIM).get(["x"]) == {}
