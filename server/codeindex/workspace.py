"""The workspace on disk: which files belong to the index, and how to read one safely.

Everything that touches the source tree goes through `Workspace`: paths from outside are
resolved against the root and refused when they resolve outside it (invariant 7), the scan
applies the ignore rules (nested `.gitignore` and `.codeindexignore`, plus default excludes
such as `.git`, virtualenvs, build output and the data dir) and never follows a symlink out
of the root or round a loop, and `read` turns every bad file (huge, binary, undecodable,
vanished, unreadable) into a `SkipFile` with a reason instead of an error (invariant 9).
The scan walks with `os.scandir` and never descends into an ignored folder, so a stat pass
stays cheap enough to run at every start.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import os
import stat as st_mode
from dataclasses import dataclass
from pathlib import Path

import pathspec

from codeindex.errors import BadArgument, OutsideWorkspace

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
EXCLUDED_FILE_NAMES = frozenset({".DS_Store"})
EXCLUDED_SUFFIXES = (".pyc", ".pyo", ".class", ".o", ".so", ".dylib", ".dll", ".exe")
BINARY_SUFFIXES = frozenset(
    {
        *(".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".icns", ".webp", ".tif", ".tiff"),
        *(".psd", ".pdf", ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".tar"),
        *(".jar", ".war", ".whl", ".egg", ".so", ".dll", ".dylib", ".exe", ".o", ".a", ".lib"),
        *(".obj", ".pyc", ".pyo", ".pyd", ".class", ".bin", ".woff", ".woff2", ".ttf", ".otf"),
        *(".eot", ".mp3", ".mp4", ".wav", ".ogg", ".flac", ".avi", ".mov", ".mkv", ".webm"),
        *(".sqlite", ".sqlite3", ".db", ".onnx", ".pt", ".pth", ".npy", ".npz", ".parquet"),
        *(".arrow", ".lance", ".pkl", ".pickle", ".mo", ".wasm"),
    }
)
BINARY_SNIFF_BYTES = 8192
KIB = 1024
MIB = 1024 * 1024

_IgnoreKey = tuple[tuple[int, int, int] | None, ...]
_Specs = tuple[tuple[str, pathspec.GitIgnoreSpec], ...]


class WorkspaceError(BadArgument):
    """A path or file problem with a message that says what was wrong and what to do."""


class OutsideWorkspaceError(WorkspaceError, OutsideWorkspace):
    """A path that resolves outside the workspace root."""


class SkipFile(Exception):
    """One file that cannot be indexed, with the reason to record for it."""

    def __init__(self, reason: str, kind: str = "skipped") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind  # "skipped" (by policy), "failed" (cannot be read) or "vanished"

    @property
    def failure(self) -> bool:
        """True when the file should be indexed but cannot be read: the item fails."""
        return self.kind == "failed"

    @property
    def vanished(self) -> bool:
        """True when the file no longer exists: its rows are dropped."""
        return self.kind == "vanished"


@dataclass(frozen=True, slots=True)
class FileEntry:
    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class SkippedPath:
    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class ScanResult:
    files: list[FileEntry]
    skipped: list[SkippedPath]


@dataclass(frozen=True, slots=True)
class Source:
    text: str
    content_hash: str
    size: int
    mtime_ns: int


def hash_bytes(data: bytes) -> str:
    """Return the sha256 hex digest of `data`."""
    return hashlib.sha256(data).hexdigest()


def _human_size(n: int) -> str:
    if n >= MIB:
        return f"{n / MIB:.1f} MiB"
    if n >= KIB:
        return f"{n / KIB:.1f} KiB"
    return f"{n} bytes"


def _file_name_excluded(name: str) -> bool:
    return name in EXCLUDED_FILE_NAMES or name.endswith(EXCLUDED_SUFFIXES)


def _spec_ignored(specs: _Specs, rel: str, is_dir: bool) -> bool:
    """Apply the ignore files from the deepest folder up; the first one with an opinion wins."""
    for base, spec in reversed(specs):
        sub = rel[len(base) :] + "/" if is_dir else rel[len(base) :]
        include = spec.check_file(sub).include
        if include is not None:
            return include
    return False


class Workspace:
    """A workspace root with its ignore rules, scan and safe file reads."""

    def __init__(self, root: Path, data_dir: Path, *, max_file_bytes: int = MIB) -> None:
        self.root = Path(root).resolve()
        self.data_dir = Path(data_dir).resolve()
        self.max_file_bytes = max_file_bytes
        self._root_str = str(self.root)
        self._prefix = self._root_str.rstrip(os.sep) + os.sep
        data_rel = self._rel_of(str(self.data_dir))
        self._data_rel = data_rel or None
        self._spec_cache: dict[str, tuple[_IgnoreKey, pathspec.GitIgnoreSpec | None]] = {}

    # -- paths ---------------------------------------------------------------------------

    def _rel_of(self, abs_path: str) -> str | None:
        """Relative POSIX path of a normalised absolute path, or None when outside the root."""
        if abs_path == self._root_str:
            return ""
        if not abs_path.startswith(self._prefix):
            return None
        rel = abs_path[len(self._prefix) :]
        return rel if os.sep == "/" else rel.replace(os.sep, "/")

    def _abs(self, rel: str) -> str:
        return os.path.join(self._root_str, rel) if rel else self._root_str

    def resolve(self, path: str | os.PathLike[str]) -> str:
        """Resolve an absolute or root-relative path to a relative POSIX path inside the root."""
        raw = os.fspath(path)
        joined = os.path.join(self._root_str, raw)
        try:
            real = os.path.realpath(joined)
        except (ValueError, OSError) as exc:
            raise WorkspaceError(
                f"{raw!r} is not a usable path ({exc}): pass a valid path"
            ) from exc
        real_rel = self._rel_of(real)
        if real_rel is None:
            raise OutsideWorkspaceError(
                f"{raw!r} resolves to {real}, outside the workspace {self.root}: "
                "pass a path inside it"
            )
        lexical_rel = self._rel_of(os.path.normpath(joined))
        # Keep the path as written (e.g. through a symlinked folder) when it is the same file.
        if (
            lexical_rel is not None
            and lexical_rel != real_rel
            and os.path.realpath(self._abs(lexical_rel)) == real
        ):
            return lexical_rel
        return real_rel

    # -- ignore rules --------------------------------------------------------------------

    def _load_spec(self, dir_rel: str) -> pathspec.GitIgnoreSpec | None:
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
        cached = self._spec_cache.get(dir_rel)
        if cached is not None and cached[0] == frozen_key:
            return cached[1]
        lines: list[str] = []
        for name, k in zip(IGNORE_FILES, frozen_key, strict=True):
            if k is None:
                continue
            try:
                with open(os.path.join(base, name), encoding="utf-8", errors="replace") as f:
                    lines.extend(f.read().splitlines())
            except OSError:
                continue
        spec: pathspec.GitIgnoreSpec | None = pathspec.GitIgnoreSpec.from_lines(lines)
        if spec is not None and all(p.include is None for p in spec.patterns):
            spec = None
        self._spec_cache[dir_rel] = (frozen_key, spec)
        return spec

    def _specs_for(self, dir_rel: str) -> _Specs:
        """The ignore rules that apply inside `dir_rel`, from the root down."""
        parts = dir_rel.split("/") if dir_rel else []
        specs: list[tuple[str, pathspec.GitIgnoreSpec]] = []
        for i in range(len(parts) + 1):
            d = "/".join(parts[:i])
            spec = self._load_spec(d)
            if spec is not None:
                specs.append((d + "/" if d else "", spec))
        return tuple(specs)

    def _dir_excluded(self, rel: str, name: str, parent_has_cargo: bool) -> bool:
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
            spec = self._load_spec(parent)
            if spec is not None:
                specs.append((parent + "/" if parent else "", spec))
            cur = f"{parent}/{name}" if parent else name
            as_dir = is_dir or i < len(parts) - 1
            if as_dir:
                cur_abs = self._abs(cur)
                cargo = os.path.exists(os.path.join(self._abs(parent), "Cargo.toml"))
                if self._dir_excluded(cur, name, cargo) or any(
                    os.path.exists(os.path.join(cur_abs, m)) for m in EXCLUDED_DIR_MARKERS
                ):
                    return True
            elif _file_name_excluded(name):
                return True
            if _spec_ignored(tuple(specs), cur, as_dir):
                return True
        return False

    # -- scanning ------------------------------------------------------------------------

    def scan(self, under: str = "", *, recursive: bool = True) -> ScanResult:
        """List the indexable files under a folder (all depths unless `recursive` is False)."""
        under = self.resolve(under)
        start = self._abs(under)
        try:
            start_st = os.stat(start)
        except OSError as exc:
            raise WorkspaceError(
                f"folder {under!r} does not exist in the workspace {self.root} "
                f"({exc.strerror}): pass an existing folder"
            ) from exc
        if not st_mode.S_ISDIR(start_st.st_mode):
            raise WorkspaceError(
                f"{under!r} is not a folder: pass its folder, or reindex it as a file"
            )
        files: list[FileEntry] = []
        skipped: list[SkippedPath] = []
        if self.is_ignored(under, is_dir=True):
            return ScanResult(files, skipped)
        ancestors = {(start_st.st_dev, start_st.st_ino)}
        parts = under.split("/") if under else []
        for i in range(len(parts)):
            try:
                s = os.stat(self._abs("/".join(parts[:i])))
            except OSError:
                continue
            ancestors.add((s.st_dev, s.st_ino))
        start_prefix = under + "/" if under else ""
        stack = [(start, start_prefix, self._specs_for(under), frozenset(ancestors))]
        while stack:
            abs_dir, prefix, specs, seen = stack.pop()
            try:
                with os.scandir(abs_dir) as it:
                    entries = list(it)
            except OSError as exc:
                skipped.append(SkippedPath(prefix.rstrip("/"), f"cannot list: {exc.strerror}"))
                continue
            names = {e.name for e in entries}
            if prefix != start_prefix and any(m in names for m in EXCLUDED_DIR_MARKERS):
                continue
            if prefix != start_prefix and names.intersection(IGNORE_FILES):
                spec = self._load_spec(prefix.rstrip("/"))
                if spec is not None:
                    specs = (*specs, (prefix, spec))
            cargo = "Cargo.toml" in names
            for e in entries:
                name = e.name
                rel = prefix + name
                try:
                    if e.is_symlink():
                        target = self._follow(e.path, rel, specs, seen, skipped)
                        if target is None:
                            continue
                        s, is_dir = target
                    elif e.is_dir(follow_symlinks=False):
                        if self._dir_excluded(rel, name, cargo) or _spec_ignored(specs, rel, True):
                            continue
                        s, is_dir = e.stat(follow_symlinks=False), True
                    elif e.is_file(follow_symlinks=False):
                        if _file_name_excluded(name) or _spec_ignored(specs, rel, False):
                            continue
                        s, is_dir = e.stat(follow_symlinks=False), False
                    else:
                        if not _spec_ignored(specs, rel, False):
                            skipped.append(SkippedPath(rel, "not a regular file"))
                        continue
                except FileNotFoundError:
                    continue  # vanished during the scan
                except OSError as exc:
                    skipped.append(SkippedPath(rel, f"cannot stat: {exc.strerror}"))
                    continue
                if not is_dir:
                    files.append(FileEntry(rel, s.st_size, s.st_mtime_ns))
                elif recursive:
                    stack.append((e.path, rel + "/", specs, seen | {(s.st_dev, s.st_ino)}))
        files.sort(key=lambda f: f.path)
        skipped.sort(key=lambda s: s.path)
        return ScanResult(files, skipped)

    def _follow(
        self,
        link: str,
        rel: str,
        specs: _Specs,
        seen: frozenset[tuple[int, int]],
        skipped: list[SkippedPath],
    ) -> tuple[os.stat_result, bool] | None:
        """Stat a symlink's target if it may be followed; otherwise record why not."""
        name = rel.rsplit("/", 1)[-1]
        try:
            s = os.stat(link)
        except OSError as exc:
            if _file_name_excluded(name) or _spec_ignored(specs, rel, False):
                return None
            if exc.errno == errno.ELOOP:
                reason = "symlink loop"
            elif exc.errno == errno.ENOENT:
                reason = f"dangling symlink (-> {os.readlink(link)})"
            else:
                reason = f"cannot follow symlink: {exc.strerror}"
            skipped.append(SkippedPath(rel, reason))
            return None
        is_dir = st_mode.S_ISDIR(s.st_mode)
        if is_dir:
            if name in EXCLUDED_DIR_NAMES or _spec_ignored(specs, rel, True):
                return None
        elif _file_name_excluded(name) or _spec_ignored(specs, rel, False):
            return None
        real = os.path.realpath(link)
        target_rel = self._rel_of(real)
        if target_rel is None:
            reason = f"symlink points outside the workspace (-> {real})"
        elif is_dir and (s.st_dev, s.st_ino) in seen:
            reason = f"symlink loop (-> {target_rel or '.'})"
        elif not is_dir and not st_mode.S_ISREG(s.st_mode):
            reason = "not a regular file"
        elif target_rel and self.is_ignored(target_rel, is_dir=is_dir):
            reason = f"symlink target is ignored (-> {target_rel})"
        else:
            return s, is_dir
        skipped.append(SkippedPath(rel, reason))
        return None

    def stat(self, rel: str) -> FileEntry | None:
        """Size and mtime of an indexable regular file, or None when missing, ignored or special."""
        path = self._abs(rel)
        try:
            s = os.stat(path)
        except (OSError, ValueError):
            return None
        if not st_mode.S_ISREG(s.st_mode) or self._rel_of(os.path.realpath(path)) is None:
            return None
        if self.is_ignored(rel):
            return None
        return FileEntry(rel, s.st_size, s.st_mtime_ns)

    # -- reading -------------------------------------------------------------------------

    def read(self, rel: str) -> Source:
        """Read one file as text, or raise SkipFile saying why it cannot be indexed."""
        suffix = os.path.splitext(rel)[1].lower()
        if suffix in BINARY_SUFFIXES:
            raise SkipFile(f"binary file ({suffix})")
        path = self._abs(rel)
        try:
            real = os.path.realpath(path)
        except (OSError, ValueError) as exc:
            raise SkipFile(f"unreadable: {exc}", "failed") from exc
        if self._rel_of(real) is None:
            raise SkipFile(f"symlink points outside the workspace (-> {real})")
        try:
            # O_NONBLOCK: opening a FIFO must not wait for a writer.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError as exc:
            raise SkipFile("vanished before it could be read", "vanished") from exc
        except OSError as exc:
            raise SkipFile(f"unreadable: {exc.strerror or exc}", "failed") from exc
        try:
            s = os.fstat(fd)
            if not st_mode.S_ISREG(s.st_mode):
                raise SkipFile("not a regular file")
            if s.st_size > self.max_file_bytes:
                raise SkipFile(self._too_large(s.st_size))
            with open(fd, "rb", closefd=False) as f:
                data = f.read(self.max_file_bytes + 1)
        except OSError as exc:
            raise SkipFile(f"unreadable: {exc.strerror or exc}", "failed") from exc
        finally:
            os.close(fd)
        if len(data) > self.max_file_bytes:
            raise SkipFile(self._too_large(len(data)))
        if b"\0" in data[:BINARY_SNIFF_BYTES]:
            raise SkipFile("binary file (NUL byte in the first 8 KiB)")
        bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
        try:
            text = data[bom:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SkipFile(
                f"not valid UTF-8 at byte {exc.start + bom}: {exc.reason}", "failed"
            ) from exc
        return Source(text, hash_bytes(data), s.st_size, s.st_mtime_ns)

    def _too_large(self, size: int) -> str:
        return (
            f"{_human_size(size)} is over the {_human_size(self.max_file_bytes)} limit "
            "(setting index.max_file_size)"
        )
