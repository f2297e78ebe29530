"""The shapes of the service's results, as the MCP tools return them.

These TypedDicts mirror what the service returns today (the reindex contract in
README, `get_reindex_status`, search, symbols, status and validate). The tools'
output schemas are generated from them (`schema.schema_of`). When the core ships
its own typed results, these are replaced by imports of those.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

TaskStatusName = Literal["Queued", "Running", "Paused", "Completed", "Failed", "Cancelled"]


class PathTarget(TypedDict):
    """The file of a `file` scope."""

    path: str


class PathsTarget(TypedDict):
    """The files of a `files` scope."""

    paths: list[str]


class DirectoryTarget(TypedDict):
    """The folder of a `directory` scope."""

    path: str
    recursive: bool


class FileScope(TypedDict):
    """`{"File": {"path": ...}}`."""

    File: PathTarget


class FilesScope(TypedDict):
    """`{"Files": {"paths": [...]}}`."""

    Files: PathsTarget


class DirectoryScope(TypedDict):
    """`{"Directory": {"path": ..., "recursive": true}}`."""

    Directory: DirectoryTarget


ScopeObject = Literal["Project", "EmbeddingsOnly"] | FileScope | FilesScope | DirectoryScope


class Failure(TypedDict):
    """A file that failed, and why."""

    path: str
    error: str


class Summary(TypedDict):
    """What a task produced."""

    files_processed: int
    symbols_extracted: int
    chunks_created: int
    embeddings_generated: int


class ReindexResult(TypedDict):
    """The outcome of a sync force_reindex."""

    items_completed: int
    items_failed: int
    duration_seconds: float
    failures: list[Failure]
    summary: Summary


class ReindexResponse(TypedDict):
    """The force_reindex response of the contract; `result` is null when async."""

    task_id: str
    scope: ScopeObject
    status: TaskStatusName
    items_total: int
    items_queued: int
    estimated_duration_seconds: float | None
    message: str | None
    result: ReindexResult | None


class TaskInfo(TypedDict):
    """One task's state: get_reindex_status, and pause/resume/cancel answers."""

    task_id: str
    scope: ScopeObject
    status: TaskStatusName
    priority: Literal["high", "normal", "low"]
    progress: float
    items_total: int
    items_completed: int
    items_failed: int
    items_cancelled: int
    items_pending: int
    current_file: str | None
    created_at: str | None
    started_at: str | None
    completed_at: str | None
    eta_seconds: float | None
    estimated_duration_seconds: float | None
    message: str | None
    error_message: str | None
    failures: list[Failure]
    summary: Summary


class TaskListEntry(TypedDict):
    """A task in list_reindex_tasks."""

    task_id: str
    scope: ScopeObject
    status: TaskStatusName
    progress: float
    items_total: int
    items_completed: int
    items_failed: int
    created_at: str | None
    completed_at: str | None
    message: str | None


class TaskList(TypedDict):
    """list_reindex_tasks: tasks, newest first."""

    tasks: list[TaskListEntry]


class SearchHit(TypedDict):
    """One search hit: where, what, how well it matched and how fresh it is."""

    path: str
    start_line: int
    end_line: int
    line: int
    snippet: str
    symbol: str | None
    language: str | None
    score: float
    freshness: Literal["fresh", "stale", "pending_embedding"]
    chunk_id: int


class SearchResponse(TypedDict):
    """search_code: the hits, the mode that produced them, and a note when a mode fell back."""

    query: str
    mode: Literal["hybrid", "semantic", "lexical"]
    model: str | None
    note: str | None
    elapsed_ms: float
    hits: list[SearchHit]


class SymbolHit(TypedDict):
    """One symbol definition."""

    name: str
    kind: str
    container: str | None
    path: str
    start_line: int
    start_col: int
    end_line: int
    end_col: int
    language: str | None


class SymbolList(TypedDict):
    """find_symbol: definitions, best match first."""

    symbols: list[SymbolHit]


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
    with_syntax_errors: int
    not_indexed: list[NotIndexed]


class ActiveModel(TypedDict):
    """The embedding model queries use."""

    name: str
    dim: int
    fingerprint: str
    source: str
    table: str


class Embeddings(TypedDict):
    """Chunks embedded and pending, and why pending."""

    active_model: ActiveModel | None
    chunks_total: int
    chunks_embedded: int
    chunks_pending: int
    pending_reason: str | None
    vectors_bytes: int
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


class Fix(TypedDict):
    """The force_reindex arguments that fix a problem."""

    scope: Literal["file", "files", "directory", "project", "embeddings-only"]
    paths: NotRequired[list[str]]


class Problem(TypedDict):
    """One thing wrong with the index, and its fix."""

    kind: str
    detail: str
    fix: Fix
    paths: NotRequired[list[str]]
    reasons: NotRequired[dict[str, str | None]]


class SkippedPath(TypedDict):
    """A path that is not indexed on purpose, and why."""

    path: str
    reason: str


class ValidationReport(TypedDict):
    """validate_index: problems, each with the force_reindex arguments that fix it."""

    ok: bool
    files_checked: int
    problems: list[Problem]
    skipped_paths: list[SkippedPath]
