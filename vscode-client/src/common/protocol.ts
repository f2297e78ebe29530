/**
 * The JSON the server's commands answer with (the contract of `codeindex.contract`, the
 * same as the CLI's `--json`), as far as the extension reads it.
 */

export type TaskStatus = "Queued" | "Running" | "Paused" | "Completed" | "Failed" | "Cancelled";

export type Scope =
  | "Project"
  | "EmbeddingsOnly"
  | { File: { path: string } }
  | { Files: { paths: string[] } }
  | { Directory: { path: string; recursive: boolean } };

/** The arguments of `codeindex.forceReindex`. */
export interface ReindexArgs {
  scope: "file" | "files" | "directory" | "project" | "embeddings-only";
  paths?: string[];
  priority?: "high" | "normal" | "low";
  embeddings_only?: boolean;
  async?: boolean;
  incremental?: boolean;
  recursive?: boolean;
}

export interface ReindexResponse {
  task_id: string;
  scope: Scope;
  status: TaskStatus;
  items_total: number;
  items_queued: number;
  estimated_duration_seconds: number | null;
  message: string | null;
  /** What the task did, when it was run to its end (`"async": false`). */
  result: ReindexResult | null;
}

export interface ReindexResult {
  items_completed: number;
  items_failed: number;
  duration_seconds: number;
  failures: { path: string; error: string }[];
}

export interface TaskListEntry {
  task_id: string;
  scope: Scope;
  status: TaskStatus;
  progress: number;
  items_total: number;
  items_completed: number;
  items_failed: number;
  created_at: string | null;
  completed_at: string | null;
  message: string | null;
}

export interface TaskInfo extends TaskListEntry {
  priority: "high" | "normal" | "low";
  current_file: string | null;
  eta_seconds: number | null;
  error_message: string | null;
  failures: { path: string; error: string }[];
}

export interface SearchHit {
  path: string;
  start_line: number;
  end_line: number;
  line: number;
  snippet: string;
  symbol: string | null;
  language: string | null;
  score: number;
  freshness: "fresh" | "stale" | "pending_embedding";
}

export interface SearchResponse {
  query: string;
  mode: string;
  note: string | null;
  hits: SearchHit[];
}

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
}

export interface Problem {
  kind: string;
  detail: string;
  fix?: { scope?: ReindexArgs["scope"]; paths?: string[] };
  paths?: string[];
}

export interface ValidationReport {
  ok: boolean;
  files_checked: number;
  problems: Problem[];
  skipped_paths: { path: string; reason: string }[];
}

export interface IndexStatus {
  workspace: string;
  data_dir: string;
  data_dir_bytes: number;
  files: {
    total: number;
    by_status: Record<string, number>;
    by_language: Record<string, number>;
    with_syntax_errors: number;
  };
  symbols: number;
  chunks: number;
  last_full_index_at: string | null;
  embeddings: {
    active_model: { name: string; dim: number; source: string | null } | null;
    chunks_total: number;
    chunks_embedded: number;
    chunks_pending: number;
    pending_reason: string | null;
    configured_model: string | null;
  };
  queue: {
    tasks_by_status: Record<string, number>;
    items_left: number;
    worker: unknown;
  };
}

/** The params of the `codeindex/status` notification. */
export interface StatusParams {
  state: "idle" | "indexing" | "paused" | "error";
  percent: number | null;
  message: string;
  tasks: number;
}
