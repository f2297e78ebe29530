/**
 * Search Index as you type: each keystroke (after a short pause) asks the server for
 * symbols by name (`codeindex.findSymbol`, when the text looks like a name) and for hits
 * (`codeindex.search`); symbols come first. An answer to an older keystroke is dropped.
 */

import { FIND_SYMBOL, SEARCH } from "./constants";
import { errorText } from "./format";
import type { SearchResponse, SymbolInfo } from "./protocol";
import type { ServerPort } from "./commands";

/** A pick in the search list; `path` is relative to the served folder, `line` 1-based. */
export interface SearchItem {
  label: string;
  description?: string;
  detail?: string;
  path: string;
  line: number;
  column: number;
}

export interface SearchAnswer {
  items: SearchItem[];
  /** A note to show (a fallback the server made, or what went wrong). */
  note?: string;
}

const NAME = /^[\p{L}\p{N}_$.:]+$/u;
const SYMBOL_LIMIT = 10;
const HIT_LIMIT = 30;

/** A hit's file: absolute under its folder when the server serves several (`root`). */
function inRoot(root: string | undefined, file: string): string {
  return root === undefined ? file : `${root.replace(/\/+$/, "")}/${file}`;
}

function symbolItem(symbol: SymbolInfo): SearchItem {
  const owner = symbol.container ? `${symbol.container}.` : "";
  return {
    label: `$(symbol-${symbol.kind === "function" || symbol.kind === "method" ? symbol.kind : "class"}) ${owner}${symbol.name}`,
    description: `${symbol.kind} · ${symbol.path}:${symbol.start_line}`,
    path: inRoot(symbol.root, symbol.path),
    line: symbol.start_line,
    column: symbol.start_col,
  };
}

function hitItem(hit: SearchResponse["hits"][number]): SearchItem {
  const snippet = hit.snippet.split("\n").find((l) => l.trim() !== "")?.trim() ?? "";
  const fresh = hit.freshness === "fresh" ? "" : ` (${hit.freshness})`;
  return {
    label: `$(search) ${hit.symbol ?? snippet}`,
    description: `${hit.path}:${hit.line}${fresh}`,
    detail: hit.symbol ? snippet : undefined,
    path: inRoot(hit.root, hit.path),
    line: hit.line,
    column: 0,
  };
}

export class SearchController {
  private generation = 0;

  constructor(
    private readonly server: ServerPort,
    private readonly pauseMs = 150,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** The picks for `text`, or undefined when a later keystroke superseded it. */
  async query(text: string): Promise<SearchAnswer | undefined> {
    const generation = ++this.generation;
    const query = text.trim();
    if (query === "") {
      return { items: [] };
    }
    await this.sleep(this.pauseMs);
    if (generation !== this.generation) {
      return undefined;
    }
    try {
      const symbols = NAME.test(query)
        ? this.server.execute<SymbolInfo[]>(FIND_SYMBOL, { name: query, limit: SYMBOL_LIMIT })
        : Promise.resolve([]);
      const [found, result] = await Promise.all([
        symbols,
        this.server.execute<SearchResponse>(SEARCH, { query, limit: HIT_LIMIT }),
      ]);
      if (generation !== this.generation) {
        return undefined;
      }
      const items = found.map(symbolItem);
      const seen = new Set(items.map((i) => `${i.path}:${i.line}`));
      for (const hit of result.hits) {
        const item = hitItem(hit);
        if (!seen.has(`${item.path}:${item.line}`)) {
          seen.add(`${item.path}:${item.line}`);
          items.push(item);
        }
      }
      return result.note ? { items, note: result.note } : { items };
    } catch (error) {
      return generation === this.generation ? { items: [], note: errorText(error) } : undefined;
    }
  }
}
