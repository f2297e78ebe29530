"""Turn a reindex request into the items of a task: which files, which action.

Paths from outside are resolved against the workspace root and refused when
they leave it (invariant 7). Directory and project scopes also drop rows of
files deleted on disk. Incremental planning keeps only files that changed:
size and mtime first, then the content hash, never a bare mtime comparison. A file whose
ctime is newer than its last indexing is hashed too, whatever its size and mtime: an edit
that kept the size and restored the mtime (`touch -r`, some sync tools) still moves it.
Each item carries what its cost is estimated from (`tasks.speeds`): its bytes, its
language, and the characters it leaves to embed when the index knows them (the file is
as indexed, or only its vectors are made); the task's estimated duration is their sum.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from codeindex.parser import language_for_path
from codeindex.storage import FileRow, Storage
from codeindex.storage.meta import ESTIMATES
from codeindex.tasks import Action, PlannedItem, Priority, Queue, Scope, Task
from codeindex.tasks.speeds import Speeds, Work, cost_class
from codeindex.workspace import FileEntry, SkipFile, Workspace, WorkspaceError
from codeindex.workspace.paths import shown

LISTED_PATHS = 500  # up to this many files, the index is asked about them alone


@dataclass(frozen=True, slots=True)
class Plan:
    """The items of a task, the normalised paths it targets, and the files whose rows hold
    the text they have on disk (their chunks are known before they are read)."""

    target_paths: list[str]
    items: list[PlannedItem]
    unchanged: int
    as_indexed: frozenset[str] = frozenset()


def _as_indexed(entries: Sequence[FileEntry], rows: dict[str, FileRow]) -> frozenset[str]:
    """The entries whose rows were made from the file as it is (same size and mtime)."""
    found = set()
    for entry in entries:
        row = rows.get(entry.path)
        if row is None or row.index_status != "indexed":
            continue
        if (row.size, row.mtime_ns) == (entry.size, entry.mtime_ns):
            found.add(entry.path)
    return frozenset(found)


def _content_changed(workspace: Workspace, entry: FileEntry, row: FileRow) -> bool:
    """Size/mtime differ: does the content hash differ too? (runs in a thread)"""
    if row.content_hash is None:
        return True
    try:
        source = workspace.read(entry.path)
    except SkipFile:
        return True
    return source.content_hash != row.content_hash


async def changed_files(
    storage: Storage,
    workspace: Workspace,
    entries: Sequence[FileEntry],
    rows: dict[str, FileRow],
    parser_version: int | None,
    *,
    touch: bool = True,
) -> tuple[list[FileEntry], int]:
    """The entries that need indexing; rows whose files were only touched get new stats.

    parser_version None: ignore parser versions; touch False: change no row.

    Returns (changed entries, number unchanged).
    """
    changed: list[FileEntry] = []
    suspects: list[tuple[FileEntry, FileRow]] = []
    for entry in entries:
        row = rows.get(entry.path)
        outdated = (
            parser_version is not None
            and row is not None
            and (row.parser_version != parser_version)
        )
        if row is None or outdated:
            changed.append(entry)
        elif (row.size, row.mtime_ns) != (entry.size, entry.mtime_ns) or (
            entry.ctime_ns > row.indexed_at * 1e9
        ):
            suspects.append((entry, row))
    if suspects:

        def check() -> list[bool]:
            return [_content_changed(workspace, e, r) for e, r in suspects]

        verdicts = await asyncio.to_thread(check)
        for (entry, _row), is_changed in zip(suspects, verdicts, strict=True):
            if is_changed:
                changed.append(entry)
            elif touch:
                await storage.touch_file(entry.path, entry.size, entry.mtime_ns)
    changed.sort(key=lambda e: e.path)
    return changed, len(entries) - len(changed)


async def plan(
    storage: Storage,
    workspace: Workspace,
    *,
    scope: Scope,
    paths: Sequence[str],
    recursive: bool,
    embeddings_only: bool,
    incremental: bool,
    parser_version: int,
) -> Plan:
    """Resolve paths and list the items of a reindex; WorkspaceError for bad input."""
    _check_paths(scope, paths)
    if scope is Scope.EMBEDDINGS_ONLY:
        rows = await storage.files_under("")
        items = [
            PlannedItem(r.path, Action.EMBED, r.size) for r in rows if r.index_status == "indexed"
        ]
        return Plan([], items, 0)
    resolved = [workspace.resolve(p) for p in paths]
    if scope in (Scope.FILE, Scope.FILES):
        return await _plan_files(
            storage, workspace, resolved, embeddings_only, incremental, parser_version
        )
    folder = resolved[0] if scope is Scope.DIRECTORY else ""
    planned = await _plan_folder(
        storage, workspace, folder, recursive, embeddings_only, incremental, parser_version
    )
    return replace(planned, target_paths=[folder or "."] if scope is Scope.DIRECTORY else [])


async def with_failed(
    storage: Storage, workspace: Workspace, planned: Plan, folder: str, recursive: bool
) -> Plan:
    """The plan of an incremental run over a folder, plus the files under it that failed
    last time and are still on disk: a failure (say, a file that could not be read until a
    `chmod`) is not "unchanged" when the user asks for an index."""
    queued = {item.path for item in planned.items}
    rows = await storage.files_under(folder, recursive=recursive)
    failed = [r.path for r in rows if r.index_status == "failed" and r.path not in queued]
    if not failed:
        return planned
    entries = await asyncio.to_thread(lambda: [workspace.stat(p) for p in failed])
    again = [PlannedItem(e.path, Action.INDEX, e.size) for e in entries if e is not None]
    unchanged = max(0, planned.unchanged - len(again))
    return replace(planned, items=[*planned.items, *again], unchanged=unchanged)


def _check_paths(scope: Scope, paths: Sequence[str]) -> None:
    """WorkspaceError when the number of paths does not fit the scope."""
    if scope is Scope.EMBEDDINGS_ONLY and paths:
        raise WorkspaceError(
            "scope embeddings-only covers every indexed file and takes no paths: "
            "use scope file/files/directory with embeddings_only=true for some files"
        )
    if scope is Scope.PROJECT and paths:
        raise WorkspaceError(
            "scope project covers the whole workspace and takes no paths: use scope "
            "directory for a folder, file or files for files"
        )
    if scope in (Scope.FILE, Scope.FILES, Scope.DIRECTORY) and not paths:
        raise WorkspaceError(f"scope {scope.value} needs paths: pass at least one path")
    if scope in (Scope.FILE, Scope.DIRECTORY) and len(paths) != 1:
        raise WorkspaceError(
            f"scope {scope.value} takes exactly one path, got {len(paths)}: use scope files "
            "for several files"
        )


async def _plan_folder(
    storage: Storage,
    workspace: Workspace,
    folder: str,
    recursive: bool,
    embeddings_only: bool,
    incremental: bool,
    parser_version: int,
) -> Plan:
    """The items of a folder ("" for the whole workspace): its files and deletions."""
    folder_abs = workspace.root / folder if folder else workspace.root
    rows_list = await storage.files_under(folder, recursive=recursive)
    if folder and not folder_abs.is_dir():
        if folder_abs.exists():
            raise WorkspaceError(f"{shown(folder)} is a file, not a folder: use scope file")
        if not rows_list:
            raise WorkspaceError(
                f"folder {shown(folder)} does not exist in {workspace.root} and nothing under it "
                "is indexed: check the path"
            )
    entries = (
        (await asyncio.to_thread(workspace.scan, folder, recursive=recursive)).files
        if folder_abs.is_dir()
        else []
    )
    rows_by_path = {r.path: r for r in rows_list}
    if embeddings_only:
        items = [
            PlannedItem(e.path, Action.EMBED, e.size)
            for e in entries
            if e.path in rows_by_path and rows_by_path[e.path].index_status == "indexed"
        ]
        return Plan([], items, 0)
    on_disk = {e.path for e in entries}
    deleted = [PlannedItem(p, Action.DELETE) for p in sorted(rows_by_path) if p not in on_disk]
    unchanged = 0
    if incremental:
        entries, unchanged = await changed_files(
            storage, workspace, entries, rows_by_path, parser_version
        )
    items = [PlannedItem(e.path, Action.INDEX, e.size) for e in entries] + deleted
    return Plan([], items, unchanged, _as_indexed(entries, rows_by_path))


async def _plan_files(
    storage: Storage,
    workspace: Workspace,
    resolved: list[str],
    embeddings_only: bool,
    incremental: bool,
    parser_version: int,
) -> Plan:
    items: list[PlannedItem] = []
    entries: list[FileEntry] = []
    rows: dict[str, FileRow] = {}
    for rel in dict.fromkeys(resolved):
        absolute: Path = workspace.root / rel
        if not rel or absolute.is_dir():
            raise WorkspaceError(
                f"{shown(rel or '.')} is a folder: use scope directory for folders"
            )
        row = await storage.get_file(rel)
        entry = workspace.stat(rel)
        if entry is None:
            if row is not None:
                items.append(PlannedItem(rel, Action.DELETE))
                continue
            if absolute.exists() or absolute.is_symlink():
                reason = (
                    "is excluded by the ignore rules (.gitignore, .codeindexignore or the "
                    "default excludes)"
                    if workspace.is_ignored(rel)
                    else "is not a regular file inside the workspace"
                )
                raise WorkspaceError(f"{shown(rel)} {reason}: nothing to index")
            raise WorkspaceError(f"{shown(rel)} does not exist in {workspace.root}: check the path")
        if embeddings_only:
            if row is None or row.index_status != "indexed":
                raise WorkspaceError(
                    f"{rel} is not indexed yet, so it has no chunks to embed: reindex it "
                    "without embeddings_only first"
                )
            items.append(PlannedItem(rel, Action.EMBED, entry.size))
            continue
        entries.append(entry)
        if row is not None:
            rows[rel] = row
    unchanged = 0
    if incremental:
        entries, unchanged = await changed_files(storage, workspace, entries, rows, parser_version)
    items.extend(PlannedItem(e.path, Action.INDEX, e.size) for e in entries)
    return Plan(list(dict.fromkeys(resolved)), items, unchanged, _as_indexed(entries, rows))


@dataclass(frozen=True, slots=True)
class ModelPlan:
    """What the configured model means for an estimate."""

    key: str | None  # its `speeds.model_key`; None when it cannot embed (a remembered failure)
    max_chars: int  # what it reads of a text at most
    loaded: bool  # a worker serves the workspace (and has it loaded, or soon)


async def estimate(
    storage: Storage, planned: Plan, speeds: Speeds, model: ModelPlan
) -> tuple[list[PlannedItem], float]:
    """Each item with its language and, when the index knows it, the characters it leaves
    to embed; and the seconds the task is expected to run, from the speeds measured here."""
    items = planned.items
    if not items:
        return [], 0.0
    known = {i.path for i in items if i.action is Action.EMBED or i.path in planned.as_indexed}
    left: dict[str, int] = {}
    if known and model.key is not None:
        paths = sorted(known) if len(known) <= LISTED_PATHS else None
        left = await storage.embed_chars_left(
            speeds.model_ids.get(model.key), model.max_chars, paths
        )
    work = Work()
    estimated = []
    for item in items:
        language = None if item.action is Action.DELETE else language_for_path(item.path)
        embed = float(left.get(item.path, 0)) if item.path in known else None
        work.add_items(cost_class(item.action, language), 1, item.size)
        if item.action is Action.INDEX and embed is None:
            work.add_unknown(language, item.size)
        work.embed_chars += embed or 0.0
        estimated.append(replace(item, language=language, embed_chars=embed))
    seconds = speeds.seconds(work, model.key)
    if model.key is not None and work.needs_model and not model.loaded:
        seconds += speeds.load_seconds(model.key)
    return estimated, round(seconds, 2)


async def create_task(
    queue: Queue,
    storage: Storage,
    *,
    scope: Scope,
    planned: Plan,
    priority: Priority,
    options: tuple[bool, bool, bool],
    model_id: int | None,
    model: ModelPlan,
    message: str,
) -> Task:
    """Estimate a plan's items and insert its task with them in one transaction.

    `options` are (embeddings_only, incremental, recursive).
    """
    embeddings_only, incremental, recursive = options
    record = await storage.meta.get(ESTIMATES)
    speeds = Speeds.of(record)
    items, seconds = await estimate(storage, planned, speeds, model)
    return await queue.create(
        scope=scope,
        target_paths=planned.target_paths,
        recursive=recursive,
        embeddings_only=embeddings_only,
        incremental=incremental,
        priority=priority,
        items=items,
        model_id=model_id,
        estimate=seconds,
        message=message,
    )
