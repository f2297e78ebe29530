/** Finding the server program before starting it, so a missing one gets a clear message. */

import * as fs from "node:fs";
import * as path from "node:path";

function runnable(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) {
      return false;
    }
    fs.accessSync(file, process.platform === "win32" ? fs.constants.F_OK : fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute path of `command`: itself when it is a path (relative ones to `base`),
 * else the first runnable match on `searchPath`. Undefined when there is none.
 */
export function findExecutable(command: string, searchPath: string | undefined, base?: string): string | undefined {
  if (command.includes("/") || command.includes(path.sep)) {
    const full = path.resolve(base ?? process.cwd(), command);
    return runnable(full) ? full : undefined;
  }
  const extensions = process.platform === "win32" ? ["", ".exe", ".cmd", ".bat"] : [""];
  for (const dir of (searchPath ?? "").split(path.delimiter)) {
    if (dir === "") {
      continue;
    }
    for (const extension of extensions) {
      const full = path.join(dir, command + extension);
      if (runnable(full)) {
        return full;
      }
    }
  }
  return undefined;
}

/** The message shown when the server program is missing: what was looked for and what to do. */
export function missingMessage(command: string): string {
  const looked = command.includes("/") || command.includes(path.sep) ? `${command} does not exist or is not executable` : `"${command}" is not on the PATH VS Code sees`;
  return (
    `Code Index: cannot start the server: ${looked}. Install codeindex, then set ` +
    `"codeindex.server.command" to its absolute path (e.g. /path/to/codeindex/.venv/bin/codeindex): ` +
    `VS Code takes PATH from a login shell, so a codeindex in a virtualenv is not found by name.`
  );
}
