"""Small builders of the values the storage and queue tests store: files, chunks, tasks."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from codeindex.storage import FileRecord, NewChunk, Storage
from codeindex.tasks import Action, Item, ItemOutcome, PlannedItem, Priority, Queue, Scope, Task


@dataclass(frozen=True, slots=True)
class Sym:
    """A symbol as storage takes it: plain values, no parser."""

    name: str
    kind: str = "function"
    container: str | None = None
    start_line: int = 1
    start_col: int = 0
    end_line: int = 2
    end_col: int = 0


def digest(text: str) -> str:
    """The content hash of a chunk's text."""
    return hashlib.sha256(text.encode()).hexdigest()


def chunk(text: str, *, symbol: str | None = None, line: int = 1, **extra: str) -> NewChunk:
    """A chunk of one line range, keyed by the hash of its text."""
    return NewChunk(line, line + text.count("\n"), digest(text), symbol, text, **extra)


def record(
    path: str,
    *texts: str,
    symbols: Sequence[Sym] = (),
    language: str | None = "python",
    status: str = "indexed",
    error: str | None = None,
    size: int = 10,
    encoding: str | None = None,
    embed_skip: str | None = None,
) -> FileRecord:
    """The record of a file with one chunk per text."""
    return FileRecord(
        path=path,
        language=language,
        size=size,
        mtime_ns=1,
        content_hash=digest("".join(texts)) if status == "indexed" else None,
        index_status=status,
        parser_version=1,
        error=error,
        encoding=encoding,
        embed_skip=embed_skip,
        symbols=symbols,
        chunks=[chunk(t, line=1 + 10 * i) for i, t in enumerate(texts)],
    )


async def store(storage: Storage, *records: FileRecord) -> None:
    """Store these files, each replacing its previous rows."""
    await storage.apply_files(records, [])


async def create(
    queue: Queue,
    paths: Sequence[str],
    *,
    priority: Priority = Priority.NORMAL,
    scope: Scope = Scope.FILES,
    action: Action = Action.INDEX,
    seconds: float = 1.0,
    embed_chars: float | None = None,
    message: str = "queued",
) -> Task:
    """A task over these files, as the planner would queue it: `seconds` estimated a file,
    `embed_chars` each leaves to embed when known."""
    return await queue.create(
        scope=scope,
        target_paths=list(paths),
        recursive=True,
        embeddings_only=action is Action.EMBED,
        incremental=False,
        priority=priority,
        items=[PlannedItem(p, action, len(p), "python", embed_chars=embed_chars) for p in paths],
        model_id=None,
        estimate=seconds * len(paths),
        message=message,
    )


async def complete(queue: Queue, items: Sequence[Item], owner: str | None = None) -> list[str]:
    """Finish claimed items as done (one symbol, two chunks, three embeddings each)."""
    outcome = ItemOutcome(symbols=1, chunks=2, embeddings=3)
    return await queue.finish_items([(i, outcome) for i in items], fence=owner)


def dead_pid() -> int:
    """The pid of a process of this host that has exited."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid
