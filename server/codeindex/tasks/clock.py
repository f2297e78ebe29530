"""How far a task has come and when it ends: its progress and ETA, from its clock.

Progress is the share of a task's estimated cost that is done, in seconds of run time: the
time its work has taken so far (its clock, which stops while it is paused) against that
plus the time its remaining work is estimated to take, and the time it waits behind other
tasks: `ran / (ran + left + wait)`. The worker renews the estimate of what is left as it
works (`speeds` says how), recording the clock's reading with it; a reader counts the
estimate down with the clock, for at most STALE_SECONDS (an estimate nobody renews is not
trusted to run out), never to less than TAIL_SECONDS while the task runs. What a reader
showed is a floor the worker raises with each new estimate, so progress never goes
backwards; it stays below 1.0 until the task ends. Pure: every function takes `now`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MAX_PROGRESS = 0.999  # what an unfinished task shows at most: 1.0 means ended
STALE_SECONDS = 2.0  # how long after it was made an estimate is counted down
TAIL_SECONDS = 0.5  # the least time left an unfinished task shows


@dataclass(frozen=True, slots=True)
class TaskClock:
    """A task's run-time clock and the latest estimate of its time left, as its row holds
    them, with what orders it in the queue."""

    task_id: str
    status: str
    priority: int
    created_at: float
    active_seconds: float  # run time of the spans that ended
    running_since: float | None  # start of the span under way (None: not running)
    remaining: float | None  # seconds left, as estimated when the clock read `estimated_at`
    estimated_at: float
    shown: float  # the progress shown so far: a floor

    def ran(self, now: float) -> float:
        """Seconds the task has run by `now` (paused and queued time not counted)."""
        if self.running_since is None:
            return self.active_seconds
        return self.active_seconds + max(now - self.running_since, 0.0)

    def left(self, now: float) -> float | None:
        """Seconds of its own work left at `now` (None: never estimated)."""
        if self.remaining is None:
            return None
        counted = min(max(self.ran(now) - self.estimated_at, 0.0), STALE_SECONDS)
        return max(self.remaining - counted, TAIL_SECONDS)

    def progress(self, now: float, wait: float = 0.0) -> float:
        """The share of its estimated cost done at `now`, below 1.0 (it has not ended)."""
        ran, left = self.ran(now), self.left(now)
        live = ran / (ran + left + wait) if left is not None and ran > 0 else 0.0
        return min(MAX_PROGRESS, max(self.shown, live))

    def eta(self, now: float, wait: float = 0.0) -> float | None:
        """Seconds until it ends, the wait behind other tasks included; None while paused
        or never estimated."""
        left = self.left(now)
        if left is None or self.status == "Paused":
            return None
        return left + wait


@dataclass(frozen=True, slots=True)
class Wait:
    """The time a task waits behind others, and the first of them."""

    seconds: float = 0.0
    behind: str | None = None


RUNNABLE = ("Queued", "Running")


def ahead(clock: TaskClock, other: TaskClock) -> bool:
    """True when the worker serves `other` before `clock`'s task (neither paused): a better
    priority, or the same one and queued earlier."""
    if other.task_id == clock.task_id:
        return False
    if other.status not in RUNNABLE or clock.status not in RUNNABLE:
        return False
    return (other.priority, other.created_at) < (clock.priority, clock.created_at)


def waits(clocks: Sequence[TaskClock], now: float) -> dict[str, Wait]:
    """For each unfinished task: the time left of the tasks served before it (none for a
    paused task: it waits for its resume, which no estimate knows)."""
    found: dict[str, Wait] = {}
    for clock in clocks:
        before = sorted(
            (o for o in clocks if ahead(clock, o)), key=lambda o: (o.priority, o.created_at)
        )
        seconds = sum(o.left(now) or 0.0 for o in before)
        found[clock.task_id] = Wait(seconds, before[0].task_id if before else None)
    return found


@dataclass(frozen=True, slots=True)
class Renewal:
    """A new estimate to record: seconds left, the clock reading it was made at, and the
    progress floor (what readers showed under the old estimate)."""

    task_id: str
    left: float
    at: float
    shown: float


RENEWAL_MARGIN_SECONDS = 0.1  # a reader may read the old estimate this long after `now`


def renew(clocks: Iterable[TaskClock], lefts: dict[str, float], now: float) -> list[Renewal]:
    """The renewals of these tasks' estimates with `lefts` (seconds of their own work left)
    at `now`: each keeps as its floor the progress readers showed under the old estimate
    (until a little after `now`, while the new one is being written)."""
    clocks = list(clocks)
    later = now + RENEWAL_MARGIN_SECONDS
    before = waits(clocks, later)
    renewed = []
    for clock in clocks:
        if clock.task_id in lefts:
            shown = clock.progress(later, before[clock.task_id].seconds)
            left = max(lefts[clock.task_id], 0.0)
            renewed.append(Renewal(clock.task_id, left, clock.ran(now), shown))
    return renewed
