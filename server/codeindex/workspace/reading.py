"""Reading one file safely: every bad file becomes a `SkipFile` with a reason (invariant 9).

A file is refused before it is opened when its name is not valid UTF-8 or its extension is a
binary one, when it leads outside the workspace, or when it is not a regular file (a FIFO
is opened without blocking), and after it is read when it is over the size limit. Its bytes
are hashed as they are on disk and decoded as an editor would (see `decoding`): UTF-16 with a
byte-order mark, cp1252 and other legacy encodings are text; only binary data is skipped.
Lines end at `\n`, `\r\n` or a `\r` alone (old Mac files): a lone `\r` becomes `\n` in the
text, so line numbers are those an editor shows.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat as st_mode
from dataclasses import dataclass

from codeindex.workspace.decoding import NotText, decode
from codeindex.workspace.paths import bad_name_reason, printable, valid_name
from codeindex.workspace.root import MIB, WorkspaceRoot

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
KIB = 1024
# A carriage return alone ends a line (classic Mac OS files), as every editor and LSP reads it.
_LONE_CR = re.compile(r"\r(?!\n)")


class SkipFile(Exception):
    """One file that cannot be indexed, with the reason to record for it (always printable)."""

    def __init__(self, reason: str, kind: str = "skipped") -> None:
        reason = printable(reason)
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
class Source:
    """A file's text, the hash of its bytes, its stat, and the encoding it was read in.

    `encoding` is None for UTF-8 without a byte-order mark, else Python's name of the
    encoding (`cp1252`, `utf-16-le`, `utf-8-sig`, ...), with `decoding.LOSSY` appended when
    bytes that did not fit it were replaced by U+FFFD.
    """

    text: str
    content_hash: str
    size: int
    mtime_ns: int
    encoding: str | None = None


def hash_bytes(data: bytes) -> str:
    """Return the sha256 hex digest of `data`."""
    return hashlib.sha256(data).hexdigest()


def human_size(n: int) -> str:
    """A size for a message: bytes, KiB or MiB."""
    if n >= MIB:
        return f"{n / MIB:.1f} MiB"
    if n >= KIB:
        return f"{n / KIB:.1f} KiB"
    return f"{n} bytes"


def _too_large(size: int, limit: int) -> str:
    return f"{human_size(size)} is over the {human_size(limit)} limit (setting index.max_file_size)"


def read_source(workspace: WorkspaceRoot, rel: str) -> Source:
    """Read one file of `workspace` as text, or raise SkipFile saying why it cannot be indexed."""
    if not valid_name(rel):
        raise SkipFile(bad_name_reason(is_dir=False))
    suffix = os.path.splitext(rel)[1].lower()
    if suffix in BINARY_SUFFIXES:
        raise SkipFile(f"binary file ({suffix})")
    path = workspace.abs_path(rel)
    limit = workspace.max_file_bytes
    try:
        real = os.path.realpath(path)
    except (OSError, ValueError) as exc:
        raise SkipFile(f"unreadable: {exc}", "failed") from exc
    if workspace.rel_of(real) is None:
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
        if s.st_size > limit:
            raise SkipFile(_too_large(s.st_size, limit))
        with open(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise SkipFile(f"unreadable: {exc.strerror or exc}", "failed") from exc
    finally:
        os.close(fd)
    if len(data) > limit:
        raise SkipFile(_too_large(len(data), limit))
    try:
        decoded = decode(data)
    except NotText as exc:
        raise SkipFile(str(exc)) from exc
    text = _LONE_CR.sub("\n", decoded.text) if "\r" in decoded.text else decoded.text
    return Source(text, hash_bytes(data), s.st_size, s.st_mtime_ns, decoded.encoding)
