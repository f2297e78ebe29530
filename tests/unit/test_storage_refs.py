"""References in storage: written with their file's rows in one transaction, replaced and
dropped with them, read back by name (exact case), with the lines they are on."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

import pytest
from tests.unit.builders import Sym, record, store

from codeindex.storage import FileRecord, Storage


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference as storage takes it: plain values, no parser."""

    name: str
    kind: str = "call"
    line: int = 1
    col: int = 0
    qualifier: str | None = None
    caller: str | None = None


def with_refs(rec: FileRecord, *refs: Ref) -> FileRecord:
    return replace(rec, references=refs)


async def names(storage: Storage, path: str) -> list[str]:
    rows = await storage.fetchall(
        "SELECT r.name FROM symbol_refs r JOIN files f ON f.id = r.file_id WHERE f.path = ? "
        "ORDER BY r.line, r.col",
        (path,),
    )
    return [str(r[0]) for r in rows]


async def test_references_round_trip_by_name(storage: Storage) -> None:
    caller = record("a.py", "import helper\ndef run():\n    helper.go(1)\n    Go()")
    await store(
        storage,
        with_refs(
            caller,
            Ref("helper", "import", 1, 7),
            Ref("go", "call", 3, 11, "helper", "run"),
            Ref("Go", "call", 4, 4, None, "run"),
        ),
    )
    found = await storage.code.references_named("go", kinds=[], limit=10)
    assert [(r.path, r.line, r.col, r.kind, r.qualifier, r.caller) for r in found] == [
        ("a.py", 3, 11, "call", "helper", "run")
    ]  # exact case: not `Go`
    assert await storage.code.references_named("go", kinds=["import"], limit=10) == []
    [imported] = await storage.code.imports_of(["a.py"])
    assert (imported.path, imported.name, imported.qualifier) == ("a.py", "helper", None)
    assert await storage.code.lines_at("a.py", [3, 4]) == {3: "    helper.go(1)", 4: "    Go()"}


async def test_a_file_swap_replaces_its_references_and_a_delete_drops_them(
    storage: Storage,
) -> None:
    await store(storage, with_refs(record("a.py", "x"), Ref("old_one"), Ref("old_two", line=2)))
    await store(storage, with_refs(record("b.py", "y"), Ref("kept")))
    await store(storage, with_refs(record("a.py", "z"), Ref("new_one")))
    assert await names(storage, "a.py") == ["new_one"]
    await storage.apply_files([], ["a.py"])
    assert await names(storage, "a.py") == []
    assert await names(storage, "b.py") == ["kept"]
    assert await storage.scalar("SELECT count(*) FROM symbol_refs") == 1


async def test_a_failing_batch_keeps_the_old_references(storage: Storage) -> None:
    await store(storage, with_refs(record("a.py", "kept"), Ref("before")))
    bad = FileRecord("b.py", None, 1, 1, None, "no-such-status", 1, None)
    with pytest.raises(Exception, match="CHECK"):
        await storage.apply_files([with_refs(record("a.py", "new"), Ref("after")), bad], [])
    assert await names(storage, "a.py") == ["before"]


async def test_a_reader_sees_the_old_references_or_the_new_never_none(storage: Storage) -> None:
    old = with_refs(record("hot.py", "a"), Ref("one"), Ref("two", line=2))
    new = with_refs(record("hot.py", "b"), Ref("three"))
    await store(storage, old)
    seen: set[int] = set()

    async def swap() -> None:
        for n in range(40):
            await store(storage, new if n % 2 == 0 else old)

    async def read() -> None:
        for _ in range(120):
            seen.add(len(await names(storage, "hot.py")))
            await asyncio.sleep(0)

    await asyncio.gather(swap(), read())
    assert seen <= {1, 2} and seen


async def test_symbols_and_definitions_of_a_file(storage: Storage) -> None:
    await store(
        storage,
        record(
            "m.py",
            "class A:\n    def run(self): pass",
            symbols=[Sym("A", "class", None, 1, 6, 2, 23), Sym("run", "method", "A", 2, 8, 2, 23)],
        ),
    )
    assert [(s.name, s.container) for s in await storage.code.symbols_in("m.py")] == [
        ("A", None),
        ("run", "A"),
    ]
    [found] = await storage.code.definitions_named("RUN", limit=5)  # any case
    assert (found.path, found.kind, found.start_line) == ("m.py", "method", 2)
    assert await storage.code.chunk_lines("m.py") == [(1, 2, "class A:\n    def run(self): pass")]
    assert await storage.code.count_older_parser(2) == 1  # `record` writes parser version 1
