"""A task's progress and ETA from its clock (`tasks.clock`): pure, every reading at a given
time, so no test waits."""

from __future__ import annotations

from dataclasses import replace

import pytest

from codeindex.tasks.clock import (
    MAX_PROGRESS,
    STALE_SECONDS,
    TAIL_SECONDS,
    TaskClock,
    renew,
    waits,
)


def clock(
    task_id: str = "t",
    *,
    status: str = "Running",
    active: float = 0.0,
    since: float | None = 100.0,
    remaining: float | None = 30.0,
    at: float = 10.0,
    shown: float = 0.0,
    priority: int = 1,
    created: float = 1.0,
) -> TaskClock:
    return TaskClock(task_id, status, priority, created, active, since, remaining, at, shown)


def test_progress_is_the_share_of_estimated_run_time_done() -> None:
    running = clock()  # ran 10 s by 110, with 30 s left estimated then
    assert running.ran(110.0) == 10.0
    assert running.progress(110.0) == pytest.approx(0.25)
    assert running.eta(110.0) == pytest.approx(30.0)


def test_an_estimate_is_counted_down_with_the_clock_for_a_short_while_only() -> None:
    running = clock()
    assert running.left(111.0) == pytest.approx(29.0)
    assert running.left(200.0) == pytest.approx(30.0 - STALE_SECONDS)


def test_an_unfinished_task_never_shows_less_than_the_tail_left() -> None:
    assert clock(remaining=0.0).left(110.0) == TAIL_SECONDS
    assert clock(remaining=0.0).progress(1e9) <= MAX_PROGRESS < 1.0


def test_paused_time_is_not_counted() -> None:
    paused = clock(status="Paused", active=10.0, since=None, remaining=10.0, at=10.0)
    assert paused.ran(1_000.0) == paused.ran(100_000.0) == 10.0
    assert paused.progress(1_000.0) == paused.progress(100_000.0) == pytest.approx(0.5)
    assert paused.eta(1_000.0) is None  # nobody knows when it is resumed


def test_after_a_resume_the_estimate_goes_on_where_it_was() -> None:
    paused = clock(status="Paused", active=10.0, since=None, remaining=10.0, at=10.0)
    resumed = replace(paused, status="Running", running_since=5_000.0)
    assert resumed.eta(5_000.0) == pytest.approx(10.0)
    assert resumed.eta(5_001.0) == pytest.approx(9.0)
    assert resumed.progress(5_001.0) == pytest.approx(11.0 / 20.0)


def test_a_new_estimate_never_takes_progress_back() -> None:
    running = clock(remaining=10.0)  # 0.5 at 110
    [renewal] = renew([running], {"t": 100.0}, 110.0)
    assert renewal.shown >= 0.5
    assert (renewal.left, renewal.at) == (100.0, 10.0)
    renewed = replace(running, remaining=renewal.left, estimated_at=renewal.at)
    renewed = replace(renewed, shown=renewal.shown)
    assert renewed.progress(110.0) >= 0.5
    assert renewed.eta(110.0) == pytest.approx(100.0)


def test_a_task_never_estimated_shows_nothing_done_and_no_eta() -> None:
    fresh = clock(remaining=None)
    assert (fresh.progress(110.0), fresh.eta(110.0)) == (0.0, None)


def test_a_task_waits_for_the_time_left_of_those_served_before_it() -> None:
    first = clock("a", remaining=20.0, at=0.0, since=100.0, created=1.0)
    second = clock("b", status="Queued", since=None, remaining=5.0, at=0.0, created=2.0)
    urgent = clock("c", status="Queued", since=None, remaining=1.0, at=0.0, priority=0)
    found = waits([first, second, urgent], 100.0)
    assert (found["b"].seconds, found["b"].behind) == (pytest.approx(21.0), "c")
    assert (found["c"].seconds, found["c"].behind) == (0.0, None)
    assert second.eta(100.0, found["b"].seconds) == pytest.approx(26.0)
    assert second.progress(100.0, found["b"].seconds) == 0.0


def test_a_paused_task_holds_nobody_up() -> None:
    paused = clock("a", status="Paused", since=None, remaining=20.0, created=1.0)
    queued = clock("b", status="Queued", since=None, remaining=5.0, created=2.0)
    assert waits([paused, queued], 100.0)["b"].seconds == 0.0
