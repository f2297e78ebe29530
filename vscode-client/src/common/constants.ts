/**
 * Names shared with the server and with package.json.
 *
 * The server's workspace commands and its notification mirror the Python constants of
 * `codeindex.lsp.commands` and `codeindex.lsp.status`, name for name (a Python test
 * checks them against what `codeindex lsp` advertises). The extension's own commands are
 * those package.json contributes; none may reuse a server command's id, because the
 * language client registers the server's commands under their own ids.
 */

// ---- the server (codeindex.lsp.commands) ----
export const FORCE_REINDEX = "codeindex.forceReindex";
export const REINDEX_STATUS = "codeindex.reindexStatus";
export const LIST_TASKS = "codeindex.listTasks";
export const PAUSE_REINDEX = "codeindex.pauseReindex";
export const RESUME_REINDEX = "codeindex.resumeReindex";
export const CANCEL_REINDEX = "codeindex.cancelReindex";
export const INDEX_STATUS = "codeindex.indexStatus";
export const VALIDATE_INDEX = "codeindex.validateIndex";
export const SEARCH = "codeindex.search";
export const FIND_SYMBOL = "codeindex.findSymbol";

export const SERVER_COMMANDS = [
  FORCE_REINDEX,
  REINDEX_STATUS,
  LIST_TASKS,
  PAUSE_REINDEX,
  RESUME_REINDEX,
  CANCEL_REINDEX,
  INDEX_STATUS,
  VALIDATE_INDEX,
  SEARCH,
  FIND_SYMBOL,
] as const;
export type ServerCommand = (typeof SERVER_COMMANDS)[number];

// ---- the server (codeindex.lsp.status) ----
export const STATUS_NOTIFICATION = "codeindex/status";

// ---- the extension (package.json contributes.commands) ----
export const REINDEX_CURRENT_FILE = "codeindex.reindexCurrentFile";
export const REINDEX_FOLDER = "codeindex.reindexFolder";
export const REINDEX_SELECTED_FILES = "codeindex.reindexSelectedFiles";
export const REINDEX_WORKSPACE = "codeindex.reindexWorkspace";
export const REINDEX_WORKSPACE_INCREMENTAL = "codeindex.reindexWorkspaceIncremental";
export const REEMBED_ALL = "codeindex.reembedAll";
export const PAUSE_TASK = "codeindex.pauseTask";
export const RESUME_TASK = "codeindex.resumeTask";
export const CANCEL_TASK = "codeindex.cancelTask";
export const SHOW_INDEX_STATUS = "codeindex.showIndexStatus";
export const VALIDATE = "codeindex.validate";
export const SEARCH_INDEX = "codeindex.searchIndex";
export const RESTART_SERVER = "codeindex.restartServer";
export const SHOW_LOGS = "codeindex.showLogs";

export const CLIENT_COMMANDS = [
  REINDEX_CURRENT_FILE,
  REINDEX_FOLDER,
  REINDEX_SELECTED_FILES,
  REINDEX_WORKSPACE,
  REINDEX_WORKSPACE_INCREMENTAL,
  REEMBED_ALL,
  PAUSE_TASK,
  RESUME_TASK,
  CANCEL_TASK,
  SHOW_INDEX_STATUS,
  VALIDATE,
  SEARCH_INDEX,
  RESTART_SERVER,
  SHOW_LOGS,
] as const;
export type ClientCommand = (typeof CLIENT_COMMANDS)[number];

// ---- names ----
export const SERVER_ID = "codeindex";
export const DISPLAY_NAME = "Code Index";
export const CONFIG_SECTION = "codeindex";
export const STATUS_DOCUMENT_SCHEME = "codeindex-status";
