"""Files, symbols and chunks: each file swapped in one transaction, FTS rows in step."""

from __future__ import annotations

import asyncio

import pytest
from tests.unit.builders import Sym, chunk, digest, record, store

from codeindex.storage import FileRecord, Storage


async def chunk_texts(storage: Storage, path: str) -> list[str]:
    return [
        str(r[0])
        for r in await storage.fetchall(
            "SELECT c.text FROM chunks c JOIN files f ON f.id = c.file_id WHERE f.path = ? "
            "ORDER BY c.ordinal",
            (path,),
        )
    ]


async def fts_paths(storage: Storage, word: str) -> list[str]:
    return sorted(
        str(r[0])
        for r in await storage.fetchall(
            "SELECT f.path FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid "
            "JOIN files f ON f.id = c.file_id WHERE chunks_fts MATCH ?",
            (word,),
        )
    )


async def test_a_new_file_gets_its_row_symbols_and_chunks(storage: Storage) -> None:
    rec = record(
        "a.py", "def alpha(): pass", "def beta(): pass", symbols=[Sym("alpha"), Sym("beta")]
    )
    [(file_id, n_symbols, n_chunks)] = await storage.apply_files([rec], [])
    row = await storage.get_file("a.py")
    assert row is not None and row.id == file_id
    assert (n_symbols, n_chunks) == (2, 2)
    assert (row.language, row.index_status, row.content_hash) == (
        "python",
        "indexed",
        rec.content_hash,
    )
    assert await chunk_texts(storage, "a.py") == ["def alpha(): pass", "def beta(): pass"]
    assert await storage.count_symbols() == 2


async def test_storing_a_file_again_replaces_its_rows_and_keeps_its_id(storage: Storage) -> None:
    [(first, _, _)] = await storage.apply_files([record("a.py", "old one", "old two")], [])
    [(again, _, n)] = await storage.apply_files([record("a.py", "new")], [])
    assert again == first and n == 1
    assert await chunk_texts(storage, "a.py") == ["new"]
    assert await storage.count_chunks() == 1


async def test_the_full_text_index_follows_every_swap(storage: Storage) -> None:
    await store(storage, record("a.py", "apple banana"), record("b.py", "banana cherry"))
    assert await fts_paths(storage, "banana") == ["a.py", "b.py"]
    await store(storage, record("a.py", "cherry only"))
    assert await fts_paths(storage, "banana") == ["b.py"]
    assert await fts_paths(storage, "cherry") == ["a.py", "b.py"]
    assert await storage.count_fts_rows() == await storage.count_chunks() == 2
    assert await storage.fts_consistent()


async def test_deleting_a_file_drops_its_symbols_chunks_and_fts_rows(storage: Storage) -> None:
    await store(storage, record("a.py", "gone soon", symbols=[Sym("f")]), record("b.py", "stays"))
    await storage.apply_files([], ["a.py", "never-stored.py"])
    assert await storage.get_file("a.py") is None
    assert await fts_paths(storage, "gone") == []
    assert (await storage.count_symbols(), await storage.count_chunks()) == (0, 1)
    assert await storage.orphans() == (0, 0)


async def test_records_and_deletes_of_one_call_commit_together(storage: Storage) -> None:
    await store(storage, record("old.py", "x"))
    other = await Storage.open(storage.path)
    try:
        before = await other.data_version()
        await storage.apply_files([record("new.py", "y")], ["old.py"])
        assert await other.data_version() == before + 1  # one commit for both changes
    finally:
        await other.close()
    assert [r.path for r in await storage.files_under()] == ["new.py"]


async def test_a_failing_batch_leaves_every_file_as_it_was(storage: Storage) -> None:
    await store(storage, record("a.py", "kept"))
    bad = FileRecord("b.py", None, 1, 1, None, "no-such-status", 1, None)
    with pytest.raises(Exception, match="CHECK"):
        await storage.apply_files([record("a.py", "replaced"), bad], [])
    assert await chunk_texts(storage, "a.py") == ["kept"]
    assert await storage.get_file("b.py") is None


async def test_a_reader_sees_a_file_old_or_new_never_empty(storage: Storage) -> None:
    old = record("hot.py", "one", "two", "three")
    new = record("hot.py", "four", "five")
    await store(storage, old)
    seen: set[int] = set()

    async def swap() -> None:
        for n in range(40):
            await store(storage, new if n % 2 == 0 else old)

    async def read() -> None:
        for _ in range(120):
            seen.add(len(await chunk_texts(storage, "hot.py")))
            await asyncio.sleep(0)

    await asyncio.gather(swap(), read())
    assert seen <= {2, 3} and seen  # never 0: the swap is one transaction


