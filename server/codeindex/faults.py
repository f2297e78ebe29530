"""Crash points for the reliability tests: kill this process at a named point of the work.

`CODEINDEX_FAULTS` holds comma-separated `point[=text][@n]` entries: the process SIGKILLs
itself the n-th time (default: the first) it reaches `point` with a detail containing
`text`. Points: `parse` (detail: the file), `commit` (a SQLite write transaction),
`embed` (a batch to the model), `vectors` (a LanceDB write), `renew` (the lease renewal).
Unset (always, outside tests) it costs one dictionary look-up per point.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ENV = "CODEINDEX_FAULTS"


def _parse(spec: str) -> list[tuple[str, str, int]]:
    faults = []
    for entry in filter(None, (e.strip() for e in spec.split(","))):
        head, _, nth = entry.partition("@")
        point, _, text = head.partition("=")
        faults.append((point, text, int(nth) if nth else 1))
    return faults


_FAULTS = _parse(os.environ.get(ENV, ""))
_seen: Counter[tuple[str, str]] = Counter()


def crash_point(point: str, detail: str = "") -> None:
    """Die here (SIGKILL, no clean-up) when the fault spec asks for it."""
    if not _FAULTS:
        return
    for name, text, nth in _FAULTS:
        if name == point and text in detail:
            _seen[(name, text)] += 1
            if _seen[(name, text)] == nth:
                os.kill(os.getpid(), signal.SIGKILL)
