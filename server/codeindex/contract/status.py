"""The result of get_index_status: what the index holds, the model, the queue and the worker.

`codeindex.app.status` builds it, every front-end shows it, and the MCP tool's output
schema is generated from it.
"""

from __future__ import annotations

from typing import Literal, TypedDict


class NotIndexed(TypedDict):
    """A file that is skipped or failed, and why."""

    path: str
    status: str
    reason: str


class SyntaxErrorInfo(TypedDict):
    """An indexed file whose parse had errors, and the first of them."""

    path: str
    reason: str


class FileCounts(TypedDict):
    """Files of the index by status and language."""

    total: int
    by_status: dict[str, int]
    by_language: dict[str, int]
    by_encoding: dict[str, int]
    with_syntax_errors: int
    syntax_errors: list[SyntaxErrorInfo]
    not_indexed: list[NotIndexed]


class ActiveModel(TypedDict):
    """The embedding model queries use."""

    name: str
    dim: int
    fingerprint: str
    source: str
    table: str


class SharedRun(TypedDict):
    """The last embedding run's lookups in the shared store."""

    texts_looked_up: int
    texts_found: int
    texts_embedded: int
    at: str


class SharedStore(TypedDict):
    """A vector store shared by a team (`vectors.uri`)."""

    uri: str
    error: str | None
    last_run: SharedRun | None


class LocalSource(TypedDict):
    """Embeddings made in the worker by a local model."""

    provider: Literal["local"]
    model: str
    note: str | None  # why the model runs otherwise than configured (fp32 without int8 copy)


class EngineHealth(TypedDict):
    """The remote engine's health as last recorded."""

    answering: bool
    last_success_at: str | None
    last_failure_at: str | None
    last_error: str | None


class RemoteSource(TypedDict):
    """Embeddings made by a remote OpenAI-compatible engine."""

    provider: Literal["openai"]
    url: str
    model: str
    api_key_env: str | None
    health: EngineHealth | None


class Embeddings(TypedDict):
    """Chunks embedded and pending, and why pending."""

    active_model: ActiveModel | None
    chunks_total: int
    chunks_embedded: int
    chunks_pending: int
    pending_reason: str | None
    # texts of the configured model that no task will embed (a model set after the first
    # index, a switch cancelled or failed), and the command that embeds them
    not_embedding: str | None
    vectors_bytes: int
    vectors_location: str
    shared_store: SharedStore | None
    configured_model: str
    configured_model_path: str | None
    files_not_embedded: dict[str, int]
    source: LocalSource | RemoteSource


class WorkerInfo(TypedDict):
    """The process that holds the worker lease."""

    owner: str
    pid: int
    host: str
    renewed_at: str


class QueueInfo(TypedDict):
    """Tasks by status, items left, and the worker."""

    tasks_by_status: dict[str, int]
    items_left: int
    worker: WorkerInfo | None


class Reconciliation(TypedDict):
    """The last reconciling pass: when, how long, how many files it found changed."""

    at: str | None
    duration_seconds: float
    files_changed: int
    task_id: str | None


class WatcherStatus(TypedDict):
    """The `watcher` block of get_index_status."""

    active: bool
    owner: str | None
    since: str | None
    events_seen: int
    tasks_queued: int
    last_event_at: str | None
    error: str | None
    last_reconciliation: Reconciliation | None


class IndexStatus(TypedDict):
    """get_index_status: what the index holds, the model, the queue and the worker."""

    workspace: str
    data_dir: str
    data_dir_bytes: int
    storage_note: str | None
    schema_version: int
    parser_version: int
    files: FileCounts
    symbols: int
    chunks: int
    last_full_index_at: str | None
    embeddings: Embeddings
    watcher: WatcherStatus
    queue: QueueInfo
