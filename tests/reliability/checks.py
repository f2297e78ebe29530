"""What a user would check after an incident, shared by the reliability suites.

The index must match the disk: every file once, with the rows a fresh read and parse of
its bytes gives; the queue must be settled: every task Completed, nothing left
`processing`, no file blamed.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from codeindex.config import load_settings
from codeindex.worker.pipeline import Parsed, read_and_parse
from codeindex.workspace import Workspace


def disk_files(root: Path) -> dict[str, str]:
    """Every regular file under `root` but the data dir: relative path -> sha256 of its bytes."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".codeindex"]
        for name in files:
            path = Path(folder) / name
            found[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _connect(root: Path) -> sqlite3.Connection:
    db = root / ".codeindex" / "index.db"
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True)


def assert_index_matches_disk(root: Path) -> None:
    """Each file on disk indexed exactly once, with the chunks and symbols a fresh parse gives."""
    disk = disk_files(root)
    with _connect(root) as conn:
        rows = conn.execute("SELECT path, content_hash, index_status FROM files").fetchall()
        chunks: dict[str, list[tuple[int, int, str]]] = {}
        for path, start, end, digest in conn.execute(
            "SELECT f.path, c.start_line, c.end_line, c.content_hash FROM chunks c "
            "JOIN files f ON f.id = c.file_id ORDER BY f.path, c.ordinal"
        ):
            chunks.setdefault(path, []).append((start, end, digest))
        symbols = dict(
            conn.execute(
                "SELECT f.path, count(s.id) FROM files f LEFT JOIN symbols s ON s.file_id = f.id "
                "GROUP BY f.id"
            ).fetchall()
        )
    assert len(rows) == len({r[0] for r in rows}), "a file has two rows"
    indexed = {path: digest for path, digest, _ in rows}
    assert indexed == disk, {
        "not indexed": sorted(set(disk) - set(indexed)),
        "not on disk": sorted(set(indexed) - set(disk)),
        "other content": sorted(p for p in disk if p in indexed and indexed[p] != disk[p]),
    }
    assert {status for _, _, status in rows} == {"indexed"}, rows
    settings = load_settings(root)
    workspace = Workspace(root, settings.data_dir, max_file_bytes=settings.max_file_size)
    for path in disk:
        fresh = read_and_parse(workspace, settings, path)
        assert isinstance(fresh, Parsed), (path, fresh)
        expected = [(c.start_line, c.end_line, c.content_hash) for c in fresh.record.chunks]
        assert chunks.get(path, []) == expected, f"{path}: chunks differ from a fresh parse"
        assert symbols[path] == len(fresh.record.symbols), f"{path}: symbols differ"


def assert_queue_settled(root: Path) -> list[str]:
    """Every task Completed with no failed file, no item left pending or processing.

    Returns the task ids, oldest first.
    """
    with _connect(root) as conn:
        tasks = conn.execute(
            "SELECT id, status, items_failed, items_completed, items_total FROM reindexing_tasks "
            "ORDER BY created_at"
        ).fetchall()
        items = dict(
            conn.execute(
                "SELECT status, count(*) FROM reindexing_task_items GROUP BY status"
            ).fetchall()
        )
        failures = conn.execute(
            "SELECT file_path, error_message FROM reindexing_task_items WHERE status = 'failed'"
        ).fetchall()
    assert not failures, failures
    assert tasks and all(t[1] == "Completed" for t in tasks), tasks
    assert all(t[2] == 0 and t[3] == t[4] for t in tasks), tasks
    assert set(items) == {"completed"}, items
    return [t[0] for t in tasks]


async def until(
    check: Callable[[], bool | Awaitable[bool]], what: str, seconds: float = 120
) -> None:
    """Wait until `check()` is true (polling a condition the system changes), at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        await asyncio.sleep(0.05)
