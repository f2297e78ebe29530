"""The rows of embedding models: one per identity (name, dimension, file fingerprint)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from codeindex.storage.db import Database, row_in
from codeindex.storage.meta import ACTIVE_MODEL, MODEL_FAILURE


@dataclass(frozen=True, slots=True)
class ModelRow:
    """A row of `models`."""

    id: int
    key: str
    name: str
    dim: int
    fingerprint: str
    source: str
    table_name: str


class ModelRows:
    """`models` of one index."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def register_model(self, row: ModelRow) -> int:
        """Record a model once (its `id` is ignored) and return its id, in one transaction.

        It becomes the active model (`ACTIVE_MODEL`) when none is, and a remembered load
        failure (`MODEL_FAILURE`) is dropped.
        """
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM meta WHERE key = ?", (MODEL_FAILURE.name,))
            await tx.execute(
                "INSERT OR IGNORE INTO models(key, name, dim, fingerprint, source, table_name, "
                "created_at) VALUES (?,?,?,?,?,?,?)",
                (
                    row.key,
                    row.name,
                    row.dim,
                    row.fingerprint,
                    row.source,
                    row.table_name,
                    time.time(),
                ),
            )
            found = await row_in(tx, "SELECT id FROM models WHERE key = ?", (row.key,))
            assert found is not None
            model_id = int(found[0])
            active = ACTIVE_MODEL.entry(model_id)
            await tx.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", (active.name, active.value)
            )
        return model_id

    async def model(self, model_id: int) -> ModelRow | None:
        """One model row."""
        row = await self.db.fetchone(
            "SELECT id, key, name, dim, fingerprint, source, table_name FROM models WHERE id = ?",
            (model_id,),
        )
        return None if row is None else ModelRow(*row)
