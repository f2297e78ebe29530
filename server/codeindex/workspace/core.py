"""`Workspace`: a root with its ignore rules, its scan, path resolution and safe reads."""

from __future__ import annotations

import os
import stat as st_mode
from pathlib import Path

from codeindex.workspace.ignore import IgnoreRules
from codeindex.workspace.paths import (
    BadFileNameError,
    OutsideWorkspaceError,
    WorkspaceError,
    quoted,
    valid_name,
)
from codeindex.workspace.reading import MIB, Source, read_source
from codeindex.workspace.scan import FileEntry, ScanResult, scan_tree

MAX_PATH = 4096  # PATH_MAX on Linux
MAX_NAME = 255  # NAME_MAX


class Workspace:
    """A workspace root with its ignore rules, scan and safe file reads."""

    def __init__(self, root: Path, data_dir: Path, *, max_file_bytes: int = MIB) -> None:
        self.root = Path(root).resolve()
        self.data_dir = Path(data_dir).resolve()
        self.max_file_bytes = max_file_bytes
        self._root_str = str(self.root)
        self._prefix = self._root_str.rstrip(os.sep) + os.sep
        data_rel = self.rel_of(str(self.data_dir))
        self.ignore = IgnoreRules(self._root_str, data_rel or None)

    # -- paths ---------------------------------------------------------------------------

    def rel_of(self, abs_path: str) -> str | None:
        """Relative POSIX path of a normalised absolute path, or None when outside the root."""
        if abs_path == self._root_str:
            return ""
        if not abs_path.startswith(self._prefix):
            return None
        rel = abs_path[len(self._prefix) :]
        return rel if os.sep == "/" else rel.replace(os.sep, "/")

    def abs_path(self, rel: str) -> str:
        """The absolute path of a relative POSIX path inside the root."""
        return os.path.join(self._root_str, rel) if rel else self._root_str

    def resolve(self, path: str | os.PathLike[str]) -> str:
        """Resolve an absolute or root-relative path to a relative POSIX path inside the root.

        Raises OutsideWorkspaceError for a path that leads outside the root, BadFileNameError
        (a WorkspaceError) for one whose name is not valid UTF-8.
        """
        raw = os.fspath(path)
        shown = raw if len(raw) <= 120 else f"{raw[:60]}...{raw[-40:]} ({len(raw)} characters)"
        longest = max(len(part.encode("utf-8", "surrogateescape")) for part in raw.split("/"))
        if len(raw) > MAX_PATH or longest > MAX_NAME:
            raise WorkspaceError(
                f"{quoted(shown)} is too long for a path (at most {MAX_PATH} characters, "
                f"{MAX_NAME} bytes per name): pass a real path in the workspace"
            )
        joined = os.path.join(self._root_str, raw)
        try:
            real = os.path.realpath(joined)
        except (ValueError, OSError) as exc:
            raise WorkspaceError(
                f"{quoted(raw)} is not a usable path ({exc}): pass a valid path"
            ) from exc
        real_rel = self.rel_of(real)
        if real_rel is None:
            raise OutsideWorkspaceError(
                f"{quoted(raw)} resolves to {real}, outside the workspace {self.root}: "
                "pass a path inside it"
            )
        lexical_rel = self.rel_of(os.path.normpath(joined))
        # Keep the path as written (e.g. through a symlinked folder) when it is the same file.
        if (
            lexical_rel is not None
            and lexical_rel != real_rel
            and valid_name(lexical_rel)
            and os.path.realpath(self.abs_path(lexical_rel)) == real
            and not self._through_loop(lexical_rel)
        ):
            return lexical_rel
        if not valid_name(real_rel):
            raise BadFileNameError(real_rel, os.path.isdir(real))
        return real_rel

    def _through_loop(self, rel: str) -> bool:
        """True when `rel` passes through a symlink to one of its own ancestors (`up -> ..`).

        The scan never follows such a link, so a path through it is an alias of files
        indexed under their real path: the real path is used instead.
        """
        parts = rel.split("/")
        for i in range(1, len(parts) + 1):
            link = self.abs_path("/".join(parts[:i]))
            if not os.path.islink(link):
                continue
            target = os.path.realpath(link)
            parent = os.path.dirname(link)
            if parent == target or parent.startswith(target.rstrip(os.sep) + os.sep):
                return True
        return False

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
        return FileEntry(rel, s.st_size, s.st_mtime_ns)

    def read(self, rel: str) -> Source:
        """Read one file as text, or raise SkipFile saying why it cannot be indexed."""
        return read_source(self, rel)
