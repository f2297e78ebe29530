"""`codeindex bench --cache`: what the machine-wide vector cache saves, measured as users meet it.

Two rows, each run through the real CLI (`codeindex index --json`, its own background
worker) with a fresh cache dir of the run's own:
- clones: the tree copied twice; the first copy indexed cold (cache empty), the second
  cold with the cache warm. Texts embedded and wall time of each, in one run.
- branch switches (`--history REPO --revisions A B`): a clone of a git repository checked
  out at A and indexed, then switched to B and back `--switches` times, each switch
  followed by `codeindex index` (its wall time is the time until the switch is searchable),
  with the data dir and the cache size after each, read once the worker it started has
  tidied up and left (it lingers WORKER_LINGER seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from codeindex.bench.common import BenchError, err
from codeindex.bench.corpus import child_env, prepare_workspace, run_cli, workers_under
from codeindex.vectors.cache import files as cache_files

WORKER_STOP_SECONDS = 30.0
WORKER_LINGER = "5"  # the CLI's worker tidies while idle, then leaves; sizes are read after


@dataclass(frozen=True, slots=True)
class CacheBenchConfig:
    """The tree to clone, the model, and optionally a repository and two revisions."""

    source: Path
    model_path: Path
    history: Path | None = None
    revisions: tuple[str, str] | None = None
    switches: int = 10
    json_path: Path | None = None


@dataclass(slots=True)
class IndexRow:
    """One `codeindex index` of a clone or after a switch."""

    label: str
    wall_seconds: float
    files_processed: int
    texts_embedded: int
    data_dir_bytes: int
    vectors_bytes: int  # the LanceDB tables in the data dir
    db_bytes: int  # index.db with its WAL
    cache_bytes: int


@dataclass(slots=True)
class CacheReport:
    """Both rows, and what the cache costs on disk per 1,000 files."""

    meta: dict[str, Any]
    clones: list[IndexRow] = field(default_factory=list)
    switches: list[IndexRow] = field(default_factory=list)
    cache_bytes_per_1000_files: float = 0.0


def _bytes(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file())


def _kill_workers_under(base: Path) -> None:
    """SIGTERM every codeindex worker whose arguments name a path under `base`."""
    for pid in workers_under(base):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


async def _index(ws: Path, env: dict[str, str], cache: Path, label: str) -> IndexRow:
    seconds, data = await run_cli(ws, env, "index")
    summary = data["result"]["summary"]
    await asyncio.to_thread(_settled, ws)  # sizes once the worker tidied up and left
    return IndexRow(
        label,
        seconds,
        int(summary["files_processed"]),
        int(summary["embeddings_generated"]),
        await asyncio.to_thread(_bytes, ws / ".codeindex"),
        await asyncio.to_thread(_bytes, ws / ".codeindex" / "vectors"),
        sum(p.stat().st_size for p in (ws / ".codeindex").glob("index.db*")),
        sum(f.bytes for f in await asyncio.to_thread(cache_files, cache)),
    )


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise BenchError(f"git {' '.join(args)} failed: {proc.stderr.strip()[-500:]}")
    return proc.stdout.strip()


def _commit(repo: Path, revision: str) -> str:
    """The commit a revision names in the source repository (HEAD~1 moves with checkouts)."""
    return _git(repo, "rev-parse", "--verify", f"{revision}^{{commit}}")


async def _clones(config: CacheBenchConfig, base: Path, env: dict[str, str], report: Any) -> None:
    cache = Path(env["CODEINDEX_CACHE_DIR"])
    for n in (1, 2):
        ws, files = await asyncio.to_thread(
            prepare_workspace, config.source, base / f"clone{n}", False
        )
        label = "first clone (cache empty)" if n == 1 else "second clone (cache warm)"
        err.print(f"[dim]{label}: {files} files[/]")
        row = await _index(ws, env, cache, label)
        report.clones.append(row)
        if n == 1:
            report.cache_bytes_per_1000_files = row.cache_bytes / max(files, 1) * 1000


async def _switches(config: CacheBenchConfig, base: Path, env: dict[str, str], report: Any) -> None:
    assert config.history is not None and config.revisions is not None
    cache = Path(env["CODEINDEX_CACHE_DIR"])
    repo = base / "history"
    await asyncio.to_thread(
        _git, base, "clone", "-q", "--no-checkout", str(config.history), "history"
    )
    names = config.revisions
    commits = [await asyncio.to_thread(_commit, config.history, name) for name in names]
    await asyncio.to_thread(_git, repo, "checkout", "-q", "--detach", commits[0])
    report.switches.append(await _index(repo, env, cache, f"checkout {names[0]}"))
    for n in range(config.switches):
        at = (n + 1) % 2
        await asyncio.to_thread(_git, repo, "checkout", "-q", "--detach", commits[at])
        err.print(f"[dim]switch {n + 1}: {names[at]}[/]")
        report.switches.append(await _index(repo, env, cache, f"switch {n + 1} → {names[at]}"))


async def run_cache_bench(config: CacheBenchConfig) -> CacheReport:
    """Both rows in a temp dir with its own cache; every worker stopped at the end."""
    base = Path(tempfile.mkdtemp(prefix="codeindex-bench-cache-")).resolve()
    env = child_env(config.model_path)
    env["CODEINDEX_CACHE"] = "1"
    env["CODEINDEX_WORKER_LINGER"] = WORKER_LINGER
    env["CODEINDEX_CACHE_DIR"] = str(base / "cache")
    report = CacheReport(
        meta={"source": str(config.source), "model_path": str(config.model_path)},
    )
    try:
        await _clones(config, base, env, report)
        if config.history is not None:
            await _switches(config, base, env, report)
    finally:
        await asyncio.to_thread(_stop_workers, base)
        await asyncio.to_thread(shutil.rmtree, base, True)
    return report


def _settled(ws: Path) -> None:
    """Wait until the worker the CLI left (lingering WORKER_LINGER seconds) has exited."""
    deadline = time.perf_counter() + WORKER_STOP_SECONDS + float(WORKER_LINGER)
    while time.perf_counter() < deadline and workers_under(ws):
        time.sleep(0.1)


def _stop_workers(base: Path) -> None:
    """End the workers the run's CLI calls left lingering, before their folders go."""
    _kill_workers_under(base)
    deadline = time.perf_counter() + WORKER_STOP_SECONDS
    while time.perf_counter() < deadline and workers_under(base):
        time.sleep(0.1)


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def render_cache(report: CacheReport, console: Console) -> None:
    """The two rows as one table."""
    table = Table(title="machine-wide vector cache")
    columns = ("run", "wall s", "files", "texts embedded", "data dir", "vectors", "index.db")
    for column in (*columns, "cache"):
        table.add_column(column)
    for row in [*report.clones, *report.switches]:
        table.add_row(
            row.label,
            f"{row.wall_seconds:.1f}",
            str(row.files_processed),
            str(row.texts_embedded),
            _mb(row.data_dir_bytes),
            _mb(row.vectors_bytes),
            _mb(row.db_bytes),
            _mb(row.cache_bytes),
        )
    console.print(table)
    console.print(f"cache on disk per 1,000 files: {_mb(int(report.cache_bytes_per_1000_files))}")


def write_cache_json(report: CacheReport, path: Path) -> None:
    """Every figure as JSON."""
    path.write_text(json.dumps(dataclasses.asdict(report), indent=2), encoding="utf-8")
