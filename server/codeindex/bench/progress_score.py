"""Item 7's figures: how far reported progress and the ETA were from the truth, per task.

Pure functions over samples taken while a task ran: (wall clock, progress, ETA seconds).
The truth is known once the task ends: at time t the elapsed share is (t - started) /
(completed - started), and the time really left is completed - t. No pause happens in a
bench task, so wall time is run time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Sample = tuple[float, float, float | None]  # (wall clock, progress, ETA seconds)
ETA_AT = (0.1, 0.5, 0.9)


@dataclass(slots=True)
class ProgressRow:
    """7. One task's reported progress and ETA against the elapsed share and the time left.

    `eta_error_at_*` is (ETA - time really left) / time really left at that share of the
    elapsed time: +0.25 means it said 25% more time than was left.
    """

    kind: str
    items: int
    seconds: float
    estimated_seconds: float | None  # estimated_duration_seconds when the task was created
    samples: int
    mean_abs_error: float | None
    max_abs_error: float | None
    eta_error_at_10: float | None
    eta_error_at_50: float | None
    eta_error_at_90: float | None
    busy_from: float | None = None  # the elapsed share when the machine was made busy
    mean_abs_error_last_quarter: float | None = None  # busy: has the estimate recovered?

    @property
    def estimate_error(self) -> float | None:
        """(estimated_duration_seconds - run time) / run time."""
        if self.estimated_seconds is None or self.seconds <= 0:
            return None
        return (self.estimated_seconds - self.seconds) / self.seconds


def _eta_error(inside: Sequence[tuple[float, Sample]], share: float, end: float) -> float | None:
    """The ETA's relative error at the sample nearest to `share` of the elapsed time."""
    with_eta = [(s, sample) for s, sample in inside if sample[2] is not None and s < 0.999]
    if not with_eta:
        return None
    s, (t, _, eta) = min(with_eta, key=lambda pair: abs(pair[0] - share))
    if abs(s - share) > 0.05 or eta is None:
        return None
    left = end - t
    return (eta - left) / left if left > 0 else None


def score(
    kind: str,
    samples: Sequence[Sample],
    started: float,
    completed: float,
    *,
    items: int,
    estimated: float | None,
    busy_at: float | None = None,
) -> ProgressRow:
    """The row of one task from its samples and its start and end (wall clock)."""
    span = completed - started
    inside = [((t - started) / span, (t, p, e)) for t, p, e in samples if started <= t <= completed]
    if span <= 0 or not inside:
        return ProgressRow(kind, items, max(span, 0.0), estimated, 0, *([None] * 5))
    errors = [abs(p - s) for s, (_, p, _) in inside]
    last = [abs(p - s) for s, (_, p, _) in inside if s >= 0.75]
    return ProgressRow(
        kind=kind,
        items=items,
        seconds=span,
        estimated_seconds=estimated,
        samples=len(errors),
        mean_abs_error=sum(errors) / len(errors),
        max_abs_error=max(errors),
        eta_error_at_10=_eta_error(inside, ETA_AT[0], completed),
        eta_error_at_50=_eta_error(inside, ETA_AT[1], completed),
        eta_error_at_90=_eta_error(inside, ETA_AT[2], completed),
        busy_from=None if busy_at is None else (busy_at - started) / span,
        mean_abs_error_last_quarter=sum(last) / len(last) if last and busy_at else None,
    )
