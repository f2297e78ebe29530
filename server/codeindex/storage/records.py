"""The file records storage reads and writes: plain values, no domain types.

A parser's symbol is stored as whatever has the attributes of `SymbolValues` (a reference,
of `ReferenceValues`); the texts
the model embeds are built by the caller from `(hash, context, text)` rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class SymbolValues(Protocol):
    """What is stored of a symbol (the parser's `Symbol` has these attributes)."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def container(self) -> str | None: ...
    @property
    def start_line(self) -> int: ...
    @property
    def start_col(self) -> int: ...
    @property
    def end_line(self) -> int: ...
    @property
    def end_col(self) -> int: ...


class ReferenceValues(Protocol):
    """What is stored of a reference (the parser's `Reference` has these attributes)."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def col(self) -> int: ...
    @property
    def qualifier(self) -> str | None: ...
    @property
    def caller(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class FileRow:
    """A row of `files`."""

    id: int
    path: str
    language: str | None
    size: int
    mtime_ns: int
    content_hash: str | None
    index_status: str
    indexed_at: float
    parser_version: int
    error: str | None
    encoding: str | None  # None: UTF-8 without a byte-order mark
    embed_skip: str | None  # why its chunks get no vectors; None: they do


FILE_COLUMNS = (
    "id, path, language, size, mtime_ns, content_hash, index_status, indexed_at, "
    "parser_version, error, encoding, embed_skip"
)


def file_row(row: Any) -> FileRow:
    """A `files` row read with FILE_COLUMNS."""
    return FileRow(*row)


@dataclass(frozen=True, slots=True)
class NewChunk:
    """A chunk to store, with the hash of its text."""

    start_line: int
    end_line: int
    content_hash: str
    symbol: str | None
    text: str
    words: str = ""  # words of its camel-case identifiers (`identifiers`)
    defines: str = ""  # names of the symbols defined in it, with their words
    context: str = ""  # the header embedded before its text (`context`)


@dataclass(frozen=True, slots=True)
class FileRecord:
    """Everything about one file that replaces its previous rows."""

    path: str
    language: str | None
    size: int
    mtime_ns: int
    content_hash: str | None
    index_status: str
    parser_version: int
    error: str | None
    encoding: str | None = None  # None: UTF-8 without a byte-order mark
    embed_skip: str | None = None  # why its chunks get no vectors (`embed_rules`)
    symbols: Sequence[SymbolValues] = ()
    chunks: Sequence[NewChunk] = ()
    references: Sequence[ReferenceValues] = ()


@dataclass(frozen=True, slots=True)
class ChunkText:
    """A chunk's text to embed: the caller builds what the model sees (`embed_text`)."""

    content_hash: str
    path: str
    context: str | None
    text: str
