"""validate_index: what is wrong with the index, and the reindex scope that fixes each problem."""

from __future__ import annotations

import asyncio
from typing import Any

from codeindex.config import Settings
from codeindex.errors import VectorsDamaged, VectorStoreUnavailable
from codeindex.models import ModelManager
from codeindex.pipeline import parser_version
from codeindex.planner import changed_files
from codeindex.remote_embedder import ModelUnavailable, RemoteEmbedder
from codeindex.storage import Storage
from codeindex.tasks import Queue
from codeindex.vectors import VectorStore
from codeindex.workspace import Workspace


def _problem(
    kind: str, detail: str, scope: str, fix_paths: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    fix: dict[str, Any] = {"scope": scope}
    if fix_paths:
        fix["paths"] = fix_paths
    return {"kind": kind, "detail": detail, "fix": fix, **extra}


def _fix_for(paths: list[str]) -> tuple[str, list[str]]:
    if len(paths) == 1:
        return "file", paths
    return "files", paths


async def _vector_problems(
    st: Storage, queue: Queue, models: ModelManager, vectors: VectorStore
) -> list[dict[str, Any]]:
    """The store reachable (a shared one), the active model's table readable, of the model's
    dimension, holding every vector SQLite records; and no chunk pending embedding without
    a task that will embed it."""
    active = await models.active()
    try:
        if vectors.shared:
            await asyncio.to_thread(vectors.check)
        if active is None:
            return []
        table = await asyncio.to_thread(vectors.open_table, active.table_name)
        if table is not None:
            await asyncio.to_thread(table.refresh)
        present = set() if table is None else await asyncio.to_thread(table.hashes)
    except VectorStoreUnavailable as exc:
        return [_problem("vector_store", exc.message, "embeddings-only", store=vectors.where)]
    except VectorsDamaged as exc:
        return [_problem("vectors_damaged", str(exc), "embeddings-only")]
    found: list[dict[str, Any]] = []
    if table is not None and table.dim != active.dim:
        return [
            _problem(
                "vectors_model",
                f"the vector table {active.table_name} in {vectors.where} holds {table.dim}-dim "
                f"vectors, but model {active.name} makes {active.dim}-dim ones",
                "embeddings-only",
            )
        ]
    missing = set(await st.embedded_hashes(active.id)) - present
    if missing:
        found.append(
            _problem(
                "vectors",
                f"{len(missing)} vector(s) of model {active.name} are missing from LanceDB",
                "embeddings-only",
            )
        )
    _, pending = await st.pending_counts(active.id)
    if (
        pending
        and not missing
        and not await queue.count_unfinished()
        and await models.remembered_failure() is None
    ):
        found.append(
            _problem(
                "pending",
                f"{pending} chunk text(s) have no vector of model {active.name} and no task "
                "will embed them",
                "embeddings-only",
            )
        )
    return found


async def _engine_problems(models: ModelManager) -> list[dict[str, Any]]:
    """A remote engine must answer a probe with the key the settings name."""
    if models.remote is None:
        return []
    remote = models.remote

    def probe() -> None:
        embedder = RemoteEmbedder(remote)
        try:
            embedder.probe()
        finally:
            embedder.close()

    try:
        await asyncio.to_thread(probe)
    except ModelUnavailable as exc:
        return [
            _problem(
                "embedding_engine",
                f"{exc.reason}; {exc.hint}; once it answers, this fills the pending embeddings",
                "embeddings-only",
            )
        ]
    return []


async def validate_index(
    settings: Settings,
    storage: Storage,
    workspace: Workspace,
    models: ModelManager,
    vectors: VectorStore,
    queue: Queue,
) -> dict[str, Any]:
    """Integrity, disk drift, orphans, FTS sync, parser versions and vectors."""
    st = storage
    problems: list[dict[str, Any]] = []

    messages = await st.quick_check()
    if messages:
        problems.append(_problem("integrity", "; ".join(messages[:5]), "project"))

    rows = {r.path: r for r in await st.files_under("")}
    scan = await asyncio.to_thread(workspace.scan, "")
    on_disk = {e.path: e for e in scan.files}
    deleted = sorted(set(rows) - set(on_disk))
    new = sorted(set(on_disk) - set(rows))
    version = parser_version(settings)
    suspects = [
        e
        for p, e in on_disk.items()
        if p in rows and (rows[p].size, rows[p].mtime_ns) != (e.size, e.mtime_ns)
    ]
    changed, _ = await changed_files(
        st,
        workspace,
        suspects,
        {e.path: rows[e.path] for e in suspects},
        None,
        touch=False,
    )
    if deleted:
        scope, paths = _fix_for(deleted)
        problems.append(
            _problem(
                "deleted",
                f"{len(deleted)} indexed file(s) no longer on disk",
                scope,
                paths,
                paths=deleted,
            )
        )
    if new:
        scope, paths = _fix_for(new)
        problems.append(
            _problem("new", f"{len(new)} file(s) on disk not indexed", scope, paths, paths=new)
        )
    if changed:
        changed_paths = [e.path for e in changed]
        scope, paths = _fix_for(changed_paths)
        problems.append(
            _problem(
                "changed",
                f"{len(changed_paths)} file(s) changed since indexed",
                scope,
                paths,
                paths=changed_paths,
            )
        )
    old = sorted(p for p, r in rows.items() if r.parser_version != version and p in on_disk)
    if old:
        problems.append(
            _problem(
                "parser_version",
                f"{len(old)} file(s) indexed by parser version other than {version}",
                "project",
                paths=old[:50],
            )
        )
    failed = sorted(p for p, r in rows.items() if r.index_status == "failed" and p in on_disk)
    if failed:
        scope, paths = _fix_for(failed)
        problems.append(
            _problem(
                "failed",
                f"{len(failed)} file(s) failed to index",
                scope,
                paths,
                paths=failed,
                reasons={p: rows[p].error for p in failed[:50]},
            )
        )

    orphan_symbols, orphan_chunks = await st.orphans()
    if orphan_symbols or orphan_chunks:
        problems.append(
            _problem(
                "orphans",
                f"{orphan_symbols} symbol and {orphan_chunks} chunk row(s) belong to no file",
                "project",
            )
        )

    fts_rows = await st.count_fts_rows()
    chunk_rows = await st.count_chunks()
    # FTS5's check is a write statement: on read-only storage only the counts are compared
    fts_ok = fts_rows == chunk_rows and (not st.writable or await st.fts_consistent())
    if not fts_ok:
        problems.append(
            _problem(
                "fts",
                f"the full-text index is out of step with chunks ({fts_rows} vs {chunk_rows})",
                "project",
            )
        )

    engine = await _engine_problems(models)
    vector = await _vector_problems(st, queue, models, vectors)
    # chunks pending because the engine does not answer: one problem, the engine's
    problems.extend(p for p in vector if not (engine and p["kind"] == "pending"))
    problems.extend(engine)

    return {
        "ok": not problems,
        "files_checked": len(on_disk),
        "problems": problems,
        "skipped_paths": [{"path": s.path, "reason": s.reason} for s in scan.skipped],
        "warnings": [f"{where}: {why}" for where, why in sorted(workspace.ignore.problems.items())],
    }
