"""get_index_status: what the index holds, how fresh it is, the model, the queue and the worker."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from codeindex.config import Settings
from codeindex.embedding.registry import ModelRegistry
from codeindex.parser.version import parser_version
from codeindex.storage import Storage
from codeindex.storage.meta import LAST_FULL_INDEX, REBUILT, SHARED_HITS, VECTORS_FAILURE
from codeindex.storage.migrate import latest_version
from codeindex.tasks import Queue
from codeindex.tasks.views import iso
from codeindex.vectors.location import location_of
from codeindex.watcher.record import watcher_status
from codeindex.workspace import printable

__all__ = ["index_status", "iso"]


def _folder_size(path: Path) -> int:
    total = 0
    if not path.exists():
        return 0
    for entry in path.rglob("*"):
        with contextlib.suppress(OSError):
            if entry.is_file():
                total += entry.stat().st_size
    return total


async def _shared_store(settings: Settings, storage: Storage) -> dict[str, Any] | None:
    """Where a shared store is, its last failure, and the share of texts found in it on the
    last embedding run (None for a local store)."""
    if not settings.vectors_uri.strip():
        return None
    location = location_of(settings)
    uri = location.uri
    problem = location.unavailable(location.problem).message if location.problem else None
    shared: dict[str, Any] = {"uri": uri, "error": problem, "last_run": None}
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


async def _source(settings: Settings, models: ModelRegistry) -> dict[str, Any]:
    """Where embeddings come from: the local model, or the remote engine and its health."""
    if models.remote is None:
        return {"provider": "local", "model": settings.embed_model}
    health = await models.engine_health()
    if health is not None and health.endpoint != models.remote.endpoint:
        health = None  # recorded for an engine the settings no longer name
    shown = None
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


async def index_status(
    settings: Settings, storage: Storage, queue: Queue, models: ModelRegistry
) -> dict[str, Any]:
    """Counts, versions, model, embeddings and queue: the get_index_status capability."""
    st = storage
    by_status = await st.files_by_status()
    by_language = await st.files_by_language()
    problems = [
        {"path": path, "status": status, "reason": reason}
        for path, status, reason in await st.not_indexed()
    ]
    syntax_errors = await st.count_with_syntax_errors()
    last_full = await st.meta.get(LAST_FULL_INDEX)
    rebuilt = await st.meta.get(REBUILT)
    storage_note = None if st.writable else "read-only: reading works, changes are refused"
    if rebuilt is not None:
        storage_note = (
            f"the index was found damaged and rebuilt at {iso(rebuilt.at)}; the damaged file "
            f"is kept as {rebuilt.aside}"
        )
    lease = await queue.live_lease()
    active = await models.active()
    failure = await models.remembered_failure()
    total, pending = await st.pending_counts(active.id if active else None)
    shared = await _shared_store(settings, st)
    vectors_bytes = 0 if shared else await asyncio.to_thread(_folder_size, settings.vectors_path)
    vectors: dict[str, Any] = {
        "active_model": None,
        "chunks_total": total,
        "chunks_embedded": total - pending,
        "chunks_pending": pending,
        "pending_reason": None,
        "vectors_bytes": vectors_bytes,
        "vectors_location": shared["uri"] if shared else printable(str(settings.vectors_path)),
        "shared_store": shared,
        "configured_model": settings.embed_model,
        "configured_model_path": (
            str(settings.embed_model_path) if settings.embed_model_path else None
        ),
        "files_not_embedded": await st.files_not_embedded(),
        "source": await _source(settings, models),
    }
    if active is not None:
        vectors["active_model"] = {
            "name": active.name,
            "dim": active.dim,
            "fingerprint": active.fingerprint,
            "source": active.source,
            "table": active.table_name,
        }
    engine = vectors["source"].get("health") or {}
    engine_down = engine.get("answering") is False
    if failure is not None:
        vectors["pending_reason"] = f"{failure.reason}. {failure.hint}"
    elif shared and shared["error"]:
        vectors["pending_reason"] = shared["error"]
    elif pending and engine_down:
        vectors["pending_reason"] = (
            f"embeddings pending: {engine.get('last_error')}; they are embedded when the "
            "engine answers again"
        )
    elif pending and active is None:
        vectors["pending_reason"] = "no model has been loaded yet"
    elif pending:
        vectors["pending_reason"] = "waiting for the worker"
    db_bytes = sum(p.stat().st_size for p in settings.data_dir.glob("index.db*") if p.is_file())
    return {
        "workspace": printable(str(settings.root)),
        "data_dir": printable(str(settings.data_dir)),
        "data_dir_bytes": db_bytes + vectors["vectors_bytes"],
        "storage_note": storage_note,
        "schema_version": latest_version(),
        "parser_version": parser_version(settings.parser_version_bump),
        "files": {
            "total": sum(by_status.values()),
            "by_status": by_status,
            "by_language": by_language,
            "by_encoding": await st.files_by_encoding(),
            "with_syntax_errors": syntax_errors,
            "syntax_errors": [
                {"path": path, "reason": reason} for path, reason in await st.with_syntax_errors()
            ],
            "not_indexed": problems,
        },
        "symbols": await st.count_symbols(),
        "chunks": await st.count_chunks(),
        "last_full_index_at": iso(last_full),
        "embeddings": vectors,
        "watcher": await watcher_status(st, lease.owner if lease else None),
        "queue": {
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
        },
    }
