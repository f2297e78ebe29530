"""How long from a write on disk to the file being searchable, with a warm worker and its watcher.

    python -m codeindex.bench.freshness TREE --model-path MODEL [--edits 50] [--json FILE]

The tree is copied to a temp workspace and indexed; a session (as an editor's) keeps a worker
process warm, its watcher beside it. Each edit appends a function named with a word found
nowhere else to one of the tree's source files, then full-text search is polled until that
file is the hit: the time from the write to the hit is one sample. Also measured: the
reconciling pass over the unchanged tree (the pass every worker runs when it takes the lease
and every `watch.reconcile_seconds`). Not a test: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from codeindex.app.service import CodeIndexService
from codeindex.bench.common import SEED, err, out
from codeindex.bench.corpus import child_env, prepare_workspace, swapped_environ
from codeindex.tasks import Priority, Scope

DEFINITION = {
    ".py": "\n\ndef {word}():\n    return 1\n",
    ".go": "\nfunc {word}() int {{\n\treturn 1\n}}\n",
    ".rs": "\nfn {word}() -> i32 {{\n    1\n}}\n",
    ".ts": "\nexport function {word}(): number {{\n  return 1;\n}}\n",
    ".js": "\nfunction {word}() {{\n  return 1;\n}}\n",
}
POLL_SECONDS = 0.005


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _append(path: Path, text: str) -> float:
    """Append to a file (a small write, part of what is measured); returns when it began."""
    with open(path, "a", encoding="utf-8") as fh:
        written = time.perf_counter()
        fh.write(text)
    return written


async def _searchable(service: CodeIndexService, word: str, rel: str, seconds: float) -> float:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        result = await service.search(word, mode="lexical", limit=5)
        if any(hit["path"] == rel for hit in result["hits"]):
            return time.perf_counter()
        await asyncio.sleep(POLL_SECONDS)
    raise TimeoutError(f"{rel} was not searchable for {word!r} after {seconds:.0f} s")


async def _watcher_ready(service: CodeIndexService, seconds: float = 120) -> None:
    """Until the session's worker has its watcher running and its first pass done."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        state = (await service.status())["watcher"]
        if state["active"] and state["last_reconciliation"]:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"no watcher became active in {seconds:.0f} s")


async def measure(ws: Path, edits: int) -> dict[str, Any]:
    """Index `ws`, then time `edits` edits from write to searchable with a warm worker."""
    service = await CodeIndexService.open(ws, worker="process")
    try:
        started = time.perf_counter()
        await service.force_reindex("project", async_=False, incremental=True)
        index_seconds = time.perf_counter() - started
        await service.start_session("bench")
        await _watcher_ready(service)
        plan_started = time.perf_counter()
        unchanged = await service.queue_changes(
            Scope.PROJECT, [], priority=Priority.LOW, source="bench"
        )
        reconcile_seconds = time.perf_counter() - plan_started
        files = sorted(
            r.path
            for r in await service.storage.files_under("")
            if r.index_status == "indexed" and Path(r.path).suffix in DEFINITION
        )
        rng = random.Random(SEED)
        samples: list[float] = []
        for n in range(-1, edits):  # edit -1 warms the worker up (its model loads when idle)
            rel = rng.choice(files)
            word = f"freshnessprobe{n + 1}x{rng.randrange(10**9)}"
            text = DEFINITION[Path(rel).suffix].format(word=word)
            written = _append(ws / rel, text)
            seen = await _searchable(service, word, rel, seconds=60)
            err.print(
                f"edit {n + 1}/{edits}: {rel} searchable after {(seen - written) * 1000:.0f} ms"
            )
            if n >= 0:
                samples.append(seen - written)
        status = await service.status()
        return {
            "files": status["files"]["total"],
            "index_seconds": round(index_seconds, 2),
            "reconcile_unchanged_seconds": round(reconcile_seconds, 3),
            "reconcile_unchanged_queued": unchanged is not None,
            "edits": edits,
            "write_to_searchable_ms": {
                "p50": round(_percentile(samples, 0.5) * 1000, 1),
                "p95": round(_percentile(samples, 0.95) * 1000, 1),
                "max": round(max(samples) * 1000, 1),
                "mean": round(statistics.fmean(samples) * 1000, 1),
            },
            "watcher": status["watcher"],
            "load_average": list(os.getloadavg()),
        }
    finally:
        await service.end_session()
        await service.close()


def main(argv: list[str] | None = None) -> int:
    """Copy the tree, measure, print the figures (JSON to --json)."""
    parser = argparse.ArgumentParser(prog="python -m codeindex.bench.freshness")
    parser.add_argument("tree", type=Path)
    parser.add_argument("--model-path", type=Path, required=True)
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="codeindex-fresh-") as tmp:
        ws, _ = prepare_workspace(args.tree.resolve(), Path(tmp), quick=False)
        env = child_env(args.model_path.resolve())
        env["CODEINDEX_WORKER_LINGER"] = "0"
        env["CODEINDEX_WATCH"] = "1"
        with swapped_environ(env):
            result = asyncio.run(measure(ws, args.edits))
    lat = result["write_to_searchable_ms"]
    out.print(
        f"{result['files']} files: write to searchable p50 {lat['p50']} ms, p95 {lat['p95']} ms "
        f"(max {lat['max']} ms) over {result['edits']} edits; reconciling pass with nothing "
        f"changed {result['reconcile_unchanged_seconds'] * 1000:.0f} ms"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
