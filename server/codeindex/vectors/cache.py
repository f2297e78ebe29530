"""The machine-wide vector cache: every vector this machine made, by model and content hash.

A second clone or a new worktree of a repository holds the same texts as the first; a
branch switch brings back texts embedded before. Vectors are keyed by content, so a worker
looks a text up here before it asks the shared store or the model, and writes what it
embedded or fetched back here: a new worktree of an indexed repository is searchable with
no text embedded again.

One file per model (`<cache dir>/vectors/<table name>.sqlite`), shared by every worker of
the machine. SQLite, not LanceDB, and this is why: the cache is read by exact key, never
searched, and written by several worker processes at once — SQLite's WAL and busy timeout
let them all commit without lost rows or a damaged file (two processes committing to one
LanceDB table conflict), and the least-recently-used bookkeeping (a time per row, updated
on every hit) is an UPDATE here, where each would be a new table version in LanceDB. The
vectors queries search stay in each workspace's LanceDB table.

The cache is bounded (`cache.max_bytes`): `prune` drops the least recently used rows in
small transactions (a writer of another process waits at most one of them) and gives the
pages back. Nothing in a workspace depends on it: a deleted cache costs embedding time,
never correctness, and a file this version cannot read is set aside and started again.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
BUSY_MS = 30_000
LOOKUP_CHUNK = 500  # hashes per SELECT ... IN (...)
PRUNE_ROWS = 2_000  # rows deleted per transaction while pruning
PRUNE_TO = 0.9  # a pruned cache is brought to this share of its bound


@dataclass(frozen=True, slots=True)
class CacheFile:
    """One model's cache file, as `codeindex cache status` lists it."""

    model: str
    path: Path
    vectors: int
    bytes: int


def cache_folder(base: Path) -> Path:
    """Where the cache's files live under codeindex's cache dir."""
    return base / "vectors"


class VectorCache:
    """The cached vectors of one model (table name), in one SQLite file."""

    def __init__(self, base: Path, table_name: str, dim: int) -> None:
        self.path = cache_folder(base) / f"{table_name}.sqlite"
        self.dim = dim

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = self._open()
        except sqlite3.DatabaseError as exc:  # not a database (any more): start again
            aside = self.path.with_name(f"{self.path.name}.damaged-{int(time.time())}")
            log.warning(
                "the vector cache %s cannot be read (%s); kept as %s", self.path, exc, aside
            )
            with contextlib.suppress(OSError):
                os.replace(self.path, aside)
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(OSError):
                    os.unlink(f"{self.path}{suffix}")
            db = self._open()
        try:
            yield db
        finally:
            db.close()

    def _open(self) -> sqlite3.Connection:
        db = _connection(self.path)
        try:
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                self._create(db)
        except BaseException:
            db.close()
            raise
        return db

    def _create(self, db: sqlite3.Connection) -> None:
        """A new file gets the schema; one of another version is started again (a cache)."""
        db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # takes effect in a file with no table
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                db.execute("DROP TABLE IF EXISTS vectors")
            if version != SCHEMA_VERSION:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS vectors (hash TEXT PRIMARY KEY, "
                    "vector BLOB NOT NULL, used REAL NOT NULL) WITHOUT ROWID"
                )
                db.execute("CREATE INDEX IF NOT EXISTS vectors_used ON vectors (used)")
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def get(self, hashes: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]:
        """The cached vectors among `hashes` (each marked as used now)."""
        found: dict[str, npt.NDArray[np.float32]] = {}
        if not hashes or not self.path.exists():
            return found
        with self._connect() as db:
            for start in range(0, len(hashes), LOOKUP_CHUNK):
                chunk = list(hashes[start : start + LOOKUP_CHUNK])
                marks = ",".join("?" * len(chunk))
                rows = db.execute(
                    f"SELECT hash, vector FROM vectors WHERE hash IN ({marks})", chunk
                ).fetchall()
                for content_hash, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape == (self.dim,):
                        found[content_hash] = vector.copy()
            if found:
                self._touch(db, list(found))
        return found

    def _touch(self, db: sqlite3.Connection, hashes: list[str]) -> None:
        now = time.time()
        with _immediate(db):
            db.executemany("UPDATE vectors SET used = ? WHERE hash = ?", [(now, h) for h in hashes])

    def put(self, hashes: Sequence[str], matrix: npt.NDArray[np.float32]) -> int:
        """Keep these vectors (rows of `matrix`, in the order of `hashes`); how many were new."""
        if not len(hashes):
            return 0
        now = time.time()
        rows = [
            (h, np.asarray(v, dtype=np.float32).tobytes(), now)
            for h, v in zip(hashes, matrix, strict=True)
        ]
        with self._connect() as db, _immediate(db):
            before = db.total_changes
            db.executemany(
                "INSERT INTO vectors (hash, vector, used) VALUES (?, ?, ?) "
                "ON CONFLICT (hash) DO UPDATE SET used = excluded.used",
                rows,
            )
            return db.total_changes - before


