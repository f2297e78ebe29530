"""The CLI's progress bar: the task's own progress and ETA (none while paused) and its
files; on a narrow terminal the counter and the times always show, the current file's path
shortens and then goes, a paused task says so (real rich rendering)."""

from __future__ import annotations

import io
import re
import time
from typing import Any, cast

import pytest
from rich.console import Console

from codeindex.cli import render
from codeindex.cli.render import BAR_STEPS, ProgressBar, eta_text
from codeindex.contract import TaskInfo


def status(**given: Any) -> TaskInfo:
    base = {
        "status": "Running",
        "progress": 0.25,
        "eta_seconds": 3725.4,
        "items_total": 40,
        "items_completed": 30,
        "items_failed": 1,
        "current_file": "src/a.py",
    }
    return cast(TaskInfo, base | given)


def test_the_eta_is_the_tasks_own_and_none_while_paused() -> None:
    assert eta_text(status()) == "1:02:05"
    assert eta_text(status(eta_seconds=None)) == "-:--:--"
    assert eta_text(status(status="Paused", eta_seconds=None)) == "paused"


def test_the_bar_shows_progress_not_the_share_of_files_done() -> None:
    bar = ProgressBar("indexing")
    bar.update(status())
    [task] = bar.progress.tasks
    assert task.completed / task.total == 0.25 and task.total == BAR_STEPS
    assert (task.fields["files"], task.fields["eta"]) == ("31/40", "1:02:05")


PATH = "src/very/long/path/to/some/deeply/nested/module/file_name_here.py"


def _line(monkeypatch: pytest.MonkeyPatch, width: int, state: str = "Running") -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=True, color_system=None)
    monkeypatch.setattr(render, "err", console)
    status: dict[str, Any] = {
        "items_total": 112345,
        "items_completed": 51234,
        "items_failed": 3,
        "current_file": PATH,
        "status": "Running",
        "progress": 0.45,
        "eta_seconds": 125.0,
    }
    with render.ProgressBar("indexing") as bar:
        bar.update(status)  # type: ignore[arg-type]
        time.sleep(0.6)  # past the half second after which the rate shows
        bar.update({**status, "status": state})  # type: ignore[arg-type]
    drawn = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buf.getvalue())
    return [line for line in re.split(r"[\r\n]", drawn) if line.strip()][-1]


@pytest.mark.parametrize("width", [80, 100, 160])
def test_the_bar_fits_and_keeps_its_counter_and_eta(
    monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    line = _line(monkeypatch, width)
    assert len(line.rstrip()) <= width, line
    assert "51237/112345 files" in line and "files/s" in line and "ETA" in line, line
    if width == 80:
        assert "file_name" not in line  # no room left for a useful part of the path
    elif width == 100:
        assert "…" in line and "file_name_here.py" in line and PATH not in line, line
    else:
        shown = re.search(r"…\S*file_name_here\.py", line)  # at most 50 characters of it
        assert shown is not None and 30 < len(shown.group()) <= 50, line


def test_a_paused_task_says_paused_and_names_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    line = _line(monkeypatch, 80, "Paused")
    assert "paused" in line and "file_name_here" not in line, line
