"""Files a new user's tree holds that the pipeline must take in its stride: a megabyte of
minified code on one line, old Mac line endings, a file that would hold the worker too long.
Each goes through the worker's own read-and-parse step (real tree-sitter, real files)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from codeindex.config import Settings, load_settings
from codeindex.worker.pipeline import Deadline, Parsed, read_and_parse
from codeindex.workspace import SkipFile, Workspace


def _workspace(root: Path) -> tuple[Workspace, Settings]:
    settings = load_settings(root)
    return Workspace(root, settings.data_dir, max_file_bytes=settings.max_file_size), settings


def _minified(size: int) -> list[str]:
    """Statements of minified JavaScript, about `size` characters in all."""
    parts: list[str] = []
    total = 0
    while total < size:
        i = len(parts)
        part = f"function f{i}(a,b){{var c=a+b*{i};if(c>{i}){{return c-1}}return g{i}(c)}}"
        parts.append(part)
        total += len(part)
    return parts


def _parse(root: Path, name: str) -> tuple[Parsed, float]:
    workspace, settings = _workspace(root)
    started = time.perf_counter()
    result = read_and_parse(workspace, settings, name)
    assert isinstance(result, Parsed), result
    return result, time.perf_counter() - started


def test_a_one_line_minified_file_costs_what_the_same_code_on_many_lines_costs(
    tmp_path: Path,
) -> None:
    """Each chunk of the one line defines the symbols inside it, not all of them (which made
    indexing quadratic in the file's size: 194 s for 1 MB)."""
    parts = _minified(400_000)
    (tmp_path / "one.min.js").write_text("".join(parts), encoding="utf-8")
    (tmp_path / "many.js").write_text("\n".join(parts) + "\n", encoding="utf-8")
    many, many_took = _parse(tmp_path, "many.js")
    one, one_took = _parse(tmp_path, "one.min.js")
    assert len(one.record.symbols) == len(many.record.symbols) == len(parts)
    named = [n for c in one.record.chunks for n in c.defines.split() if re.fullmatch(r"f\d+", n)]
    assert sorted(named) == sorted(f"f{i}" for i in range(len(parts)))  # each name once
    assert one_took <= 2 * many_took + 0.5, (one_took, many_took)


def test_a_file_over_its_time_budget_is_skipped_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "big.min.js").write_text("".join(_minified(50_000)), encoding="utf-8")
    workspace, settings = _workspace(tmp_path)
    result = read_and_parse(workspace, settings, "big.min.js", Deadline(0.0))
    assert isinstance(result, SkipFile) and not result.failure
    assert "per-file time budget" in result.reason and "index.excludes" in result.reason


def test_the_budget_grows_with_the_file() -> None:
    assert Deadline.for_size(10 << 20).seconds > Deadline.for_size(1000).seconds >= 30


@pytest.mark.parametrize(
    ("ending", "name"),
    [
        pytest.param("\r", "mac.py", id="cr-only"),
        pytest.param("\r\n", "windows.py", id="crlf"),
        pytest.param("\n", "unix.py", id="lf"),
    ],
)
def test_every_line_ending_gives_the_same_lines(tmp_path: Path, ending: str, name: str) -> None:
    source = ["def first():", "    return 1", "", "", "def second():", "    return 2", ""]
    (tmp_path / name).write_bytes(ending.join(source).encode())
    parsed, _ = _parse(tmp_path, name)
    assert parsed.error is None
    lines = {s.name: (s.start_line, s.end_line) for s in parsed.record.symbols}
    assert lines == {"first": (1, 2), "second": (5, 6)}