async def test_a_reader_in_another_connection_never_sees_a_half_swapped_file(
    storage: Storage,
) -> None:
    await store(storage, record("hot.py", "a", "b", "c"))
    reader = await Storage.open(storage.path)
    try:
        async with storage.transaction() as tx:
            await tx.execute("DELETE FROM chunks")
            assert len(await chunk_texts(reader, "hot.py")) == 3  # not committed yet
        assert await chunk_texts(reader, "hot.py") == []
    finally:
        await reader.close()


@pytest.mark.parametrize(
    ("prefix", "recursive", "expected"),
    [
        pytest.param("", True, ["a.py", "src/b.py", "src/deep/c.py", "srcx/d.py"], id="all"),
        pytest.param("", False, ["a.py"], id="top-level-only"),
        pytest.param("src", True, ["src/b.py", "src/deep/c.py"], id="folder-not-its-prefix"),
        pytest.param("src/", True, ["src/b.py", "src/deep/c.py"], id="trailing-slash"),
        pytest.param("src", False, ["src/b.py"], id="folder-not-recursive"),
        pytest.param("src/deep", True, ["src/deep/c.py"], id="nested"),
        pytest.param("nothing", True, [], id="no-such-folder"),
    ],
)
async def test_files_under_a_folder(
    storage: Storage, prefix: str, recursive: bool, expected: list[str]
) -> None:
    await store(
        storage,
        *(record(p, "x") for p in ("srcx/d.py", "src/deep/c.py", "a.py", "src/b.py")),
    )
    found = await storage.files_under(prefix, recursive=recursive)
    assert [r.path for r in found] == expected


async def test_touch_changes_size_and_mtime_but_not_the_rows(storage: Storage) -> None:
    await store(storage, record("a.py", "same text"))
    await storage.touch_file("a.py", 99, 12345)
    row = await storage.get_file("a.py")
    assert row is not None and (row.size, row.mtime_ns) == (99, 12345)
    assert await chunk_texts(storage, "a.py") == ["same text"]


async def test_skipped_and_failed_files_keep_their_reason(storage: Storage) -> None:
    await store(
        storage,
        record("big.bin", status="skipped", error="binary file", language=None),
        record("bad.py", status="failed", error="cannot decode"),
    )
    big = await storage.get_file("big.bin")
    assert big is not None and (big.index_status, big.error, big.content_hash) == (
        "skipped",
        "binary file",
        None,
    )
    assert await storage.not_indexed() == [
        ("bad.py", "failed", "cannot decode"),
        ("big.bin", "skipped", "binary file"),
    ]


async def test_chunk_texts_of_a_file_come_in_order_with_their_context(storage: Storage) -> None:
    rec = FileRecord(
        "a.py",
        "python",
        1,
        1,
        "h",
        "indexed",
        1,
        None,
        chunks=[chunk("first", context="python f"), chunk("second", line=5)],
    )
    await store(storage, rec)
    texts = await storage.chunk_texts_of("a.py")
    assert [(t.content_hash, t.path, t.context, t.text) for t in texts] == [
        (digest("first"), "a.py", "python f", "first"),
        (digest("second"), "a.py", None, "second"),  # an empty context is stored as NULL
    ]


async def test_a_file_that_is_not_embedded_has_no_chunk_texts_to_embed(storage: Storage) -> None:
    await store(storage, record("min.js", "var a=1", embed_skip="minified"))
    assert await storage.chunk_texts_of("min.js") == []
    assert await storage.chunk_texts_of("absent.py") == []
    assert await storage.count_chunks() == 1  # still searched by words


async def test_files_not_embedded_and_encodings_are_counted_by_reason(storage: Storage) -> None:
    await store(
        storage,
        record("a.min.js", "x", embed_skip="minified"),
        record("b.min.js", "y", embed_skip="minified"),
        record("data.json", "z", embed_skip="generated"),
        record("latin.py", "w", encoding="latin-1"),
        record("plain.py", "v"),
        record("skip.bin", status="skipped", encoding="latin-1", embed_skip="minified"),
    )
    assert await storage.files_not_embedded() == {"minified": 2, "generated": 1}
    assert await storage.files_by_encoding() == {"latin-1": 1}


async def test_symbols_keep_their_container_and_position(storage: Storage) -> None:
    method = Sym("run", "method", "Job", 3, 4, 9, 1)
    await store(storage, record("job.py", "class Job: ...", symbols=[Sym("Job", "class"), method]))
    [found] = await storage.symbols_named("run", "exact", kind=None, limit=5)
    assert (found.kind, found.container, found.path) == ("method", "Job", "job.py")
    assert (found.start_line, found.start_col, found.end_line, found.end_col) == (3, 4, 9, 1)
