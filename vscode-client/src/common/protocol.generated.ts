// Generated from the JSON Schemas of codeindex.contract (the MCP tools' output schemas).
// Do not edit: change the Python types, then run `uv run python scripts/generate_protocol.py`.

/** The embedding model queries use. */
export interface ActiveModel {
  name: string;
  dim: number;
  fingerprint: string;
  source: string;
  table: string;
}

export interface DirectoryPath {
  path: string;
  recursive: boolean;
}

export interface DirectoryScope {
  Directory: DirectoryPath;
}

/** Chunks embedded and pending, and why pending. */
export interface Embeddings {
  active_model: ActiveModel | null;
  chunks_total: number;
  chunks_embedded: number;
  chunks_pending: number;
  pending_reason: string | null;
  not_embedding: string | null;
  vectors_bytes: number;
  vectors_location: string;
  shared_store: SharedStore | null;
  configured_model: string;
  configured_model_path: string | null;
  files_not_embedded: Record<string, number>;
  source: LocalSource | RemoteSource;
}

/** The remote engine's health as last recorded. */
export interface EngineHealth {
  answering: boolean;
  last_success_at: string | null;
  last_failure_at: string | null;
  last_error: string | null;
}

/** A file that failed, and why. */
export interface Failure {
  path: string;
  error: string;
}

/** Files of the index by status and language. */
export interface FileCounts {
  total: number;
  by_status: Record<string, number>;
  by_language: Record<string, number>;
  by_encoding: Record<string, number>;
  with_syntax_errors: number;
  syntax_errors: SyntaxErrorInfo[];
  not_indexed: NotIndexed[];
}

/** A file that matched (outputs `files` and `paths`): its best line, the symbols its */
export interface FileMatch {
  path: string;
  language: string | null;
  file_kind: "source" | "test" | "docs" | "changelog" | "example" | "generated";
  score: number;
  freshness: "fresh" | "stale" | "pending_embedding";
  line: number;
  symbols: string[];
  hits: SearchHit[];
  root?: string;
}

/** get_file_outline: the symbols of one file as a tree. */
export interface FileOutline {
  path: string;
  language: string | null;
  lines: number;
  freshness: "fresh" | "stale";
  symbols: OutlineSymbol[];
  truncated: boolean;
  note: string | null;
}

export interface FilePath {
  path: string;
}

export interface FileScope {
  File: FilePath;
}

export interface FilesPaths {
  paths: string[];
}

export interface FilesScope {
  Files: FilesPaths;
}

/** The force_reindex arguments that fix a problem. */
export interface Fix {
  scope: "file" | "files" | "directory" | "project" | "embeddings-only";
  paths?: string[];
}

/** get_index_status: what the index holds, the model, the queue and the worker. */
export interface IndexStatus {
  workspace: string;
  data_dir: string;
  data_dir_bytes: number;
  storage_note: string | null;
  schema_version: number;
  parser_version: number;
  files: FileCounts;
  symbols: number;
  chunks: number;
  last_full_index_at: string | null;
  embeddings: Embeddings;
  watcher: WatcherStatus;
  queue: QueueInfo;
}

/** Embeddings made in the worker by a local model. */
export interface LocalSource {
  provider: "local";
  model: string;
  note: string | null;
}

/** A file that is skipped or failed, and why. */
export interface NotIndexed {
  path: string;
  status: string;
  reason: string;
}

/** A symbol of a file's outline (lines 1-based), with the symbols it holds. */
export interface OutlineSymbol {
  name: string;
  kind: string;
  signature: string;
  start_line: number;
  end_line: number;
  doc?: string;
  children?: OutlineSymbol[];
  omitted?: number;
}

/** Something wrong with the index, and the reindex that fixes it. */
export interface Problem {
  kind: string;
  detail: string;
  fix: Fix;
  paths?: string[];
  reasons?: Record<string, string | null>;
  store?: string;
}

/** Tasks by status, items left, and the worker. */
export interface QueueInfo {
  tasks_by_status: Record<string, number>;
  items_left: number;
  worker: WorkerInfo | null;
}

/** The last reconciling pass: when, how long, how many files it found changed. */
export interface Reconciliation {
  at: string | null;
  duration_seconds: number;
  files_changed: number;
  task_id: string | null;
}

/** One use of a name: where, how, its line of code, the symbol around it, how sure. */
export interface ReferenceInfo {
  path: string;
  line: number;
  col: number;
  kind: "call" | "import" | "type" | "use";
  text: string;
  caller: string | null;
  qualifier: string | null;
  match: "same_file" | "same_package" | "imports_definition" | "name_only";
}

/** find_references: the definitions of a name and its uses, most surely theirs first. */
export interface ReferenceList {
  name: string;
  definitions: SymbolInfo[];
  references: ReferenceInfo[];
  total: number;
  truncated: boolean;
  note: string | null;
}

/** The answer of force_reindex. */
export interface ReindexResponse {
  task_id: string;
  scope: FileScope | FilesScope | DirectoryScope | "Project" | "EmbeddingsOnly";
  status: "Queued" | "Running" | "Paused" | "Completed" | "Failed" | "Cancelled";
  items_total: number;
  items_queued: number;
  estimated_duration_seconds: number | null;
  message: string | null;
  result: ReindexResult | null;
}

