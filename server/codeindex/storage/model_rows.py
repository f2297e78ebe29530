"""The rows of embedding models: one per identity (name, dimension, file fingerprint).

A mixin of `Storage`.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import aiosqlite


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


class ModelQueries(ABC):
    """Model rows; `Storage` provides the connections."""

    @abstractmethod
    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]: ...

    async def register_model(self, row: ModelRow, *, active_key: str, forget_key: str) -> int:
        """Record a model once (its `id` is ignored) and return its id, in one transaction.

        It becomes the active model (meta `active_key`) when none is, and the meta row
        `forget_key` (a remembered load failure) is dropped.
        """
        async with self.transaction() as db:
            await db.execute("DELETE FROM meta WHERE key = ?", (forget_key,))
            await db.execute(
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
            async with db.execute("SELECT id FROM models WHERE key = ?", (row.key,)) as cur:
                found = await cur.fetchone()
            assert found is not None
            model_id = int(found[0])
            await db.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", (active_key, str(model_id))
            )
        return model_id

    async def model(self, model_id: int) -> ModelRow | None:
        """One model row."""
        row = await self.fetchone(
            "SELECT id, key, name, dim, fingerprint, source, table_name FROM models WHERE id = ?",
            (model_id,),
        )
        return None if row is None else ModelRow(*row)
