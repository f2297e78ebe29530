"""Opening index.db: create and migrate it, read it from read-only storage, survive damage.

- A command that only reads (status, search, validate) never creates a data dir: where
  there is no index it says so.
- On a folder or file that cannot be written (a read-only mount), reading works (the
  database is opened read-only, or immutable when SQLite cannot even create its WAL
  index there) and any write says the index is read-only — never "rebuild it".
- A damaged database (not a database at all, or corrupt) opened by a process that may
  write is moved aside, kept with a timestamp for inspection, and a new one is created;
  the next project index fills it (vectors are content-addressed and reused). A reader
  is told what happened and what to run. Nothing is ever deleted.
- A database written by a newer codeindex is refused, never guessed at.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from codeindex.errors import CodeIndexError, IndexUnusable
from codeindex.storage.migrate import IndexDamaged, current_version, latest_version, migrate

BUSY_TIMEOUT_MS = 30_000
CHECKPOINT_WAIT_MS = 200
WAL_LIMIT_BYTES = 4 * 1024 * 1024
GITIGNORE = "# created by codeindex: this folder is derived data\n*\n"


class NoIndex(CodeIndexError):
    """There is no index where one was looked for."""

    code = "no_index"
    exit_code = 3


@dataclass(frozen=True, slots=True)
class Opened:
    """How the database was opened: writable or not, and a damaged file set aside."""

    writable: bool
    immutable: bool = False
    set_aside: Path | None = None


def prepare(path: Path, *, create: bool) -> Opened:
    """Make the database at `path` usable (runs in a thread); see the module docstring."""
    folder = path.parent
    blocker = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise IndexUnusable(
            f"the data dir {folder} cannot be used: {blocker} is a file, not a folder; set "
            "CODEINDEX_DATA_DIR to a folder"
        )
    if not path.exists():
        if not create:
            raise NoIndex(
                f"there is no index at {folder}: run `codeindex index` in the workspace first "
                "(or pass --root / set CODEINDEX_DATA_DIR to where the index is)"
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise IndexUnusable(
                f"the data dir {folder} cannot be created ({exc.strerror}): set "
                "CODEINDEX_DATA_DIR to a folder you can write"
            ) from None
    if not folder.is_dir():
        raise IndexUnusable(
            f"the data dir {folder} is not a folder: set CODEINDEX_DATA_DIR to a folder"
        )
    if not _writable(path):
        return _read_only(path)
    with contextlib.suppress(OSError):
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text(GITIGNORE, "utf-8")
    try:
        migrate(path)
    except IndexDamaged:
        if not create:
            raise
        aside = _set_aside(path)
        migrate(path)
        return Opened(writable=True, set_aside=aside)
    return Opened(writable=True)


def _writable(path: Path) -> bool:
    folder = path.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    return not path.exists() or os.access(path, os.W_OK)


def _read_only(path: Path) -> Opened:
    """A database we may not write: check it can be read and is of our version."""
    for immutable in (False, True):
        try:
            conn = sqlite3.connect(_uri(path, immutable=immutable), uri=True)
            try:
                version = current_version(conn)
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            if immutable:
                raise IndexUnusable(
                    f"the index at {path} is read-only and cannot be read ({exc})"
                ) from None
            continue
        if version != latest_version():
            raise IndexUnusable(
                f"the index at {path} is read-only and has schema version {version}, not "
                f"{latest_version()}: open it once with write access to upgrade it"
            )
        return Opened(writable=False, immutable=immutable)
    raise AssertionError("not reached")


def _set_aside(path: Path) -> Path:
    """Move a damaged database (and its WAL files) aside, keeping it; returns where."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{path}{suffix}")
        if source.exists():
            source.rename(Path(f"{aside}{suffix}"))
    return aside


def _uri(path: Path, *, immutable: bool) -> str:
    quoted = str(path.resolve()).replace("?", "%3f").replace("#", "%23")
    return f"file:{quoted}?mode=ro" + ("&immutable=1" if immutable else "")


def _casefold(text: str | None) -> str | None:
    """SQL `casefold(x)`: Unicode case folding (SQLite's own NOCASE and LIKE fold ASCII only)."""
    return text.casefold() if isinstance(text, str) else text


async def connect(path: Path, *, readonly: bool, opened: Opened) -> aiosqlite.Connection:
    """A connection to the database; `readonly` ones refuse writes (query_only)."""
    if opened.writable:
        conn = await aiosqlite.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    else:
        conn = await aiosqlite.connect(
            _uri(path, immutable=opened.immutable),
            uri=True,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
        )
    await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    if opened.writable:
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
    await conn.execute("PRAGMA foreign_keys=ON")
    await conn.create_function("casefold", 1, _casefold, deterministic=True)
    if readonly or not opened.writable:
        await conn.execute("PRAGMA query_only=ON")
    return conn


async def reclaim(conn: aiosqlite.Connection) -> None:
    """Give free pages back to the file system and empty the WAL, waiting for no one.

    Free pages (what a forced reindex or pruned history left) go with `incremental_vacuum`
    (a database older than auto_vacuum=INCREMENTAL has none to give: this does nothing).
    The checkpoint waits at most CHECKPOINT_WAIT_MS for readers; when they are still busy
    the WAL stays as it is (SQLite reuses it, and truncates it to WAL_LIMIT_BYTES when it
    next starts over).
    """
    # a script runs the pragma to its end: it frees one page per step, and execute() takes one
    await conn.executescript("PRAGMA incremental_vacuum;")
    await conn.execute(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
    try:
        async with conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
            await cur.fetchall()
    finally:
        await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def read_only_error(path: Path) -> IndexUnusable:
    """What a write to a read-only index says."""
    return IndexUnusable(
        f"the index at {path} is read-only (the folder or file cannot be written): reading "
        "works; to change it, make it writable or set CODEINDEX_DATA_DIR to a writable copy"
    )
