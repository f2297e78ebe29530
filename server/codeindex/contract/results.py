"""The results of reindexing, of the task commands, of search and of validation.

TypedDicts, so the CLI's `--json`, the language server's command results and the MCP
tools' structured content are the same JSON, typed wherever it is built or read.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict, final

ScopeName = Literal["file", "files", "directory", "project", "embeddings-only"]
Priority = Literal["high", "normal", "low"]
TaskStatusName = Literal["Queued", "Running", "Paused", "Completed", "Failed", "Cancelled"]
SearchMode = Literal["hybrid", "semantic", "lexical"]
SymbolMatch = Literal["auto", "exact", "prefix", "substring"]
Freshness = Literal["fresh", "stale", "pending_embedding"]
SearchOutput = Literal["hits", "files", "paths"]
FileKind = Literal["source", "test", "docs", "changelog", "example", "generated"]


class FilePath(TypedDict):
    path: str


@final  # `"File" in scope` tells the kinds of scope apart
class FileScope(TypedDict):
    File: FilePath


class FilesPaths(TypedDict):
    paths: list[str]


@final
class FilesScope(TypedDict):
    Files: FilesPaths


class DirectoryPath(TypedDict):
    path: str
    recursive: bool


@final
class DirectoryScope(TypedDict):
    Directory: DirectoryPath


ScopeObject = FileScope | FilesScope | DirectoryScope | Literal["Project", "EmbeddingsOnly"]


class Failure(TypedDict):
    """A file that failed, and why."""

    path: str
    error: str


class Summary(TypedDict):
    """What a task wrote: files, symbols, chunks and embeddings."""

    files_processed: int
    symbols_extracted: int
    chunks_created: int
    embeddings_generated: int


class ReindexResult(TypedDict):
    """What a finished task did (the `result` of a sync force_reindex)."""

    items_completed: int
    items_failed: int
    duration_seconds: float
    failures: list[Failure]
    summary: Summary


class ReindexResponse(TypedDict):
    """The answer of force_reindex."""

    task_id: str
    scope: ScopeObject
    status: TaskStatusName
    items_total: int
    items_queued: int
    estimated_duration_seconds: float | None
    message: str | None
    result: ReindexResult | None


class TaskInfo(TypedDict):
    """One task's status, progress, counts, current file, ETA, failures and summary."""

    task_id: str
    scope: ScopeObject
    status: TaskStatusName
    priority: Priority
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
    """A task in a list, newest first."""

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
    """list_reindex_tasks (the MCP tool wraps the list in an object)."""

    tasks: list[TaskListEntry]


class SearchHit(TypedDict):
    """A chunk that matched: where, the best line with the lines around it, the enclosing
    symbol with its signature, its score and how fresh it is."""

    path: str
    start_line: int
    end_line: int
    line: int
    snippet: str
    symbol: str | None
    symbol_kind: str | None
    signature: str | None
    context: str | None
    context_start_line: int | None
    language: str | None
    file_kind: FileKind
    score: float
    freshness: Freshness
    chunk_id: int
    root: NotRequired[str]  # the folder (workspace root) of the hit, when several are served


class FileMatch(TypedDict):
    """A file that matched (outputs `files` and `paths`): its best line, the symbols its
    hits are in, and (output `files`) the hits themselves."""

    path: str
    language: str | None
    file_kind: FileKind
    score: float
    freshness: Freshness
    line: int
    symbols: list[str]
    hits: list[SearchHit]
    root: NotRequired[str]  # the folder (workspace root) of the file, when several are served


class SearchResponse(TypedDict):
    """The answer of search: hits (output `hits`) or files (`files`, `paths`), the mode that
    found them, a note when it fell back, and whether max_tokens left results out."""

    query: str
    mode: SearchMode
    output: SearchOutput
    model: str | None
    note: str | None
    elapsed_ms: float
    hits: list[SearchHit]
    files: list[FileMatch]
    truncated: bool


class SymbolInfo(TypedDict):
    """A definition found by name (lines 1-based, columns 0-based)."""

    name: str
    kind: str
    container: str | None
    path: str
    start_line: int
    start_col: int
    end_line: int
    end_col: int
    language: str | None
    root: NotRequired[str]  # the folder (workspace root) of the symbol, when several are served


class SymbolList(TypedDict):
    """find_symbol (the MCP tool wraps the list in an object)."""

    symbols: list[SymbolInfo]


class Fix(TypedDict):
    """The force_reindex arguments that fix a problem."""

    scope: ScopeName
    paths: NotRequired[list[str]]


class Problem(TypedDict):
    """Something wrong with the index, and the reindex that fixes it."""

    kind: str
    detail: str
    fix: Fix
    paths: NotRequired[list[str]]
    reasons: NotRequired[dict[str, str | None]]
    store: NotRequired[str]


class SkippedPathInfo(TypedDict):
    """A path the scan left out, and why."""

    path: str
    reason: str


class ValidationReport(TypedDict):
    """The answer of validate_index."""

    ok: bool
    files_checked: int
    problems: list[Problem]
    skipped_paths: list[SkippedPathInfo]
    warnings: list[str]


class StatusNotification(TypedDict):
    """The params of the language server's `codeindex/status` notification."""

    state: Literal["idle", "indexing", "paused", "error"]
    percent: int | None
    message: str
    tasks: int
