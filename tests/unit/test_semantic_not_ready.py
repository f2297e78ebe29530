"""What semantic search says when the active model has no vectors: while a reindex task is
unfinished (the first index builds them) it says they are being built, never that they are
missing nor that an embeddings-only reindex is needed; once no task is left, it says so.

Real index.db and queue; the model registry, loader and vector store are stand-ins that
have a model recorded and no table (the state of a cold index before its first write).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from tests.unit.builders import create

from codeindex.errors import SemanticUnavailable
from codeindex.search.semantic import SemanticSearcher
from codeindex.storage import Storage
from codeindex.tasks import Queue

MODEL = SimpleNamespace(name="tiny-model", table_name="chunks_1", id=1)


class Registry:
    def __init__(self, active: object) -> None:
        self._active = active

    async def active(self) -> object:
        return self._active

    async def remembered_failure(self) -> None:
        return None


class Loader:
    def __init__(self, active: object) -> None:
        self.registry = Registry(active)

    async def embedder_for(self, record: object) -> object:
        return object()


class NoTables:
    where = "/data/vectors"

    def open_table(self, name: str) -> None:
        return None


def searcher(storage: Storage, active: object) -> SemanticSearcher:
    return SemanticSearcher(storage, cast(Any, Loader(active)), cast(Any, NoTables()))


async def _message(storage: Storage, active: object) -> str:
    with pytest.raises(SemanticUnavailable) as refused:
        await searcher(storage, active).search("parse", limit=5, path_prefix=None, language=None)
    return refused.value.message


@pytest.mark.parametrize("active", [MODEL, None], ids=["no-table", "no-model-yet"])
async def test_while_a_task_is_unfinished_the_vectors_are_being_built(
    storage: Storage, queue: Queue, active: object
) -> None:
    await create(queue, ["a.py"])
    message = await _message(storage, active)
    assert "being built" in message and "codeindex tasks" in message
    assert "missing" not in message and "embeddings-only" not in message
    assert "codeindex index" not in message


async def test_with_no_task_left_missing_vectors_are_missing(storage: Storage) -> None:
    message = await _message(storage, MODEL)
    assert "missing" in message and "embeddings-only" in message
    assert "nothing has been embedded" in await _message(storage, None)
