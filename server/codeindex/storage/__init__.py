"""index.db through aiosqlite: every SQL statement of codeindex, one small method per query.

`Storage` is one `Database` (`db`: the connections, WAL, `transaction(fence=)`) and the
repositories that hold it, one per concern: `files` (files, symbols, chunks, references),
`code` (a file's symbols and lines, definitions and references by name), `embedded`
(which texts have vectors), `search` (full-text and symbol look-ups), `stats` (counts and
checks), `models` (model rows), `meta` (typed records, `meta`), and the queue's rows
(`task_rows`, `item_rows`, `lease_rows`, `client_rows`) that `tasks.Queue` drives. The
methods the rest of the code calls are bound on `Storage` by their names, so a caller needs
one object; each is defined, with its SQL, in its repository. Storage imports nothing of the
domain: records carry plain values, and callers build what they need from them (the text a
model embeds, say).
"""

from __future__ import annotations

import time
from pathlib import Path

from codeindex.storage.client_rows import ClientRows
from codeindex.storage.code_sql import CodeQueries
from codeindex.storage.db import Database, LeaseLost
from codeindex.storage.embedded import Embedded
from codeindex.storage.files import Files
from codeindex.storage.item_rows import ItemRows
from codeindex.storage.lease_rows import LeaseRows
from codeindex.storage.meta import REBUILT, Meta, Rebuilt
from codeindex.storage.model_rows import ModelRows
from codeindex.storage.records import ChunkText, FileRecord, FileRow, NewChunk
from codeindex.storage.search_sql import SearchQueries
from codeindex.storage.stats import Stats
from codeindex.storage.task_rows import TaskRows

__all__ = ["ChunkText", "FileRecord", "FileRow", "LeaseLost", "NewChunk", "Storage"]


class Storage:
    """The index database of one workspace and its repositories."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.path = db.path
        self.transaction = db.transaction
        self.fetchall = db.fetchall
        self.fetchone = db.fetchone
        self.scalar = db.scalar
        self.close = db.close
        self.reclaim_space = db.reclaim_space
        self.data_version = db.data_version
        self.meta = Meta(db)
        self.task_rows = TaskRows(db)
        self.item_rows = ItemRows(db)
        self.lease_rows = LeaseRows(db)
        self.client_rows = ClientRows(db)
        self.code = CodeQueries(db)
        self._bind_files(Files(db), Embedded(db))
        self._bind_queries(SearchQueries(db), Stats(db), ModelRows(db))

    def _bind_files(self, files: Files, embedded: Embedded) -> None:
        self.files = files
        self.embedded = embedded
        self.get_file = files.get_file
        self.files_under = files.files_under
        self.files_not_embedded = files.files_not_embedded
        self.files_by_encoding = files.files_by_encoding
        self.apply_files = files.apply_files
        self.touch_file = files.touch_file
        self.chunk_texts_of = files.chunk_texts_of
        self.embedded_among = embedded.embedded_among
        self.mark_embedded = embedded.mark_embedded
        self.forget_embedded = embedded.forget_embedded
        self.forget_all_embedded = embedded.forget_all_embedded
        self.unreferenced_embedded = embedded.unreferenced_embedded
        self.pending_counts = embedded.pending_counts
        self.embedded_hashes = embedded.embedded_hashes

    def _bind_queries(self, search: SearchQueries, stats: Stats, models: ModelRows) -> None:
        self.search = search
        self.stats = stats
        self.models = models
        self.match_chunks = search.match_chunks
        self.chunks_with_hashes = search.chunks_with_hashes
        self.symbols_named = search.symbols_named
        self.symbol_names = search.symbol_names
        self.recorded_stats = search.recorded_stats
        self.languages = search.languages
        self.symbol_kinds = search.symbol_kinds
        self.not_embedded_among = search.not_embedded_among
        self.count_files = stats.count_files
        self.files_by_status = stats.files_by_status
        self.files_by_language = stats.files_by_language
        self.not_indexed = stats.not_indexed
        self.with_syntax_errors = stats.with_syntax_errors
        self.count_with_syntax_errors = stats.count_with_syntax_errors
        self.count_symbols = stats.count_symbols
        self.count_chunks = stats.count_chunks
        self.count_fts_rows = stats.count_fts_rows
        self.orphans = stats.orphans
        self.quick_check = stats.quick_check
        self.fts_consistent = stats.fts_consistent
        self.embed_chars_left = stats.embed_chars_left
        self.task_items_unparsed = stats.task_items_unparsed
        self.distinct_chunk_texts = stats.distinct_chunk_texts
        self.indexed_files_in = stats.indexed_files_in
        self.definition_lines = stats.definition_lines
        self.paths_with_rows = stats.paths_with_rows
        self.has_files_under = stats.has_files_under
        self.register_model = models.register_model
        self.model = models.model

    @classmethod
    async def open(cls, path: Path, *, create: bool = True) -> Storage:
        """Open the database at `path`: creating and migrating it as needed (`create`), or
        only when it exists; read-only when it cannot be written (see `opening`)."""
        storage = cls(await Database.open(path, create=create))
        aside = storage.db.opened.set_aside
        if aside is not None:
            await storage.meta.set(REBUILT, Rebuilt(time.time(), str(aside)))
        return storage

    @property
    def writable(self) -> bool:
        """False on read-only storage: reads work, writes raise IndexUnusable."""
        return self.db.writable
