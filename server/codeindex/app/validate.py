"""validate_index: what is wrong with the index, and the reindex scope that fixes each problem.

One part per concern, in the order the report lists their problems: the database's
integrity, the files (against the disk: deleted, new, changed; then stale rows: old parser
versions, failed files), the rows (orphans, the full-text index), and the vectors (checked
by the worker) with the chunks left pending.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from codeindex.app.model_state import stalled_model
from codeindex.app.planner import changed_files
from codeindex.config import Settings
from codeindex.contract import Fix, Problem, ScopeName, ValidationReport
from codeindex.embedding.registry import ModelRegistry
from codeindex.parser.version import missing_since, parser_version
from codeindex.storage import FileRow, Storage
from codeindex.tasks import Queue
from codeindex.workspace import FileEntry, Workspace


def problem(
    kind: str,
    detail: str,
    scope: ScopeName,
    fix_paths: list[str] | None = None,
    *,
    paths: list[str] | None = None,
    reasons: dict[str, str | None] | None = None,
    store: str | None = None,
) -> Problem:
    """A problem of the report, with the force_reindex arguments that fix it."""
    fix: Fix = {"scope": scope}
    if fix_paths:
        fix["paths"] = fix_paths
    found: Problem = {"kind": kind, "detail": detail, "fix": fix}
    if paths is not None:
        found["paths"] = paths
    if reasons is not None:
        found["reasons"] = reasons
    if store is not None:
        found["store"] = store
    return found


def _of_files(
    kind: str, detail: str, paths: list[str], reasons: dict[str, str | None] | None = None
) -> Problem:
    """A problem of some files, fixed by reindexing exactly those."""
    scope: ScopeName = "file" if len(paths) == 1 else "files"
    return problem(kind, detail, scope, paths, paths=paths, reasons=reasons)


async def validate_index(
    settings: Settings,
    storage: Storage,
    workspace: Workspace,
    models: ModelRegistry,
    queue: Queue,
    vectors: Awaitable[list[Problem] | str],
) -> ValidationReport:
    """Integrity, disk drift, orphans, FTS sync, parser versions and vectors.

    `vectors` gives the vector store's problems (the worker checks them), or why it could
    not: then the report says so among its warnings.
    """
    problems = await _integrity(storage)
    rows = {r.path: r for r in await storage.files_under("")}
    scan = await asyncio.to_thread(workspace.scan, "")
    on_disk = {e.path: e for e in scan.files}
    problems += await _drift(storage, workspace, rows, on_disk)
    problems += _stale_rows(rows, on_disk, parser_version(settings.parser_version_bump))
    problems += await _row_problems(storage)
    checked = await vectors
    vector = [] if isinstance(checked, str) else list(checked)
    problems += vector
    # chunks pending because the engine does not answer: one problem, the engine's
    problems += await _pending_problems(storage, queue, models, vector)
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


async def _integrity(st: Storage) -> list[Problem]:
    """SQLite's own check of the database file."""
    messages = await st.quick_check()
    return [problem("integrity", "; ".join(messages[:5]), "project")] if messages else []


async def _drift(
    st: Storage, workspace: Workspace, rows: dict[str, FileRow], on_disk: dict[str, FileEntry]
) -> list[Problem]:
    """Files indexed but deleted, on disk but not indexed, changed since indexed."""
    deleted = sorted(set(rows) - set(on_disk))
    new = sorted(set(on_disk) - set(rows))
    suspects = [
        e
        for p, e in on_disk.items()
        if p in rows and (rows[p].size, rows[p].mtime_ns) != (e.size, e.mtime_ns)
    ]
    changed, _ = await changed_files(
        st, workspace, suspects, {e.path: rows[e.path] for e in suspects}, None, touch=False
    )
    found: list[Problem] = []
    if deleted:
        found.append(
            _of_files("deleted", f"{len(deleted)} indexed file(s) no longer on disk", deleted)
        )
    if new:
        found.append(_of_files("new", f"{len(new)} file(s) on disk not indexed", new))
    if changed:
        paths = [e.path for e in changed]
        found.append(_of_files("changed", f"{len(paths)} file(s) changed since indexed", paths))
    return found


def _stale_rows(
    rows: dict[str, FileRow], on_disk: dict[str, FileEntry], version: int
) -> list[Problem]:
    """Files on disk indexed by another parser version, or whose indexing failed."""
    found: list[Problem] = []
    old = sorted(p for p, r in rows.items() if r.parser_version != version and p in on_disk)
    if old:
        found.append(
            problem("parser_version", _old_parser(rows, old, version), "project", paths=old[:50])
        )
    failed = sorted(p for p, r in rows.items() if r.index_status == "failed" and p in on_disk)
    if failed:
        reasons = {p: rows[p].error for p in failed[:50]}
        found.append(
            _of_files("failed", f"{len(failed)} file(s) failed to index", failed, reasons=reasons)
        )
    return found


def _old_parser(rows: dict[str, FileRow], old: list[str], version: int) -> str:
    """What the files an older (or newer) parser indexed lack, and how they get it."""
    versions = sorted({rows[p].parser_version for p in old})
    lacking = list(dict.fromkeys(what for v in versions for what in missing_since(v)))
    detail = (
        f"{len(old)} file(s) indexed by parser version {', '.join(map(str, versions))}, "
        f"not {version}"
    )
    if lacking:
        detail += f": they lack {'; and '.join(lacking)}"
    return detail + " (any reindex of them fixes it, `codeindex index` included)"


async def _row_problems(st: Storage) -> list[Problem]:
    """Rows that belong to no file; a full-text index out of step with the chunks."""
    found: list[Problem] = []
    orphan_symbols, orphan_chunks = await st.orphans()
    if orphan_symbols or orphan_chunks:
        found.append(
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
        found.append(
            problem(
                "fts",
                f"the full-text index is out of step with chunks ({fts_rows} vs {chunk_rows})",
                "project",
            )
        )
    return found


async def _pending_problems(
    st: Storage, queue: Queue, models: ModelRegistry, vector: list[Problem]
) -> list[Problem]:
    """No chunk pending embedding without a task that will embed it."""
    active = await models.active()
    if any(p["kind"] in ("vectors", "embedding_engine") for p in vector):
        return []
    stalled = await stalled_model(st, queue, models)
    if stalled is not None and stalled.active is not None:
        return [problem("model_switch", stalled.describe(), "embeddings-only")]
    if active is None:
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