def _connection(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) that waits for writers."""
    db = sqlite3.connect(path, timeout=BUSY_MS / 1000, isolation_level=None)
    db.execute(f"PRAGMA busy_timeout={BUSY_MS}")
    return db


def _immediate(db: sqlite3.Connection) -> contextlib.AbstractContextManager[None]:
    """One write transaction, taken at once (BEGIN IMMEDIATE), committed or rolled back."""

    @contextlib.contextmanager
    def transaction() -> Iterator[None]:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    return transaction()


def _file_bytes(path: Path) -> int:
    total = 0
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            total += os.stat(f"{path}{suffix}").st_size
    return total


def files(base: Path) -> list[CacheFile]:
    """Every model's cache file, with its count of vectors and its bytes on disk."""
    found = []
    for path in sorted(cache_folder(base).glob("*.sqlite")):
        try:
            with contextlib.closing(_connection(path)) as db:
                count = db.execute("SELECT count(*) FROM vectors").fetchone()[0]
        except sqlite3.Error as exc:
            log.warning("the vector cache file %s cannot be read: %s", path, exc)
            count = 0
        found.append(CacheFile(path.stem, path, int(count), _file_bytes(path)))
    return found


def prune(base: Path, max_bytes: int) -> int:
    """Drop the least recently used vectors of every model until the cache holds at most
    `PRUNE_TO` of `max_bytes`; returns how many were dropped. Short transactions: a worker
    writing meanwhile waits for one of them at most."""
    listed = files(base)
    total = sum(f.bytes for f in listed)
    if total <= max_bytes:
        return 0
    dropped = 0
    target = int(max_bytes * PRUNE_TO)
    while total > target and listed:
        biggest = max(listed, key=lambda f: f.bytes)
        per_row = biggest.bytes / max(1, biggest.vectors)
        rows = max(1, min(PRUNE_ROWS, math.ceil((total - target) / per_row)))
        gone = _drop_oldest(biggest.path, rows)
        dropped += gone
        listed = files(base)
        total = sum(f.bytes for f in listed)
        if not gone:
            listed = [f for f in listed if f.path != biggest.path]  # nothing left to drop
    return dropped


def _drop_oldest(path: Path, rows: int) -> int:
    with contextlib.closing(_connection(path)) as db:
        with _immediate(db):
            cursor = db.execute(
                "DELETE FROM vectors WHERE hash IN "
                "(SELECT hash FROM vectors ORDER BY used LIMIT ?)",
                (rows,),
            )
            gone = cursor.rowcount
        _give_pages_back(db)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return gone


def _give_pages_back(db: sqlite3.Connection) -> None:
    """Return the free pages to the file system: Python's sqlite3 steps a pragma that
    yields no row once, and each step of `incremental_vacuum` frees one page."""
    free = db.execute("PRAGMA freelist_count").fetchone()[0]
    for _ in range(free):
        db.execute("PRAGMA incremental_vacuum(1)")


def clear(base: Path) -> int:
    """Remove every cache file; returns how many bytes that gave back."""
    freed = 0
    for entry in files(base):
        freed += entry.bytes
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{entry.path}{suffix}")
    return freed
