/** The commands: package.json against the table, and the request each command sends. */

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { COMMANDS } from "../common/commands";
import * as C from "../common/constants";
import { context, FakeServer, FakeUi, INDEX_STATUS_ANSWER, reindexAnswer, task, type Call } from "./fakes";

interface Contributed {
  command: string;
  title: string;
  category?: string;
}

interface Manifest {
  contributes: {
    commands: Contributed[];
    menus: Record<string, { command: string; when?: string }[]>;
  };
}

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as Manifest;
const file = (fsPath: string) => ({ fsPath, scheme: "file" });

function server(tasks: Record<string, unknown>[] = []): FakeServer {
  return new FakeServer({
    [C.FORCE_REINDEX]: reindexAnswer,
    [C.LIST_TASKS]: (arg) => tasks.filter((t) => t.status === arg?.status),
    [C.PAUSE_REINDEX]: (arg) => task(String(arg?.task_id), "Paused"),
    [C.RESUME_REINDEX]: (arg) => task(String(arg?.task_id), "Running"),
    [C.CANCEL_REINDEX]: (arg) => task(String(arg?.task_id), "Cancelled"),
    [C.REINDEX_STATUS]: (arg) => tasks.find((t) => t.task_id === arg?.task_id),
    [C.INDEX_STATUS]: () => INDEX_STATUS_ANSWER,
    [C.VALIDATE_INDEX]: () => ({
      ok: false,
      files_checked: 37,
      problems: [
        { kind: "deleted", detail: "1 indexed file(s) no longer on disk", fix: { scope: "file", paths: ["go.sum"] }, paths: ["go.sum"] },
        { kind: "changed", detail: "1 file(s) changed since indexed", fix: { scope: "file", paths: ["args.go"] }, paths: ["args.go"] },
      ],
      skipped_paths: [],
    }),
    [C.SEARCH]: (arg) => ({
      query: arg?.query,
      mode: "hybrid",
      note: null,
      hits: [{ path: "command.go", start_line: 980, end_line: 1015, line: 980, snippet: "// ExecuteC executes the command.", symbol: "Command.ExecuteC", language: "go", score: 1, freshness: "fresh" }],
    }),
    [C.FIND_SYMBOL]: () => [
      { name: "ExecuteC", kind: "method", container: "Command", path: "command.go", start_line: 981, start_col: 18, end_line: 1066, end_col: 1, language: "go" },
    ],
  });
}

describe("package.json", () => {
  const contributed = manifest.contributes.commands.map((c) => c.command);

  it("contributes exactly the commands the extension implements", () => {
    assert.deepEqual([...contributed].sort(), [...C.CLIENT_COMMANDS].sort());
    assert.deepEqual(Object.keys(COMMANDS).sort(), [...C.CLIENT_COMMANDS].sort());
  });

  it("puts every command in the Code Index category", () => {
    for (const command of manifest.contributes.commands) {
      assert.equal(command.category, "Code Index", command.command);
    }
    const titles = manifest.contributes.commands.map((c) => c.title);
    assert.ok(titles.includes("Reindex Workspace"));
  });

  it("never reuses a server command's id (the client registers those)", () => {
    for (const id of contributed) {
      assert.ok(!(C.SERVER_COMMANDS as readonly string[]).includes(id), id);
    }
  });

  it("puts folders and selected files in the explorer's context menu", () => {
    const explorer = manifest.contributes.menus["explorer/context"];
    const folder = explorer.find((m) => m.command === C.REINDEX_FOLDER);
    const selected = explorer.find((m) => m.command === C.REINDEX_SELECTED_FILES);
    assert.match(folder?.when ?? "", /explorerResourceIsFolder/);
    assert.match(selected?.when ?? "", /listMultiSelection/);
    for (const entries of Object.values(manifest.contributes.menus)) {
      for (const entry of entries) {
        assert.ok(contributed.includes(entry.command), `menu entry ${entry.command} is not a contributed command`);
      }
    }
  });
});

interface Case {
  name: string;
  command: C.ClientCommand;
  args?: unknown[];
  tasks?: Record<string, unknown>[];
  setup?: (ui: FakeUi) => void;
  calls: Call[];
}

const SELECTED = "Code Index: Reindex Selected Files";
const running = task("reindex_run", "Running");
const queued = task("reindex_q", "Queued", { File: { path: "a.py" } });
const paused = task("reindex_p", "Paused", { Directory: { path: "src", recursive: true } });

