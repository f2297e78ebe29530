"""Which paths are left out of the index: default excludes plus `.gitignore`/`.codeindexignore`.

Ignore files apply from the deepest folder up, the first one with an opinion winning (as in
git); each folder's rules are read once and re-read only when one of its ignore files
changes (inode, size or mtime). Another working tree of a git repository inside the
workspace is left out: it is a workspace of its own. Default excludes drop version-control
folders, virtualenvs and caches (a folder holding `pyvenv.cfg` or `CACHEDIR.TAG`), build
output, Cargo's `target` beside a `Cargo.toml`, the data dir, and compiled files.
"""

from __future__ import annotations

import os
import stat as st_mode
from collections.abc import Sequence

import pathspec

IGNORE_FILES = (".gitignore", ".codeindexignore")
EXCLUDED_DIR_NAMES = frozenset(
    {
        *(".git", ".hg", ".svn", ".codeindex", "node_modules", "__pycache__", ".venv", ".tox"),
        *(".nox", "build", "dist", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".next"),
        ".gradle",
    }
)
# A folder holding one of these is a virtualenv or a cache (https://bford.info/cachedir/).
EXCLUDED_DIR_MARKERS = ("pyvenv.cfg", "CACHEDIR.TAG")
# `.git` as a file: the pointer of a submodule or of another working tree, not code
EXCLUDED_FILE_NAMES = frozenset({".DS_Store", ".git"})
EXCLUDED_SUFFIXES = (".pyc", ".pyo", ".class", ".o", ".so", ".dylib", ".dll", ".exe")
# the temporary files of atomic writes (write a copy, rename it over the file) and of editors:
# each lives for a moment; the watcher leaves them alone (the rename is an event on the real
# name). A scan still takes such names: trees commit some (`django.po.tmp`, `backup~`)
TEMP_SUFFIXES = (".tmp", ".temp", ".swp", ".swo", ".swx", ".crswap", "~")
TEMP_PREFIXES = (".#", ".goutputstream-")

_IgnoreKey = tuple[tuple[int, int, int] | None, ...]
Specs = tuple[tuple[str, pathspec.GitIgnoreSpec], ...]


def other_worktree(folder: str) -> bool:
    """Whether a folder is another working tree of a git repository (`git worktree add`
    inside this workspace): its `.git` is a file pointing into `.git/worktrees/`. Such a
    tree is a workspace of its own; a submodule (a `.git` file into `.git/modules/`) is not."""
    try:
        with open(os.path.join(folder, ".git"), encoding="utf-8", errors="replace") as f:
            first = f.readline(4096)
    except OSError:  # no .git file (or a .git folder: the repository itself)
        return False
    return first.startswith("gitdir:") and "/worktrees/" in first.replace("\\", "/")


def file_name_excluded(name: str) -> bool:
    """Whether a file is excluded by its name alone (compiled files, .DS_Store)."""
    return name in EXCLUDED_FILE_NAMES or name.endswith(EXCLUDED_SUFFIXES)


def temporary_name(name: str) -> bool:
    """Whether a name is that of an atomic write's or an editor's temporary file."""
    return (
        name.endswith(TEMP_SUFFIXES)
        or name.startswith(TEMP_PREFIXES)
        or ".tmp." in name  # `app.py.tmp.12345`: a writer's unique temp name
    )


def spec_ignored(specs: Specs, rel: str, is_dir: bool) -> bool:
    """Apply the ignore files from the deepest folder up; the first one with an opinion wins."""
    for base, spec in reversed(specs):
        sub = rel[len(base) :] + "/" if is_dir else rel[len(base) :]
        include = spec.check_file(sub).include
        if include is not None:
            return include
    return False


def _pattern_problem(line: str) -> str | None:
    """Why an ignore-file line cannot be used (git skips such lines too), or None."""
    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except Exception as exc:  # pathspec raises its own errors, re.error or ValueError
        return f"pattern {line!r} is not valid ({exc}); the line is skipped"
    return None


