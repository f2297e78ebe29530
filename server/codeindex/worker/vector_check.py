"""The vector half of validate_index, run by the worker (it has LanceDB and the model).

The store reachable (a shared one), the active model's table readable, of the model's
dimension, holding every vector SQLite records; a remote engine answering a probe with the
key the settings name. Front-ends get these problems over the query socket (`vectors`).
"""

from __future__ import annotations

import asyncio

from codeindex.app.validate import problem
from codeindex.contract import Problem
from codeindex.embedding.registry import ModelRegistry
from codeindex.embedding.remote import RemoteEmbedder
from codeindex.errors import ModelUnavailable, VectorsDamaged, VectorStoreUnavailable
from codeindex.storage import Storage
from codeindex.vectors.store import VectorStore


async def vector_problems(
    st: Storage, models: ModelRegistry, vectors: VectorStore
) -> list[Problem]:
    """What is wrong with the vectors and the engine, each with the reindex that fixes it."""
    return await _table_problems(st, models, vectors) + await _engine_problems(models)


async def _table_problems(
    st: Storage, models: ModelRegistry, vectors: VectorStore
) -> list[Problem]:
    """The store reachable, the active table readable, of its dimension, and complete."""
    active = await models.active()
    try:
        if vectors.shared:
            await asyncio.to_thread(vectors.check)
        if active is None:
            return []
        table = await asyncio.to_thread(vectors.open_table, active.table_name)
        if table is not None:
            await asyncio.to_thread(table.refresh)
        present = set() if table is None else await asyncio.to_thread(table.hashes)
    except VectorStoreUnavailable as exc:
        return [problem("vector_store", exc.message, "embeddings-only", store=vectors.where)]
    except VectorsDamaged as exc:
        return [problem("vectors_damaged", str(exc), "embeddings-only")]
    found: list[Problem] = []
    if table is not None and table.dim != active.dim:
        return [
            problem(
                "vectors_model",
                f"the vector table {active.table_name} in {vectors.where} holds {table.dim}-dim "
                f"vectors, but model {active.name} makes {active.dim}-dim ones",
                "embeddings-only",
            )
        ]
    missing = set(await st.embedded_hashes(active.id)) - present
    if missing:
        found.append(
            problem(
                "vectors",
                f"{len(missing)} vector(s) of model {active.name} are missing from LanceDB",
                "embeddings-only",
            )
        )
    return found


async def _engine_problems(models: ModelRegistry) -> list[Problem]:
    """A remote engine must answer a probe with the key the settings name."""
    if models.remote is None:
        return []
    remote = models.remote

    def probe() -> None:
        embedder = RemoteEmbedder(remote)
        try:
            embedder.probe()
        finally:
            embedder.close()

    try:
        await asyncio.to_thread(probe)
    except ModelUnavailable as exc:
        return [
            problem(
                "embedding_engine",
                f"{exc.reason}; {exc.hint}; once it answers, this fills the pending embeddings",
                "embeddings-only",
            )
        ]
    return []
