"""`Workspace`: a root with its ignore rules, its scan, path resolution and safe reads."""

from __future__ import annotations

import os
import stat as st_mode

from codeindex.workspace.paths import valid_name
from codeindex.workspace.reading import Source, read_source
from codeindex.workspace.root import WorkspaceRoot
from codeindex.workspace.scan import FileEntry, ScanResult, scan_tree


class Workspace(WorkspaceRoot):
    """A workspace root with its ignore rules, scan and safe file reads."""

    # -- ignore rules, scan, stat, read --------------------------------------------------

    def is_ignored(self, rel: str, *, is_dir: bool = False) -> bool:
        """Whether a relative path (or any folder above it) is excluded from the index."""
        return self.ignore.is_ignored(rel, is_dir=is_dir)

    def scan(self, under: str = "", *, recursive: bool = True) -> ScanResult:
        """List the indexable files under a folder (all depths unless `recursive` is False)."""
        return scan_tree(self, under, recursive=recursive)

    def stat(self, rel: str) -> FileEntry | None:
        """Size and mtime of an indexable regular file; None when missing, ignored, special,
        or named with bytes that are not UTF-8."""
        if not valid_name(rel):
            return None
        path = self.abs_path(rel)
        try:
            s = os.stat(path)
        except (OSError, ValueError):
            return None
        if not st_mode.S_ISREG(s.st_mode) or self.rel_of(os.path.realpath(path)) is None:
            return None
        if self.is_ignored(rel):
            return None
        return FileEntry(rel, s.st_size, s.st_mtime_ns, s.st_ctime_ns)

    def read(self, rel: str) -> Source:
        """Read one file as text, or raise SkipFile saying why it cannot be indexed."""
        return read_source(self, rel)
