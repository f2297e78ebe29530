/** Recorders behind the seams: a server that answers from a table, an editor that records. */

import type { Context, PickItem, ServerPort, Ui } from "../common/commands";
import type { ServerCommand } from "../common/constants";
import type { Log } from "../common/logger";
import type { SearchController, SearchAnswer } from "../common/search";

export interface Call {
  command: ServerCommand;
  argument: object | undefined;
  /** The title of the progress notification, for a request run to its end. */
  progress?: string;
}

type Answer = (argument: Record<string, unknown> | undefined) => unknown;

export class FakeServer implements ServerPort {
  readonly calls: Call[] = [];
  restarts = 0;

  constructor(private readonly answers: Partial<Record<ServerCommand, Answer>> = {}) {}

  execute<T>(command: ServerCommand, argument?: object, progress?: string): Promise<T> {
    this.calls.push(progress === undefined ? { command, argument } : { command, argument, progress });
    const answer = this.answers[command];
    if (answer === undefined) {
      return Promise.reject(new Error(`no answer for ${command}`));
    }
    try {
      return Promise.resolve(answer(argument as Record<string, unknown> | undefined) as T);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  restart(): Promise<void> {
    this.restarts += 1;
    return Promise.resolve();
  }
}

export class FakeUi implements Ui {
  active: string | undefined;
  folder: string | undefined;
  folders = new Set<string>();
  /** Which item a quick pick picks (undefined: the user pressed Escape). */
  choose: (items: PickItem[]) => PickItem | undefined = (items) => items[0];
  /** What is typed into Search Index. */
  typed: string[] = [];
  readonly picks: { title: string; items: PickItem[] }[] = [];
  readonly infos: string[] = [];
  readonly errors: string[] = [];
  readonly flashes: string[] = [];
  readonly reports: { title: string; markdown: string }[] = [];
  readonly answers: (SearchAnswer | undefined)[] = [];
  logsShown = 0;

  activeFile(): string | undefined {
    return this.active;
  }
  pickFolder(): Promise<string | undefined> {
    return Promise.resolve(this.folder);
  }
  kind(path: string): Promise<"file" | "directory" | "missing"> {
    return Promise.resolve(this.folders.has(path) ? "directory" : "file");
  }
  pick<T extends PickItem>(items: T[], title: string): Promise<T | undefined> {
    this.picks.push({ title, items });
    return Promise.resolve(this.choose(items) as T | undefined);
  }
  info(message: string): void {
    this.infos.push(message);
  }
  error(message: string): void {
    this.errors.push(message);
  }
  flash(message: string): void {
    this.flashes.push(message);
  }
  progress<T>(_title: string, job: () => Promise<T>): Promise<T> {
    return job();
  }
  showReport(title: string, markdown: string): Promise<void> {
    this.reports.push({ title, markdown });
    return Promise.resolve();
  }
  async search(controller: SearchController): Promise<void> {
    for (const text of this.typed) {
      this.answers.push(await controller.query(text));
    }
  }
  showLogs(): void {
    this.logsShown += 1;
  }
}

export class FakeLog implements Log {
  readonly lines: string[] = [];
  trace(message: string): void {
    this.lines.push(`trace ${message}`);
  }
  debug(message: string): void {
    this.lines.push(`debug ${message}`);
  }
  info(message: string): void {
    this.lines.push(`info ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warn ${message}`);
  }
  error(error: string | Error): void {
    this.lines.push(`error ${String(error)}`);
  }
}

export function context(server: FakeServer, ui: FakeUi = new FakeUi()): Context & { server: FakeServer; ui: FakeUi; log: FakeLog } {
  return { server, ui, log: new FakeLog() };
}

// ---- answers shaped like the server's ----

export function task(taskId: string, status: string, scope: unknown = "Project"): Record<string, unknown> {
  return {
    task_id: taskId,
    scope,
    status,
    progress: 0.4,
    items_total: 25,
    items_completed: 10,
    items_failed: 0,
    created_at: null,
    completed_at: null,
    message: null,
    priority: "normal",
    current_file: status === "Running" ? "src/a.py" : null,
    eta_seconds: 12,
    error_message: null,
    failures: [],
  };
}

export function reindexAnswer(argument: Record<string, unknown> | undefined): Record<string, unknown> {
  const paths = (argument?.paths as string[] | undefined) ?? [];
  const scopes: Record<string, unknown> = {
    project: "Project",
    "embeddings-only": "EmbeddingsOnly",
    file: { File: { path: paths[0] } },
    files: { Files: { paths } },
    directory: { Directory: { path: paths[0], recursive: true } },
  };
  const sync = argument?.async === false;
  return {
    task_id: "reindex_1",
    scope: scopes[String(argument?.scope)],
    status: sync ? "Completed" : "Queued",
    items_total: 3,
    items_queued: sync ? 0 : 3,
    estimated_duration_seconds: 1,
    message: null,
    result: sync
      ? { items_completed: 3, items_failed: 0, duration_seconds: 1.25, failures: [], summary: {} }
      : null,
  };
}

export const INDEX_STATUS_ANSWER = {
  workspace: "/ws",
  data_dir: "/ws/.codeindex",
  data_dir_bytes: 2097152,
  files: { total: 38, by_status: { indexed: 38 }, by_language: { go: 36 }, with_syntax_errors: 0 },
  symbols: 744,
  chunks: 593,
  last_full_index_at: "2026-11-29T05:38:54+00:00",
  embeddings: {
    active_model: { name: "tiny-bert-128-onnx", dim: 128, source: null },
    chunks_total: 586,
    chunks_embedded: 586,
    chunks_pending: 0,
    pending_reason: null,
    configured_model: null,
  },
  queue: { tasks_by_status: { Completed: 1, Running: 1 }, items_left: 15, worker: null },
};
