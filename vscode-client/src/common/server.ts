/**
 * The language server process: `<codeindex.server.command> --log-level LEVEL lsp` for the
 * first workspace folder, through vscode-languageclient.
 *
 * Start, stop and restart run one at a time (Serial). The progress of tasks the server
 * follows shows in the status bar (the language client does that); a reindex the user
 * asked for here runs with a workDoneToken of ours and shows as a notification with a
 * Cancel button (cancelling cancels the task). Its `codeindex/status` notifications
 * go to the StatusModel; its settings are sent as initializationOptions and with each
 * didChangeConfiguration (and answered when it asks for the `codeindex` section).
 */

import { randomUUID } from "node:crypto";
import * as os from "node:os";
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  RevealOutputChannelOn,
  State,
  WorkDoneProgress,
  WorkDoneProgressCancelNotification,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
import type { ServerPort } from "./commands";
import { CONFIG_SECTION, DISPLAY_NAME, SERVER_ID, STATUS_NOTIFICATION, type ServerCommand } from "./constants";
import { findExecutable, missingMessage } from "./executable";
import { errorText } from "./format";
import { Serial } from "./serial";
import { launchSettings, serverSettings, type ServerSettings } from "./settings";
import type { StatusModel } from "./status";

const STOP_TIMEOUT_MS = 5000;

/** The folder the server indexes: the first workspace folder on disk. */
export function workspaceRoot(): string | undefined {
  return vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === "file")?.uri.fsPath;
}

