"""The options of `codeindex bench`, declared with the CLI's (so that the bench package
itself loads only when the command runs)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

QUICK_FILES = 150  # files `bench --quick` samples


def add_bench_command(sub: argparse._SubParsersAction[Any]) -> None:
    """`codeindex bench` and its options."""
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
    _add_only_flags(p)


def _add_only_flags(p: argparse.ArgumentParser) -> None:
    """The flags that run one group of measurements only, and their arguments."""
    p.add_argument(
        "--progress",
        action="store_true",
        help="measure only how honest progress and the ETA are, per kind of task",
    )
    p.add_argument(
        "--frontends",
        action="store_true",
        help="measure only agent and editor sessions: `codeindex mcp` and `codeindex lsp` "
        "spawned against a warm worker (time to the first semantic answer, memory)",
    )
    p.add_argument(
        "--agent",
        action="store_true",
        help="measure only what an agent reads to find one function (search, get_symbol)",
    )
    p.add_argument(
        "--cache",
        action="store_true",
        help="measure only the machine-wide vector cache: a second clone, and branch switches "
        "with --history",
    )
    p.add_argument(
        "--history",
        type=Path,
        metavar="REPO",
        help="with --cache: a git repository to switch branches in (--revisions A B)",
    )
    p.add_argument(
        "--revisions",
        nargs=2,
        metavar=("A", "B"),
        help="with --history: the two revisions to switch between",
    )
    p.add_argument(
        "--switches", type=int, default=10, help="with --history: how many switches (default 10)"
    )
    p.add_argument(
        "--queries",
        type=Path,
        help="folder of natural-language question sets (default: the repo's tests/data/queries)",
    )
    p.add_argument(
        "--commits",
        type=Path,
        help="folder of commit-message question sets (default: the repo's tests/data/commits)",
    )
