"""Whether the worker may embed now, and when it tries again: one small state object.

- READY: texts go to the model.
- NO_MODEL(reason): the configured model cannot be loaded (a wrong setting, a download not
  allowed, an engine that refuses the request); this worker does not try again.
- STORE_DOWN(until): the shared vector store could not be used; the model and its table are
  tried again after `STORE_RETRY_SECONDS` (while idle too), so a worker outlives a short
  outage.
- ENGINE_DOWN(backoff): a remote engine stayed down after its own retries; it is probed
  again after `backoff` seconds, doubling from `ENGINE_RETRY_FIRST` to `ENGINE_RETRY_CAP`.

Pure: the clock is a parameter and the probe runs elsewhere (`model_table`), so the
transitions are tested without a model, a store or an engine.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable

from codeindex.errors import (
    CodeIndexError,
    EngineUnavailable,
    ModelUnavailable,
    VectorStoreUnavailable,
)

STORE_RETRY_SECONDS = 30.0
ENGINE_RETRY_FIRST = 2.0
ENGINE_RETRY_CAP = 300.0


class Health(enum.Enum):
    """The states of `EmbeddingHealth`."""

    READY = "ready"
    NO_MODEL = "no_model"
    STORE_DOWN = "store_down"
    ENGINE_DOWN = "engine_down"


class EmbeddingHealth:
    """Whether embeddings can proceed, why not, and when to try again."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.state = Health.READY
        self.error: CodeIndexError | None = None
        self.retry_at = 0.0  # STORE_DOWN: when to open the store again; ENGINE_DOWN: to probe
        self.backoff = 0.0  # ENGINE_DOWN: the wait before the next probe

    def can_embed(self) -> bool:
        """True when texts may go to the model."""
        return self.state is Health.READY

    def may_load(self) -> bool:
        """True when the model and its table may be loaded now (READY, or the store's wait
        is over)."""
        if self.state is Health.STORE_DOWN:
            return self.clock() >= self.retry_at
        return self.state is Health.READY

    def probe_due(self) -> bool:
        """True when the engine is down and its wait is over: probe it."""
        return self.state is Health.ENGINE_DOWN and self.clock() >= self.retry_at

    def failed(self, exc: BaseException) -> None:
        """Take a failure into account.

        Any other exception than the three kinds below means, while the engine is down, a
        probe that broke (the engine stays down, the wait doubles); otherwise nothing.
        """
        if isinstance(exc, EngineUnavailable):
            self.backoff = min(ENGINE_RETRY_CAP, max(ENGINE_RETRY_FIRST, self.backoff * 2))
            self._become(Health.ENGINE_DOWN, exc, self.clock() + self.backoff)
        elif isinstance(exc, ModelUnavailable):
            self.backoff = 0.0
            self._become(Health.NO_MODEL, exc, 0.0)
        elif isinstance(exc, VectorStoreUnavailable):
            self.backoff = 0.0
            self._become(Health.STORE_DOWN, exc, self.clock() + STORE_RETRY_SECONDS)
        elif self.state is Health.ENGINE_DOWN:
            self.backoff = min(ENGINE_RETRY_CAP, max(ENGINE_RETRY_FIRST, self.backoff * 2))
            self.retry_at = self.clock() + self.backoff

    def recovered(self) -> None:
        """The model loaded, the store answered or the engine answered again: READY."""
        self.backoff = 0.0
        self._become(Health.READY, None, 0.0)

    def reason(self) -> str:
        """Why embeddings are pending, as an item's failure or status says it."""
        error = self.error
        if self.state is Health.ENGINE_DOWN and isinstance(error, ModelUnavailable):
            return f"embeddings pending: {error.reason}"
        if self.state is Health.STORE_DOWN and error is not None:
            return f"vectors unavailable: {error.message}"
        if self.state is Health.NO_MODEL and isinstance(error, ModelUnavailable):
            return f"embedding model unavailable: {error.reason}"
        return "embedding model unavailable: no model"

    def _become(self, state: Health, error: CodeIndexError | None, retry_at: float) -> None:
        self.state = state
        self.error = error
        self.retry_at = retry_at
