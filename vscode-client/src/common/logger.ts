/** The extension's log: one LogOutputChannel, "Code Index", shared with the language client. */

import * as vscode from "vscode";
import { DISPLAY_NAME } from "./constants";

/** What the rest of the extension logs through (a LogOutputChannel, or a test's recorder). */
export type Log = Pick<vscode.LogOutputChannel, "trace" | "debug" | "info" | "warn" | "error">;

export function createLogChannel(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel(DISPLAY_NAME, { log: true });
}