class IgnoreRules:
    """The ignore rules of one workspace root, with a cache of each folder's ignore files."""

    def __init__(self, root: str, data_rel: str | None, excludes: Sequence[str] = ()) -> None:
        """`excludes` (the `index.excludes` setting) apply after the root's ignore files."""
        self._root = root
        self._data_rel = data_rel
        self._excludes = tuple(excludes)
        self._cache: dict[str, tuple[_IgnoreKey, pathspec.GitIgnoreSpec | None]] = {}
        # "path/.gitignore:LINE" -> why that line is left out; the rest of the file applies
        self.problems: dict[str, str] = {}

    def _abs(self, rel: str) -> str:
        return os.path.join(self._root, rel) if rel else self._root

    def load(self, dir_rel: str) -> pathspec.GitIgnoreSpec | None:
        """The combined ignore rules of one folder, re-read only when its ignore files change."""
        base = self._abs(dir_rel)
        key: list[tuple[int, int, int] | None] = []
        for name in IGNORE_FILES:
            try:
                s = os.lstat(os.path.join(base, name))
            except OSError:
                key.append(None)
                continue
            # Like git, a symlinked ignore file is not followed.
            key.append((s.st_ino, s.st_size, s.st_mtime_ns) if st_mode.S_ISREG(s.st_mode) else None)
        frozen_key = tuple(key)
        cached = self._cache.get(dir_rel)
        if cached is not None and cached[0] == frozen_key:
            return cached[1]
        lines: list[str] = []
        for name, k in zip(IGNORE_FILES, frozen_key, strict=True):
            shown = f"{dir_rel}/{name}" if dir_rel else name
            for key_ in [p for p in self.problems if p.startswith(f"{shown}:")]:
                del self.problems[key_]
            if k is None:
                continue
            try:
                with open(os.path.join(base, name), encoding="utf-8", errors="replace") as f:
                    text = f.read()
            except OSError:
                continue
            for number, line in enumerate(text.splitlines(), start=1):
                problem = _pattern_problem(line)
                if problem is None:
                    lines.append(line)
                else:
                    self.problems[f"{shown}:{number}"] = problem
        if not dir_rel:
            lines += self._usable_excludes()
        spec: pathspec.GitIgnoreSpec | None = pathspec.GitIgnoreSpec.from_lines(lines)
        if spec is not None and all(p.include is None for p in spec.patterns):
            spec = None
        self._cache[dir_rel] = (frozen_key, spec)
        return spec

    def _usable_excludes(self) -> list[str]:
        """The `index.excludes` patterns that parse (a bad one is a problem, skipped)."""
        usable = []
        for number, line in enumerate(self._excludes, start=1):
            problem = _pattern_problem(line)
            if problem is None:
                usable.append(line)
            else:
                self.problems[f"index.excludes:{number}"] = problem
        return usable

    def specs_for(self, dir_rel: str) -> Specs:
        """The ignore rules that apply inside `dir_rel`, from the root down."""
        parts = dir_rel.split("/") if dir_rel else []
        specs: list[tuple[str, pathspec.GitIgnoreSpec]] = []
        for i in range(len(parts) + 1):
            d = "/".join(parts[:i])
            spec = self.load(d)
            if spec is not None:
                specs.append((d + "/" if d else "", spec))
        return tuple(specs)

    def dir_excluded(self, rel: str, name: str, parent_has_cargo: bool) -> bool:
        """Default excludes for a folder that can be decided from its name and its parent."""
        return (
            name in EXCLUDED_DIR_NAMES
            or rel == self._data_rel
            or (name == "target" and parent_has_cargo)
        )

    def is_ignored(self, rel: str, *, is_dir: bool = False) -> bool:
        """Whether a relative path (or any folder above it) is excluded from the index."""
        if not rel:
            return False
        parts = rel.split("/")
        specs: list[tuple[str, pathspec.GitIgnoreSpec]] = []
        for i, name in enumerate(parts):
            parent = "/".join(parts[:i])
            spec = self.load(parent)
            if spec is not None:
                specs.append((parent + "/" if parent else "", spec))
            cur = f"{parent}/{name}" if parent else name
            as_dir = is_dir or i < len(parts) - 1
            if as_dir:
                cur_abs = self._abs(cur)
                cargo = os.path.exists(os.path.join(self._abs(parent), "Cargo.toml"))
                if (
                    self.dir_excluded(cur, name, cargo)
                    or any(os.path.exists(os.path.join(cur_abs, m)) for m in EXCLUDED_DIR_MARKERS)
                    or other_worktree(cur_abs)
                ):
                    return True
            elif file_name_excluded(name):
                return True
            if spec_ignored(tuple(specs), cur, as_dir):
                return True
        return False
