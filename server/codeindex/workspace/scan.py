"""The scan: the indexable files under a folder, and the paths left out with a reason.

It walks with `os.scandir` and never descends into an ignored folder, so a stat pass stays
cheap enough to run at every start. It never follows a symlink out of the root or round a
loop. A file or folder whose name is not valid UTF-8 is not listed (its row could not be
stored) but reported as skipped under its printable name (`bad\\xff.py`); the rest of the
tree is scanned as usual.
"""

from __future__ import annotations

import errno
import os
import stat as st_mode
from dataclasses import dataclass, field

from codeindex.workspace.ignore import (
    EXCLUDED_DIR_MARKERS,
    EXCLUDED_DIR_NAMES,
    IGNORE_FILES,
    Specs,
    file_name_excluded,
    other_worktree,
    spec_ignored,
)
from codeindex.workspace.paths import WorkspaceError, bad_name_reason, printable, valid_name
from codeindex.workspace.root import WorkspaceRoot


@dataclass(frozen=True, slots=True)
class FileEntry:
    """An indexable file: its relative POSIX path, size and mtime (and its ctime, which a
    restored mtime cannot hide: an edit that kept size and mtime still moves it)."""

    path: str
    size: int
    mtime_ns: int
    ctime_ns: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class SkippedPath:
    """A path left out of the index, and why; both printable."""

    path: str
    reason: str

    @classmethod
    def of(cls, path: str, reason: str) -> SkippedPath:
        """A skipped path with any byte that is not UTF-8 shown as an escape."""
        return cls(printable(path), printable(reason))


@dataclass(frozen=True, slots=True)
class ScanResult:
    """The files found by a scan, sorted by path, and the paths skipped with a reason."""

    files: list[FileEntry]
    skipped: list[SkippedPath]


def scan_tree(workspace: WorkspaceRoot, under: str = "", *, recursive: bool = True) -> ScanResult:
    """List the indexable files under a folder (all depths unless `recursive` is False)."""
    under = workspace.resolve(under)
    files: list[FileEntry] = []
    skipped: list[SkippedPath] = []
    start, seen = _start(workspace, under)
    rules = workspace.ignore
    if rules.is_ignored(under, is_dir=True):
        return ScanResult(files, skipped)
    start_prefix = under + "/" if under else ""
    stack = [(start, start_prefix, rules.specs_for(under), seen)]
    while stack:
        abs_dir, prefix, specs, seen = stack.pop()
        try:
            with os.scandir(abs_dir) as it:
                entries = list(it)
        except OSError as exc:
            skipped.append(SkippedPath.of(prefix.rstrip("/"), f"cannot list: {exc.strerror}"))
            continue
        names = {e.name for e in entries}
        if prefix != start_prefix and any(m in names for m in EXCLUDED_DIR_MARKERS):
            continue
        if prefix != start_prefix and ".git" in names and other_worktree(abs_dir):
            continue  # another working tree: a workspace of its own
        if prefix != start_prefix and names.intersection(IGNORE_FILES):
            spec = rules.load(prefix.rstrip("/"))
            if spec is not None:
                specs = (*specs, (prefix, spec))
        cargo = "Cargo.toml" in names
        for e in entries:
            rel = prefix + e.name
            found = _entry(workspace, e, rel, specs, seen, cargo, skipped)
            if found is None:
                continue
            s, is_dir = found
            if not valid_name(e.name):
                skipped.append(SkippedPath.of(rel, bad_name_reason(is_dir)))
            elif not is_dir:
                files.append(FileEntry(rel, s.st_size, s.st_mtime_ns, s.st_ctime_ns))
            elif recursive:
                stack.append((e.path, rel + "/", specs, seen | {(s.st_dev, s.st_ino)}))
    files.sort(key=lambda f: f.path)
    skipped.sort(key=lambda s: s.path)
    return ScanResult(files, skipped)


