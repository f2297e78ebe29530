"""get_index_status: what the index holds, how fresh it is, the model, the queue and the worker."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codeindex.migrate import latest_version
from codeindex.pipeline import parser_version
from codeindex.workspace import printable

if TYPE_CHECKING:
    from codeindex.service import CodeIndexService


def iso(ts: float | None) -> str | None:
    """Unix seconds to an ISO-8601 UTC string."""
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def _folder_size(path: Path) -> int:
    total = 0
    if not path.exists():
        return 0
    for entry in path.rglob("*"):
        with contextlib.suppress(OSError):
            if entry.is_file():
                total += entry.stat().st_size
    return total


async def index_status(service: CodeIndexService) -> dict[str, Any]:
    """Counts, versions, model, embeddings and queue: the get_index_status capability."""
    st = service.storage
    by_status = {
        str(r[0]): int(r[1])
        for r in await st.fetchall("SELECT index_status, count(*) FROM files GROUP BY index_status")
    }
    by_language = {
        str(r[0] or "text"): int(r[1])
        for r in await st.fetchall(
            "SELECT language, count(*) FROM files WHERE index_status = 'indexed' "
            "GROUP BY language ORDER BY count(*) DESC"
        )
    }
    problems = [
        {"path": str(r[0]), "status": str(r[1]), "reason": str(r[2])}
        for r in await st.fetchall(
            "SELECT path, index_status, error FROM files WHERE index_status != 'indexed' "
            "ORDER BY path LIMIT 50"
        )
    ]
    syntax_errors = int(
        await st.scalar(
            "SELECT count(*) FROM files WHERE index_status = 'indexed' AND error IS NOT NULL"
        )
        or 0
    )
    last_full = await st.get_meta("last_full_index_at")
    lease = await service.queue.live_lease()
    active = await service.models.active()
    failure = await service.models.remembered_failure()
    total, pending = await st.pending_counts(active.id if active else None)
    vectors: dict[str, Any] = {
        "active_model": None,
        "chunks_total": total,
        "chunks_embedded": total - pending,
        "chunks_pending": pending,
        "pending_reason": None,
        "vectors_bytes": await asyncio.to_thread(_folder_size, service.settings.vectors_path),
        "configured_model": service.settings.embed_model,
        "configured_model_path": (
            str(service.settings.embed_model_path) if service.settings.embed_model_path else None
        ),
    }
    if active is not None:
        vectors["active_model"] = {
            "name": active.name,
            "dim": active.dim,
            "fingerprint": active.fingerprint,
            "source": active.source,
            "table": active.table_name,
        }
    if failure is not None:
        vectors["pending_reason"] = f"{failure.reason}. {failure.hint}"
    elif pending and active is None:
        vectors["pending_reason"] = "no model has been loaded yet"
    elif pending:
        vectors["pending_reason"] = "waiting for the worker"
    db_bytes = sum(
        p.stat().st_size for p in service.settings.data_dir.glob("index.db*") if p.is_file()
    )
    return {
        "workspace": printable(str(service.settings.root)),
        "data_dir": printable(str(service.settings.data_dir)),
        "data_dir_bytes": db_bytes + vectors["vectors_bytes"],
        "schema_version": latest_version(),
        "parser_version": parser_version(service.settings),
        "files": {
            "total": sum(by_status.values()),
            "by_status": by_status,
            "by_language": by_language,
            "by_encoding": await st.files_by_encoding(),
            "with_syntax_errors": syntax_errors,
            "not_indexed": problems,
        },
        "symbols": int(await st.scalar("SELECT count(*) FROM symbols") or 0),
        "chunks": int(await st.scalar("SELECT count(*) FROM chunks") or 0),
        "last_full_index_at": iso(float(last_full)) if last_full else None,
        "embeddings": vectors,
        "queue": {
            "tasks_by_status": await service.queue.counts_by_status(),
            "items_left": await service.queue.items_left(),
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
