"""What an embedding model is, before anything is loaded: specs, identity and the protocol.

Front-ends read these (status, validate, which model is configured) without loading a model:
this module imports no numpy, fastembed, ONNX Runtime or HTTP client. The models themselves
are `local` (fastembed on ONNX Runtime) and `remote` (an OpenAI-compatible engine); the
worker loads them through `loader`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from codeindex.config import Settings

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "DEFAULT_MODEL",
    "Embedder",
    "ModelIdentity",
    "ModelSpec",
    "RemoteSpec",
    "embeddings_url",
    "remote_spec_from",
    "spec_from",
]

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """What the settings ask for."""

    name: str = DEFAULT_MODEL
    path: Path | None = None
    max_tokens: int = 256
    threads: int | None = None
    cache_dir: Path | None = None
    quantize: str = "fp32"  # fp32 | int8 | auto (int8 when a variant can be made)

    def settings_key(self) -> str:
        """A stable string of these fields: a remembered failure is retried when it changes."""
        return json.dumps(
            {
                "name": self.name,
                "path": None if self.path is None else str(self.path),
                "max_tokens": self.max_tokens,
                "threads": self.threads,
                "cache_dir": None if self.cache_dir is None else str(self.cache_dir),
                "quantize": self.quantize,
            },
            sort_keys=True,
        )


@dataclass(frozen=True, slots=True)
class RemoteSpec:
    """What the settings ask of a remote engine."""

    url: str
    model: str
    api_key_env: str = ""
    request_tokens: int = 4096
    request_texts: int = 16  # text-embeddings-inference refuses more than 32 by default
    concurrency: int = 4
    timeout: float = 30.0
    retry_seconds: float = 60.0
    max_tokens: int = 256
    tokenizer: Path | None = None  # a local model folder whose tokenizer.json counts tokens

    @property
    def endpoint(self) -> str:
        """Where requests go: `<url>/embeddings`."""
        return embeddings_url(self.url)

    def settings_key(self) -> str:
        """The fields that decide what is embedded: a remembered failure is retried on change."""
        return json.dumps(
            {
                "provider": "openai",
                "url": self.endpoint,
                "model": self.model,
                "api_key_env": self.api_key_env,
                "max_tokens": self.max_tokens,
            },
            sort_keys=True,
        )


def embeddings_url(base: str) -> str:
    """The embeddings endpoint of a base URL (as an OpenAI client forms it)."""
    base = base.strip().rstrip("/")
    if base.endswith("/embeddings"):
        base = base[: -len("/embeddings")]
    return f"{base}/embeddings"


@dataclass(frozen=True, slots=True)
class ModelIdentity:
    """Which model made a vector: vectors of two identities never share a table."""

    name: str
    dim: int
    fingerprint: str
    source: str
    max_tokens: int

    @property
    def key(self) -> str:
        """The identity as one string: name, dimension and fingerprint."""
        return f"{self.name}|{self.dim}|{self.fingerprint}"

    @property
    def table_name(self) -> str:
        """A LanceDB-safe table name unique per key, e.g. `v_all_minilm_l6_v2_384_1a2b3c4d`."""
        slug = re.sub(r"[^a-z0-9]+", "_", self.name.rsplit("/", 1)[-1].lower()).strip("_")
        return f"v_{slug[:48] or 'model'}_{self.dim}_{self.fingerprint[:8]}"


class Embedder(Protocol):
    """Turns texts into L2-normalized vectors; one call is one model batch.

    `batch_texts` is the batch size the model wants (None: `embedding.batch_size`);
    `probe` raises `EngineUnavailable` while a remote engine does not answer (a local model
    always answers); `close` releases connections.
    """

    identity: ModelIdentity

    @property
    def batch_texts(self) -> int | None:
        """Texts per batch this model wants; None: `embedding.batch_size`."""
        ...

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Vectors of shape (len(texts), dim), L2-normalized, in the order of texts."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens each text costs after truncation, special tokens included."""
        ...

    def probe(self) -> object:
        """One request to the model: raises when it does not answer."""
        ...

    def close(self) -> None:
        """Release what the model holds open (connections)."""
        ...


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
