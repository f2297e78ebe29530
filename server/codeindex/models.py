"""Which embedding model is configured, which is active, and remembering why none loads.

Loading a named model that is not cached makes fastembed try a download that,
offline, retries for about 40 s. So the outcome of an attempt is remembered in
index metadata, keyed by the settings that produced it, and is tried again only
when those settings change or the user asks (`codeindex model check`).
Queries answer from the *active* model's table; the configured model becomes
active when all its embeddings exist (invariant 8).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from codeindex.config import Settings
from codeindex.embedder import Embedder, ModelIdentity, ModelSpec, ModelUnavailable, load_embedder
from codeindex.storage import Storage
from codeindex.storage.models import ModelRow

FAILURE_KEY = "model_failure"
ACTIVE_KEY = "active_model_id"
LOADED_KEY = "model_loaded_settings"  # the settings of the model a worker last loaded


def spec_from(settings: Settings) -> ModelSpec:
    """The model the settings ask for."""
    return ModelSpec(
        name=settings.embed_model,
        path=settings.embed_model_path,
        max_tokens=settings.embed_max_tokens,
        threads=settings.embed_threads,
        quantize=settings.embed_quantize,
    )


class ModelManager:
    """Loads models at most once per process and keeps the active-model pointer."""

    def __init__(self, storage: Storage, settings: Settings) -> None:
        self.storage = storage
        self.settings = settings
        self.spec = spec_from(settings)
        self._configured: tuple[Embedder, int] | None = None
        self._by_id: dict[int, Embedder] = {}
        self._lock = asyncio.Lock()

    async def remembered_failure(self) -> ModelUnavailable | None:
        """The failure recorded for the current settings, if any."""
        raw = await self.storage.get_meta(FAILURE_KEY)
        if not raw:
            return None
        data = json.loads(raw)
        if data.get("settings") != self.spec.settings_key():
            return None
        return ModelUnavailable(data["reason"], data["hint"])

    async def untried(self) -> bool:
        """True when no worker has tried the configured model yet (settings changed since)."""
        key = self.spec.settings_key()
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
                embedder = await asyncio.to_thread(
                    load_embedder, self.spec, allow_download=download
                )
            except ModelUnavailable as exc:
                await self.storage.set_meta(
                    {
                        FAILURE_KEY: json.dumps(
                            {
                                "settings": self.spec.settings_key(),
                                "reason": exc.reason,
                                "hint": exc.hint,
                                "at": time.time(),
                            }
                        )
                    }
                )
                raise
            model_id = await self.register(embedder.identity)
            await self.storage.set_meta({LOADED_KEY: self.spec.settings_key()})
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
