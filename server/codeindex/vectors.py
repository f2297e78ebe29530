"""Vectors in LanceDB: one table per embedding model, rows keyed by chunk content hash.

LanceDB is derived data (SQLite is the truth): a row is `(hash, vector)`, appended once
per distinct chunk text and model, never updated, deleted only by garbage collection.
Only the worker writes; every write is a new table version, so `optimize()` compacts and
drops old versions, and a process that only reads calls `refresh()` to see new commits.

Queries do not use LanceDB's own flat search: on this kind of machine it takes 14-40 ms
for 30,000 rows of 384 dims, while a dot product over the same rows in numpy takes about
1 ms. So a table keeps its rows as a normalized float32 matrix, read from LanceDB on the
first search and again whenever the table version it sees has changed.

All methods are synchronous; callers run them in threads. One writer thread and any
number of searching threads may share a `VectorTable`. Whatever LanceDB raises about a
table (damaged or vanished files) comes out as `VectorsDamaged`: the worker sets the
table aside and rebuilds it from SQLite's chunks, search falls back to full text.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from codeindex.errors import CodeIndexError, VectorsDamaged

if TYPE_CHECKING:
    from lancedb.db import DBConnection
    from lancedb.table import Table


@contextlib.contextmanager
def _lance(what: str) -> Iterator[None]:
    """Turn what LanceDB raises about a table's files into VectorsDamaged."""
    try:
        yield
    except CodeIndexError:
        raise
    except Exception as exc:
        raise VectorsDamaged(
            f"the vectors of {what} cannot be used ({type(exc).__name__}: {exc}); they are "
            "derived data: `codeindex reindex --scope embeddings-only` rebuilds them, and "
            "full-text search works meanwhile",
            table=what,
        ) from exc


HASH = "hash"
VECTOR = "vector"
_IN_LIST = 2000


class VectorStore:
    """The LanceDB folder (`<data dir>/vectors`), created on first write."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: DBConnection | None = None
        self._tables: dict[str, VectorTable] = {}
        self._lock = threading.Lock()

    def table(self, name: str, dim: int) -> VectorTable:
        """Open the table, or create it with vectors of `dim` floats."""
        existing = self.open_table(name)
        if existing is not None:
            if existing.dim != dim:
                raise ValueError(f"vector table {name} holds {existing.dim}-dim vectors, not {dim}")
            return existing
        db = self._connect(create=True)
        assert db is not None
        with self._lock, _lance(name):
            handle = db.create_table(name, schema=_schema(dim), exist_ok=True)
            table = self._tables.setdefault(name, VectorTable(handle, name, _dim_of(handle)))
        if table.dim != dim:
            raise ValueError(f"vector table {name} holds {table.dim}-dim vectors, not {dim}")
        return table

    def open_table(self, name: str) -> VectorTable | None:
        """The table, or None when it does not exist."""
        with self._lock:
            cached = self._tables.get(name)
        if cached is not None:
            return cached
        db = self._connect(create=False)
        if db is None or name not in self.table_names():
            return None
        with self._lock, _lance(name):
            handle = db.open_table(name)
            return self._tables.setdefault(name, VectorTable(handle, name, _dim_of(handle)))

    def table_names(self) -> list[str]:
        """Names of the tables in the folder."""
        db = self._connect(create=False)
        if db is None:
            return []
        names: list[str] = []
        token: str | None = None
        with _lance(str(self.path)):
            while True:
                page = db.list_tables(page_token=token)
                names.extend(page.tables)
                token = page.page_token
                if not token:
                    return sorted(names)

    def drop_table(self, name: str) -> None:
        """Delete the table and its files; a missing table is not an error."""
        with self._lock:
            self._tables.pop(name, None)
        db = self._connect(create=False)
        if db is not None and name in self.table_names():
            db.drop_table(name)

    def exists(self, name: str) -> bool:
        """Whether the table's folder is on disk (someone may have deleted `vectors/`)."""
        return (self.path / f"{name}.lance").is_dir()

    def set_aside(self, name: str) -> Path | None:
        """Move a damaged table's folder out of LanceDB's sight (kept, renamed); forget it."""
        with self._lock:
            self._tables.pop(name, None)
            self._db = None
        folder = self.path / f"{name}.lance"
        if not folder.exists():
            return None
        aside = self.path / f"{name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}"
        folder.rename(aside)
        return aside

    def size_bytes(self) -> int:
        """On-disk size of the whole folder."""
        total = 0
        for folder, _dirs, files in os.walk(self.path):
            for file in files:
                try:
                    total += os.lstat(os.path.join(folder, file)).st_size
                except OSError:
                    continue
        return total

    def _connect(self, *, create: bool) -> DBConnection | None:
        with self._lock:
            if self._db is None:
                if not create and not self.path.is_dir():
                    return None
                import lancedb

                with _lance(str(self.path)):
                    self.path.mkdir(parents=True, exist_ok=True)
                    self._db = lancedb.connect(self.path)
            return self._db


@dataclass(frozen=True, slots=True)
class _Rows:
    """The rows of one table version, ready for a dot product."""

    version: int
    matrix: npt.NDArray[np.float32]
    hashes: Any


