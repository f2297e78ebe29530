/** Wiring only: the log, the status items, the server, the commands and the settings. */

import * as vscode from "vscode";
import { COMMANDS, type Context } from "./common/commands";
import { STATUS_DOCUMENT_SCHEME } from "./common/constants";
import { createLogChannel } from "./common/logger";
import { ServerManager } from "./common/server";
import { changeKind } from "./common/settings";
import { StatusModel } from "./common/status";
import { ReportDocuments, StatusItems, VscodeUi } from "./common/ui";

let server: ServerManager | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const channel = createLogChannel();
  const items = new StatusItems();
  const reports = new ReportDocuments();
  const status = new StatusModel(items);
  server = new ServerManager(context, channel, status);
  const manager = server;
  const ctx: Context = { server: manager, ui: new VscodeUi(() => manager.root, reports, channel), log: channel };

  context.subscriptions.push(
    channel,
    items,
    reports,
    manager,
    vscode.workspace.registerTextDocumentContentProvider(STATUS_DOCUMENT_SCHEME, reports),
    ...Object.entries(COMMANDS).map(([id, command]) =>
      vscode.commands.registerCommand(id, (...args: unknown[]) => command(ctx, ...args)),
    ),
    vscode.workspace.onDidChangeConfiguration((event) => {
      const kind = changeKind((section) => event.affectsConfiguration(section));
      if (kind === "restart") {
        void manager.restart();
      } else if (kind === "notify") {
        void manager.notifySettings();
      }
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void manager.restart()),
  );
  await manager.start();
}

export async function deactivate(): Promise<void> {
  await server?.stop();
}