export class ServerManager implements ServerPort, vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly serial = new Serial();
  private problem: string | undefined;
  private stopping = false;
  root: string | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly channel: vscode.LogOutputChannel,
    private readonly status: StatusModel,
  ) {}

  start(): Promise<void> {
    return this.serial.run("start", () => this.launch());
  }

  restart(): Promise<void> {
    return this.serial.run("restart", async () => {
      this.channel.info("restarting the server");
      await this.halt();
      await this.launch();
    });
  }

  stop(): Promise<void> {
    return this.serial.run("stop", () => this.halt());
  }

  dispose(): void {
    void this.stop();
  }

  async execute<T>(command: ServerCommand, argument?: object, progress?: string): Promise<T> {
    const client = this.client;
    if (client === undefined || !client.isRunning()) {
      throw new Error(this.problem ?? "the server is not running (Code Index: Restart Server starts it; Code Index: Show Logs says why it stopped)");
    }
    this.channel.debug(`${command} ${argument === undefined ? "" : JSON.stringify(argument)}`);
    const params = { command, arguments: argument === undefined ? [] : [argument] };
    if (progress === undefined) {
      return (await client.sendRequest(ExecuteCommandRequest.type, params)) as T;
    }
    const token = `codeindex-vscode/${randomUUID()}`;
    // Listen before asking: the first report may come before the notification is up.
    let bar: vscode.Progress<{ message?: string; increment?: number }> | undefined;
    let last: { message?: string; percentage?: number } = {};
    let shown = 0;
    let ended = false;
    let close = (): void => undefined;
    const listener = client.onProgress(WorkDoneProgress.type, token, (value) => {
      if (value.kind === "end") {
        ended = true;
        close();
        return;
      }
      last = { message: value.message, percentage: value.percentage };
      if (bar !== undefined) {
        const percentage = value.percentage;
        bar.report({ message: value.message, increment: percentage === undefined ? undefined : Math.max(0, percentage - shown) });
        shown = Math.max(shown, percentage ?? 0);
      }
    });
    const request = Promise.resolve(client.sendRequest(ExecuteCommandRequest.type, { ...params, workDoneToken: token }));
    request.catch(() => undefined); // awaited below; this keeps an early failure handled
    const options = { location: vscode.ProgressLocation.Notification, title: progress, cancellable: true };
    // The notification closes when the task's progress ends (completed, cancelled, or
    // paused: a resumed task shows in the status bar) or when the request ends.
    await vscode.window.withProgress(options, (reporter, cancel) => {
      bar = reporter;
      shown = last.percentage ?? 0;
      reporter.report({ message: last.message, increment: shown });
      const cancelling = cancel.onCancellationRequested(() => {
        void client.sendNotification(WorkDoneProgressCancelNotification.type, { token });
      });
      return new Promise<void>((resolve) => {
        close = () => {
          cancelling.dispose();
          resolve();
        };
        if (ended) {
          close();
        }
        request.then(close, close);
      });
    });
    listener.dispose();
    return (await request) as T;
  }

  /** Send the server its settings again (they changed). */
  async notifySettings(): Promise<void> {
    const client = this.client;
    if (client?.isRunning()) {
      await client.sendNotification(DidChangeConfigurationNotification.type, { settings: this.settings() });
    }
  }

  private settings(): ServerSettings {
    return serverSettings(vscode.workspace.getConfiguration(CONFIG_SECTION), os.homedir(), this.root);
  }

  private async launch(): Promise<void> {
    this.root = workspaceRoot();
    this.problem = undefined;
    if (this.root === undefined) {
      this.problem = "no folder is open: open a folder to index it";
      this.status.setServer("stopped", this.problem);
      this.channel.info(this.problem);
      return;
    }
    const launch = launchSettings(vscode.workspace.getConfiguration(CONFIG_SECTION), os.homedir(), this.root);
    const program = findExecutable(launch.command, process.env.PATH, this.root);
    if (program === undefined) {
      const message = missingMessage(launch.command);
      this.problem = `the server is not running: ${launch.command} was not found (set codeindex.server.command to its absolute path)`;
      this.status.setServer("missing", `${launch.command} was not found: set codeindex.server.command`);
      this.channel.error(message);
      void this.offerInstall(message);
      return;
    }
    const serverOptions: ServerOptions = {
      command: program,
      args: ["--log-level", launch.logLevel, "lsp"],
      options: { cwd: this.root, env: { ...process.env } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file" }],
      outputChannel: this.channel,
      traceOutputChannel: this.channel,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: this.settings(),
      middleware: {
        workspace: {
          configuration: (params) => params.items.map((item) => (item.section === CONFIG_SECTION ? this.settings() : null)),
        },
      },
    };
    const client = new LanguageClient(SERVER_ID, DISPLAY_NAME, serverOptions, clientOptions);
    client.onNotification(STATUS_NOTIFICATION, (params: unknown) => {
      if (!this.status.update(params)) {
        this.channel.warn(`ignored a malformed ${STATUS_NOTIFICATION}: ${JSON.stringify(params)}`);
      }
    });
    client.onDidChangeState((event) => {
      if (this.client !== client) {
        return;
      }
      if (event.newState === State.Starting) {
        this.status.setServer("starting");
      } else if (event.newState === State.Running) {
        this.status.setServer("running");
      } else if (!this.stopping) {
        this.status.setServer("failed", "the server stopped: Code Index: Show Logs says why, Restart Server starts it");
      }
    });
    this.client = client;
    this.status.setServer("starting");
    this.channel.info(`starting ${program} ${serverOptions.args?.join(" ")} in ${this.root}`);
    try {
      await client.start();
      this.status.setServer("running");
    } catch (error) {
      this.problem = `the server did not start: ${errorText(error)} (see Code Index: Show Logs)`;
      this.channel.error(this.problem);
      this.status.setServer("failed", this.problem);
    }
  }

  private async halt(): Promise<void> {
    const client = this.client;
    if (client === undefined) {
      return;
    }
    this.stopping = true;
    try {
      await client.dispose(STOP_TIMEOUT_MS);
    } catch (error) {
      this.channel.warn(`stopping the server: ${errorText(error)}`);
    } finally {
      this.client = undefined;
      this.stopping = false;
      this.status.setServer("stopped");
    }
  }

  /** The extension's README (vsce stores it as readme.md). */
  private async readme(): Promise<vscode.Uri> {
    for (const name of ["readme.md", "README.md"]) {
      const uri = vscode.Uri.joinPath(this.context.extensionUri, name);
      try {
        await vscode.workspace.fs.stat(uri);
        return uri;
      } catch {
        continue;
      }
    }
    return vscode.Uri.joinPath(this.context.extensionUri, "README.md");
  }

  private async offerInstall(message: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(message, "How to Install", "Open Settings", "Show Logs");
    if (choice === "How to Install") {
      await vscode.commands.executeCommand("markdown.showPreview", await this.readme());
    } else if (choice === "Open Settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "codeindex.server.command");
    } else if (choice === "Show Logs") {
      this.channel.show();
    }
  }
}
