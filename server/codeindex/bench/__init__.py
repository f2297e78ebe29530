"""`codeindex bench`: measure the indexing pipeline on a copy of a real tree, against its targets.

Why: DESIGN.md sets targets (embedding that keeps the model as busy as fastembed alone,
full-text search ready long before embeddings, sub-second incremental passes, queries
that stay fast during a reindex, honest progress, bounded memory) and a bar set by peer
tools. This command measures each one in a single run and says which are met.

How: the tree is copied into a temp workspace (`--quick`: a fixed sample of about 150
text files). Queries and control go through `CodeIndexService` in this process (a
`WorkerHost` that never runs its loop answers the semantic ones with a model loaded here,
where a front-end would ask a worker); the worker runs as a `python -m codeindex worker`
subprocess, so its memory and CPU are its own (the CLI timings use the background worker
the CLI itself spawns). The machine is shared and noisy, so each headline figure is a
ratio of two things measured in the same run, or a bound with a wide margin. The table
goes to stdout, progress to stderr, and every raw figure to `--json FILE`. Its options
are declared with the CLI's (`cli.args`), so that this package loads only when it runs.

Modules: `run` (the whole run, in order), `corpus` (the copy and the worker
subprocesses), `session` (one run's service and waiting on its tasks), one module per
group of measurements (`raw_model`, `cold`, `queries`, `retrieval`, `reindex`, ...,
`frontends`: `codeindex mcp` and `codeindex lsp` spawned by real clients against a warm
worker), `report` (the report, its table and JSON) and `targets` (each item's figure
against its target). `--progress`, `--frontends` and `--cache` each measure one item alone.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from rich.markup import escape

from codeindex.bench.common import BenchConfig, BenchError, config_from_args, err, out
from codeindex.bench.report import render, write_json
from codeindex.bench.run import run_bench

__all__ = ["run_bench_command"]

R = TypeVar("R")


def run_bench_command(args: argparse.Namespace) -> int:
    """`codeindex bench`: run, print the table, write the JSON; 2 on bad input, 1 on failure."""
    try:
        config = config_from_args(args)
    except BenchError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        return 2
    if getattr(args, "cache", False):
        return _run_cache(args, config)
    return _run(run_bench(config), render, write_json, config.json_path)


def _run(
    work: Coroutine[Any, Any, R],
    show: Callable[[R, Console], None],
    save: Callable[[R, Path], None],
    json_path: Path | None,
) -> int:
    """Run one bench, print its table and write its JSON; 1 when it failed, 130 on Ctrl-C."""
    try:
        report = asyncio.run(work)
    except BenchError as exc:
        err.print(f"[red]bench failed:[/] {escape(str(exc))}")
        return 1
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    show(report, out)
    if json_path is not None:
        save(report, json_path)
        err.print(f"raw figures written to {json_path}")
    return 0


def _run_cache(args: argparse.Namespace, config: BenchConfig) -> int:
    """`codeindex bench --cache`: only the vector cache's rows."""
    from codeindex.bench.cache_rows import (
        CacheBenchConfig,
        render_cache,
        run_cache_bench,
        write_cache_json,
    )

    history = args.history.expanduser().resolve() if args.history else None
    if (history is None) != (args.revisions is None):
        err.print("[red]error:[/] --history REPO and --revisions A B go together")
        return 2
    if history is not None and not (history / ".git").exists() and not (history / "HEAD").is_file():
        err.print(f"[red]error:[/] {escape(str(history))} is not a git repository")
        return 2
    if args.switches < 1:
        err.print(f"[red]error:[/] --switches must be at least 1, got {args.switches}")
        return 2
    cache_config = CacheBenchConfig(
        config.source,
        config.model_path,
        history,
        tuple(args.revisions) if args.revisions else None,
        args.switches,
        config.json_path,
    )
    return _run(run_cache_bench(cache_config), render_cache, write_cache_json, config.json_path)
