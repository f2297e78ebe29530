"""From paths that changed on disk to the incremental tasks that bring the index up to date.

`sort_changes` runs in a thread: it applies exactly the scan's rules (default excludes, the
data dir, nested `.gitignore`/`.codeindexignore`, each folder's verdict computed once per
batch) and sorts what is left into files to look at, paths that are gone, and folders whose
contents must be looked at again (a folder that appeared, or one whose ignore file or
virtualenv/cache marker changed). `queue_changes` turns that into tasks through the service:
a `files` task for files, a `directory` task for the folders; both incremental (size and
mtime, then hash), so a file that was only touched queues nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import posixpath
import stat as st_mode
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from watchfiles import Change

from codeindex.config import Settings
from codeindex.errors import BadArgument
from codeindex.storage import Storage
from codeindex.tasks import Priority, Queue, Scope, Task
from codeindex.watcher.record import watcher_status
from codeindex.workspace import EXCLUDED_DIR_MARKERS, IGNORE_FILES, Workspace, valid_name
from codeindex.workspace.ignore import (
    Specs,
    file_name_excluded,
    spec_ignored,
    temporary_name,
)

log = logging.getLogger(__name__)


class ChangeSink(Protocol):
    """Where changes go: the index's parts and its `queue_changes` (the service has them)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def storage(self) -> Storage: ...

    @property
    def workspace(self) -> Workspace: ...

    @property
    def queue(self) -> Queue: ...

    async def queue_changes(
        self, scope: Scope, paths: Sequence[str], *, priority: Priority, source: str
    ) -> Task | None:
        """An incremental task for the paths (None when nothing changed)."""
        ...


LARGE_BATCH = 200  # more paths than this at once (a branch switch): low priority
MAX_FOLDER_LOOKUPS = 100


@dataclass(slots=True)
class Changes:
    """One batch of changes, sorted by what they need."""

    files: set[str] = field(default_factory=set)
    gone: set[str] = field(default_factory=set)
    folders: set[str] = field(default_factory=set)
    events: int = 0
    ignored: int = 0


def parent_of(rel: str) -> str:
    """The folder of a relative path ('' for the root)."""
    return posixpath.dirname(rel)


