/** The settings the server gets, and which changes restart it. */

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findExecutable, missingMessage } from "../common/executable";
import { changeKind, expand, launchSettings, SERVER_SETTING_KEYS, LAUNCH_SETTING_KEYS, serverSettings, type ConfigReader } from "../common/settings";

function config(values: Record<string, unknown>): ConfigReader {
  return { get: <T>(key: string) => values[key] as T | undefined };
}

describe("settings", () => {
  it("sends only what is set, the model nested", () => {
    const defaults = config({ "model.name": null, "model.path": null, maxFileSize: null, excludes: [], watching: true });
    assert.deepEqual(serverSettings(defaults, "/home/u", "/ws"), { excludes: [], watching: true });
    const set = config({ "model.name": "m", "model.path": "~/models/tiny", maxFileSize: 4096, excludes: ["vendor/**"], watching: false });
    assert.deepEqual(serverSettings(set, "/home/u", "/ws"), {
      model: { name: "m", path: "/home/u/models/tiny" },
      maxFileSize: 4096,
      excludes: ["vendor/**"],
      watching: false,
    });
  });

  it("expands ~, ${userHome} and ${workspaceFolder}", () => {
    assert.equal(expand("${workspaceFolder}/.venv/bin/codeindex", "/home/u", "/ws"), "/ws/.venv/bin/codeindex");
    assert.equal(expand("${userHome}/bin/codeindex", "/home/u", undefined), "/home/u/bin/codeindex");
    assert.equal(expand("~", "/home/u", undefined), "/home/u");
    assert.equal(expand("~user/x", "/home/u", undefined), "~user/x");
  });

  it("starts `codeindex` by default", () => {
    assert.deepEqual(launchSettings(config({}), "/h", "/ws"), { command: "codeindex", logLevel: "WARNING" });
    assert.deepEqual(launchSettings(config({ "server.command": " /opt/ci " }), "/h", "/ws").command, "/opt/ci");
  });

  it("restarts for the server's command, notifies for the rest", () => {
    const only = (key: string) => (section: string) => section === key || key.startsWith(`${section}.`);
    for (const key of LAUNCH_SETTING_KEYS) {
      assert.equal(changeKind(only(`codeindex.${key}`)), "restart", key);
    }
    for (const key of SERVER_SETTING_KEYS) {
      assert.equal(changeKind(only(`codeindex.${key}`)), "notify", key);
    }
    assert.equal(changeKind(only("editor.fontSize")), "none");
    assert.equal(changeKind(only("codeindex.trace.server")), "none");
  });
});

describe("finding the server", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "codeindex-exe-"));
  const program = path.join(dir, "codeindex");
  fs.writeFileSync(program, "#!/bin/sh\n");
  fs.chmodSync(program, 0o755);
  const plain = path.join(dir, "not-executable");
  fs.writeFileSync(plain, "");
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("by name on PATH", () => {
    assert.equal(findExecutable("codeindex", `/nonexistent${path.delimiter}${dir}`), program);
    assert.equal(findExecutable("codeindex", "/nonexistent"), undefined);
  });

  it("by path, absolute or relative to the folder", () => {
    assert.equal(findExecutable(program, ""), program);
    assert.equal(findExecutable("./codeindex", "", dir), program);
    assert.equal(findExecutable(plain, ""), undefined);
    assert.equal(findExecutable(dir, ""), undefined);
  });

  it("says what was looked for and what to set", () => {
    assert.match(missingMessage("codeindex"), /"codeindex" is not on the PATH VS Code sees.*codeindex\.server\.command.*absolute path/);
    assert.match(missingMessage("/opt/x/codeindex"), /\/opt\/x\/codeindex does not exist or is not executable/);
  });
});
