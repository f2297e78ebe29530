"""get_index_status: what the index holds, how fresh it is, the model, the queue and the worker.

One part per block of `contract.IndexStatus`: the files, the embeddings (and why some are
pending), the storage's state, the queue and its worker; the watcher's block comes from
`codeindex.watcher.record`.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from codeindex.app.model_state import Stalled, stalled_model
from codeindex.config import Settings
from codeindex.contract import (
    ActiveModel,
    Embeddings,
    EngineHealth,
    FileCounts,
    IndexStatus,
    LocalSource,
    QueueInfo,
    RemoteSource,
    SharedStore,
)
from codeindex.embedding.registry import ModelRegistry
from codeindex.parser.version import parser_version
from codeindex.storage import Storage
from codeindex.storage.meta import LAST_FULL_INDEX, REBUILT, SHARED_HITS, VECTORS_FAILURE
from codeindex.storage.migrate import latest_version
from codeindex.storage.model_rows import ModelRow
from codeindex.tasks import Queue
from codeindex.tasks.model import Lease
from codeindex.tasks.views import iso
from codeindex.vectors.location import location_of
from codeindex.watcher.record import watcher_status
from codeindex.workspace import printable

__all__ = ["index_status"]


async def index_status(
    settings: Settings, storage: Storage, queue: Queue, models: ModelRegistry
) -> IndexStatus:
    """Counts, versions, model, embeddings and queue: the get_index_status capability."""
    files = await _files(storage)
    storage_note = await _storage_note(storage)
    lease = await queue.live_lease()
    embeddings = await _embeddings(settings, storage, models, queue)
    last_full = await storage.meta.get(LAST_FULL_INDEX)
    db_bytes = sum(p.stat().st_size for p in settings.data_dir.glob("index.db*") if p.is_file())
    return {
        "workspace": printable(str(settings.root)),
        "data_dir": printable(str(settings.data_dir)),
        "data_dir_bytes": db_bytes + embeddings["vectors_bytes"],
        "storage_note": storage_note,
        "schema_version": latest_version(),
        "parser_version": parser_version(settings.parser_version_bump),
        "files": files,
        "symbols": await storage.count_symbols(),
        "chunks": await storage.count_chunks(),
        "last_full_index_at": iso(last_full),
        "embeddings": embeddings,
        "watcher": await watcher_status(storage, lease.owner if lease else None),
        "queue": await _queue(queue, lease),
    }


async def _files(st: Storage) -> FileCounts:
    """Files by status, language and encoding; those with syntax errors or not indexed."""
    by_status = await st.files_by_status()
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_language": await st.files_by_language(),
        "by_encoding": await st.files_by_encoding(),
        "with_syntax_errors": await st.count_with_syntax_errors(),
        "syntax_errors": [
            {"path": path, "reason": reason} for path, reason in await st.with_syntax_errors()
        ],
        "not_indexed": [
            {"path": path, "status": status, "reason": reason}
            for path, status, reason in await st.not_indexed()
        ],
    }


async def _storage_note(st: Storage) -> str | None:
    """Why the index is read-only, or that it was found damaged and rebuilt."""
    rebuilt = await st.meta.get(REBUILT)
    if rebuilt is not None:
        return (
            f"the index was found damaged and rebuilt at {iso(rebuilt.at)}; the damaged file "
            f"is kept as {rebuilt.aside}"
        )
    return None if st.writable else "read-only: reading works, changes are refused"


async def _queue(queue: Queue, lease: Lease | None) -> QueueInfo:
    """Tasks by status, items left, and the worker that holds the lease."""
    return {
        "tasks_by_status": await queue.counts_by_status(),
        "items_left": await queue.items_left(),
        "worker": None
        if lease is None
        else {
            "owner": lease.owner,
            "pid": lease.pid,
            "host": lease.hostname,
            "renewed_at": iso(lease.renewed_at),
        },
    }


async def _embeddings(
    settings: Settings, st: Storage, models: ModelRegistry, queue: Queue
) -> Embeddings:
    """Chunks embedded and pending (and why), the model, where vectors are and come from."""
    active = await models.active()
    stalled = await stalled_model(st, queue, models)
    total, pending = await st.pending_counts(active.id if active else None)
    shared = await _shared_store(settings, st)
    vectors_bytes = 0 if shared else await asyncio.to_thread(_folder_size, settings.vectors_path)
    source = await _source(settings, models)
    return {
        "active_model": _active_model(active),
        "chunks_total": total,
        "chunks_embedded": total - pending,
        "chunks_pending": pending,
        "pending_reason": await _pending_reason(models, active, shared, source, pending, stalled),
        "not_embedding": None if stalled is None else stalled.describe(),
        "vectors_bytes": vectors_bytes,
        "vectors_location": shared["uri"] if shared else printable(str(settings.vectors_path)),
        "shared_store": shared,
        "configured_model": settings.embed_model,
        "configured_model_path": (
            str(settings.embed_model_path) if settings.embed_model_path else None
        ),
        "files_not_embedded": await st.files_not_embedded(),
        "source": source,
    }


def _active_model(active: ModelRow | None) -> ActiveModel | None:
    if active is None:
        return None
    return {
        "name": active.name,
        "dim": active.dim,
        "fingerprint": active.fingerprint,
        "source": active.source,
        "table": active.table_name,
    }


async def _pending_reason(
    models: ModelRegistry,
    active: ModelRow | None,
    shared: SharedStore | None,
    source: LocalSource | RemoteSource,
    pending: int,
    stalled: Stalled | None,
) -> str | None:
    """Why chunks wait for vectors: a model that failed, the store, the engine, the worker."""
    failure = await models.remembered_failure()
    engine = source["health"] if source["provider"] == "openai" else None
    if failure is not None:
        return f"{failure.reason}. {failure.hint}"
    if shared and shared["error"]:
        return shared["error"]
    if pending and engine is not None and not engine["answering"]:
        return (
            f"embeddings pending: {engine['last_error']}; they are embedded when the "
            "engine answers again"
        )
    if pending and stalled is not None:
        return stalled.describe()
    if pending and active is None:
        return "no model has been loaded yet"
    if pending:
        return "waiting for the worker"
    return None


def _folder_size(path: Path) -> int:
    total = 0
    if not path.exists():
        return 0
    for entry in path.rglob("*"):
        with contextlib.suppress(OSError):
            if entry.is_file():
                total += entry.stat().st_size
    return total


async def _shared_store(settings: Settings, storage: Storage) -> SharedStore | None:
    """Where a shared store is, its last failure, and the share of texts found in it on the
    last embedding run (None for a local store)."""
    if not settings.vectors_uri.strip():
        return None
    location = location_of(settings)
    uri = location.uri
    problem = location.unavailable(location.problem).message if location.problem else None
    shared: SharedStore = {"uri": uri, "error": problem, "last_run": None}
    failure = await storage.meta.get(VECTORS_FAILURE)
    if failure is not None and failure.uri == uri and location.problem is None:
        shared["error"] = failure.reason
    hits = await storage.meta.get(SHARED_HITS)
    if hits is not None and hits.uri == uri:
        shared["last_run"] = {
            "texts_looked_up": hits.looked_up,
            "texts_found": hits.hits,
            "texts_embedded": hits.embedded,
            "at": iso(hits.at),
        }
    return shared


async def _source(settings: Settings, models: ModelRegistry) -> LocalSource | RemoteSource:
    """Where embeddings come from: the local model, or the remote engine and its health."""
    if models.remote is None:
        return {"provider": "local", "model": settings.embed_model, "note": await models.note()}
    health = await models.engine_health()
    if health is not None and health.endpoint != models.remote.endpoint:
        health = None  # recorded for an engine the settings no longer name
    shown: EngineHealth | None = None
    if health is not None:
        success = health.last_success_at or 0.0
        failure = health.last_failure_at or 0.0
        shown = {
            "answering": success > failure,
            "last_success_at": iso(success) if success else None,
            "last_failure_at": iso(failure) if failure else None,
            "last_error": health.last_error,
        }
    return {
        "provider": "openai",
        "url": models.remote.endpoint,
        "model": models.remote.model,
        "api_key_env": models.remote.api_key_env or None,
        "health": shown,
    }
