"""Crash points for the reliability tests: kill this process at a named point of the work.

`CODEINDEX_FAULTS` holds comma-separated `point[=text][@n]` entries: the process SIGKILLs
itself the n-th time (default: the first) it reaches `point` with a detail containing
`text`. Points: `parse` (detail: the file), `commit` (a SQLite write transaction, before
its COMMIT; detail: the function that made it, such as `apply_files`), `embed` (a batch to
the model), `vectors` (before a LanceDB write), `vectors-added` (after a LanceDB write,
before SQLite records it), `renew` (the lease renewal).

Worker processes inherit the variable, so a replacement worker would die at the same point
too. With `CODEINDEX_FAULTS_ONCE` naming a file, a fault fires only in the process that
creates that file (it records the point, the detail and the pid there): one kill in all,
whichever process gets there first; the others go on.
Unset (always, outside tests) it costs one dictionary look-up per point.

`CODEINDEX_STALLS` holds comma-separated `point=seconds` entries: the process sleeps that
long each time it reaches `point`, logging that it does (a step made slow on purpose).
Points: `load` (in the thread that loads an embedding model, as a long ONNX session
creation would block it).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from collections import Counter

ENV = "CODEINDEX_FAULTS"
ONCE_ENV = "CODEINDEX_FAULTS_ONCE"
STALLS_ENV = "CODEINDEX_STALLS"

log = logging.getLogger(__name__)


def _parse(spec: str) -> list[tuple[str, str, int]]:
    faults = []
    for entry in filter(None, (e.strip() for e in spec.split(","))):
        head, _, nth = entry.partition("@")
        point, _, text = head.partition("=")
        faults.append((point, text, int(nth) if nth else 1))
    return faults


def _parse_stalls(spec: str) -> dict[str, float]:
    stalls = {}
    for entry in filter(None, (e.strip() for e in spec.split(","))):
        point, _, seconds = entry.partition("=")
        stalls[point] = float(seconds)
    return stalls


_FAULTS = _parse(os.environ.get(ENV, ""))
_STALLS = _parse_stalls(os.environ.get(STALLS_ENV, ""))
_ONCE = os.environ.get(ONCE_ENV, "")
_seen: Counter[tuple[str, str]] = Counter()


def _claim(point: str, detail: str) -> bool:
    """With a once-file: True only for the process that creates it (it records the kill)."""
    if not _ONCE:
        return True
    try:
        fd = os.open(_ONCE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    try:
        os.write(fd, f"{point}\t{detail}\t{os.getpid()}\n".encode())
    finally:
        os.close(fd)
    return True


def armed() -> bool:
    """True when some fault is asked for (a detail that costs something is made only then)."""
    return bool(_FAULTS)


def caller(depth: int = 1) -> str:
    """The name of the function `depth` frames above the one calling this (a detail)."""
    frame = sys._getframe(depth + 1)
    return frame.f_code.co_name


def crash_point(point: str, detail: str = "") -> None:
    """Die here (SIGKILL, no clean-up) when the fault spec asks for it."""
    if not _FAULTS:
        return
    for name, text, nth in _FAULTS:
        if name == point and text in detail:
            _seen[(name, text)] += 1
            if _seen[(name, text)] == nth and _claim(point, detail):
                os.kill(os.getpid(), signal.SIGKILL)


def stall_point(point: str) -> None:
    """Sleep here as long as `CODEINDEX_STALLS` asks for this point (tests only)."""
    seconds = _STALLS.get(point)
    if seconds:
        log.warning("stalling %.1f s at %s (%s)", seconds, point, STALLS_ENV)
        time.sleep(seconds)
