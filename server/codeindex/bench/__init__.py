"""`codeindex bench`: measure the indexing pipeline on a copy of a real tree, against its targets.

Why: DESIGN.md sets targets (embedding that keeps the model as busy as fastembed alone,
full-text search ready long before embeddings, sub-second incremental passes, queries
that stay fast during a reindex, honest progress, bounded memory) and a bar set by peer
tools. This command measures each one in a single run and says which are met.

How: the tree is copied into a temp workspace (`--quick`: a fixed sample of about 150
text files). Queries and control go through `CodeIndexService` in this process; the
worker runs as a `python -m codeindex worker` subprocess, so its memory and CPU are its
own (the CLI timings use the background worker the CLI itself spawns). The machine is
shared and noisy, so each headline figure is a ratio of two things measured in the same
run, or a bound with a wide margin. The table goes to stdout, progress to stderr, and
every raw figure to `--json FILE`.

Modules: `run` (the whole run, in order), `workspace` (the copy and the worker
subprocesses), `session` (one run's service and waiting on its tasks), one module per
group of measurements (`raw_model`, `cold`, `queries`, `retrieval`, `reindex`) and
`report` (targets, table, JSON).
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from rich.markup import escape

from codeindex.bench.common import QUICK_FILES, BenchError, config_from_args, err, out
from codeindex.bench.report import render, write_json
from codeindex.bench.run import run_bench

__all__ = ["add_bench_parser", "run_bench_command"]


def add_bench_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `codeindex bench` to the CLI's subcommands."""
    help_ = "measure indexing, reindexing, queries and memory on a copy of a tree"
    p = sub.add_parser("bench", help=help_, description=help_)
    p.add_argument("path", nargs="?", type=Path, default=Path("."), help="tree (default: .)")
    p.add_argument(
        "--model-path",
        type=Path,
        help="local model folder (default: $CODEINDEX_EMBED_MODEL_PATH); required",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"a fixed sample of ~{QUICK_FILES} text files and smaller samples (use a small model)",
    )
    p.add_argument("--json", type=Path, metavar="FILE", help="write every raw figure here")
    p.add_argument("--keep", action="store_true", help="keep the temp workspace and logs")
    p.add_argument(
        "--queries",
        type=Path,
        help="folder of natural-language question sets (default: the repo's tests/data/queries)",
    )
    p.set_defaults(func=run_bench_command)


def run_bench_command(args: argparse.Namespace) -> int:
    """`codeindex bench`: run, print the table, write the JSON; 2 on bad input, 1 on failure."""
    try:
        config = config_from_args(args)
    except BenchError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        return 2
    try:
        report = asyncio.run(run_bench(config))
    except BenchError as exc:
        err.print(f"[red]bench failed:[/] {escape(str(exc))}")
        return 1
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    render(report, out)
    if config.json_path is not None:
        write_json(report, config.json_path)
        err.print(f"raw figures written to {config.json_path}")
    return 0
