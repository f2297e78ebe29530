"""A megabyte of minified code on one line against the same code on many lines.

Minified bundles sit in real trees (`dist/app.min.js`, vendored libraries) within the default
size limit. Indexing one used to be quadratic in its size (every chunk of its one line got
every symbol of the file: 194 s for 1 MB against 36 s for the same code on 16k lines). Each
is indexed from the shell (`codeindex index`, a fresh workspace each, the run's model) and
the wall times compared: the one-line file should cost no more than twice the other.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from pathlib import Path

from codeindex.bench.corpus import run_cli
from codeindex.bench.session import Run

SIZE = 1_000_000


@dataclass(slots=True)
class MinifiedResult:
    """Wall seconds of `codeindex index` on one file of minified code, as one line and not."""

    file_bytes: int
    statements: int
    one_line_seconds: float
    many_lines_seconds: float
    ratio: float  # one line over many lines


def minified_statements(size: int = SIZE) -> list[str]:
    """Statements of minified JavaScript (functions and calls), about `size` characters."""
    parts: list[str] = []
    total = 0
    while total < size:
        i = len(parts)
        part = f"function f{i}(a,b){{var c=a+b*{i};if(c>{i}){{return c-1}}return g{i}(c)}}"
        parts.append(part)
        total += len(part)
    return parts


async def _index_seconds(run: Run, root: Path) -> float:
    seconds, _ = await run_cli(root, {**run.env(), "CODEINDEX_WORKER_LINGER": "0"}, "index")
    return seconds


async def measure_minified(run: Run) -> MinifiedResult:
    """Index the two forms of the same code, one after the other, each in a fresh folder."""
    run.log("minified: 1 MB on one line against the same code on many lines")
    parts = minified_statements()
    base = run.ws.parent / "minified"
    seconds: dict[str, float] = {}
    for form, text in (("many", "\n".join(parts) + "\n"), ("one", "".join(parts))):
        root = base / form
        root.mkdir(parents=True)
        (root / "bundle.js").write_text(text, encoding="utf-8")
        seconds[form] = await _index_seconds(run, root)
    await asyncio.to_thread(shutil.rmtree, base, True)
    one, many = seconds["one"], seconds["many"]
    return MinifiedResult(len("".join(parts)), len(parts), one, many, one / max(many, 1e-9))