def _start(workspace: WorkspaceRoot, under: str) -> tuple[str, frozenset[tuple[int, int]]]:
    """The folder a scan starts from, and the (device, inode) of it and every folder above
    it: a symlink back to one of them is a loop. WorkspaceError when it is not a folder."""
    start = workspace.abs_path(under)
    try:
        start_st = os.stat(start)
    except OSError as exc:
        raise WorkspaceError(
            f"folder {under!r} does not exist in the workspace {workspace.root} "
            f"({exc.strerror}): pass an existing folder"
        ) from exc
    if not st_mode.S_ISDIR(start_st.st_mode):
        raise WorkspaceError(f"{under!r} is not a folder: pass its folder, or reindex it as a file")
    ancestors = {(start_st.st_dev, start_st.st_ino)}
    parts = under.split("/") if under else []
    for i in range(len(parts)):
        try:
            s = os.stat(workspace.abs_path("/".join(parts[:i])))
        except OSError:
            continue
        ancestors.add((s.st_dev, s.st_ino))
    return start, frozenset(ancestors)


def _entry(
    workspace: WorkspaceRoot,
    e: os.DirEntry[str],
    rel: str,
    specs: Specs,
    seen: frozenset[tuple[int, int]],
    cargo: bool,
    skipped: list[SkippedPath],
) -> tuple[os.stat_result, bool] | None:
    """The stat of a folder entry to list or descend into, and whether it is a folder; None
    when it is left out (recording why in `skipped` when the user should know)."""
    name = e.name
    try:
        if e.is_symlink():
            return _follow(workspace, e.path, rel, specs, seen, skipped)
        if e.is_dir(follow_symlinks=False):
            if workspace.ignore.dir_excluded(rel, name, cargo) or spec_ignored(specs, rel, True):
                return None
            return e.stat(follow_symlinks=False), True
        if e.is_file(follow_symlinks=False):
            if file_name_excluded(name) or spec_ignored(specs, rel, False):
                return None
            return e.stat(follow_symlinks=False), False
        if not spec_ignored(specs, rel, False):
            skipped.append(SkippedPath.of(rel, "not a regular file"))
        return None
    except FileNotFoundError:
        return None  # vanished during the scan
    except OSError as exc:
        skipped.append(SkippedPath.of(rel, f"cannot stat: {exc.strerror}"))
        return None


def _follow(
    workspace: WorkspaceRoot,
    link: str,
    rel: str,
    specs: Specs,
    seen: frozenset[tuple[int, int]],
    skipped: list[SkippedPath],
) -> tuple[os.stat_result, bool] | None:
    """Stat a symlink's target if it may be followed; otherwise record why not."""
    name = rel.rsplit("/", 1)[-1]
    try:
        s = os.stat(link)
    except OSError as exc:
        if file_name_excluded(name) or spec_ignored(specs, rel, False):
            return None
        if exc.errno == errno.ELOOP:
            reason = "symlink loop"
        elif exc.errno == errno.ENOENT:
            reason = f"dangling symlink (-> {os.readlink(link)})"
        else:
            reason = f"cannot follow symlink: {exc.strerror}"
        skipped.append(SkippedPath.of(rel, reason))
        return None
    is_dir = st_mode.S_ISDIR(s.st_mode)
    if is_dir:
        if name in EXCLUDED_DIR_NAMES or spec_ignored(specs, rel, True):
            return None
    elif file_name_excluded(name) or spec_ignored(specs, rel, False):
        return None
    real = os.path.realpath(link)
    target_rel = workspace.rel_of(real)
    if target_rel is None:
        reason = f"symlink points outside the workspace (-> {real})"
    elif is_dir and (s.st_dev, s.st_ino) in seen:
        reason = f"symlink loop (-> {target_rel or '.'})"
    elif not is_dir and not st_mode.S_ISREG(s.st_mode):
        reason = "not a regular file"
    elif target_rel and workspace.ignore.is_ignored(target_rel, is_dir=is_dir):
        reason = f"symlink target is ignored (-> {target_rel})"
    else:
        return s, is_dir
    skipped.append(SkippedPath.of(rel, reason))
    return None
