"""Loading embedding models, at most once per process: the worker's side of the registry.

`configured()` loads the model the settings ask for (remembering a failure in the registry,
so an offline download is not retried on every command); `embedder_for(row)` loads a
recorded model, the active one, to embed queries. Local models run on fastembed and ONNX
Runtime (`local`), remote ones on an OpenAI-compatible engine (`remote`): only the worker
process, and the CLI's `model check`, import this module.

A load runs in a thread, which nothing can interrupt (ONNX Runtime creating its session,
a remote engine's probe): `loads_running()` tells the worker's signal handler that one is
under way, so a SIGTERM during a long load ends the process instead of waiting for it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TypeVar

from codeindex.embedding.local import FastEmbedder, load_embedder
from codeindex.embedding.registry import ModelRegistry
from codeindex.embedding.remote import PROBE_SECONDS, RemoteEmbedder, load_remote
from codeindex.embedding.spec import (
    Embedder,
    ModelIdentity,
    ModelSpec,
    is_remote_source,
    remote_spec_from,
)
from codeindex.errors import EngineUnavailable, ModelUnavailable
from codeindex.faults import stall_point
from codeindex.storage.model_rows import ModelRow

T = TypeVar("T")

_loads = 0  # model loads running in threads of this process
_loads_lock = threading.Lock()


def loads_running() -> bool:
    """True while a model loads in a thread of this process."""
    return _loads > 0


def _counted(load: Callable[[], T]) -> T:
    """Run a load (in its thread), counted by `loads_running`."""
    global _loads
    with _loads_lock:
        _loads += 1
    try:
        stall_point("load")
        return load()
    finally:
        with _loads_lock:
            _loads -= 1


async def _in_thread(load: Callable[[], T]) -> T:
    return await asyncio.to_thread(_counted, load)


class ModelLoader:
    """Loads the configured model and recorded ones, once each, for one process."""

    def __init__(self, registry: ModelRegistry) -> None:
        self.registry = registry
        self._configured: tuple[Embedder, int] | None = None
        self._by_id: dict[int, Embedder] = {}
        self._lock = asyncio.Lock()

    async def configured(self, *, allow_download: bool | None = None) -> tuple[Embedder, int]:
        """The configured model and its id; ModelUnavailable (remembered) when it cannot load."""
        registry = self.registry
        async with self._lock:
            if self._configured is not None:
                return self._configured
            if allow_download is None:
                failure = await registry.remembered_failure()
                if failure is not None:
                    raise failure
            download = (
                registry.settings.allow_download if allow_download is None else allow_download
            )
            try:
                embedder: Embedder
                if registry.remote is not None:
                    embedder = await _in_thread(partial(load_remote, registry.remote))
                else:
                    embedder = await _in_thread(
                        partial(load_embedder, registry.spec, allow_download=download)
                    )
            except EngineUnavailable as exc:
                await registry.record_engine(exc)
                raise
            except ModelUnavailable as exc:
                await registry.record_engine(exc)
                await registry.remember_failure(exc)
                raise
            note = embedder.note if isinstance(embedder, FastEmbedder) else None
            model_id = await registry.loaded(embedder.identity, note)
            await registry.record_engine(None)
            self._by_id[model_id] = embedder
            self._configured = (embedder, model_id)
            return self._configured

    def has(self, model_id: int) -> bool:
        """Whether the model with this id is loaded here."""
        return model_id in self._by_id

    async def embedder_for(self, model: ModelRow) -> Embedder:
        """An embedder for a recorded model (for queries), loaded from where it was found."""
        if model.id in self._by_id:
            return self._by_id[model.id]
        async with self._lock:
            if model.id not in self._by_id:
                self._by_id[model.id] = await self._load_recorded(model)
            return self._by_id[model.id]

    async def _load_recorded(self, model: ModelRow) -> Embedder:
        settings = self.registry.settings
        if is_remote_source(model.source):
            # the engine the settings name, when it serves this model (it may have moved)
            remote = self.registry.remote
            serves = remote is not None and remote.model == model.name
            url = settings.embed_url if serves else model.source
            spec = remote_spec_from(settings, url=url)
            assert spec is not None
            identity = ModelIdentity(
                model.name, model.dim, model.fingerprint, model.source, spec.max_tokens
            )
            # a query does not wait a minute for an engine that is down
            quick = min(spec.retry_seconds, PROBE_SECONDS)
            return RemoteEmbedder(replace(spec, model=model.name, retry_seconds=quick), identity)
        local = ModelSpec(
            name=model.name,
            path=Path(model.source),
            max_tokens=settings.embed_max_tokens,
            threads=settings.embed_threads,
        )
        embedder = await _in_thread(partial(load_embedder, local, allow_download=False))
        if embedder.identity.key != model.key:
            raise ModelUnavailable(
                f"the model files at {model.source} changed since they were indexed "
                f"({model.key} became {embedder.identity.key})",
                "run `codeindex reindex --scope embeddings-only` to rebuild the vectors",
            )
        return embedder

    def close(self) -> None:
        """Close the connections of the models loaded here."""
        for embedder in self._by_id.values():
            embedder.close()
        self._by_id.clear()
        self._configured = None