const CASES: Case[] = [
  {
    name: "workspace, to its end with a notification",
    command: C.REINDEX_WORKSPACE,
    calls: [{ command: C.FORCE_REINDEX, argument: { scope: "project", async: false }, progress: "Code Index: Reindex Workspace" }],
  },
  {
    name: "workspace, incremental",
    command: C.REINDEX_WORKSPACE_INCREMENTAL,
    calls: [
      {
        command: C.FORCE_REINDEX,
        argument: { scope: "project", incremental: true, async: false },
        progress: "Code Index: Reindex Workspace (Incremental)",
      },
    ],
  },
  {
    name: "re-embed all",
    command: C.REEMBED_ALL,
    calls: [{ command: C.FORCE_REINDEX, argument: { scope: "embeddings-only", async: false }, progress: "Code Index: Re-embed All" }],
  },
  {
    name: "the active editor's file, first",
    command: C.REINDEX_CURRENT_FILE,
    setup: (ui) => (ui.active = "/ws/a.py"),
    calls: [{ command: C.FORCE_REINDEX, argument: { scope: "file", paths: ["/ws/a.py"], priority: "high" } }],
  },
  {
    name: "the file of the tab menu",
    command: C.REINDEX_CURRENT_FILE,
    args: [file("/ws/b.py")],
    setup: (ui) => (ui.active = "/ws/a.py"),
    calls: [{ command: C.FORCE_REINDEX, argument: { scope: "file", paths: ["/ws/b.py"], priority: "high" } }],
  },
  { name: "no file open: nothing sent", command: C.REINDEX_CURRENT_FILE, calls: [] },
  {
    name: "the explorer's folder",
    command: C.REINDEX_FOLDER,
    args: [file("/ws/src")],
    calls: [{ command: C.FORCE_REINDEX, argument: { scope: "directory", paths: ["/ws/src"], async: false }, progress: "Code Index: Reindex Folder" }],
  },
  {
    name: "a folder picked from the palette",
    command: C.REINDEX_FOLDER,
    setup: (ui) => (ui.folder = "/ws/lib"),
    calls: [{ command: C.FORCE_REINDEX, argument: { scope: "directory", paths: ["/ws/lib"], async: false }, progress: "Code Index: Reindex Folder" }],
  },
  { name: "folder picker dismissed", command: C.REINDEX_FOLDER, calls: [] },
  {
    name: "files selected in the explorer",
    command: C.REINDEX_SELECTED_FILES,
    args: [file("/ws/a.py"), [file("/ws/a.py"), file("/ws/b.py")]],
    calls: [{ command: C.FORCE_REINDEX, argument: { scope: "files", paths: ["/ws/a.py", "/ws/b.py"], priority: "high", async: false }, progress: SELECTED }],
  },
  {
    name: "files and a folder selected",
    command: C.REINDEX_SELECTED_FILES,
    args: [file("/ws/a.py"), [file("/ws/a.py"), file("/ws/src")]],
    setup: (ui) => ui.folders.add("/ws/src"),
    calls: [
      { command: C.FORCE_REINDEX, argument: { scope: "files", paths: ["/ws/a.py"], priority: "high", async: false }, progress: SELECTED },
      { command: C.FORCE_REINDEX, argument: { scope: "directory", paths: ["/ws/src"], async: false }, progress: "Code Index: Reindex Folder" },
    ],
  },
  {
    name: "one file right-clicked",
    command: C.REINDEX_SELECTED_FILES,
    args: [file("/ws/a.py"), undefined],
    calls: [{ command: C.FORCE_REINDEX, argument: { scope: "files", paths: ["/ws/a.py"], priority: "high", async: false }, progress: SELECTED }],
  },
  {
    name: "pause: the only running task",
    command: C.PAUSE_TASK,
    tasks: [running, paused],
    calls: [
      { command: C.LIST_TASKS, argument: { status: "Running", limit: 1000 } },
      { command: C.LIST_TASKS, argument: { status: "Queued", limit: 1000 } },
      { command: C.PAUSE_REINDEX, argument: { task_id: "reindex_run" } },
    ],
  },
  {
    name: "pause: the task picked",
    command: C.PAUSE_TASK,
    tasks: [running, queued],
    setup: (ui) => (ui.choose = (items) => items[1]),
    calls: [
      { command: C.LIST_TASKS, argument: { status: "Running", limit: 1000 } },
      { command: C.LIST_TASKS, argument: { status: "Queued", limit: 1000 } },
      { command: C.PAUSE_REINDEX, argument: { task_id: "reindex_q" } },
    ],
  },
  {
    name: "pause: pick dismissed",
    command: C.PAUSE_TASK,
    tasks: [running, queued],
    setup: (ui) => (ui.choose = () => undefined),
    calls: [
      { command: C.LIST_TASKS, argument: { status: "Running", limit: 1000 } },
      { command: C.LIST_TASKS, argument: { status: "Queued", limit: 1000 } },
    ],
  },
  {
    name: "resume: the paused task",
    command: C.RESUME_TASK,
    tasks: [running, paused],
    calls: [
      { command: C.LIST_TASKS, argument: { status: "Paused", limit: 1000 } },
      { command: C.RESUME_REINDEX, argument: { task_id: "reindex_p" } },
    ],
  },
  {
    name: "cancel: a paused task picked among all unfinished",
    command: C.CANCEL_TASK,
    tasks: [running, queued, paused],
    setup: (ui) => (ui.choose = (items) => items.find((i) => i.detail === "reindex_p")),
    calls: [
      { command: C.LIST_TASKS, argument: { status: "Running", limit: 1000 } },
      { command: C.LIST_TASKS, argument: { status: "Queued", limit: 1000 } },
      { command: C.LIST_TASKS, argument: { status: "Paused", limit: 1000 } },
      { command: C.CANCEL_REINDEX, argument: { task_id: "reindex_p" } },
    ],
  },
  {
    name: "status: the index and each unfinished task",
    command: C.SHOW_INDEX_STATUS,
    tasks: [running],
    calls: [
      { command: C.INDEX_STATUS, argument: undefined },
      { command: C.LIST_TASKS, argument: { status: "Running", limit: 1000 } },
      { command: C.LIST_TASKS, argument: { status: "Queued", limit: 1000 } },
      { command: C.LIST_TASKS, argument: { status: "Paused", limit: 1000 } },
      { command: C.REINDEX_STATUS, argument: { task_id: "reindex_run" } },
    ],
  },
  {
    name: "validate, then the fixing reindex of the problem picked",
    command: C.VALIDATE,
    setup: (ui) => (ui.choose = (items) => items.find((i) => i.label.includes("changed"))),
    calls: [
      { command: C.VALIDATE_INDEX, argument: undefined },
      { command: C.FORCE_REINDEX, argument: { scope: "file", paths: ["args.go"] } },
    ],
  },
  {
    name: "validate, then every fix",
    command: C.VALIDATE,
    calls: [
      { command: C.VALIDATE_INDEX, argument: undefined },
      { command: C.FORCE_REINDEX, argument: { scope: "file", paths: ["go.sum"] } },
      { command: C.FORCE_REINDEX, argument: { scope: "file", paths: ["args.go"] } },
    ],
  },
  {
    name: "search as you type",
    command: C.SEARCH_INDEX,
    setup: (ui) => (ui.typed = ["ExecuteC"]),
    calls: [
      { command: C.FIND_SYMBOL, argument: { name: "ExecuteC", limit: 10 } },
      { command: C.SEARCH, argument: { query: "ExecuteC", limit: 30 } },
    ],
  },
  { name: "restart", command: C.RESTART_SERVER, calls: [] },
  { name: "logs", command: C.SHOW_LOGS, calls: [] },
];

