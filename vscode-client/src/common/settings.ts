/**
 * The `codeindex.*` settings (package.json `contributes.configuration`): the ones that
 * start the server, and the ones the server reads (codeindex.lsp.settings), sent as
 * `initializationOptions` and with every `workspace/didChangeConfiguration`.
 *
 * No vscode here: a `ConfigReader` is the section (`workspace.getConfiguration("codeindex")`).
 */

export interface ConfigReader {
  get<T>(key: string): T | undefined;
}

/** Settings that start the server: changing one restarts it. */
export const LAUNCH_SETTING_KEYS = ["server.command", "server.logLevel"] as const;

/** Settings the server reads, by the names of codeindex.lsp.settings.SETTINGS. */
export const SERVER_SETTING_KEYS = ["model.name", "model.path", "maxFileSize", "excludes", "watching"] as const;

export interface LaunchSettings {
  command: string;
  logLevel: string;
}

/** What the server gets; a setting left empty is not sent (the server's default holds). */
export interface ServerSettings {
  model?: { name?: string; path?: string };
  maxFileSize?: number;
  excludes?: string[];
  watching?: boolean;
}

/** `~`, `${userHome}` and `${workspaceFolder}` in a path setting. */
export function expand(value: string, home: string, root: string | undefined): string {
  let out = value.trim();
  if (out === "~" || out.startsWith("~/")) {
    out = home + out.slice(1);
  }
  out = out.split("${userHome}").join(home);
  if (root !== undefined) {
    out = out.split("${workspaceFolder}").join(root);
  }
  return out;
}

function text(config: ConfigReader, key: string): string | undefined {
  const value = config.get<unknown>(key);
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

export function launchSettings(config: ConfigReader, home: string, root: string | undefined): LaunchSettings {
  return {
    command: expand(text(config, "server.command") ?? "codeindex", home, root),
    logLevel: text(config, "server.logLevel") ?? "WARNING",
  };
}

export function serverSettings(config: ConfigReader, home: string, root: string | undefined): ServerSettings {
  const settings: ServerSettings = {};
  const name = text(config, "model.name");
  const path = text(config, "model.path");
  if (name !== undefined || path !== undefined) {
    settings.model = {};
    if (name !== undefined) {
      settings.model.name = name;
    }
    if (path !== undefined) {
      settings.model.path = expand(path, home, root);
    }
  }
  const size = config.get<unknown>("maxFileSize");
  if (typeof size === "number") {
    settings.maxFileSize = size;
  }
  const excludes = config.get<unknown>("excludes");
  if (Array.isArray(excludes)) {
    settings.excludes = excludes.filter((p): p is string => typeof p === "string");
  }
  const watching = config.get<unknown>("watching");
  if (typeof watching === "boolean") {
    settings.watching = watching;
  }
  return settings;
}

/** What a configuration change means for a running server. */
export function changeKind(affects: (section: string) => boolean): "restart" | "notify" | "none" {
  if (LAUNCH_SETTING_KEYS.some((key) => affects(`codeindex.${key}`))) {
    return "restart";
  }
  if (SERVER_SETTING_KEYS.some((key) => affects(`codeindex.${key}`))) {
    return "notify";
  }
  return "none";
}
