"""The numbers the CLI's progress bar shows: the task's own progress and ETA (none while
paused), and its files."""

from __future__ import annotations

from typing import Any, cast

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