class VectorTable:
    """One model's vectors: rows of (content hash, vector)."""

    def __init__(self, handle: Table, name: str, dim: int) -> None:
        self.name = name
        self.dim = dim
        self._handle = handle
        self._rows: _Rows | None = None
        self._lock = threading.Lock()

    def add(self, hashes: Sequence[str], vectors: npt.NDArray[np.float32]) -> None:
        """Append the rows whose hash is not in the table yet, in one commit."""
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.shape != (len(hashes), self.dim):
            raise ValueError(
                f"expected vectors of shape ({len(hashes)}, {self.dim}), got {matrix.shape}"
            )
        first: dict[str, int] = {}
        for index, digest in enumerate(hashes):
            first.setdefault(digest, index)
        if not first:
            return
        with self._lock, _lance(self.name):
            present = self._present(list(first))
            keep = [index for digest, index in first.items() if digest not in present]
            if keep:
                self._handle.add(_arrow([hashes[i] for i in keep], matrix[keep], self.dim))

    def search(self, vector: npt.NDArray[np.float32], limit: int) -> list[tuple[str, float]]:
        """The `limit` nearest rows as (hash, cosine similarity), best first."""
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        if query.shape[0] != self.dim:
            raise ValueError(f"expected a {self.dim}-dim query vector, got {query.shape[0]}")
        with _lance(self.name):
            rows = self._current_rows()
        count = rows.matrix.shape[0]
        if limit <= 0 or count == 0:
            return []
        norm = float(np.linalg.norm(query))
        scores = np.clip(rows.matrix @ (query / norm if norm > 0 else query), -1.0, 1.0)
        k = min(limit, count)
        top = np.argpartition(-scores, k - 1)[:k] if k < count else np.arange(count)
        top = top[np.argsort(-scores[top], kind="stable")]
        found: list[str] = rows.hashes.take(top).to_pylist()
        return [(digest, float(score)) for digest, score in zip(found, scores[top], strict=True)]

    def hashes(self) -> set[str]:
        """Every hash in the table."""
        with self._lock, _lance(self.name):
            try:
                data = self._handle.search().select([HASH]).limit(None).to_arrow()
            except RuntimeError:
                self._checkout_latest()  # the writer's optimize() removed our version's files
                data = self._handle.search().select([HASH]).limit(None).to_arrow()
        return set(data.column(HASH).to_pylist())

    def count(self) -> int:
        """Number of rows."""
        with self._lock, _lance(self.name):
            return int(self._handle.count_rows())

    def delete(self, hashes: Iterable[str]) -> int:
        """Delete the rows of these hashes (vectors no chunk references); return how many."""
        unique = list(dict.fromkeys(hashes))
        deleted = 0
        with self._lock, _lance(self.name):
            for start in range(0, len(unique), _IN_LIST):
                predicate = _in_predicate(unique[start : start + _IN_LIST])
                found = int(self._handle.count_rows(predicate))
                if found:
                    self._handle.delete(predicate)
                    deleted += found
        return deleted

    def refresh(self) -> None:
        """See the commits another process made since this table was opened or refreshed."""
        with self._lock, _lance(self.name):
            self._checkout_latest()

    def optimize(self, older_than: timedelta = timedelta(minutes=1)) -> None:
        """Compact small files and delete versions older than `older_than` (at least 1 ms)."""
        keep = max(older_than, timedelta(milliseconds=1))
        with self._lock, _lance(self.name):
            self._handle.optimize(cleanup_older_than=keep)

    def _current_rows(self) -> _Rows:
        rows = self._rows
        if rows is not None and not self._lock.acquire(blocking=False):
            return rows  # a write is under way: answer from the rows already loaded
        if rows is None:
            self._lock.acquire()
        try:
            if self._rows is None or self._rows.version != self._handle.version:
                try:
                    self._rows = self._load()
                except RuntimeError:
                    self._checkout_latest()  # the writer's optimize() removed our version's files
                    self._rows = self._load()
            return self._rows
        finally:
            self._lock.release()

    def _load(self) -> _Rows:
        version = int(self._handle.version)
        data = self._handle.search().select([HASH, VECTOR]).limit(None).to_arrow()
        matrix = np.empty((data.num_rows, self.dim), dtype=np.float32)
        start = 0
        for chunk in data.column(VECTOR).chunks:
            block = chunk.flatten().to_numpy(zero_copy_only=False).reshape(-1, self.dim)
            norms = np.maximum(np.linalg.norm(block, axis=1, keepdims=True), np.float32(1e-12))
            np.divide(block, norms, out=matrix[start : start + len(block)])
            start += len(block)
        return _Rows(version, matrix, data.column(HASH).combine_chunks())

    def _checkout_latest(self) -> None:
        self._handle.checkout_latest()  # type: ignore[no-untyped-call]

    def _present(self, hashes: list[str]) -> set[str]:
        present: set[str] = set()
        for start in range(0, len(hashes), _IN_LIST):
            predicate = _in_predicate(hashes[start : start + _IN_LIST])
            data = self._handle.search().where(predicate).select([HASH]).limit(None).to_arrow()
            present.update(data.column(HASH).to_pylist())
        return present


def _schema(dim: int) -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            pa.field(HASH, pa.string(), nullable=False),
            pa.field(VECTOR, pa.list_(pa.float32(), dim), nullable=False),
        ]
    )


def _arrow(hashes: list[str], matrix: npt.NDArray[np.float32], dim: int) -> Any:
    import pyarrow as pa

    vectors = pa.FixedSizeListArray.from_arrays(pa.array(matrix.reshape(-1), pa.float32()), dim)
    return pa.Table.from_arrays([pa.array(hashes, pa.string()), vectors], schema=_schema(dim))


def _dim_of(handle: Table) -> int:
    return int(handle.schema.field(VECTOR).type.list_size)


def _in_predicate(hashes: Sequence[str]) -> str:
    quoted = ",".join("'" + digest.replace("'", "''") + "'" for digest in hashes)
    return f"{HASH} IN ({quoted})"
