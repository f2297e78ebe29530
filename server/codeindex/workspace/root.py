"""`WorkspaceRoot`: a workspace's root folder, its ignore rules, and path resolution.

The part of a workspace the scan (`scan`) and the reader (`reading`) need; `Workspace`
(`core`) adds them to it. Apart so that they import this module, not the other way round.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from codeindex.workspace.ignore import IgnoreRules
from codeindex.workspace.paths import (
    BadFileNameError,
    OutsideWorkspaceError,
    WorkspaceError,
    quoted,
    valid_name,
)

MAX_PATH = 4096  # PATH_MAX on Linux
MAX_NAME = 255  # NAME_MAX
MIB = 1024 * 1024


class WorkspaceRoot:
    """A workspace root with its ignore rules: paths in and out of it."""

    def __init__(
        self,
        root: Path,
        data_dir: Path,
        *,
        max_file_bytes: int = MIB,
        excludes: Sequence[str] = (),
    ) -> None:
        """`excludes`: gitignore-style patterns applied as if in a root `.codeindexignore`."""
        self.root = Path(root).resolve()
        self.data_dir = Path(data_dir).resolve()
        self.max_file_bytes = max_file_bytes
        self._root_str = str(self.root)
        self._prefix = self._root_str.rstrip(os.sep) + os.sep
        data_rel = self.rel_of(str(self.data_dir))
        self.ignore = IgnoreRules(self._root_str, data_rel or None, excludes)

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
