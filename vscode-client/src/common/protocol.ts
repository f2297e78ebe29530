/**
 * The JSON the server's commands answer with (the contract of `codeindex.contract`, the
 * same as the CLI's `--json` and the MCP tools' structured content). The response types
 * are generated from the contract's JSON Schemas into `protocol.generated.ts`
 * (`uv run python scripts/generate_protocol.py`), and so are the params of the
 * `codeindex/status` notification; what is written here are the requests.
 */

import type { Fix, ReindexResponse, TaskInfo } from "./protocol.generated";

export type {
  IndexStatus,
  Problem,
  ReindexResponse,
  ReindexResult,
  SearchHit,
  SearchResponse,
  StatusNotification,
  SymbolInfo,
  TaskInfo,
  TaskListEntry,
  ValidationReport,
} from "./protocol.generated";

export type TaskStatus = ReindexResponse["status"];

export type Scope = ReindexResponse["scope"];

/** The arguments of `codeindex.forceReindex`. */
export interface ReindexArgs {
  scope: Fix["scope"];
  paths?: string[];
  priority?: TaskInfo["priority"];
  embeddings_only?: boolean;
  async?: boolean;
  incremental?: boolean;
  recursive?: boolean;
}
