/** Search as you type: stale answers dropped, symbols first, errors shown as a note. */

import * as assert from "node:assert/strict";
import * as C from "../common/constants";
import { SearchController } from "../common/search";
import { FakeServer } from "./fakes";

const hits = (query: unknown) => ({
  query,
  mode: "lexical",
  note: "semantic search unavailable: lexical",
  hits: [
    { path: "a.go", start_line: 3, end_line: 9, line: 4, snippet: "\n  func parse() {\n", symbol: null, language: "go", score: 1, freshness: "stale" },
    { path: "b.go", start_line: 1, end_line: 2, line: 1, snippet: "x", symbol: "Parse", language: "go", score: 0.5, freshness: "fresh" },
  ],
});

describe("search", () => {
  it("drops the answer to an older keystroke", async () => {
    const server = new FakeServer({ [C.SEARCH]: (a) => hits(a?.query), [C.FIND_SYMBOL]: () => [] });
    const controller = new SearchController(server, 0, () => Promise.resolve());
    const [first, second] = await Promise.all([controller.query("pa"), controller.query("parse config")]);
    assert.equal(first, undefined);
    assert.deepEqual(server.calls, [{ command: C.SEARCH, argument: { query: "parse config", limit: 30 } }], "only the last text was sent; words skip symbols");
    assert.equal(second?.note, "semantic search unavailable: lexical");
    assert.deepEqual(
      second?.items.map((i) => [i.label, i.description, i.line]),
      [
        ["$(search) func parse() {", "a.go:4 (stale)", 4],
        ["$(search) Parse", "b.go:1", 1],
      ],
    );
  });

  it("a hit of a multi-root server opens in its folder", async () => {
    const rooted = { ...hits("x"), hits: [{ ...hits("x").hits[0], root: "/work/api/" }] };
    const server = new FakeServer({ [C.SEARCH]: () => rooted, [C.FIND_SYMBOL]: () => [] });
    const answer = await new SearchController(server, 0, () => Promise.resolve()).query("parse config");
    assert.deepEqual(
      answer?.items.map((i) => [i.description, i.path]),
      [["a.go:4 (stale)", "/work/api/a.go"]],
    );
  });

  it("empty text asks nothing", async () => {
    const server = new FakeServer();
    assert.deepEqual(await new SearchController(server, 0).query("  "), { items: [] });
    assert.deepEqual(server.calls, []);
  });

  it("a server error is the note, with no items", async () => {
    const server = new FakeServer({
      [C.FIND_SYMBOL]: () => [],
      [C.SEARCH]: () => {
        throw new Error("no usable index");
      },
    });
    assert.deepEqual(await new SearchController(server, 0).query("x"), { items: [], note: "no usable index" });
  });
});
