"""`python -m codeindex.worker`: the background worker process a front-end starts.

The supervisor (`app.supervisor`) starts it with `python -P` (the caller's folder is not put
first on `sys.path`, so a `types.py` there cannot shadow the standard library), in a session
of its own, with its stderr in `<data dir>/worker.log`. Its arguments are internal: the
workspace root, how long to linger once idle, and the lease its starter reserved for it.
Users run `codeindex worker` instead.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from codeindex.worker.run import run_worker


def main(argv: list[str] | None = None) -> int:
    """Parse the supervisor's arguments and run the worker until it leaves."""
    parser = argparse.ArgumentParser(prog="python -m codeindex.worker")
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--linger", type=float, default=0.0)
    parser.add_argument("--reservation", default=None)
    args = parser.parse_args(argv)
    level = os.environ.get("CODEINDEX_LOG_LEVEL", "WARNING").upper()
    logging.basicConfig(
        level=level if level in ("DEBUG", "INFO", "WARNING", "ERROR") else "WARNING",
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return asyncio.run(
        run_worker(args.root, exit_when_idle=True, linger=args.linger, reservation=args.reservation)
    )


if __name__ == "__main__":
    raise SystemExit(main())
