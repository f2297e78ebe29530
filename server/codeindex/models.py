"""Which embedding model is configured, which is active, and remembering why none loads.

Loading a named model that is not cached makes fastembed try a download that,
offline, retries for about 40 s. So the outcome of an attempt is remembered in
index metadata, keyed by the settings that produced it, and is tried again only
when those settings change or the user asks (`codeindex model check`).
Queries answer from the *active* model's table; the configured model becomes
active when all its embeddings exist (invariant 8).

A remote engine (`embedding.provider = "openai"`) that does not answer is not a remembered
failure: it is a health record (`ENGINE_KEY`: last success, last failure and why) that status
shows, and the worker tries the engine again later.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from codeindex.config import Settings
from codeindex.embedder import Embedder, ModelIdentity, ModelSpec, ModelUnavailable, load_embedder
from codeindex.remote_embedder import (
    PROBE_SECONDS,
    EngineUnavailable,
    RemoteEmbedder,
    RemoteSpec,
    load_remote,
)
from codeindex.storage import Storage
from codeindex.storage.models import ModelRow

FAILURE_KEY = "model_failure"
ACTIVE_KEY = "active_model_id"
LOADED_KEY = "model_loaded_settings"  # the settings of the model a worker last loaded
ENGINE_KEY = "embedding_engine"  # the remote engine's health: last success and failure
HEALTH_WRITE_SECONDS = 30.0  # a healthy engine's record is refreshed at most this often


def spec_from(settings: Settings) -> ModelSpec:
    """The model the settings ask for."""
    return ModelSpec(
        name=settings.embed_model,
        path=settings.embed_model_path,
        max_tokens=settings.embed_max_tokens,
        threads=settings.embed_threads,
        quantize=settings.embed_quantize,
    )


def remote_spec_from(settings: Settings, url: str | None = None) -> RemoteSpec | None:
    """The remote engine the settings ask for (or the one at `url`), None for a local model."""
    if url is None and settings.embed_provider != "openai":
        return None
    return RemoteSpec(
        url=url or settings.embed_url,
        model=settings.embed_model,
        api_key_env=settings.embed_api_key_env,
        request_tokens=settings.embed_request_tokens,
        request_texts=settings.embed_batch_size,
        concurrency=settings.embed_concurrency,
        timeout=settings.embed_timeout,
        retry_seconds=settings.embed_retry_seconds,
        max_tokens=settings.embed_max_tokens,
        tokenizer=settings.embed_model_path,
    )


def is_remote_source(source: str) -> bool:
    """Whether a recorded model came from a remote engine (its source is the engine's URL)."""
    return source.startswith(("http://", "https://"))


class ModelManager:
    """Loads models at most once per process and keeps the active-model pointer."""

    def __init__(self, storage: Storage, settings: Settings) -> None:
        self.storage = storage
        self.settings = settings
        self.spec = spec_from(settings)
        self.remote = remote_spec_from(settings)
        self._health_written = 0.0
        self._health_ok: bool | None = None
        self._configured: tuple[Embedder, int] | None = None
        self._by_id: dict[int, Embedder] = {}
        self._lock = asyncio.Lock()

    def settings_key(self) -> str:
        """The model settings as one string: a remembered failure counts only for these."""
        return self.remote.settings_key() if self.remote else self.spec.settings_key()

    async def remembered_failure(self) -> ModelUnavailable | None:
        """The failure recorded for the current settings, if any."""
        raw = await self.storage.get_meta(FAILURE_KEY)
        if not raw:
            return None
        data = json.loads(raw)
        if data.get("settings") != self.settings_key():
            return None
        return ModelUnavailable(data["reason"], data["hint"])

    async def untried(self) -> bool:
        """True when no worker has tried the configured model yet (settings changed since)."""
        key = self.settings_key()
        if await self.storage.get_meta(LOADED_KEY) == key:
            return False
        return await self.remembered_failure() is None

    async def configured(self, *, allow_download: bool | None = None) -> tuple[Embedder, int]:
        """The configured model and its id; ModelUnavailable (remembered) when it cannot load."""
        async with self._lock:
            if self._configured is not None:
                return self._configured
            retry = allow_download is not None
            if not retry:
                failure = await self.remembered_failure()
                if failure is not None:
                    raise failure
            download = self.settings.allow_download if allow_download is None else allow_download
            try:
                embedder: Embedder
                if self.remote is not None:
                    embedder = await asyncio.to_thread(load_remote, self.remote)
                else:
                    embedder = await asyncio.to_thread(
                        load_embedder, self.spec, allow_download=download
                    )
            except EngineUnavailable as exc:
                await self.record_engine(exc)
                raise
            except ModelUnavailable as exc:
                if self.remote is not None:
                    await self.record_engine(exc)
                await self.storage.set_meta(
                    {
                        FAILURE_KEY: json.dumps(
                            {
                                "settings": self.settings_key(),
                                "reason": exc.reason,
                                "hint": exc.hint,
                                "at": time.time(),
                            }
                        )
                    }
                )
                raise
            model_id = await self.register(embedder.identity)
            await self.storage.set_meta({LOADED_KEY: self.settings_key()})
            if self.remote is not None:
                await self.record_engine(None)
            self._by_id[model_id] = embedder
            self._configured = (embedder, model_id)
            return self._configured

    async def register(self, identity: ModelIdentity) -> int:
        """Record a model (once) and make it active if no model is; return its id."""
        row = ModelRow(
            0,
            identity.key,
            identity.name,
            identity.dim,
            identity.fingerprint,
            identity.source,
            identity.table_name,
        )
        return await self.storage.register_model(row, active_key=ACTIVE_KEY, forget_key=FAILURE_KEY)

    async def active(self) -> ModelRow | None:
        """The model whose table answers queries."""
        raw = await self.storage.get_meta(ACTIVE_KEY)
        return None if raw is None else await self.get(int(raw))

    async def get(self, model_id: int) -> ModelRow | None:
        """One model row."""
        return await self.storage.model(model_id)

    async def embedder_for(self, model: ModelRow) -> Embedder:
        """An embedder for a recorded model (for queries), loaded from where it was found."""
        if model.id in self._by_id:
            return self._by_id[model.id]
        async with self._lock:
            if model.id in self._by_id:
                return self._by_id[model.id]
            if is_remote_source(model.source):
                # the engine the settings name, when it serves this model (it may have moved)
                serves = self.remote is not None and self.remote.model == model.name
                url = self.settings.embed_url if serves else model.source
                remote = remote_spec_from(self.settings, url=url)
                assert remote is not None
                identity = ModelIdentity(
                    model.name, model.dim, model.fingerprint, model.source, remote.max_tokens
                )
                # a query does not wait a minute for an engine that is down
                quick = min(remote.retry_seconds, PROBE_SECONDS)
                remote_embedder = RemoteEmbedder(
                    replace(remote, model=model.name, retry_seconds=quick), identity
                )
                self._by_id[model.id] = remote_embedder
                return remote_embedder
            spec = ModelSpec(
                name=model.name,
                path=Path(model.source),
                max_tokens=self.settings.embed_max_tokens,
                threads=self.settings.embed_threads,
            )
            embedder = await asyncio.to_thread(load_embedder, spec, allow_download=False)
            if embedder.identity.key != model.key:
                raise ModelUnavailable(
                    f"the model files at {model.source} changed since they were indexed "
                    f"({model.key} became {embedder.identity.key})",
                    "run `codeindex reindex --scope embeddings-only` to rebuild the vectors",
                )
            self._by_id[model.id] = embedder
            return embedder

    def close(self) -> None:
        """Close the connections of remote embedders loaded here."""
        for embedder in self._by_id.values():
            if isinstance(embedder, RemoteEmbedder):
                embedder.close()
        self._by_id.clear()
        self._configured = None

    async def record_engine(self, failure: ModelUnavailable | None) -> None:
        """Record the remote engine's health: a success (None) or a failure and its reason.

        A success after a success is written at most every `HEALTH_WRITE_SECONDS`.
        """
        if self.remote is None:
            return
        now = time.time()
        ok = failure is None
        if ok and self._health_ok and now - self._health_written < HEALTH_WRITE_SECONDS:
            return
        health = await self.engine_health() or {}
        health.update(endpoint=self.remote.endpoint, model=self.remote.model)
        if failure is None:
            health["last_success_at"] = now
        else:
            health.update(last_failure_at=now, last_error=failure.reason)
        await self.storage.set_meta({ENGINE_KEY: json.dumps(health, sort_keys=True)})
        self._health_ok, self._health_written = ok, now

    async def engine_health(self) -> dict[str, Any] | None:
        """The remote engine's recorded health (endpoint, last success, last failure, error)."""
        raw = await self.storage.get_meta(ENGINE_KEY)
        if not raw:
            return None
        data = json.loads(raw)
        return data if isinstance(data, dict) else None
