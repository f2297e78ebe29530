"""One model's vectors: rows of (content hash, vector) in a LanceDB table.

Queries do not use LanceDB's own flat search: on this kind of machine it takes 14-40 ms
for 30,000 rows of 384 dims, while a dot product over the same rows in numpy takes about
1 ms. So a table keeps its rows as a normalized float32 matrix, read from LanceDB on the
first search and again whenever the table version it sees has changed. Two machines
appending the same text at once to a shared table may both write its row: rows are
deduplicated by hash when they are loaded.

All methods are synchronous; callers run them in threads. One writer thread and any
number of searching threads may share a `VectorTable`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from codeindex.errors import CodeIndexError, VectorsDamaged

if TYPE_CHECKING:
    from lancedb.table import Table

    from codeindex.vectors.location import StoreLocation


@contextlib.contextmanager
def lance(what: str) -> Iterator[None]:
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


@dataclass(frozen=True, slots=True)
class _Rows:
    """The rows of one table version, ready for a dot product."""

    version: int
    matrix: npt.NDArray[np.float32]
    hashes: Any


class VectorTable:
    """One model's vectors: rows of (content hash, vector).

    With `store` (a shared store's location) the table is append-only from here: `delete`
    is refused, and what LanceDB raises is a `VectorStoreUnavailable` saying what to set.
    """

    LOOKUP_REFRESH_SECONDS = 2.0
    ADD_ATTEMPTS = 4

    def __init__(
        self, handle: Table, name: str, dim: int, store: StoreLocation | None = None
    ) -> None:
        self.name = name
        self.dim = dim
        self.store = store
        self._handle = handle
        self._rows: _Rows | None = None
        self._lock = threading.Lock()
        self._known: set[str] = set()  # hashes seen in a shared table (rows never go)
        self._known_version = -1
        self._looked_at = 0.0

    @property
    def shared(self) -> bool:
        """Whether other machines read and append to this table."""
        return self.store is not None

    def add(self, hashes: Sequence[str], vectors: npt.NDArray[np.float32]) -> None:
        """Append the rows whose hash is not in the table yet, in one commit.

        On a shared table a commit another machine won is retried (Lance rebases an
        append onto a concurrent append; a few attempts cover a busy team).
        """
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
        with self._lock, self._guard():
            for attempt in range(self.ADD_ATTEMPTS if self.shared else 1):
                try:
                    if self.shared:
                        self._checkout_latest()
                    present = self._present(list(first))
                    keep = [index for digest, index in first.items() if digest not in present]
                    if keep:
                        self._handle.add(_arrow([hashes[i] for i in keep], matrix[keep], self.dim))
                    break
                except Exception:
                    if attempt + 1 >= (self.ADD_ATTEMPTS if self.shared else 1):
                        raise
                    time.sleep(0.2 * 2**attempt)
            if self.shared:
                self._known.update(first)

    def lookup(self, hashes: Iterable[str]) -> set[str]:
        """Which of these hashes have a row, after seeing other machines' recent appends.

        The hashes of a shared table are read once and again only when its version moved
        (rows are never deleted there, so what was seen stays true).
        """
        wanted = set(hashes)
        if not wanted:
            return set()
        with self._lock, self._guard():
            if time.monotonic() - self._looked_at >= self.LOOKUP_REFRESH_SECONDS:
                self._checkout_latest()
                self._looked_at = time.monotonic()
            version = int(self._handle.version)
            if version != self._known_version:
                data = self._handle.search().select([HASH]).limit(None).to_arrow()
                self._known.update(data.column(HASH).to_pylist())
                self._known_version = version
            return wanted & self._known

    def search(self, vector: npt.NDArray[np.float32], limit: int) -> list[tuple[str, float]]:
        """The `limit` nearest rows as (hash, cosine similarity), best first."""
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        if query.shape[0] != self.dim:
            raise ValueError(f"expected a {self.dim}-dim query vector, got {query.shape[0]}")
        with self._guard():
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
        with self._lock, self._guard():
            try:
                data = self._handle.search().select([HASH]).limit(None).to_arrow()
            except RuntimeError:
                self._checkout_latest()  # the writer's optimize() removed our version's files
                data = self._handle.search().select([HASH]).limit(None).to_arrow()
        found = set(data.column(HASH).to_pylist())
        if self.shared:
            self._known.update(found)
        return found

    def count(self) -> int:
        """Number of rows."""
        with self._lock, self._guard():
            return int(self._handle.count_rows())

    def delete(self, hashes: Iterable[str]) -> int:
        """Delete the rows of these hashes (vectors no chunk references); return how many."""
        if self.shared:
            raise CodeIndexError(
                f"rows of the shared vector table {self.name} are never deleted: other "
                "machines may rely on them"
            )
        unique = list(dict.fromkeys(hashes))
        deleted = 0
        with self._lock, self._guard():
            for start in range(0, len(unique), _IN_LIST):
                predicate = _in_predicate(unique[start : start + _IN_LIST])
                found = int(self._handle.count_rows(predicate))
                if found:
                    self._handle.delete(predicate)
                    deleted += found
        return deleted

    def refresh(self) -> None:
        """See the commits another process (or machine) made since the last refresh."""
        with self._lock, self._guard():
            self._checkout_latest()

    def optimize(self, older_than: timedelta = timedelta(minutes=1)) -> None:
        """Compact small files and delete versions older than `older_than` (at least 1 ms)."""
        keep = max(older_than, timedelta(milliseconds=1))
        with self._lock, self._guard():
            self._handle.optimize(cleanup_older_than=keep)

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        if self.store is None:
            with lance(self.name):
                yield
            return
        try:
            yield
        except CodeIndexError:
            raise
        except Exception as exc:
            raise self.store.unavailable(exc) from exc

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
        import pyarrow.compute as pc

        version = int(self._handle.version)
        data = self._handle.search().select([HASH, VECTOR]).limit(None).to_arrow()
        if pc.count_distinct(data.column(HASH)).as_py() != data.num_rows:
            _, first = np.unique(
                np.asarray(data.column(HASH).to_pylist(), dtype=object), return_index=True
            )
            data = data.take(np.sort(first))
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


def schema(dim: int) -> Any:
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
    return pa.Table.from_arrays([pa.array(hashes, pa.string()), vectors], schema=schema(dim))


def dim_of(handle: Table) -> int:
    return int(handle.schema.field(VECTOR).type.list_size)


def _in_predicate(hashes: Sequence[str]) -> str:
    quoted = ",".join("'" + digest.replace("'", "''") + "'" for digest in hashes)
    return f"{HASH} IN ({quoted})"
