"""The storage layer: what a reader sees next to the writer."""

from __future__ import annotations

import asyncio
from pathlib import Path

from codeindex.storage import Storage
from codeindex.storage.meta import text_key


async def test_a_read_sees_every_commit_made_before_it_even_while_other_reads_run(
    tmp_path: Path,
) -> None:
    storage = await Storage.open(tmp_path / "index.db")
    try:
        async with storage.transaction() as db:
            await db.executemany(
                "INSERT INTO meta(key, value) VALUES (?, ?)",
                [(f"filler{i:05d}", "x" * 200) for i in range(20000)],
            )

        async def other_reads() -> None:
            for _ in range(400):  # each leaves its statement open until its cursor closes
                await storage.fetchone("SELECT key, value FROM meta")

        async def commit_then_read(n: int) -> str | None:
            async with storage.transaction() as db:
                await db.execute("INSERT INTO meta(key, value) VALUES (?, 'new')", (f"k{n}",))
            return await storage.meta.get(text_key(f"k{n}"))

        async def writes_and_reads() -> list[str | None]:
            seen = []
            for n in range(200):
                seen.append(await commit_then_read(n))
            return seen

        _, seen = await asyncio.gather(other_reads(), writes_and_reads())
        assert seen == ["new"] * 200
    finally:
        await storage.close()
