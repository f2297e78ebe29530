"""Counts and checks behind status, validate and the bench."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest
from tests.unit.builders import Sym, create, digest, record, store

from codeindex.storage import Storage
from codeindex.storage.model_rows import ModelRow
from codeindex.tasks import Queue


@pytest.fixture
async def indexed(storage: Storage) -> Storage:
    await store(
        storage,
        record("a.py", "one", "two", symbols=[Sym("f"), Sym("C", "class"), Sym("m", "method")]),
        record("b.py", "three", symbols=[Sym("g")], error="syntax error at line 3"),
        record("lib/c.go", "four", language="go", symbols=[Sym("Run")]),
        record("notes.txt", "five", language=None),
        record("big.bin", status="skipped", error="binary", language=None, size=5000),
        record("bad.py", status="failed", error="cannot decode"),
    )
    return storage


async def test_counts_of_rows(indexed: Storage) -> None:
    assert await indexed.count_files() == 6
    assert await indexed.count_symbols() == 5
    assert await indexed.count_chunks() == 5
    assert await indexed.count_fts_rows() == 5


async def test_files_by_status_and_language(indexed: Storage) -> None:
    assert await indexed.files_by_status() == {"indexed": 4, "skipped": 1, "failed": 1}
    by_language = await indexed.files_by_language()
    assert by_language == {"python": 2, "go": 1, "text": 1}
    assert next(iter(by_language)) == "python"  # most first


async def test_syntax_errors_of_indexed_files(indexed: Storage) -> None:
    assert await indexed.count_with_syntax_errors() == 1
    assert await indexed.with_syntax_errors() == [("b.py", "syntax error at line 3")]


@pytest.mark.parametrize("limit", [pytest.param(1, id="one"), pytest.param(50, id="all")])
async def test_files_not_indexed_are_listed_by_path(indexed: Storage, limit: int) -> None:
    expected = [("bad.py", "failed", "cannot decode"), ("big.bin", "skipped", "binary")]
    assert await indexed.not_indexed(limit) == expected[:limit]


async def test_an_empty_index_counts_nothing(storage: Storage) -> None:
    assert await storage.count_files() == 0
    assert await storage.files_by_status() == {}
    assert await storage.orphans() == (0, 0)
    assert await storage.quick_check() == []
    assert await storage.fts_consistent()


async def test_orphans_are_rows_whose_file_is_gone(indexed: Storage) -> None:
    with closing(sqlite3.connect(indexed.path)) as other:  # a program without foreign keys
        other.execute("DELETE FROM files WHERE path = 'a.py'")
        other.commit()
    assert await indexed.orphans() == (3, 2)


async def test_a_damaged_full_text_index_is_found(indexed: Storage) -> None:
    async with indexed.transaction() as tx:
        await tx.execute("DELETE FROM chunks_fts_data WHERE id > 1")
    assert not await indexed.fts_consistent()


async def test_characters_left_to_embed_by_file(indexed: Storage) -> None:
    # what the model reads of each text: its path, a newline, then the text
    assert await indexed.embed_chars_left(None, 1000) == {
        "a.py": 8 + 8,
        "b.py": 10,
        "lib/c.go": 13,
        "notes.txt": 14,
    }
    assert await indexed.embed_chars_left(None, 10, ["a.py", "lib/c.go"]) == {
        "a.py": 16,
        "lib/c.go": 10,
    }


async def test_a_text_with_a_vector_or_shared_by_files_costs_once(indexed: Storage) -> None:
    await store(indexed, record("z.py", "one", "six"), record("skip.py", "x", embed_skip="big"))
    model = await indexed.register_model(ModelRow(0, "m", "m", 4, "fp", "local", "t"))
    await indexed.mark_embedded(model, [digest("two")])
    left = await indexed.embed_chars_left(model, 1000)
    assert left == {"a.py": 8, "b.py": 10, "lib/c.go": 13, "notes.txt": 14, "z.py": 8}


async def test_indexed_files_in_languages_and_definition_lines(indexed: Storage) -> None:
    assert await indexed.indexed_files_in(["go", "rust"]) == [("lib/c.go", "go", 10)]
    assert await indexed.definition_lines() == [
        ("a.py", 1),
        ("a.py", 1),
        ("b.py", 1),
        ("lib/c.go", 1),
    ]


async def test_distinct_chunk_texts_once_per_hash_without_files_not_embedded(
    storage: Storage,
) -> None:
    await store(
        storage,
        record("a.py", "same"),
        record("b.py", "same", "other"),
        record("min.js", "skipped text", embed_skip="minified"),
    )
    texts = await storage.distinct_chunk_texts()
    assert [(t.content_hash, t.path, t.text) for t in texts] == sorted(
        [(digest("same"), "a.py", "same"), (digest("other"), "b.py", "other")]
    )


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        pytest.param("lib", True, id="folder"),
        pytest.param("lib/", True, id="slash"),
        pytest.param("li", False, id="name-prefix"),
        pytest.param("a.py", False, id="a-file"),
        pytest.param("zzz", False, id="absent"),
    ],
)
async def test_has_files_under(indexed: Storage, folder: str, expected: bool) -> None:
    assert await indexed.has_files_under(folder) is expected


async def test_paths_with_rows_over_many_batches(storage: Storage) -> None:
    await store(storage, *(record(f"f{i:04d}.py", f"t{i}") for i in range(0, 1200, 3)))
    asked = [f"f{i:04d}.py" for i in range(1200)] + ["f0000.py"]
    found = await storage.paths_with_rows(asked)
    assert found == {f"f{i:04d}.py" for i in range(0, 1200, 3)}


async def test_items_of_a_task_not_parsed_yet(storage: Storage, queue: Queue) -> None:
    task = await create(queue, ["a.py", "b.py", "c.py"])
    assert await storage.task_items_unparsed(task.id) == 6  # pending, and without rows
    await store(storage, record("a.py", "x"))
    assert await storage.task_items_unparsed(task.id) == 5


async def test_data_version_moves_when_another_connection_commits(storage: Storage) -> None:
    other = await Storage.open(storage.path)
    try:
        before = await other.data_version()
        assert await other.data_version() == before  # nothing committed: unchanged
        await store(storage, record("a.py", "x"))
        assert await other.data_version() > before
    finally:
        await other.close()
