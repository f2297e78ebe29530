"""One file through the pipeline: read -> hash -> parse -> the rows that replace its old ones
(the file's row, its symbols, chunks and references).

Pure work on files, run in a worker thread; the worker decides when and stores the
result.
"""

from __future__ import annotations

import logging
import sys
import time
from bisect import bisect_left
from dataclasses import dataclass, field

from codeindex.config import Settings
from codeindex.embedding.context import (
    chunk_context,
    embed_text,
    keyed_text,
    qualified,
    text_hash,
)
from codeindex.embedding.rules import EmbedRules
from codeindex.faults import crash_point
from codeindex.parser import language_for_path, parse
from codeindex.parser.identifiers import defined_names, split_words
from codeindex.parser.version import parser_version
from codeindex.storage import FileRecord, NewChunk
from codeindex.tasks import Action, Item, ItemOutcome
from codeindex.worker.backlog import Pending
from codeindex.workspace import SkipFile, Source, Workspace

log = logging.getLogger(__name__)

BUDGET_SECONDS = 30.0
BUDGET_BYTES_PER_SECOND = 256 * 1024  # parsing runs at about 15 MB/s: this is far slower


@dataclass(slots=True)
class Parsed:
    """A file read and parsed: the record that replaces its rows."""

    record: FileRecord
    error: str | None


def rules_of(settings: Settings) -> EmbedRules:
    """The rule that says which files are not embedded."""
    return EmbedRules.of(settings.embed_skip_files, settings.embed_skip_patterns)


class Deadline:
    """A file's time budget: one pathological file (minified code, a generated table) is
    reported as skipped, with the reason, instead of holding the only worker for minutes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.until = time.monotonic() + seconds

    @classmethod
    def for_size(cls, size: int) -> Deadline:
        """The budget of a file of `size` bytes: `BUDGET_SECONDS`, plus time for its size."""
        return cls(BUDGET_SECONDS + size / BUDGET_BYTES_PER_SECOND)

    def check(self, path: str) -> None:
        """SkipFile once the budget is spent."""
        if time.monotonic() > self.until:
            log.warning("indexing %s took over %.0f s: skipped", path, self.seconds)
            raise SkipFile(
                f"indexing it took over {self.seconds:.0f} s (the per-file time budget), so it "
                "was skipped and the other files went on; if it is generated or minified, "
                "leave it out with index.excludes or a .codeindexignore"
            )


def read_and_parse(
    workspace: Workspace, settings: Settings, path: str, deadline: Deadline | None = None
) -> Parsed | SkipFile:
    """Read, hash and parse one file; a file that cannot be indexed returns why.

    `deadline`: its time budget (default: `Deadline.for_size` of the file)."""
    try:
        source = workspace.read(path)
        deadline = deadline or Deadline.for_size(source.size)
        return _parsed(source, settings, path, deadline)
    except SkipFile as skip:
        return skip


def _parsed(source: Source, settings: Settings, path: str, deadline: Deadline) -> Parsed:
    language = language_for_path(path)
    result = parse(source.text, language, max_chunk_chars=settings.max_chunk_chars)
    deadline.check(path)
    # where each symbol's name is (line, column): a chunk defines the names inside it, so
    # the chunks of a one-line minified file share its symbols out, not each get them all
    starts = sorted((sym.start_line, sym.start_col, sym.name) for sym in result.symbols)
    where = [(line, col) for line, col, _ in starts]
    by_name = {qualified(sym): sym for sym in reversed(result.symbols)}
    lines = source.text.split("\n")
    chunks = []
    for c in result.chunks:
        deadline.check(path)
        context = chunk_context(result.language, c, by_name, lines)
        lo, hi = c.cols if c.cols is not None else (0, sys.maxsize)
        first, last = bisect_left(where, (c.start_line, lo)), bisect_left(where, (c.end_line, hi))
        defined = starts[first:last]
        chunks.append(
            NewChunk(
                c.start_line,
                c.end_line,
                text_hash(keyed_text(context, c.text)),
                c.symbol,
                c.text,
                split_words(c.text),
                defined_names(name for _, _, name in defined),
                context,
            )
        )
    record = FileRecord(
        path=path,
        language=result.language,
        size=source.size,
        mtime_ns=source.mtime_ns,
        content_hash=source.content_hash,
        index_status="indexed",
        parser_version=parser_version(settings.parser_version_bump),
        error=result.error,
        encoding=source.encoding,
        embed_skip=rules_of(settings).reason(path, source.text, source.size),
        symbols=result.symbols,
        chunks=chunks,
        references=result.references,
    )
    return Parsed(record, result.error)


def unindexed_record(
    workspace: Workspace, settings: Settings, path: str, skip: SkipFile
) -> FileRecord:
    """The row of a file that is skipped or failed, with the reason and no symbols or chunks."""
    stat = workspace.stat(path)
    return FileRecord(
        path=path,
        language=language_for_path(path),
        size=stat.size if stat else 0,
        mtime_ns=stat.mtime_ns if stat else 0,
        content_hash=None,
        index_status="failed" if skip.failure else "skipped",
        parser_version=parser_version(settings.parser_version_bump),
        error=skip.reason,
    )


@dataclass(slots=True)
class Rows:
    """A batch of items read and parsed: the rows to write, the files to delete, and the
    items settled by that alone (deleted, skipped or failed files)."""

    records: list[tuple[Item, FileRecord]] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    done: list[tuple[Item, ItemOutcome]] = field(default_factory=list)
    failed: list[tuple[Item, str]] = field(default_factory=list)


def parse_items(workspace: Workspace, settings: Settings, items: list[Item]) -> Rows:
    """Read and parse a batch of items (index or delete); one bad file never stops the
    batch (invariant 9)."""
    rows = Rows()
    for item in items:
        if item.action is Action.DELETE:
            rows.deletes.append(item.path)
            rows.done.append((item, ItemOutcome()))
    for item in items:
        if item.action is not Action.INDEX:
            continue
        crash_point("parse", item.path)
        try:
            result = read_and_parse(workspace, settings, item.path)
        except Exception as exc:
            log.exception("parsing %s failed", item.path)
            rows.failed.append((item, f"{type(exc).__name__}: {exc}"))
            continue
        if isinstance(result, Parsed):
            rows.records.append((item, result.record))
        elif result.vanished:
            rows.deletes.append(item.path)
            rows.done.append((item, ItemOutcome()))
        else:
            rows.records.append((item, unindexed_record(workspace, settings, item.path, result)))
            if result.failure:
                rows.failed.append((item, result.reason))
            else:
                rows.done.append((item, ItemOutcome()))
    return rows


def texts_to_embed(
    records: list[tuple[Item, FileRecord]], stored: list[tuple[int, int, int]]
) -> list[Pending]:
    """The chunk texts of the files indexed (none for a file not searched by meaning), with
    the outcome of each item: its rows are written (`stored`: file id, symbols, chunks)."""
    pending: list[Pending] = []
    for (item, record), (_, n_symbols, n_chunks) in zip(records, stored, strict=True):
        if record.index_status != "indexed":
            continue
        texts = (
            [(c.content_hash, embed_text(item.path, c.context, c.text)) for c in record.chunks]
            if record.embed_skip is None
            else []
        )
        pending.append((item, ItemOutcome(symbols=n_symbols, chunks=n_chunks), texts, False))
    return pending
