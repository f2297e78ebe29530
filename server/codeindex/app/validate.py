"""validate_index: what is wrong with the index, and the reindex scope that fixes each problem."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from codeindex.app.planner import changed_files
from codeindex.config import Settings
from codeindex.contract import Problem
from codeindex.embedding.registry import ModelRegistry
from codeindex.parser.version import parser_version
from codeindex.storage import Storage
from codeindex.tasks import Queue
from codeindex.workspace import Workspace


def problem(
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


async def _pending_problems(
    st: Storage, queue: Queue, models: ModelRegistry, vector: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """No chunk pending embedding without a task that will embed it."""
    active = await models.active()
    if active is None or any(p["kind"] in ("vectors", "embedding_engine") for p in vector):
        return []
    _, pending = await st.pending_counts(active.id)
    if pending and not await queue.count_unfinished() and await models.remembered_failure() is None:
        return [
            problem(
                "pending",
                f"{pending} chunk text(s) have no vector of model {active.name} and no task "
                "will embed them",
                "embeddings-only",
            )
        ]
    return []


async def validate_index(
    settings: Settings,
    storage: Storage,
    workspace: Workspace,
    models: ModelRegistry,
    queue: Queue,
    vectors: Awaitable[list[Problem] | str],
) -> dict[str, Any]:
    """Integrity, disk drift, orphans, FTS sync, parser versions and vectors.

    `vectors` gives the vector store's problems (the worker checks them), or why it could
    not: then the report says so among its warnings.
    """
    st = storage
    problems: list[dict[str, Any]] = []

    messages = await st.quick_check()
    if messages:
        problems.append(problem("integrity", "; ".join(messages[:5]), "project"))

    rows = {r.path: r for r in await st.files_under("")}
    scan = await asyncio.to_thread(workspace.scan, "")
    on_disk = {e.path: e for e in scan.files}
    deleted = sorted(set(rows) - set(on_disk))
    new = sorted(set(on_disk) - set(rows))
    version = parser_version(settings.parser_version_bump)
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
            problem(
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
            problem("new", f"{len(new)} file(s) on disk not indexed", scope, paths, paths=new)
        )
    if changed:
        changed_paths = [e.path for e in changed]
        scope, paths = _fix_for(changed_paths)
        problems.append(
            problem(
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
            problem(
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
            problem(
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
            problem(
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
            problem(
                "fts",
                f"the full-text index is out of step with chunks ({fts_rows} vs {chunk_rows})",
                "project",
            )
        )

    checked = await vectors
    vector: list[dict[str, Any]] = [] if isinstance(checked, str) else list(checked)  # type: ignore[arg-type]
    problems.extend(vector)
    # chunks pending because the engine does not answer: one problem, the engine's
    problems.extend(await _pending_problems(st, queue, models, vector))
    warnings = [f"{where}: {why}" for where, why in sorted(workspace.ignore.problems.items())]
    if isinstance(checked, str):
        warnings.append(checked)

    return {
        "ok": not problems,
        "files_checked": len(on_disk),
        "problems": problems,
        "skipped_paths": [{"path": s.path, "reason": s.reason} for s in scan.skipped],
        "warnings": warnings,
    }