/** What a finished task did (the `result` of a sync force_reindex). */
export interface ReindexResult {
  items_completed: number;
  items_failed: number;
  duration_seconds: number;
  failures: Failure[];
  summary: Summary;
}

/** Embeddings made by a remote OpenAI-compatible engine. */
export interface RemoteSource {
  provider: "openai";
  url: string;
  model: string;
  api_key_env: string | null;
  health: EngineHealth | null;
}

/** A chunk that matched: where, the best line with the lines around it, the enclosing */
export interface SearchHit {
  path: string;
  start_line: number;
  end_line: number;
  line: number;
  snippet: string;
  symbol: string | null;
  symbol_kind: string | null;
  signature: string | null;
  context: string | null;
  context_start_line: number | null;
  language: string | null;
  file_kind: "source" | "test" | "docs" | "changelog" | "example" | "generated";
  score: number;
  freshness: "fresh" | "stale" | "pending_embedding";
  chunk_id: number;
  root?: string;
}

/** The answer of search: hits (output `hits`) or files (`files`, `paths`), the mode that */
export interface SearchResponse {
  query: string;
  mode: "hybrid" | "semantic" | "lexical";
  output: "hits" | "files" | "paths";
  model: string | null;
  note: string | null;
  elapsed_ms: number;
  hits: SearchHit[];
  files: FileMatch[];
  truncated: boolean;
}

/** The last embedding run's lookups in the shared store. */
export interface SharedRun {
  texts_looked_up: number;
  texts_found: number;
  texts_embedded: number;
  at: string;
}

/** A vector store shared by a team (`vectors.uri`). */
export interface SharedStore {
  uri: string;
  error: string | null;
  last_run: SharedRun | null;
}

/** A path the scan left out, and why. */
export interface SkippedPathInfo {
  path: string;
  reason: string;
}

/** The params of the language server's `codeindex/status` notification. */
export interface StatusNotification {
  state: "idle" | "indexing" | "paused" | "error";
  percent: number | null;
  message: string;
  tasks: number;
}

/** What a task wrote: files, symbols, chunks and embeddings. */
export interface Summary {
  files_processed: number;
  symbols_extracted: number;
  chunks_created: number;
  embeddings_generated: number;
}

/** A definition found by name (lines 1-based, columns 0-based). */
export interface SymbolInfo {
  name: string;
  kind: string;
  container: string | null;
  path: string;
  start_line: number;
  start_col: number;
  end_line: number;
  end_col: number;
  language: string | null;
  root?: string;
}

/** get_symbol: the source of one definition, its signature and doc, within a budget. */
export interface SymbolSource {
  id: string;
  name: string;
  kind: string;
  container: string | null;
  path: string;
  language: string | null;
  start_line: number;
  end_line: number;
  signature: string;
  doc: string | null;
  source: string;
  bodies: boolean;
  truncated: boolean;
  freshness: "fresh" | "stale";
  others: SymbolInfo[];
  note: string | null;
}

/** An indexed file whose parse had errors, and the first of them. */
export interface SyntaxErrorInfo {
  path: string;
  reason: string;
}

/** One task's status, progress, counts, current file, ETA, failures and summary. */
export interface TaskInfo {
  task_id: string;
  scope: FileScope | FilesScope | DirectoryScope | "Project" | "EmbeddingsOnly";
  status: "Queued" | "Running" | "Paused" | "Completed" | "Failed" | "Cancelled";
  priority: "high" | "normal" | "low";
  progress: number;
  items_total: number;
  items_completed: number;
  items_failed: number;
  items_cancelled: number;
  items_pending: number;
  current_file: string | null;
  created_at: string | null;
  started_at: string | null;
  completed_at: string | null;
  eta_seconds: number | null;
  estimated_duration_seconds: number | null;
  message: string | null;
  error_message: string | null;
  failures: Failure[];
  summary: Summary;
}

/** A task in a list, newest first. */
export interface TaskListEntry {
  task_id: string;
  scope: FileScope | FilesScope | DirectoryScope | "Project" | "EmbeddingsOnly";
  status: "Queued" | "Running" | "Paused" | "Completed" | "Failed" | "Cancelled";
  progress: number;
  items_total: number;
  items_completed: number;
  items_failed: number;
  created_at: string | null;
  completed_at: string | null;
  message: string | null;
}

/** The answer of validate_index. */
export interface ValidationReport {
  ok: boolean;
  files_checked: number;
  problems: Problem[];
  skipped_paths: SkippedPathInfo[];
  warnings: string[];
}

/** The `watcher` block of get_index_status. */
export interface WatcherStatus {
  active: boolean;
  owner: string | null;
  since: string | null;
  events_seen: number;
  tasks_queued: number;
  last_event_at: string | null;
  error: string | null;
  last_reconciliation: Reconciliation | null;
}

/** The process that holds the worker lease. */
export interface WorkerInfo {
  owner: string;
  pid: number;
  host: string;
  renewed_at: string;
}
