/**
 * What the status items show: the server process's state and the index's state from the
 * `codeindex/status` notification, turned into one view (text, detail, busy, severity).
 *
 * No vscode here: `StatusModel` hands each view to a `StatusSurface`, which the extension
 * implements with a status bar item and a language status item (ui.ts).
 */

import type { StatusNotification } from "./protocol";

/** The server process, as the extension sees it. */
export type ServerState = "starting" | "running" | "stopped" | "missing" | "failed";

export type Severity = "info" | "warning" | "error";

export interface StatusView {
  /** The status bar text, with a codicon. */
  text: string;
  /** A short detail: the notification's message or what went wrong. */
  detail: string;
  /** True while something runs (a task, or the server starting). */
  busy: boolean;
  severity: Severity;
}

export interface StatusSurface {
  show(view: StatusView): void;
}

const STATES = new Set(["idle", "indexing", "paused", "error"]);

/** The notification's params when they have the documented shape, else undefined. */
export function parseStatus(raw: unknown): StatusNotification | undefined {
  if (typeof raw !== "object" || raw === null) {
    return undefined;
  }
  const value = raw as Record<string, unknown>;
  if (typeof value.state !== "string" || !STATES.has(value.state)) {
    return undefined;
  }
  const percent = typeof value.percent === "number" ? value.percent : null;
  return {
    state: value.state as StatusNotification["state"],
    percent,
    message: typeof value.message === "string" ? value.message : "",
    tasks: typeof value.tasks === "number" ? value.tasks : 0,
  };
}

function tasksSuffix(tasks: number): string {
  return tasks > 1 ? ` (${tasks} tasks)` : "";
}

/** The view for a server state and the last index state it reported. */
export function viewOf(server: ServerState, index?: StatusNotification, problem?: string): StatusView {
  switch (server) {
    case "starting":
      return { text: "$(sync~spin) Code Index: starting", detail: "starting the server", busy: true, severity: "info" };
    case "missing":
      return {
        text: "$(error) Code Index: server not found",
        detail: problem ?? "the codeindex program was not found",
        busy: false,
        severity: "error",
      };
    case "failed":
      return {
        text: "$(error) Code Index: server failed",
        detail: problem ?? "the server stopped: see Code Index: Show Logs",
        busy: false,
        severity: "error",
      };
    case "stopped":
      return { text: "$(circle-slash) Code Index: stopped", detail: problem ?? "the server is not running", busy: false, severity: "warning" };
    case "running":
      break;
  }
  if (index === undefined) {
    return { text: "$(database) Code Index", detail: "connected", busy: false, severity: "info" };
  }
  switch (index.state) {
    case "indexing": {
      const percent = index.percent === null ? "" : ` ${Math.round(index.percent)}%`;
      return {
        text: `$(sync~spin) Code Index: indexing${percent}${tasksSuffix(index.tasks)}`,
        detail: index.message,
        busy: true,
        severity: "info",
      };
    }
    case "paused":
      return {
        text: `$(debug-pause) Code Index: paused${tasksSuffix(index.tasks)}`,
        detail: index.message,
        busy: false,
        severity: "warning",
      };
    case "error":
      return { text: "$(error) Code Index: error", detail: index.message, busy: false, severity: "error" };
    case "idle":
      return { text: "$(database) Code Index: idle", detail: index.message, busy: false, severity: "info" };
  }
}

/** Holds the current state and shows each change on the surface. */
export class StatusModel {
  private server: ServerState = "stopped";
  private problem: string | undefined;
  private index: StatusNotification | undefined;

  constructor(private readonly surface: StatusSurface) {
    this.surface.show(this.view);
  }

  get view(): StatusView {
    return viewOf(this.server, this.index, this.problem);
  }

  /** The server process changed state (a new process starts with no index state). */
  setServer(state: ServerState, problem?: string): void {
    if (state !== "running") {
      this.index = undefined;
    }
    this.server = state;
    this.problem = problem;
    this.surface.show(this.view);
  }

  /** A `codeindex/status` notification; false (and nothing shown) when malformed. */
  update(raw: unknown): boolean {
    const params = parseStatus(raw);
    if (params === undefined) {
      return false;
    }
    this.index = params;
    if (this.server === "starting" || this.server === "stopped") {
      this.server = "running";
    }
    this.surface.show(this.view);
    return true;
  }
}
