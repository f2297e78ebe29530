"""The `codeindex` command line run in the test's own process, as `helpers.run_cli` runs it in
a child: the same arguments, the same `CompletedProcess` back, without a process start and
the imports of each (about a second apiece on the machines the tests run on).

`run_main` calls the console script's entry point (`codeindex.cli.fast.main`, so a query
goes to a running worker first, as from a shell) from the root folder, with the environment
a CLI process gets (`helpers.cli_env`), and captures stdout and stderr as a child's pipes
would: encoded as the child would encode them, decoded as `subprocess.run(text=True)` does.
A command that starts a background worker still starts it as a process of its own.

It changes the working directory, the environment and `sys.stdout`/`sys.stderr` while the
command runs: call it from one thread at a time, never from inside a running event loop.
"""

from __future__ import annotations

import contextlib
import io
import json
import locale
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from tests.helpers import NO_MODEL_ENV, background_workers, cli_env

from codeindex.cli.fast import main


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _pipe(like: TextIO | None) -> io.TextIOWrapper:
    """A stream that encodes like the interpreter's own `like` (a child's would be the same)."""
    encoding = getattr(like, "encoding", None) or "utf-8"
    errors = getattr(like, "errors", None) or "strict"
    return io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors=errors, write_through=True)


def _text(pipe: io.TextIOWrapper) -> str:
    pipe.flush()
    assert isinstance(pipe.buffer, io.BytesIO)
    text = pipe.buffer.getvalue().decode(locale.getpreferredencoding(False))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def run_main(
    root: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `codeindex --root ROOT ARGS...` in this process, from the root folder (or `cwd`)."""
    argv = ["--root", str(root), *args]
    out, err = _pipe(sys.__stdout__), _pipe(sys.__stderr__)
    with contextlib.ExitStack() as stack:
        stack.enter_context(_environment(env if env is not None else cli_env(**NO_MODEL_ENV)))
        if cwd is not None or root.is_dir():
            stack.enter_context(contextlib.chdir(cwd or root))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        code = main(argv)
    return subprocess.CompletedProcess(argv, code, _text(out), _text(err))


def run_main_json(root: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    """Run a CLI command with --json in this process and parse its stdout."""
    proc = run_main(root, *args, "--json", env=env)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def index_in_process(root: Path, env: dict[str, str] | None = None) -> None:
    """`codeindex index ROOT` in this process, then wait for the background worker it started
    to exit (as `helpers.index_with_cli` does, and for the same reason)."""
    proc = run_main(root, "index", str(root), env=env)
    assert proc.returncode == 0, proc.stderr
    deadline = time.monotonic() + 120
    while background_workers(root):
        assert time.monotonic() < deadline, "the background worker did not exit"
        time.sleep(0.05)
