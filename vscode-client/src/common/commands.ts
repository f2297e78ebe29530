/**
 * The extension's commands (package.json `contributes.commands`), each mapped to the
 * server's workspace commands.
 *
 * No vscode here: a command gets a `Context` whose `server` sends
 * `workspace/executeCommand` and whose `ui` is the editor (ui.ts implements it with the
 * vscode API; the unit tests with recorders).
 */

import * as C from "./constants";
import { describeEnd, describeFix, describeScope, describeTask, errorText, statusReport } from "./format";
import type { Log } from "./logger";
import type { IndexStatus, Problem, ReindexArgs, ReindexResponse, TaskInfo, TaskListEntry, TaskStatus, ValidationReport } from "./protocol";
import { SearchController } from "./search";

export interface ServerPort {
  /**
   * `workspace/executeCommand` with one argument object (none when undefined). With a
   * `progress` title the request carries a workDoneToken whose progress shows as a
   * notification (cancelling it cancels the task).
   */
  execute<T>(command: C.ServerCommand, argument?: object, progress?: string): Promise<T>;
  restart(): Promise<void>;
}

export interface PickItem {
  label: string;
  description?: string;
  detail?: string;
}

export interface Ui {
  /** The file of the active editor (an absolute path), if it is a file on disk. */
  activeFile(): string | undefined;
  pickFolder(): Promise<string | undefined>;
  kind(path: string): Promise<"file" | "directory" | "missing">;
  pick<T extends PickItem>(items: T[], title: string): Promise<T | undefined>;
  info(message: string): void;
  error(message: string): void;
  /** A short message in the status bar. */
  flash(message: string): void;
  progress<T>(title: string, job: () => Promise<T>): Promise<T>;
  /** A read-only Markdown document. */
  showReport(title: string, markdown: string): Promise<void>;
  /** The interactive search list; opens what is picked. */
  search(controller: SearchController): Promise<void>;
  showLogs(): void;
}

/** What an explorer menu passes: the clicked resource, and all selected ones. */
export interface UriLike {
  fsPath: string;
  scheme: string;
}

export interface Context {
  server: ServerPort;
  ui: Ui;
  log: Log;
}

export type Command = (ctx: Context, ...args: unknown[]) => Promise<void>;

function isUri(value: unknown): value is UriLike {
  return typeof value === "object" && value !== null && typeof (value as UriLike).fsPath === "string" && (value as UriLike).scheme === "file";
}

/** Run a command body; a failure becomes an error message (and a log line), never a throw. */
async function guard(ctx: Context, what: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    const text = `Code Index: ${what} failed: ${errorText(error)}`;
    ctx.log.error(text);
    ctx.ui.error(text);
  }
}

/** Queue a reindex; the server's own progress (in the status bar) follows it. */
async function reindex(ctx: Context, args: ReindexArgs): Promise<void> {
  const response = await ctx.server.execute<ReindexResponse>(C.FORCE_REINDEX, args);
  const what = describeScope(response.scope);
  ctx.log.info(`${what}: task ${response.task_id} ${response.status} (${response.items_total} files)`);
  ctx.ui.flash(`Code Index: ${what}: ${response.status.toLowerCase()} (${response.items_total} files)`);
}

/** Run a reindex to its end with a progress notification, then say how it ended. */
async function reindexWithProgress(ctx: Context, title: string, args: ReindexArgs): Promise<void> {
  const response = await ctx.server.execute<ReindexResponse>(C.FORCE_REINDEX, { ...args, async: false }, `Code Index: ${title}`);
  const ended = describeEnd(response);
  ctx.log.info(`${title}: task ${response.task_id}: ${ended}`);
  ctx.ui.flash(`Code Index: ${title}: ${ended}`);
}

function reindexWith(what: string, args: ReindexArgs): Command {
  return (ctx) => guard(ctx, what, () => reindexWithProgress(ctx, what, args));
}

const reindexCurrentFile: Command = (ctx, resource) =>
  guard(ctx, "Reindex Current File", async () => {
    const path = isUri(resource) ? resource.fsPath : ctx.ui.activeFile();
    if (path === undefined) {
      ctx.ui.info("Code Index: open a file first: Reindex Current File reindexes the active editor's file.");
      return;
    }
    await reindex(ctx, { scope: "file", paths: [path], priority: "high" });
  });

const reindexFolder: Command = (ctx, resource) =>
  guard(ctx, "Reindex Folder", async () => {
    const path = isUri(resource) ? resource.fsPath : await ctx.ui.pickFolder();
    if (path !== undefined) {
      await reindexWithProgress(ctx, "Reindex Folder", { scope: "directory", paths: [path] });
    }
  });

const reindexSelectedFiles: Command = (ctx, clicked, selected) =>
  guard(ctx, "Reindex Selected Files", async () => {
    const chosen = Array.isArray(selected) && selected.some(isUri) ? selected.filter(isUri) : isUri(clicked) ? [clicked] : [];
    if (chosen.length === 0) {
      ctx.ui.info("Code Index: select files or folders in the explorer, then Reindex Selected Files.");
      return;
    }
    const files: string[] = [];
    const folders: string[] = [];
    for (const uri of chosen) {
      ((await ctx.ui.kind(uri.fsPath)) === "directory" ? folders : files).push(uri.fsPath);
    }
    const runs: Promise<void>[] = [];
    if (files.length) {
      runs.push(reindexWithProgress(ctx, "Reindex Selected Files", { scope: "files", paths: files, priority: "high" }));
    }
    for (const folder of folders) {
      runs.push(reindexWithProgress(ctx, "Reindex Folder", { scope: "directory", paths: [folder] }));
    }
    await Promise.all(runs);
  });

