"""Embeddings from a remote OpenAI-compatible engine (`embedding.provider = "openai"`).

The engine (text-embeddings-inference, vLLM, Ollama, infinity, a hosted API) is reached at
`<embedding.url>/embeddings`, as an OpenAI client does with its base URL: give the base with
`/v1` when the engine serves its OpenAI routes under it. Texts go out in requests of at most
`embedding.batch_size` texts and about `embedding.request_tokens` tokens (counted by a local
tokenizer when `embedding.model_path` names one, estimated from characters otherwise), at
most `embedding.concurrency` requests in flight. A request that meets a connection error, a
timeout, 429 or 5xx is retried with
exponential backoff and jitter (a `Retry-After` is honoured) for at most
`embedding.retry_seconds`; then `EngineUnavailable` says which endpoint and what it last
answered. The key comes from the environment variable `embedding.api_key_env` names; it is
never stored, logged, or put in an error.

The identity is the model name sent, the dimension a probe request finds, and a fingerprint
of the model id the engine reports: a remote model has its own vector table, and vectors of
the same served model are the same on every machine whatever its URL.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from codeindex.embedding.spec import ModelIdentity, RemoteSpec
from codeindex.errors import EngineUnavailable, ModelUnavailable

if TYPE_CHECKING:
    import httpx
    from tokenizers import Tokenizer

__all__ = ["RemoteEmbedder", "load_remote"]

log = logging.getLogger(__name__)

PROBE_TEXT = "def probe(): pass"
BACKOFF_FIRST = 0.5
BACKOFF_CAP = 30.0
PROBE_SECONDS = 5.0  # a probe (model load, "is it back?") retries this long at most
CHARS_PER_TOKEN = 3  # code in a WordPiece or BPE vocabulary: about 3 characters a token
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _api_key(spec: RemoteSpec) -> str | None:
    if not spec.api_key_env:
        return None
    if not _ENV_NAME.fullmatch(spec.api_key_env):
        raise ModelUnavailable(
            f"embedding.api_key_env is {spec.api_key_env!r}, not the name of an environment "
            "variable",
            "set embedding.api_key_env to the NAME of the variable holding the key "
            "(e.g. OPENAI_API_KEY), never the key itself",
        )
    key = os.environ.get(spec.api_key_env)
    if not key:
        raise ModelUnavailable(
            f"embedding.api_key_env names {spec.api_key_env}, which is not set in the "
            "environment of the process that embeds",
            f"export {spec.api_key_env} before starting codeindex (or the editor), or unset "
            "embedding.api_key_env for an engine without a key",
        )
    return key


class RemoteEmbedder:
    """An `Embedder` over HTTP; make one with `load_remote` (it probes the engine)."""

    def __init__(self, spec: RemoteSpec, identity: ModelIdentity | None = None) -> None:
        self.spec = spec
        self.endpoint = spec.endpoint
        self._key = _api_key(spec)
        import httpx  # here, not at the top: the CLI's start-up does not pay for it

        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        self._client = httpx.Client(timeout=spec.timeout, headers=headers)
        self._pool = ThreadPoolExecutor(spec.concurrency, thread_name_prefix="codeindex-remote")
        self._counter = _tokenizer(spec)
        self._lock = threading.Lock()
        self.served_model = ""
        self.identity = identity or ModelIdentity(spec.model, 0, "", spec.url, spec.max_tokens)

    @property
    def batch_texts(self) -> int:
        """Texts the worker hands over per call: enough for every request slot."""
        return self.spec.request_texts * self.spec.concurrency

    def close(self) -> None:
        """Close the connections and the request threads."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._client.close()

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens by the local tokenizer when one is configured, else estimated from length."""
        if self._counter is not None:
            return [len(e.ids) for e in self._counter.encode_batch(list(texts))]
        return [min(len(t) // CHARS_PER_TOKEN + 2, 8192) for t in texts]

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Vectors of shape (len(texts), dim), L2-normalized, in order; requests in parallel."""
        if not texts:
            return np.zeros((0, self.identity.dim), dtype=np.float32)
        groups = self._requests(list(texts))
        parts = list(self._pool.map(self._post, groups))
        vectors = np.asarray(np.concatenate(parts), dtype=np.float32)
        if self.identity.dim and vectors.shape[1] != self.identity.dim:
            raise ModelUnavailable(
                f"remote engine {self.endpoint} now gives {vectors.shape[1]}-dim vectors for "
                f"{self.spec.model}, not {self.identity.dim}",
                "the engine serves another model under this name: set embedding.model to the "
                "model it serves, or serve the one indexed",
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors /= np.maximum(norms, np.float32(1e-12))
        return vectors

    def probe(self) -> npt.NDArray[np.float32]:
        """One short request (retried for at most `PROBE_SECONDS`): raises when it fails."""
        budget = min(self.spec.retry_seconds, PROBE_SECONDS)
        return self._post([PROBE_TEXT], budget=budget, timeout=min(self.spec.timeout, 10.0))

    def _requests(self, texts: list[str]) -> list[list[str]]:
        """Consecutive texts cut into requests of about `request_tokens` tokens."""
        groups: list[list[str]] = []
        current: list[str] = []
        tokens = 0
        for text, count in zip(texts, self.count_tokens(texts), strict=True):
            if current and (
                tokens + count > self.spec.request_tokens or len(current) >= self.spec.request_texts
            ):
                groups.append(current)
                current, tokens = [], 0
            current.append(text)
            tokens += count
        groups.append(current)
        return groups

    def _post(
        self, texts: list[str], budget: float | None = None, timeout: float | None = None
    ) -> npt.NDArray[np.float32]:
        """One request, retried on transient failures for at most `retry_seconds`."""
        import httpx

        budget = self.spec.retry_seconds if budget is None else budget
        timeout = self.spec.timeout if timeout is None else timeout
        deadline = time.monotonic() + budget
        attempt = 0
        while True:
            wait: float | None = None
            try:
                response = self._client.post(
                    self.endpoint, json={"model": self.spec.model, "input": texts}, timeout=timeout
                )
            except httpx.TimeoutException:
                last = f"timed out after {timeout:g} s"
            except httpx.TransportError as exc:
                last = f"unreachable: {self._redact(f'{type(exc).__name__}: {exc}')}"
            else:
                status = response.status_code
                if status == 200:
                    return self._parse(response, len(texts))
                detail = self._detail(response)
                if status != 429 and status < 500:
                    raise ModelUnavailable(
                        f"remote engine {self.endpoint} answered HTTP {status}{detail}",
                        _hint(status),
                    )
                last = f"answered HTTP {status}{detail}"
                wait = _retry_after(response)
            delay = wait if wait is not None else _backoff(attempt)
            if time.monotonic() + delay > deadline:
                raise EngineUnavailable(
                    f"remote engine {self.endpoint} {last} (gave up after {budget:g} s of retries)",
                    "start the engine or fix embedding.url; the chunks stay pending and are "
                    "embedded when it answers again",
                    self.endpoint,
                    last,
                )
            log.info("remote engine %s %s; retrying in %.1f s", self.endpoint, last, delay)
            time.sleep(delay)
            attempt += 1

    def _parse(self, response: httpx.Response, count: int) -> npt.NDArray[np.float32]:
        try:
            body: Any = response.json()
            rows = sorted(body["data"], key=lambda row: int(row.get("index", 0)))
            vectors = np.asarray([row["embedding"] for row in rows], dtype=np.float32)
            served = str(body.get("model") or "")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModelUnavailable(
                f"remote engine {self.endpoint} gave an answer that is not an OpenAI "
                f"embeddings response ({type(exc).__name__}: {exc})",
                "check that embedding.url is the engine's OpenAI-compatible base URL "
                "(often ending in /v1)",
            ) from None
        if vectors.ndim != 2 or vectors.shape[0] != count:
            raise ModelUnavailable(
                f"remote engine {self.endpoint} gave {vectors.shape[0]} vector(s) for {count} "
                "text(s)",
                "check the engine: it must answer one embedding per input",
            )
        with self._lock:
            self.served_model = served or self.served_model
        return vectors

    def _detail(self, response: httpx.Response) -> str:
        text = self._redact(response.text.strip().replace("\n", " "))
        return f": {text[:200]}" if text else ""

    def _redact(self, text: str) -> str:
        return text.replace(self._key, "<key>") if self._key else text


def load_remote(spec: RemoteSpec) -> RemoteEmbedder:
    """A remote embedder whose dimension and served model id a probe request found."""
    embedder = RemoteEmbedder(spec)
    try:
        probe = embedder.probe()
    except ModelUnavailable:
        embedder.close()
        raise
    dim = int(probe.shape[1])
    served = embedder.served_model or spec.model
    fingerprint = hashlib.sha256(f"openai|{served}|{dim}".encode()).hexdigest()[:16]
    embedder.identity = ModelIdentity(spec.model, dim, fingerprint, spec.url, spec.max_tokens)
    return embedder


def _tokenizer(spec: RemoteSpec) -> Tokenizer | None:
    if spec.tokenizer is None:
        return None
    path = spec.tokenizer / "tokenizer.json"
    if not path.is_file():
        return None
    from tokenizers import Tokenizer

    counter = Tokenizer.from_file(str(path))
    counter.no_padding()
    counter.enable_truncation(max_length=spec.max_tokens)
    return counter


def _backoff(attempt: int) -> float:
    """Exponential backoff with full jitter in its upper half."""
    ceiling = min(BACKOFF_CAP, BACKOFF_FIRST * 2.0**attempt)
    return ceiling * random.uniform(0.5, 1.0)


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, min(float(raw), BACKOFF_CAP * 4))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _hint(status: int) -> str:
    if status in (401, 403):
        return (
            "the engine refused the key: check the variable embedding.api_key_env names "
            "(and that the engine expects a bearer token)"
        )
    if status == 404:
        return (
            "check embedding.url (the OpenAI base URL, often ending in /v1) and that "
            "embedding.model names a model the engine serves"
        )
    return "check embedding.model and the engine's limits (input length, inputs per request)"
