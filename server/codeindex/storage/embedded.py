"""Which chunk texts have a vector, per model: the `embeddings` rows beside LanceDB.

Vectors are content-addressed (invariant 3): a row says the model's table holds the vector
of a text hash. A chunk whose hash has no row is pending embedding.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from codeindex.storage.db import Database, batches, marks


class Embedded:
    """`embeddings` rows of one index."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def embedded_among(self, model_id: int, hashes: Sequence[str]) -> set[str]:
        """The subset of `hashes` that already have a committed vector for the model."""
        found: set[str] = set()
        for part in batches(hashes):
            rows = await self.db.fetchall(
                f"SELECT content_hash FROM embeddings WHERE model_id = ? "
                f"AND content_hash IN ({marks(len(part))})",
                (model_id, *part),
            )
            found.update(str(r[0]) for r in rows)
        return found

    async def mark_embedded(
        self, model_id: int, hashes: Iterable[str], fence: str | None = None
    ) -> None:
        """Record that the model's LanceDB table now holds these texts' vectors."""
        async with self.db.transaction(fence) as tx:
            await tx.executemany(
                "INSERT OR IGNORE INTO embeddings(model_id, content_hash) VALUES (?, ?)",
                [(model_id, h) for h in hashes],
            )

    async def forget_embedded(self, model_id: int, hashes: Iterable[str]) -> None:
        """Forget vectors that were garbage-collected from LanceDB."""
        async with self.db.transaction() as tx:
            await tx.executemany(
                "DELETE FROM embeddings WHERE model_id = ? AND content_hash = ?",
                [(model_id, h) for h in hashes],
            )

    async def forget_all_embedded(self, model_id: int) -> None:
        """The model's vector table was lost: none of its vectors exist any more."""
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM embeddings WHERE model_id = ?", (model_id,))

    async def unreferenced_embedded(self, model_id: int) -> list[str]:
        """Hashes with a vector that no chunk references any more."""
        rows = await self.db.fetchall(
            "SELECT e.content_hash FROM embeddings e WHERE e.model_id = ? AND NOT EXISTS "
            "(SELECT 1 FROM chunks c WHERE c.content_hash = e.content_hash)",
            (model_id,),
        )
        return [str(r[0]) for r in rows]

    async def pending_counts(self, model_id: int | None) -> tuple[int, int]:
        """(distinct chunk texts to embed, those without a vector for the model).

        Chunks of files that are not embedded (`files.embed_skip`) count in neither.
        """
        total = await self.db.count(
            "SELECT count(DISTINCT c.content_hash) FROM chunks c JOIN files f "
            "ON f.id = c.file_id WHERE f.embed_skip IS NULL"
        )
        if model_id is None:
            return total, total
        done = await self.db.count(
            "SELECT count(*) FROM embeddings e WHERE e.model_id = ? AND EXISTS "
            "(SELECT 1 FROM chunks c JOIN files f ON f.id = c.file_id "
            "WHERE c.content_hash = e.content_hash AND f.embed_skip IS NULL)",
            (model_id,),
        )
        return total, total - done

    async def embedded_hashes(self, model_id: int) -> list[str]:
        """Every text hash recorded as having a vector of the model."""
        rows = await self.db.fetchall(
            "SELECT content_hash FROM embeddings WHERE model_id = ?", (model_id,)
        )
        return [str(r[0]) for r in rows]
