"""Helpers shared by the tests: running the real CLI, copying corpora, opening the service."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from codeindex.app.service import CodeIndexService
from codeindex.app.supervisor import WorkerMode
from codeindex.vectors.location import location_of
from codeindex.vectors.store import VectorStore
from codeindex.worker.host import WorkerHost
from codeindex.worker.loop import Worker

NO_MODEL_ENV = {"CODEINDEX_ALLOW_DOWNLOAD": "0", "CODEINDEX_EMBED_MODEL_PATH": ""}


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for a CLI subprocess: no inherited codeindex settings, plus `extra`.

    Background workers exit as soon as the queue is empty and run no file watcher (a test
    that edits files and then asks for a reindex must not race one), unless `extra` says
    otherwise. The test session's cache dir (int8 model variants) is kept.
    """
    keep = ("CODEINDEX_CACHE_DIR", "CODEINDEX_CACHE")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODEINDEX_") or k in keep}
    env["CODEINDEX_WORKER_LINGER"] = "0"
    env["CODEINDEX_WATCH"] = "0"
    env.update(extra)
    return env


def run_cli(
    root: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run `python -m codeindex --root ROOT ARGS...` as a subprocess, from the root folder
    (relative paths on a command line are relative to where the user stands)."""
    return subprocess.run(
        [sys.executable, "-m", "codeindex", "--root", str(root), *args],
        cwd=root if root.is_dir() else None,
        capture_output=True,
        text=True,
        env=env if env is not None else cli_env(**NO_MODEL_ENV),
        timeout=timeout,
        check=False,
    )


def run_json(root: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    """Run a CLI command with --json and parse its stdout."""
    proc = run_cli(root, *args, "--json", env=env)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def copy_tree(src: Path, dest: Path, only: Iterable[str] | None = None) -> Path:
    """Copy a corpus (or only some sub-paths of it) into a fresh workspace."""
    if only is None:
        shutil.copytree(src, dest, symlinks=True)
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    for rel in only:
        source = src / rel
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, symlinks=True)
        else:
            shutil.copy2(source, target)
    return dest


def line_of(path: Path, needle: str) -> int:
    """1-based line of the first line containing `needle` (fails the test when absent)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def background_workers(root: Path) -> list[int]:
    """Pids of the worker processes of ROOT alive now (`python -m codeindex.worker --root ROOT`,
    `codeindex --root ROOT worker`; Linux /proc)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ours = b"codeindex.worker" in argv or (b"codeindex" in argv and b"worker" in argv)
        if ours and str(root).encode() in argv:
            found.append(int(entry.name))
    return found


def index_with_cli(root: Path, env: dict[str, str] | None = None) -> None:
    """`codeindex index ROOT`, then wait for the background worker it started to exit.

    The task is complete when `index` returns, but its worker may still be compacting
    vectors and closing the database: a copy taken then could miss files.
    """
    proc = run_cli(root, "index", str(root), env=env)
    assert proc.returncode == 0, proc.stderr
    deadline = time.monotonic() + 120
    while background_workers(root):
        assert time.monotonic() < deadline, "the background worker did not exit"
        time.sleep(0.05)


async def open_in_process(
    root: Path, overrides: dict[str, Any] | None = None, *, mode: WorkerMode = "in-process"
) -> CodeIndexService:
    """The service of `root` with a worker that can run in this process (`start_worker()`).

    With mode "in-process" the service starts it whenever work needs it; with "none" only
    `start_worker()` does.
    """
    service = await CodeIndexService.open(root, overrides, worker=mode)
    WorkerHost(service)
    return service


def worker_of(service: CodeIndexService) -> Worker:
    """The worker loop the service's in-process host started."""
    host = service.local
    assert isinstance(host, WorkerHost), "open the service with open_in_process()"
    assert host.worker is not None, "start_worker() first"
    return host.worker


def vectors_of(service: CodeIndexService) -> VectorStore:
    """The vector store of the service's workspace, opened in this process."""
    return VectorStore(location_of(service.settings))


def folder_bytes(path: Path) -> int:
    """The bytes of the files under a folder (a local vector store, say); 0 when it is gone."""
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