async function tasksIn(ctx: Context, statuses: TaskStatus[]): Promise<TaskListEntry[]> {
  const lists = await Promise.all(
    statuses.map((status) => ctx.server.execute<TaskListEntry[]>(C.LIST_TASKS, { status, limit: 1000 })),
  );
  return lists.flat();
}

function taskControl(verb: string, statuses: TaskStatus[], command: C.ServerCommand): Command {
  const title = `${verb[0].toUpperCase()}${verb.slice(1)} Reindex`;
  return (ctx) =>
    guard(ctx, title, async () => {
      const tasks = await tasksIn(ctx, statuses);
      if (tasks.length === 0) {
        ctx.ui.info(`Code Index: no reindex task to ${verb} (none is ${statuses.join(" or ").toLowerCase()}).`);
        return;
      }
      const items = tasks.map((task) => ({ label: describeScope(task.scope), description: describeTask(task), detail: task.task_id, task }));
      const chosen = tasks.length === 1 ? items[0] : await ctx.ui.pick(items, `Code Index: ${verb} which reindex?`);
      if (chosen === undefined) {
        return;
      }
      const after = await ctx.server.execute<TaskInfo>(command, { task_id: chosen.task.task_id });
      ctx.log.info(`${title}: task ${after.task_id} is ${after.status}`);
      ctx.ui.flash(`Code Index: ${describeScope(after.scope)}: ${after.status.toLowerCase()}`);
    });
}

const showIndexStatus: Command = (ctx) =>
  guard(ctx, "Show Index Status", async () => {
    const [status, unfinished] = await Promise.all([
      ctx.server.execute<IndexStatus>(C.INDEX_STATUS),
      tasksIn(ctx, ["Running", "Queued", "Paused"]),
    ]);
    const tasks = await Promise.all(
      unfinished.map((task) => ctx.server.execute<TaskInfo>(C.REINDEX_STATUS, { task_id: task.task_id })),
    );
    await ctx.ui.showReport("Code Index Status", statusReport(status, tasks));
  });

interface ProblemItem extends PickItem {
  fixes: Problem["fix"][];
}

const validate: Command = (ctx) =>
  guard(ctx, "Validate Index", async () => {
    const report = await ctx.ui.progress("Code Index: validating the index", () =>
      ctx.server.execute<ValidationReport>(C.VALIDATE_INDEX),
    );
    const skipped = report.skipped_paths.length ? `; ${report.skipped_paths.length} paths not indexed (see Show Index Status)` : "";
    if (report.ok) {
      ctx.ui.info(`Code Index: the index is valid (${report.files_checked} files checked${skipped}).`);
      return;
    }
    const items: ProblemItem[] = report.problems.map((problem) => ({
      label: `$(warning) ${problem.kind}`,
      description: problem.detail,
      detail: describeFix(problem),
      fixes: problem.fix?.scope ? [problem.fix] : [],
    }));
    const fixable = items.filter((item) => item.fixes.length);
    if (fixable.length > 1) {
      items.unshift({ label: "$(tools) Run every fixing reindex", description: `${fixable.length} reindex tasks`, fixes: fixable.flatMap((i) => i.fixes) });
    }
    const noun = report.problems.length === 1 ? "problem" : "problems";
    const chosen = await ctx.ui.pick(items, `Code Index: ${report.problems.length} ${noun} found: pick one to run the reindex that fixes it`);
    if (chosen === undefined) {
      return;
    }
    if (chosen.fixes.length === 0) {
      ctx.ui.info(`Code Index: ${chosen.description ?? ""}: no reindex fixes this.`);
    }
    for (const fix of chosen.fixes) {
      if (fix?.scope !== undefined) {
        await reindex(ctx, fix.paths?.length ? { scope: fix.scope, paths: fix.paths } : { scope: fix.scope });
      }
    }
  });

const searchIndex: Command = (ctx) => guard(ctx, "Search Index", () => ctx.ui.search(new SearchController(ctx.server)));

const restartServer: Command = (ctx) => guard(ctx, "Restart Server", () => ctx.server.restart());

const showLogs: Command = (ctx) => {
  ctx.ui.showLogs();
  return Promise.resolve();
};

/** Every command the extension contributes, by id. */
export const COMMANDS: Record<C.ClientCommand, Command> = {
  [C.REINDEX_CURRENT_FILE]: reindexCurrentFile,
  [C.REINDEX_FOLDER]: reindexFolder,
  [C.REINDEX_SELECTED_FILES]: reindexSelectedFiles,
  [C.REINDEX_WORKSPACE]: reindexWith("Reindex Workspace", { scope: "project" }),
  [C.REINDEX_WORKSPACE_INCREMENTAL]: reindexWith("Reindex Workspace (Incremental)", { scope: "project", incremental: true }),
  [C.REEMBED_ALL]: reindexWith("Re-embed All", { scope: "embeddings-only" }),
  [C.PAUSE_TASK]: taskControl("pause", ["Running", "Queued"], C.PAUSE_REINDEX),
  [C.RESUME_TASK]: taskControl("resume", ["Paused"], C.RESUME_REINDEX),
  [C.CANCEL_TASK]: taskControl("cancel", ["Running", "Queued", "Paused"], C.CANCEL_REINDEX),
  [C.SHOW_INDEX_STATUS]: showIndexStatus,
  [C.VALIDATE]: validate,
  [C.SEARCH_INDEX]: searchIndex,
  [C.RESTART_SERVER]: restartServer,
  [C.SHOW_LOGS]: showLogs,
};