class _Verdicts:
    """Ignore verdicts of folders, each computed once per batch (rules may change between)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._ignored: dict[str, bool] = {}
        self._specs: dict[str, Specs] = {}

    def folder_ignored(self, folder: str) -> bool:
        if not folder:
            return False
        verdict = self._ignored.get(folder)
        if verdict is None:
            verdict = self.folder_ignored(parent_of(folder)) or self.workspace.is_ignored(
                folder, is_dir=True
            )
            self._ignored[folder] = verdict
        return verdict

    def file_ignored(self, rel: str) -> bool:
        folder = parent_of(rel)
        if self.folder_ignored(folder):
            return True
        specs = self._specs.get(folder)
        if specs is None:
            specs = self._specs[folder] = self.workspace.ignore.specs_for(folder)
        name = posixpath.basename(rel)
        if file_name_excluded(name) or temporary_name(name):
            return True
        return spec_ignored(specs, rel, False)


def sort_changes(workspace: Workspace, raw: Iterable[tuple[Change, str]]) -> Changes:
    """Sort absolute paths reported as changed (runs in a thread: it stats and reads rules)."""
    changes = Changes()
    verdicts = _Verdicts(workspace)
    data_dir = str(workspace.data_dir)
    data_prefix = data_dir.rstrip(os.sep) + os.sep
    for kind, path in raw:
        if path == data_dir or path.startswith(data_prefix):
            continue  # the worker's own writes
        rel = workspace.rel_of(os.path.normpath(path))
        if rel is None or not rel:
            continue
        changes.events += 1
        if not valid_name(rel):
            changes.ignored += 1
            continue
        name = posixpath.basename(rel)
        folder = parent_of(rel)
        if verdicts.folder_ignored(folder):
            changes.ignored += 1
            continue
        if (
            name in IGNORE_FILES
            or name in EXCLUDED_DIR_MARKERS
            or _cargo_beside_target(workspace, rel, name)
        ):
            changes.folders.add(folder)  # what is ignored below it may have changed
        try:
            s = os.stat(workspace.abs_path(rel))
        except (OSError, ValueError):
            changes.gone.add(rel)
            continue
        if st_mode.S_ISDIR(s.st_mode):
            # a folder moved in brings files nobody reported; a modified folder is only
            # its own metadata
            if kind is Change.added and not verdicts.folder_ignored(rel):
                changes.folders.add(rel)
        elif (
            not st_mode.S_ISREG(s.st_mode)
            or verdicts.file_ignored(rel)
            or workspace.rel_of(os.path.realpath(workspace.abs_path(rel))) is None
        ):
            changes.ignored += 1
            changes.gone.add(rel)  # indexed before its rules changed? then it goes
        else:
            changes.files.add(rel)
    return changes


def _cargo_beside_target(workspace: Workspace, rel: str, name: str) -> bool:
    """A Cargo.toml decides whether the `target` folder beside it is excluded."""
    return name == "Cargo.toml" and os.path.isdir(
        os.path.join(workspace.abs_path(parent_of(rel)), "target")
    )


def common_folder(paths: Iterable[str]) -> str:
    """The deepest folder holding every path ('' for the root)."""
    parts_list = [p.split("/") if p else [] for p in paths]
    if not parts_list:
        return ""
    common = parts_list[0]
    for parts in parts_list[1:]:
        n = 0
        while n < min(len(common), len(parts)) and common[n] == parts[n]:
            n += 1
        common = common[:n]
    return "/".join(common)


def _under(path: str, folder: str) -> bool:
    return not folder or path == folder or path.startswith(folder + "/")


async def queue_changes(service: ChangeSink, changes: Changes, source: str) -> list[str]:
    """Queue the incremental tasks a batch needs (none when nothing really changed).

    Returns the ids of the tasks created.
    """
    storage = service.storage
    files = set(changes.files)
    folders = set(changes.folders)
    if changes.gone:
        with_rows = await storage.paths_with_rows(sorted(changes.gone))
        files |= with_rows
        unknown = sorted(changes.gone - with_rows)
        if len(unknown) > MAX_FOLDER_LOOKUPS:
            folders.add(common_folder(parent_of(p) for p in unknown))
        else:
            for path in unknown:
                if await storage.has_files_under(path):
                    folders.add(path)  # a folder that went away, with its files
    if not files and not folders:
        return []
    priority = Priority.LOW if len(files) + len(folders) > LARGE_BATCH else Priority.NORMAL
    if len(files) > LARGE_BATCH:
        # a branch switch, a code generator: one scan of their folder (in a thread) costs
        # less than looking files up one by one
        folders.add(common_folder(parent_of(f) for f in files))
    requests: list[tuple[Scope, list[str]]] = []
    if folders:
        top = common_folder(folders)
        requests.append((Scope.DIRECTORY, [top or "."]))
        files = {f for f in files if not _under(f, top)}
    if files:
        requests.append((Scope.FILES, sorted(files)))
    created: list[str] = []
    for scope, paths in requests:
        try:
            task = await service.queue_changes(scope, paths, priority=priority, source=source)
        except BadArgument as exc:
            # a path vanished between the look and the plan: look at everything instead
            log.info("changes moved under the watcher (%s); checking the whole tree", exc)
            task = await service.queue_changes(Scope.PROJECT, [], priority=priority, source=source)
        if task is not None:
            created.append(task.id)
    return created


async def sort_and_queue(
    service: ChangeSink, raw: Iterable[tuple[Change, str]], source: str
) -> tuple[Changes, list[str]]:
    """Sort changes in a thread, then queue their tasks."""
    changes = await asyncio.to_thread(sort_changes, service.workspace, list(raw))
    return changes, await queue_changes(service, changes, source)


async def hinted_changes(service: ChangeSink, paths: Sequence[str]) -> list[str]:
    """Paths a client saw change (LSP `workspace/didChangeWatchedFiles`): queued like the
    watcher's changes, unless a watcher is active (it saw them too). Returns task ids."""
    lease = await service.queue.live_lease()
    if (await watcher_status(service.storage, lease.owner if lease else None))["active"]:
        return []
    root = str(service.workspace.root)
    raw = [(Change.added, os.path.join(root, os.fspath(p))) for p in paths]
    _, created = await sort_and_queue(service, raw, "editor")
    return created