describe("command to request", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const ctx = context(server(c.tasks), new FakeUi());
      c.setup?.(ctx.ui);
      await COMMANDS[c.command](ctx, ...(c.args ?? []));
      assert.deepEqual(ctx.server.calls, c.calls);
      assert.deepEqual(ctx.ui.errors, []);
    });
  }

  it("uses every command the server has, and only those", () => {
    const used = new Set(CASES.flatMap((c) => c.calls.map((call) => call.command)));
    assert.deepEqual([...used].sort(), [...C.SERVER_COMMANDS].sort());
  });

  it("covers every contributed command", () => {
    assert.deepEqual([...new Set(CASES.map((c) => c.command))].sort(), [...C.CLIENT_COMMANDS].sort());
  });
});

describe("what the user sees", () => {
  it("a reindex run to its end says how it ended", async () => {
    const ctx = context(server());
    await COMMANDS[C.REINDEX_WORKSPACE](ctx);
    assert.deepEqual(ctx.ui.flashes, ["Code Index: Reindex Workspace: completed: 3/3 files in 1.3 s"]);
  });

  it("a queued reindex flashes its scope and state", async () => {
    const ctx = context(server());
    ctx.ui.active = "/ws/a.py";
    await COMMANDS[C.REINDEX_CURRENT_FILE](ctx);
    assert.deepEqual(ctx.ui.flashes, ["Code Index: Reindex file /ws/a.py: queued (3 files)"]);
  });

  it("a server error becomes an error message that names the command", async () => {
    const ctx = context(
      new FakeServer({
        [C.FORCE_REINDEX]: () => {
          throw new Error("paths[0]: '/elsewhere/x.py' is outside the workspace /ws");
        },
      }),
    );
    ctx.ui.active = "/elsewhere/x.py";
    await COMMANDS[C.REINDEX_CURRENT_FILE](ctx);
    assert.deepEqual(ctx.ui.errors, ["Code Index: Reindex Current File failed: paths[0]: '/elsewhere/x.py' is outside the workspace /ws"]);
    assert.ok(ctx.log.lines.some((l) => l.startsWith("error ") && l.includes("outside the workspace")));
  });

  it("no task to pause says so", async () => {
    const ctx = context(server([paused]));
    await COMMANDS[C.PAUSE_TASK](ctx);
    assert.deepEqual(ctx.ui.infos, ["Code Index: no reindex task to pause (none is running or queued)."]);
  });

  it("tasks to pick from show their scope and progress", async () => {
    const ctx = context(server([running, queued]));
    ctx.ui.choose = () => undefined;
    await COMMANDS[C.CANCEL_TASK](ctx);
    assert.deepEqual(
      ctx.ui.picks[0].items.map((i) => [i.label, i.description]),
      [
        ["Reindex project", "Running · 40% · 10/25 files"],
        ["Reindex file a.py", "Queued · 40% · 10/25 files"],
      ],
    );
  });

  it("a valid index is reported with the files checked", async () => {
    const ctx = context(new FakeServer({ [C.VALIDATE_INDEX]: () => ({ ok: true, files_checked: 38, problems: [], skipped_paths: [] }) }));
    await COMMANDS[C.VALIDATE](ctx);
    assert.deepEqual(ctx.ui.infos, ["Code Index: the index is valid (38 files checked)."]);
    assert.equal(ctx.ui.picks.length, 0);
  });

  it("validation problems are offered with their fixes", async () => {
    const ctx = context(server());
    ctx.ui.choose = () => undefined;
    await COMMANDS[C.VALIDATE](ctx);
    const pick = ctx.ui.picks[0];
    assert.equal(pick.title, "Code Index: 2 problems found: pick one to run the reindex that fixes it");
    assert.deepEqual(
      pick.items.map((i) => i.detail),
      [undefined, "Fix: reindex file go.sum", "Fix: reindex file args.go"],
    );
  });

  it("the status report names the model, the counts and the running task", async () => {
    const ctx = context(server([running]));
    await COMMANDS[C.SHOW_INDEX_STATUS](ctx);
    const { markdown } = ctx.ui.reports[0];
    assert.match(markdown, /Files: 38 \(indexed 38\)/);
    assert.match(markdown, /586\/586 chunks embedded with tiny-bert-128-onnx/);
    assert.match(markdown, /Reindex project \(`reindex_run`\): Running · 40% · 10\/25 files · src\/a.py, about 12 s left/);
  });

  it("search opens the symbol first, at its line", async () => {
    const ctx = context(server());
    ctx.ui.typed = ["ExecuteC"];
    await COMMANDS[C.SEARCH_INDEX](ctx);
    const items = ctx.ui.answers[0]?.items ?? [];
    assert.deepEqual(
      items.map((i) => [i.path, i.line, i.column]),
      [
        ["command.go", 981, 18],
        ["command.go", 980, 0],
      ],
    );
    assert.equal(items[0].label, "$(symbol-method) Command.ExecuteC");
  });

  it("restart asks the server manager", async () => {
    const ctx = context(server());
    await COMMANDS[C.RESTART_SERVER](ctx);
    assert.equal(ctx.server.restarts, 1);
  });
});
