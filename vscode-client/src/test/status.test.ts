/** The status logic: server state plus `codeindex/status` to what the items show. */

import * as assert from "node:assert/strict";
import { parseStatus, StatusModel, viewOf, type StatusView } from "../common/status";

class Recorder {
  readonly views: StatusView[] = [];
  show(view: StatusView): void {
    this.views.push(view);
  }
  get last(): StatusView {
    return this.views[this.views.length - 1];
  }
}

describe("status view", () => {
  const cases: [string, Parameters<typeof viewOf>, Partial<StatusView>][] = [
    ["idle", ["running", { state: "idle", percent: null, message: "no task running", tasks: 0 }], { text: "$(database) Code Index: idle", busy: false, severity: "info" }],
    [
      "indexing with a percentage",
      ["running", { state: "indexing", percent: 42, message: "12/25 files · src/a.py", tasks: 1 }],
      { text: "$(sync~spin) Code Index: indexing 42%", detail: "12/25 files · src/a.py", busy: true, severity: "info" },
    ],
    ["indexing two tasks", ["running", { state: "indexing", percent: 7.6, message: "", tasks: 2 }], { text: "$(sync~spin) Code Index: indexing 8% (2 tasks)", busy: true }],
    ["paused", ["running", { state: "paused", percent: null, message: "paused at 3/9 files", tasks: 1 }], { text: "$(debug-pause) Code Index: paused", busy: false, severity: "warning" }],
    [
      "error",
      ["running", { state: "error", percent: null, message: "3 files failed in task reindex_1", tasks: 0 }],
      { text: "$(error) Code Index: error", detail: "3 files failed in task reindex_1", severity: "error", busy: false },
    ],
    ["server starting", ["starting"], { busy: true, text: "$(sync~spin) Code Index: starting" }],
    ["server missing", ["missing", undefined, "codeindex was not found"], { severity: "error", detail: "codeindex was not found", text: "$(error) Code Index: server not found" }],
    ["server failed", ["failed"], { severity: "error", busy: false }],
    ["running, no notification yet", ["running"], { text: "$(database) Code Index", busy: false }],
  ];
  for (const [name, args, expected] of cases) {
    it(name, () => {
      const view = viewOf(...args);
      for (const [key, value] of Object.entries(expected)) {
        assert.equal(view[key as keyof StatusView], value, `${name}: ${key}`);
      }
    });
  }
});

describe("status notification", () => {
  it("takes the documented shape", () => {
    assert.deepEqual(parseStatus({ state: "indexing", percent: 42, message: "m", tasks: 1 }), { state: "indexing", percent: 42, message: "m", tasks: 1 });
  });
  for (const bad of [null, 3, "idle", {}, { state: "busy" }, { state: 1 }]) {
    it(`ignores ${JSON.stringify(bad)}`, () => assert.equal(parseStatus(bad), undefined));
  }
});

describe("status model", () => {
  it("follows a session: start, index, pause, fail, restart", () => {
    const surface = new Recorder();
    const model = new StatusModel(surface);
    assert.equal(surface.last.text, "$(circle-slash) Code Index: stopped");
    model.setServer("starting");
    assert.equal(surface.last.busy, true);
    assert.ok(model.update({ state: "idle", percent: null, message: "no task running", tasks: 0 }));
    assert.equal(surface.last.text, "$(database) Code Index: idle");
    model.setServer("running"); // the start request returned after the first notification
    assert.equal(surface.last.text, "$(database) Code Index: idle");
    model.update({ state: "indexing", percent: 0, message: "queued · 0/38 files", tasks: 1 });
    assert.deepEqual([surface.last.text, surface.last.busy], ["$(sync~spin) Code Index: indexing 0%", true]);
    model.update({ state: "paused", percent: null, message: "paused at 3/38 files", tasks: 1 });
    assert.deepEqual([surface.last.text, surface.last.busy], ["$(debug-pause) Code Index: paused", false]);
    assert.equal(model.update({ state: "unknown" }), false);
    assert.equal(surface.last.text, "$(debug-pause) Code Index: paused");
    model.setServer("failed", "the server stopped");
    assert.deepEqual([surface.last.text, surface.last.detail], ["$(error) Code Index: server failed", "the server stopped"]);
    model.setServer("starting");
    model.setServer("running");
    assert.equal(surface.last.text, "$(database) Code Index", "a new server's state is not the old one's");
  });
});
