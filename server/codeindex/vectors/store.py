"""The LanceDB database of a workspace's vectors: a local folder or a shared S3 prefix."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from codeindex.errors import CodeIndexError, VectorStoreUnavailable
from codeindex.vectors.location import StoreLocation
from codeindex.vectors.table import VectorTable, dim_of, lance, schema

if TYPE_CHECKING:
    from lancedb.db import DBConnection


class VectorStore:
    """The tables of every model, created on first write.

    On a shared store (`location.shared`) nothing is ever dropped, set aside or deleted
    by codeindex: another machine may rely on any row. What LanceDB raises there is a
    `VectorStoreUnavailable` that says what to set, never a reason to rebuild.
    """

    def __init__(self, location: StoreLocation | Path) -> None:
        if isinstance(location, Path):
            location = StoreLocation.local(location)
        self.location = location
        self.shared = location.shared
        self.path = location.local_path
        self._db: DBConnection | None = None
        self._tables: dict[str, VectorTable] = {}
        self._lock = threading.Lock()

    @property
    def where(self) -> str:
        """The folder or URI, for people (never credentials: they are not in it)."""
        return self.location.uri

    def table(self, name: str, dim: int) -> VectorTable:
        """Open the table, or create it with vectors of `dim` floats."""
        existing = self.open_table(name)
        if existing is not None:
            if existing.dim != dim:
                raise ValueError(f"vector table {name} holds {existing.dim}-dim vectors, not {dim}")
            return existing
        db = self._connect(create=True)
        assert db is not None
        with self._lock, self._guard(name):
            handle = db.create_table(name, schema=schema(dim), exist_ok=True)
            table = self._tables.setdefault(name, self._wrap(handle, name))
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
        with self._lock, self._guard(name):
            handle = db.open_table(name)
            return self._tables.setdefault(name, self._wrap(handle, name))

    def table_names(self) -> list[str]:
        """Names of the tables in the store."""
        db = self._connect(create=False)
        if db is None:
            return []
        names: list[str] = []
        token: str | None = None
        with self._guard(self.where):
            while True:
                page = db.list_tables(page_token=token)
                names.extend(page.tables)
                token = page.page_token
                if not token:
                    return sorted(names)

    def check(self) -> list[str]:
        """Reach the store (VectorStoreUnavailable when it cannot be) and list its tables."""
        if self.shared:
            with self._lock:
                self._db = None  # connect again: the settings or the store may have changed
            self._connect(create=True)
        return self.table_names()

    def drop_table(self, name: str) -> None:
        """Delete a local table and its files; a missing table is not an error.

        A shared store's tables are never dropped from here.
        """
        if self.shared:
            raise CodeIndexError(
                f"the vector table {name} lives in the shared store {self.where}; codeindex "
                "never drops a shared table (other machines read it)"
            )
        with self._lock:
            self._tables.pop(name, None)
        db = self._connect(create=False)
        if db is not None and name in self.table_names():
            db.drop_table(name)

    def exists(self, name: str) -> bool:
        """Whether the table is there (someone may have deleted `vectors/`)."""
        if self.path is None:
            return name in self.table_names()
        return (self.path / f"{name}.lance").is_dir()

    def set_aside(self, name: str) -> Path | None:
        """Move a damaged local table's folder out of LanceDB's sight (kept, renamed).

        Does nothing on a shared store: what looks damaged from here may be an outage,
        and other machines rely on the table.
        """
        if self.path is None:
            return None
        with self._lock:
            self._tables.pop(name, None)
            self._db = None
        folder = self.path / f"{name}.lance"
        if not folder.exists():
            return None
        aside = self.path / f"{name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}"
        folder.rename(aside)
        return aside

    def _wrap(self, handle: object, name: str) -> VectorTable:
        store = self.location if self.shared else None
        return VectorTable(handle, name, dim_of(handle), store)  # type: ignore[arg-type]

    @contextlib.contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        if not self.shared:
            with lance(what):
                yield
            return
        try:
            yield
        except CodeIndexError:
            raise
        except Exception as exc:
            raise self.location.unavailable(exc) from exc

    def _connect(self, *, create: bool) -> DBConnection | None:
        location = self.location
        if location.problem is not None:
            raise VectorStoreUnavailable(
                f"{location.problem}: set vectors.uri (CODEINDEX_VECTORS_URI) to "
                "s3://bucket/prefix, or leave it empty. Embeddings stay pending meanwhile; "
                "full-text and symbol search work",
                store=location.uri,
            )
        with self._lock:
            if self._db is None:
                path = location.local_path
                if path is not None and not create and not path.is_dir():
                    return None
                import lancedb

                with self._guard(self.where):
                    if path is not None:
                        path.mkdir(parents=True, exist_ok=True)
                        self._db = lancedb.connect(path)
                    else:
                        self._db = lancedb.connect(
                            location.uri, storage_options=dict(location.storage_options)
                        )
            return self._db
