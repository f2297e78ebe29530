"""Which embedding model is configured, which is active, and what is remembered about them.

Records in index.db, read by every process and written by the worker; nothing here loads a
model (that is `loader`, in the worker). Loading a named model that is not cached makes
fastembed try a download that, offline, retries for about 40 s, so the outcome of an
attempt is remembered, keyed by the settings that produced it, and tried again only when
those settings change or the user asks (`codeindex model check`). Queries answer from the
*active* model's table; the configured model becomes active when all its embeddings exist
(invariant 8).

A remote engine (`embedding.provider = "openai"`) that does not answer is not a remembered
failure: it is a health record (`ENGINE_HEALTH`: last success, last failure and why) that status
shows, and the worker tries the engine again later.
"""

from __future__ import annotations

import time
from dataclasses import replace

from codeindex.config import Settings
from codeindex.embedding.spec import ModelIdentity, remote_spec_from, spec_from
from codeindex.errors import ModelUnavailable
from codeindex.storage import Storage
from codeindex.storage.meta import (
    ACTIVE_MODEL,
    ENGINE_HEALTH,
    LOADED_MODEL,
    MODEL_FAILURE,
    MODEL_LOADED,
    MODEL_NOTE,
    EngineHealth,
    ModelFailure,
    ModelNote,
)
from codeindex.storage.model_rows import ModelRow

HEALTH_WRITE_SECONDS = 30.0  # a healthy engine's record is refreshed at most this often


class ModelRegistry:
    """The models recorded in one index: configured, active, failures and engine health."""

    def __init__(self, storage: Storage, settings: Settings) -> None:
        self.storage = storage
        self.settings = settings
        self.spec = spec_from(settings)
        self.remote = remote_spec_from(settings)
        self._health_written = 0.0
        self._health_ok: bool | None = None

    def settings_key(self) -> str:
        """The model settings as one string: a remembered failure is retried when it changes."""
        return self.remote.settings_key() if self.remote else self.spec.settings_key()

    async def remembered_failure(self) -> ModelUnavailable | None:
        """The failure recorded for the current settings, if any."""
        failure = await self.storage.meta.get(MODEL_FAILURE)
        if failure is None or failure.settings != self.settings_key():
            return None
        return ModelUnavailable(failure.reason, failure.hint)

    async def remember_failure(self, exc: ModelUnavailable) -> None:
        """The configured model could not load: not tried again until the settings change."""
        failure = ModelFailure(self.settings_key(), exc.reason, exc.hint, time.time())
        await self.storage.meta.set(MODEL_FAILURE, failure)

    async def untried(self) -> bool:
        """True when no worker has tried the configured model yet (settings changed since)."""
        key = self.settings_key()
        if await self.storage.meta.get(MODEL_LOADED) == key:
            return False
        return await self.remembered_failure() is None

    async def loaded(self, identity: ModelIdentity, note: str | None = None) -> int:
        """A worker loaded the configured model: record it (once), and what its load noted
        (None clears an earlier note), and return its id."""
        model_id = await self.register(identity)
        key = self.settings_key()
        noted = None if note is None else ModelNote(key, note, time.time())
        await self.storage.meta.put(
            MODEL_LOADED.entry(key), LOADED_MODEL.entry(model_id), MODEL_NOTE.entry(noted)
        )
        return model_id

    async def note(self) -> str | None:
        """What the last load of the configured model noted (e.g. fp32 in place of int8)."""
        noted = await self.storage.meta.get(MODEL_NOTE)
        return noted.note if noted is not None and noted.settings == self.settings_key() else None

    async def configured_id(self) -> int | None:
        """The id of the configured model once a worker (or `model check`) loaded it."""
        if await self.storage.meta.get(MODEL_LOADED) != self.settings_key():
            return None
        return await self.storage.meta.get(LOADED_MODEL)

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
        return await self.storage.register_model(row)

    async def active(self) -> ModelRow | None:
        """The model whose table answers queries."""
        model_id = await self.storage.meta.get(ACTIVE_MODEL)
        return None if model_id is None else await self.get(model_id)

    async def get(self, model_id: int) -> ModelRow | None:
        """One model row."""
        return await self.storage.model(model_id)

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
        health = await self.engine_health() or EngineHealth(self.remote.endpoint, self.remote.model)
        health = replace(health, endpoint=self.remote.endpoint, model=self.remote.model)
        if failure is None:
            health = replace(health, last_success_at=now)
        else:
            health = replace(health, last_failure_at=now, last_error=failure.reason)
        await self.storage.meta.set(ENGINE_HEALTH, health)
        self._health_ok, self._health_written = ok, now

    async def engine_health(self) -> EngineHealth | None:
        """The remote engine's recorded health (endpoint, last success, last failure, error)."""
        return await self.storage.meta.get(ENGINE_HEALTH)
