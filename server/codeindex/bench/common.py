"""What a bench run measures (from the arguments), the constants its steps share, its consoles."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from codeindex.cli.args import QUICK_FILES as QUICK_FILES  # the CLI declares `--quick`

SEED = 1234
SAMPLE_SECONDS = 0.2

out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False)


class BenchError(Exception):
    """A bench step could not run; the message says which and why."""


@dataclass(frozen=True, slots=True)
class BenchConfig:
    """What to measure: the tree, the model folder, and how much."""

    source: Path
    model_path: Path
    quick: bool = False
    json_path: Path | None = None
    keep: bool = False
    queries: Path | None = None  # the question sets (default: tests/data/queries)
    commits: Path | None = None  # the commit-message sets (default: tests/data/commits)
    progress_only: bool = False  # only item 7: progress and ETA per kind of task
    frontends_only: bool = False  # only item 16: MCP and LSP sessions against a warm worker
    agent_only: bool = False  # only item 17: search -> get_symbol against the whole file

    @property
    def raw_texts(self) -> int:
        """Chunk texts in the raw-model sample."""
        return 200 if self.quick else 3000

    @property
    def retrieval_probes(self) -> int:
        """Documented functions used as retrieval queries."""
        return 20 if self.quick else 100


def config_from_args(args: argparse.Namespace) -> BenchConfig:
    """Check the arguments; BenchError says what is wrong and what to pass."""
    source = Path(args.path).expanduser().resolve()
    if not source.is_dir():
        raise BenchError(f"{source} is not a folder: pass the tree to measure")
    if not any(files for _, _, files in os.walk(source)):
        raise BenchError(f"{source} holds no files: pass a tree of source code to measure")
    raw = args.model_path or os.environ.get("CODEINDEX_EMBED_MODEL_PATH")
    if not raw:
        raise BenchError(
            "bench needs a local model folder: pass --model-path DIR or set "
            "CODEINDEX_EMBED_MODEL_PATH (with --quick, e.g. ../shared/models/tiny-bert-128-onnx)"
        )
    model = Path(raw).expanduser().resolve()
    if not (model / "model.onnx").is_file():
        raise BenchError(f"{model} holds no model.onnx: pass a local ONNX model folder")
    queries = getattr(args, "queries", None)
    commits = getattr(args, "commits", None)
    for folder in (queries, commits):
        if folder is not None and not Path(folder).is_dir():
            raise BenchError(f"{folder} is not a folder: pass a folder of question sets")
    progress = bool(getattr(args, "progress", False))
    frontends = bool(getattr(args, "frontends", False))
    if progress and frontends:
        raise BenchError("--progress and --frontends each measure one item: pass one of them")
    return BenchConfig(
        source,
        model,
        bool(args.quick),
        args.json,
        bool(args.keep),
        queries,
        commits,
        progress,
        frontends,
        bool(getattr(args, "agent", False)),
    )
