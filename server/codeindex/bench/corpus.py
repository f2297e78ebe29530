"""The bench's temp workspace (the copied tree or its quick sample) and its worker processes.

Each worker is a `python -m codeindex worker` subprocess, so its peak resident memory
(read from /proc) and its CPU time (from the children's rusage) are its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import resource
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from codeindex.bench.common import QUICK_FILES, SAMPLE_SECONDS, SEED, BenchError
from codeindex.workspace import Workspace

QUICK_MAX_FILE_BYTES = 256 * 1024
WORKER_EXIT_SECONDS = 300.0
DROPPED_ENV = ("CODEINDEX_DATA_DIR", "CODEINDEX_PARSER_VERSION_BUMP")


def child_env(model: Path, bump: int = 0) -> dict[str, str]:
    """This process's environment with the bench model, no downloads, and an optional bump."""
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    env["CODEINDEX_EMBED_MODEL_PATH"] = str(model)
    env["CODEINDEX_ALLOW_DOWNLOAD"] = "0"
    # the bench edits files and asks for each reindex it times: a watcher would race it
    env["CODEINDEX_WATCH"] = "0"
    # cold means cold: vectors of an earlier run in the machine-wide cache would be found
    env["CODEINDEX_CACHE"] = "0"
    if bump:
        env["CODEINDEX_PARSER_VERSION_BUMP"] = str(bump)
    return env


@contextlib.contextmanager
def swapped_environ(env: dict[str, str]) -> Iterator[None]:
    """Run with os.environ replaced by `env` (settings are read when a service opens)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _is_text(path: Path) -> bool:
    try:
        data = path.read_bytes()
    except OSError:
        return False
    if not data or len(data) > QUICK_MAX_FILE_BYTES or b"\0" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _quick_sample(source: Path) -> list[str]:
    """About QUICK_FILES indexable text files, picked from the sorted paths with SEED."""
    scan = Workspace(source, source / ".codeindex").scan()
    texts = sorted(e.path for e in scan.files if _is_text(source / e.path))
    return sorted(random.Random(SEED).sample(texts, min(QUICK_FILES, len(texts))))


def prepare_workspace(source: Path, base: Path, quick: bool) -> tuple[Path, int]:
    """Copy the tree (or its quick sample) to base/<name>, without .git and .codeindex."""
    ws = base / (source.name or "workspace")
    if quick:
        paths = _quick_sample(source)
        for rel in paths:
            (ws / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / rel, ws / rel)
        return ws, len(paths)

    def ignore(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if n in (".git", ".codeindex") or Path(folder, n) == base}

    shutil.copytree(source, ws, symlinks=True, ignore=ignore)
    return ws, sum(len(files) for _, _, files in os.walk(ws))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _vm_hwm(pid: int) -> int:
    """Peak resident set of a live process in bytes (0 when it cannot be read)."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _open_log(path: Path) -> IO[bytes]:
    return open(path, "ab")


class WorkerProcess:
    """A `codeindex worker` subprocess; tracks its peak RSS and (after exit) its CPU time."""

    def __init__(self, proc: asyncio.subprocess.Process, log_path: Path, cpu_before: float):
        self.proc = proc
        self.log_path = log_path
        self.cpu_before = cpu_before
        self.started = time.perf_counter()
        self.peak_rss = 0
        self.cpu_seconds = 0.0
        self.lifetime_seconds = 0.0

    @classmethod
    async def start(
        cls, ws: Path, env: dict[str, str], log_path: Path, *, exit_when_idle: bool = True
    ) -> WorkerProcess:
        """Start `python -m codeindex --root WS worker [--exit-when-idle]`."""
        cmd = [sys.executable, "-m", "codeindex", "--root", str(ws), "worker"]
        if exit_when_idle:
            cmd.append("--exit-when-idle")
        cpu_before = _children_cpu()
        log = _open_log(log_path)
        try:
            proc = await asyncio.create_subprocess_exec(
                *cmd,
                cwd=ws,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )
        finally:
            log.close()
        return cls(proc, log_path, cpu_before)

    @property
    def running(self) -> bool:
        """True until the process has exited."""
        return self.proc.returncode is None

    def sample(self) -> None:
        """Read the process's high-water mark of resident memory."""
        if self.running:
            self.peak_rss = max(self.peak_rss, _vm_hwm(self.proc.pid))

    def log_tail(self, chars: int = 2000) -> str:
        """The end of the worker's stderr."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    async def finish(self) -> None:
        """Wait for an --exit-when-idle worker to exit, sampling its memory until then."""
        deadline = time.perf_counter() + WORKER_EXIT_SECONDS
        while self.running and time.perf_counter() < deadline:
            self.sample()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), SAMPLE_SECONDS)
        if self.running:
            await self.stop()
            raise BenchError(f"the worker did not exit within {WORKER_EXIT_SECONDS:.0f}s")
        self._settle()
        if self.proc.returncode != 0:
            raise BenchError(
                f"the worker exited with code {self.proc.returncode}:\n{self.log_tail()}"
            )

    async def stop(self) -> None:
        """Stop the worker with SIGINT (it releases its lease), or kill it after 20 s."""
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.proc.wait(), 20)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                await self.proc.wait()
        self._settle()

    def _settle(self) -> None:
        if not self.lifetime_seconds:
            self.lifetime_seconds = time.perf_counter() - self.started
            self.cpu_seconds = _children_cpu() - self.cpu_before


async def run_cli(ws: Path, env: dict[str, str], *args: str) -> tuple[float, dict[str, Any]]:
    """Run `python -m codeindex --root WS ARGS --json`; wall seconds and its JSON."""
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "codeindex", "--root", str(ws), *args, "--json"),
        cwd=ws,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await proc.communicate()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise BenchError(
            f"`codeindex {' '.join(args)}` in {ws} exited with {proc.returncode}: "
            f"{stderr.decode(errors='replace')[-2000:]}"
        )
    data: dict[str, Any] = json.loads(stdout)
    return seconds, data


def worker_args(pid: int) -> list[str]:
    """The arguments of process `pid` when it is a codeindex worker, else []."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []
    ours = "codeindex.worker" in args or ("codeindex" in args and "worker" in args)
    return args if ours else []


def workers_under(base: Path) -> list[int]:
    """The codeindex workers whose arguments name a path under `base`."""
    pids = [int(entry.name) for entry in Path("/proc").glob("[0-9]*")]
    return [p for p in pids if any(a.startswith(str(base)) for a in worker_args(p))]
