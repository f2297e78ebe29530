/** Words for what the server answers: tasks, scopes, the status report, errors. */

import type { IndexStatus, Problem, ReindexResponse, Scope, TaskInfo, TaskListEntry } from "./protocol";

/** A thrown value (an Error, a JSON-RPC ResponseError, ...) as one line. */
export function errorText(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  return typeof error === "string" ? error : JSON.stringify(error);
}

/** `Reindex project`, `Reindex file a.py`, ... (the server's progress titles). */
export function describeScope(scope: Scope): string {
  if (scope === "Project") {
    return "Reindex project";
  }
  if (scope === "EmbeddingsOnly") {
    return "Re-embed all (embeddings only)";
  }
  if ("File" in scope) {
    return `Reindex file ${scope.File.path}`;
  }
  if ("Files" in scope) {
    const paths = scope.Files.paths;
    return paths.length === 1 ? `Reindex ${paths[0]}` : `Reindex ${paths.length} files`;
  }
  if ("Directory" in scope) {
    return `Reindex directory ${scope.Directory.path || "."}`;
  }
  return "Reindex";
}

/** How a sync reindex ended: `completed: 38/38 files in 13.4 s`, `failed: 2 files failed, ...`. */
export function describeEnd(response: ReindexResponse): string {
  const result = response.result;
  if (result === null) {
    return response.status.toLowerCase();
  }
  const done = `${result.items_completed + result.items_failed}/${response.items_total} files`;
  if (response.status === "Failed") {
    const noun = result.items_failed === 1 ? "file" : "files";
    return `failed: ${result.items_failed} ${noun} failed, ${done}`;
  }
  const time = response.status === "Completed" ? ` in ${result.duration_seconds.toFixed(1)} s` : "";
  return `${response.status.toLowerCase()}: ${done}${time}`;
}

/** `Running · 40% · 10/25 files`. */
export function describeTask(task: TaskListEntry): string {
  const done = task.items_completed + task.items_failed;
  return `${task.status} · ${Math.round(task.progress * 100)}% · ${done}/${task.items_total} files`;
}

/** The reindex that fixes a validation problem, in words. */
export function describeFix(problem: Problem): string {
  const fix = problem.fix;
  if (fix?.scope === undefined) {
    return "no reindex fixes this";
  }
  const paths = fix.paths ?? [];
  const shown = paths.slice(0, 3).join(", ") + (paths.length > 3 ? `, ... (${paths.length} paths)` : "");
  return `Fix: reindex ${fix.scope}${shown ? ` ${shown}` : ""}`;
}

function counts(table: Record<string, number>): string {
  const entries = Object.entries(table).sort((a, b) => b[1] - a[1]);
  return entries.length ? entries.map(([k, v]) => `${k} ${v}`).join(", ") : "none";
}

function eta(seconds: number | null): string {
  if (seconds === null) {
    return "";
  }
  return seconds < 90 ? `, about ${Math.round(seconds)} s left` : `, about ${Math.round(seconds / 60)} min left`;
}

/** The Show Index Status report (Markdown). */
export function statusReport(status: IndexStatus, tasks: TaskInfo[]): string {
  const e = status.embeddings;
  const model = e.active_model ? `${e.active_model.name} (${e.active_model.dim} dimensions)` : "none yet";
  const lines = [
    `# Code Index: ${status.workspace}`,
    "",
    `- Files: ${status.files.total} (${counts(status.files.by_status)})`,
    `- Languages: ${counts(status.files.by_language)}`,
    `- Symbols: ${status.symbols}, chunks: ${status.chunks}`,
    `- Embeddings: ${e.chunks_embedded}/${e.chunks_total} chunks embedded with ${model}` +
      (e.chunks_pending ? `; ${e.chunks_pending} pending${e.pending_reason ? ` (${e.pending_reason})` : ""}` : ""),
    `- Last full index: ${status.last_full_index_at ?? "never"}`,
    `- Data: ${status.data_dir} (${(status.data_dir_bytes / 1048576).toFixed(1)} MiB)`,
    `- Tasks: ${counts(status.queue.tasks_by_status)}; ${status.queue.items_left} files left in the queue`,
    "",
  ];
  if (tasks.length) {
    lines.push("## Unfinished tasks", "");
    for (const task of tasks) {
      const current = task.current_file ? ` · ${task.current_file}` : "";
      lines.push(`- ${describeScope(task.scope)} (\`${task.task_id}\`): ${describeTask(task)}${current}${eta(task.eta_seconds)}`);
    }
  } else {
    lines.push("No task is running.");
  }
  return lines.join("\n") + "\n";
}
