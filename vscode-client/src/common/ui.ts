/**
 * The vscode side of the seams: `Ui` for the commands, `StatusSurface` for the status
 * items (a status bar item, always shown, and a language status item), and the
 * read-only documents of Show Index Status.
 */

import * as path from "node:path";
import * as vscode from "vscode";
import type { PickItem, Ui } from "./commands";
import { SHOW_INDEX_STATUS, SHOW_LOGS, STATUS_DOCUMENT_SCHEME } from "./constants";
import type { SearchController, SearchItem } from "./search";
import type { StatusSurface, StatusView } from "./status";

const FLASH_MS = 6000;
const SEARCH_TITLE = "Code Index: Search Index";

/** Show Index Status reports, as read-only Markdown documents. */
export class ReportDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? "";
  }

  async show(title: string, markdown: string): Promise<void> {
    const uri = vscode.Uri.from({ scheme: STATUS_DOCUMENT_SCHEME, path: `/${title}.md` });
    this.texts.set(uri.toString(), markdown);
    this.changed.fire(uri);
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { preview: true });
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export class VscodeUi implements Ui {
  constructor(
    private readonly root: () => string | undefined,
    private readonly reports: ReportDocuments,
    private readonly channel: vscode.LogOutputChannel,
  ) {}

  activeFile(): string | undefined {
    const uri = vscode.window.activeTextEditor?.document.uri;
    return uri?.scheme === "file" ? uri.fsPath : undefined;
  }

  async pickFolder(): Promise<string | undefined> {
    const root = this.root();
    const picked = await vscode.window.showOpenDialog({
      canSelectFiles: false,
      canSelectFolders: true,
      canSelectMany: false,
      defaultUri: root === undefined ? undefined : vscode.Uri.file(root),
      openLabel: "Reindex",
      title: "Code Index: Reindex Folder",
    });
    return picked?.[0]?.fsPath;
  }

  async kind(file: string): Promise<"file" | "directory" | "missing"> {
    try {
      const stat = await vscode.workspace.fs.stat(vscode.Uri.file(file));
      return stat.type & vscode.FileType.Directory ? "directory" : "file";
    } catch {
      return "missing";
    }
  }

  async pick<T extends PickItem>(items: T[], title: string): Promise<T | undefined> {
    return vscode.window.showQuickPick(items, { title, matchOnDescription: true, matchOnDetail: true });
  }

  info(message: string): void {
    void vscode.window.showInformationMessage(message);
  }

  error(message: string): void {
    void vscode.window.showErrorMessage(message, "Show Logs").then((choice) => {
      if (choice === "Show Logs") {
        void vscode.commands.executeCommand(SHOW_LOGS);
      }
    });
  }

  flash(message: string): void {
    vscode.window.setStatusBarMessage(message, FLASH_MS);
  }

  progress<T>(title: string, job: () => Promise<T>): Promise<T> {
    return Promise.resolve(vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, job));
  }

  showReport(title: string, markdown: string): Promise<void> {
    return this.reports.show(title, markdown);
  }

  async open(file: string, line: number, column: number): Promise<void> {
    const root = this.root() ?? "";
    const uri = vscode.Uri.file(path.isAbsolute(file) ? file : path.join(root, file));
    const position = new vscode.Position(Math.max(0, line - 1), Math.max(0, column));
    const editor = await vscode.window.showTextDocument(uri, {
      selection: new vscode.Range(position, position),
      preview: false,
    });
    editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenter);
  }

  search(controller: SearchController): Promise<void> {
    type Item = SearchItem & vscode.QuickPickItem;
    const pick = vscode.window.createQuickPick<Item>();
    pick.title = SEARCH_TITLE;
    pick.placeholder = "Type a symbol name or words to search the index";
    pick.matchOnDescription = true;
    pick.onDidChangeValue(async (value) => {
      pick.busy = true;
      const answer = await controller.query(value);
      if (answer === undefined) {
        return; // a later keystroke answers
      }
      pick.busy = false;
      // the server ranked them: keep every one, whatever the list's own filter says
      pick.items = answer.items.map((item) => ({ ...item, alwaysShow: true }));
      pick.title = answer.note ? `${SEARCH_TITLE}: ${answer.note}` : SEARCH_TITLE;
    });
    return new Promise((resolve, reject) => {
      pick.onDidAccept(() => {
        const item = pick.selectedItems[0];
        if (item === undefined) {
          return;
        }
        pick.hide();
        this.open(item.path, item.line, item.column).then(resolve, reject);
      });
      pick.onDidHide(() => {
        pick.dispose();
        if (pick.selectedItems.length === 0) {
          resolve();
        }
      });
      pick.show();
    });
  }

  showLogs(): void {
    this.channel.show(true);
  }
}

/** The status bar item (always shown) and the language status item, fed the same views. */
export class StatusItems implements StatusSurface, vscode.Disposable {
  private readonly bar = vscode.window.createStatusBarItem("codeindex.status", vscode.StatusBarAlignment.Left, 0);
  private readonly language = vscode.languages.createLanguageStatusItem("codeindex.status", { scheme: "file" });

  constructor() {
    this.bar.name = "Code Index";
    this.bar.command = SHOW_INDEX_STATUS;
    this.bar.show();
    this.language.name = "Code Index";
    this.language.command = { title: "Show Index Status", command: SHOW_INDEX_STATUS };
  }

  show(view: StatusView): void {
    this.bar.text = view.text;
    this.bar.tooltip = `Code Index: ${view.detail} (click: Show Index Status)`;
    this.bar.backgroundColor =
      view.severity === "error"
        ? new vscode.ThemeColor("statusBarItem.errorBackground")
        : view.severity === "warning"
          ? new vscode.ThemeColor("statusBarItem.warningBackground")
          : undefined;
    this.language.text = view.text;
    this.language.detail = view.detail;
    this.language.busy = view.busy;
    this.language.severity =
      view.severity === "error"
        ? vscode.LanguageStatusSeverity.Error
        : view.severity === "warning"
          ? vscode.LanguageStatusSeverity.Warning
          : vscode.LanguageStatusSeverity.Information;
  }

  dispose(): void {
    this.bar.dispose();
    this.language.dispose();
  }
}
