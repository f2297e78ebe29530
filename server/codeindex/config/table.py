"""The user-facing settings: each one's key, environment variable, default and meaning.

One table: `settings` coerces and checks raw values with it, the CLI's `--help` lists it,
the language server's options and the worker's environment are named after it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_MODEL", "SETTINGS", "Bounds", "SettingInfo", "cores"]

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


@dataclass(frozen=True, slots=True)
class Bounds:
    """The range of a numeric setting: at least `low`, at most `high` (a number, or a function
    of the machine such as its cores), and why, for the message of a value outside it."""

    low: float | None = None
    high: float | Callable[[], float] | None = None
    why: str = ""

    def problem(self, value: float) -> str | None:
        """What is wrong with `value`, or None when it fits."""
        high = self.high() if callable(self.high) else self.high
        if self.low is not None and value < self.low:
            return f"is below {_number(self.low)}: give at least {_number(self.low)} ({self.why})"
        if high is not None and value > high:
            return f"is over {_number(high)}: give at most {_number(high)} ({self.why})"
        return None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def cores() -> float:
    """The cores this process may run on (ONNX Runtime threads beyond them only cost memory)."""
    try:
        return float(len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return float(os.cpu_count() or 1)


GIB = 1 << 30


@dataclass(frozen=True, slots=True)
class SettingInfo:
    """One user-facing setting: its key, environment variable, default and meaning."""

    key: str
    env: str
    default: Any
    kind: type
    help: str
    allow_zero: bool = False
    choices: tuple[str, ...] = ()
    check: Callable[[Any], str | None] | None = None  # what is wrong with a value, if anything
    bounds: Bounds | None = None  # the numbers that make sense (beyond positive)


def _http_url(value: Any) -> str | None:
    text = str(value).strip()
    if not re.fullmatch(r"https?://[^\s/?#]+[^\s?#]*", text):
        return "is not an http:// or https:// URL (e.g. http://127.0.0.1:8080/v1)"
    return None


def _env_name(value: Any) -> str | None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(value)):
        return (
            "is not the name of an environment variable: give the NAME of the variable that "
            "holds the key (e.g. OPENAI_API_KEY), never the key itself"
        )
    return None


SETTINGS: tuple[SettingInfo, ...] = (
    SettingInfo(
        "index.max_file_size",
        "CODEINDEX_MAX_FILE_SIZE",
        1024 * 1024,
        int,
        "Files larger than this many bytes are skipped (recorded with the reason).",
        bounds=Bounds(high=GIB, why="a file is read and parsed whole in memory"),
    ),
    SettingInfo(
        "index.max_chunk_chars",
        "CODEINDEX_MAX_CHUNK_CHARS",
        1000,
        int,
        "Largest chunk in characters (sized for a 256-token model).",
        bounds=Bounds(
            low=100, high=100_000, why="a chunk is what search returns and a model embeds"
        ),
    ),
    SettingInfo(
        "index.excludes",
        "CODEINDEX_EXCLUDES",
        (),
        tuple,
        "Extra gitignore-style patterns to leave out of the index, as if written in a "
        ".codeindexignore at the root (a list in .codeindex.toml; one per line in the "
        "environment variable).",
    ),
    SettingInfo(
        "embedding.model",
        "CODEINDEX_EMBED_MODEL",
        DEFAULT_MODEL,
        str,
        "fastembed model name; with the openai provider, the model name sent to the engine.",
    ),
    SettingInfo(
        "embedding.provider",
        "CODEINDEX_EMBED_PROVIDER",
        "local",
        str,
        "local (an ONNX model in this process) or openai (a remote OpenAI-compatible engine "
        "at embedding.url).",
        choices=("local", "openai"),
    ),
    SettingInfo(
        "embedding.url",
        "CODEINDEX_EMBED_URL",
        "",
        str,
        "The remote engine's OpenAI base URL; requests go to <url>/embeddings "
        "(e.g. http://127.0.0.1:8080/v1).",
        check=_http_url,
    ),
    SettingInfo(
        "embedding.api_key_env",
        "CODEINDEX_EMBED_API_KEY_ENV",
        "",
        str,
        "Name of the environment variable holding the remote engine's key (sent as a bearer "
        "token; the key itself is never stored or shown).",
        check=_env_name,
    ),
    SettingInfo(
        "embedding.request_tokens",
        "CODEINDEX_EMBED_REQUEST_TOKENS",
        4096,
        int,
        "Tokens per request to the remote engine (and at most embedding.batch_size texts).",
        bounds=Bounds(high=1_000_000, why="one request to the engine"),
    ),
    SettingInfo(
        "embedding.concurrency",
        "CODEINDEX_EMBED_CONCURRENCY",
        4,
        int,
        "Requests to the remote engine in flight at once.",
        bounds=Bounds(high=64, why="requests in flight to one engine"),
    ),
    SettingInfo(
        "embedding.timeout",
        "CODEINDEX_EMBED_TIMEOUT",
        30.0,
        float,
        "Seconds one request to the remote engine may take.",
        bounds=Bounds(high=3600, why="seconds one request may take"),
    ),
    SettingInfo(
        "embedding.retry_seconds",
        "CODEINDEX_EMBED_RETRY_SECONDS",
        60.0,
        float,
        "How long a request is retried (429, 5xx, timeouts, no connection) before its chunks "
        "stay pending until the engine answers again.",
        bounds=Bounds(high=86_400, why="seconds of retries: at most a day"),
    ),
    SettingInfo(
        "embedding.model_path",
        "CODEINDEX_EMBED_MODEL_PATH",
        None,
        Path,
        "Local folder with model.onnx + tokenizer files; no download is tried.",
    ),
    SettingInfo(
        "embedding.quantize",
        "CODEINDEX_EMBED_QUANTIZE",
        "auto",
        str,
        "fp32, int8 (a variant made once from the model file) or auto (int8 when it can be made).",
        choices=("fp32", "int8", "auto"),
    ),
    SettingInfo(
        "embedding.skip_files",
        "CODEINDEX_EMBED_SKIP_FILES",
        True,
        bool,
        "Do not embed lockfiles, checksum lists, minified or generated code, large data "
        "files and translation catalogs (they stay in full-text search).",
    ),
    SettingInfo(
        "embedding.skip_patterns",
        "CODEINDEX_EMBED_SKIP_PATTERNS",
        "",
        str,
        "More files not to embed: comma-separated glob patterns of paths or names.",
    ),
    SettingInfo(
        "embedding.allow_download",
        "CODEINDEX_ALLOW_DOWNLOAD",
        True,
        bool,
        "Let fastembed download a named model once; a failure is remembered.",
    ),
    SettingInfo(
        "embedding.batch_size",
        "CODEINDEX_EMBED_BATCH_SIZE",
        16,
        int,
        "Texts per model call; texts are sorted by length into batches. With the openai "
        "provider: texts per request.",
        bounds=Bounds(high=1024, why="texts per batch held in memory"),
    ),
    SettingInfo(
        "embedding.max_tokens",
        "CODEINDEX_EMBED_MAX_TOKENS",
        256,
        int,
        "Inputs are truncated to this many tokens (MiniLM was trained on 256).",
        bounds=Bounds(high=65_536, why="tokens per input"),
    ),
    SettingInfo(
        "embedding.threads",
        "CODEINDEX_EMBED_THREADS",
        None,
        int,
        "ONNX Runtime threads for embedding; unset = all cores.",
        bounds=Bounds(high=cores, why="the cores of this machine; leave it unset for all of them"),
    ),
    SettingInfo(
        "cache.enabled",
        "CODEINDEX_CACHE",
        True,
        bool,
        "Share vectors through the machine-wide cache (CODEINDEX_CACHE_DIR, else "
        "$XDG_CACHE_HOME/codeindex): a text this machine embedded once, for any workspace, "
        "is not embedded again. false: this workspace neither reads nor writes it.",
    ),
    SettingInfo(
        "cache.max_bytes",
        "CODEINDEX_CACHE_MAX_BYTES",
        2 * 1024**3,
        int,
        "Bound of the machine-wide vector cache in bytes: the least recently used vectors "
        "go first (by an idle worker, or `codeindex cache prune`).",
    ),
    SettingInfo(
        "vectors.uri",
        "CODEINDEX_VECTORS_URI",
        "",
        str,
        "Where vectors live: empty = the data dir; s3://bucket/prefix = a store on S3 shared "
        "by a team (credentials only from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or "
        "AWS_PROFILE).",
    ),
    SettingInfo(
        "vectors.s3_endpoint",
        "CODEINDEX_S3_ENDPOINT",
        "",
        str,
        "Endpoint of an S3-compatible store (MinIO: http://host:9000); empty = AWS S3.",
    ),
    SettingInfo(
        "vectors.s3_region",
        "CODEINDEX_S3_REGION",
        "",
        str,
        "Region of the bucket; empty = AWS_REGION / AWS_DEFAULT_REGION.",
    ),
    SettingInfo(
        "vectors.allow_http",
        "CODEINDEX_S3_ALLOW_HTTP",
        False,
        bool,
        "Allow an http:// (unencrypted) S3 endpoint, such as a MinIO on the local network.",
    ),
    SettingInfo(
        "search.test_patterns",
        "CODEINDEX_SEARCH_TEST_PATTERNS",
        (),
        tuple,
        "Glob patterns of the files search counts as tests, instead of the built-in "
        "ones (see Search): matched against the path and the file name; `dir/` is a "
        "folder anywhere.",
    ),
    SettingInfo(
        "search.docs_patterns",
        "CODEINDEX_SEARCH_DOCS_PATTERNS",
        (),
        tuple,
        "Glob patterns of the files search counts as docs, instead of the built-in "
        "ones (see Search): matched against the path and the file name; `dir/` is a "
        "folder anywhere.",
    ),
    SettingInfo(
        "search.changelog_patterns",
        "CODEINDEX_SEARCH_CHANGELOG_PATTERNS",
        (),
        tuple,
        "Glob patterns of the files search counts as changelogs, instead of the built-in "
        "ones (see Search): matched against the path and the file name; `dir/` is a "
        "folder anywhere.",
    ),
    SettingInfo(
        "search.example_patterns",
        "CODEINDEX_SEARCH_EXAMPLE_PATTERNS",
        (),
        tuple,
        "Glob patterns of the files search counts as examples, instead of the built-in "
        "ones (see Search): matched against the path and the file name; `dir/` is a "
        "folder anywhere.",
    ),
    SettingInfo(
        "search.generated_patterns",
        "CODEINDEX_SEARCH_GENERATED_PATTERNS",
        (),
        tuple,
        "Glob patterns of the files search counts as generated, instead of the built-in "
        "ones (see Search): matched against the path and the file name; `dir/` is a "
        "folder anywhere.",
    ),
    SettingInfo(
        "worker.linger_seconds",
        "CODEINDEX_WORKER_LINGER",
        120.0,
        float,
        "A background worker started by the CLI stays this long after the queue empties.",
        allow_zero=True,
        bounds=Bounds(high=604_800, why="seconds: at most a week"),
    ),
    SettingInfo(
        "worker.lease_seconds",
        "CODEINDEX_LEASE_SECONDS",
        10.0,
        float,
        "A worker that has not renewed its lease for this long is replaced.",
        bounds=Bounds(low=1, high=3600, why="seconds a worker that stopped keeps its lease"),
    ),
    SettingInfo(
        "watch.enabled",
        "CODEINDEX_WATCH",
        True,
        bool,
        "Keep the index fresh on its own: watch files and reconcile while a worker runs.",
    ),
    SettingInfo(
        "watch.debounce_ms",
        "CODEINDEX_WATCH_DEBOUNCE_MS",
        100,
        int,
        "Changes are queued once none arrived for this long (at most 20 times as long).",
        bounds=Bounds(high=60_000, why="milliseconds: at most a minute"),
    ),
    SettingInfo(
        "watch.reconcile_seconds",
        "CODEINDEX_RECONCILE_SECONDS",
        300.0,
        float,
        "A cheap pass over the whole tree this often catches what the watcher missed "
        "(0: only when a worker starts).",
        allow_zero=True,
        bounds=Bounds(high=604_800, why="seconds: at most a week"),
    ),
)
