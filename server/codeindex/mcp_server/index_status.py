"""The shape of get_index_status, for its output schema.

The core types its other results in `codeindex.contract` (the tools' output schemas
are generated from those); `CodeIndexService.status()` returns a plain dict, so its
shape is written out here, as `codeindex.app.status` builds it. Objects stay open: a key
the core adds later does not break a client that validates.
"""

from __future__ import annotations

from typing import TypedDict


class NotIndexed(TypedDict):
    """A file that is skipped or failed, and why."""

    path: str
    status: str
    reason: str


class FileCounts(TypedDict):
    """Files of the index by status and language."""

    total: int
    by_status: dict[str, int]
    by_language: dict[str, int]
    by_encoding: dict[str, int]
    with_syntax_errors: int
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


class Embeddings(TypedDict):
    """Chunks embedded and pending, and why pending."""

    active_model: ActiveModel | None
    chunks_total: int
    chunks_embedded: int
    chunks_pending: int
    pending_reason: str | None
    vectors_bytes: int
    vectors_location: str
    shared_store: SharedStore | None
    configured_model: str
    configured_model_path: str | None


class WorkerInfo(TypedDict):
    """The process that holds the worker lease."""

    owner: str
    pid: int
    host: str
    renewed_at: str | None


class QueueInfo(TypedDict):
    """Tasks by status, items left, and the worker."""

    tasks_by_status: dict[str, int]
    items_left: int
    worker: WorkerInfo | None


class IndexStatus(TypedDict):
    """get_index_status: what the index holds, the model, the queue and the worker."""

    workspace: str
    data_dir: str
    data_dir_bytes: int
    schema_version: int
    parser_version: int
    files: FileCounts
    symbols: int
    chunks: int
    last_full_index_at: str | None
    embeddings: Embeddings
    queue: QueueInfo
