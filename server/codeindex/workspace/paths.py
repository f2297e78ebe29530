"""Path text at the workspace boundary: names that are not valid UTF-8, and the path errors.

On POSIX a file name is bytes. Python hands a name that is not valid UTF-8 to us as a str
holding lone surrogates (PEP 383), which SQLite, JSON and a UTF-8 terminal all refuse:
one such name used to abort a whole `codeindex index` with a codec message naming no file.
So every path the workspace produces is checked here: an invalid name is never indexed
(its row could not be stored), it is reported with a printable form instead, in which each
byte that is not UTF-8 shows as a backslash escape (`bad\\xff.py`, as Python writes bytes).
Every message that leaves the workspace goes through `printable` too.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from codeindex.errors import BadArgument, OutsideWorkspace

_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_name(text: str) -> bool:
    """Whether `text` (a name or a relative path) is valid UTF-8, so it can be stored and shown."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    # U+DC80..U+DCFF stand for the bytes 0x80..0xFF that os.fsdecode could not decode.
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every byte that was not valid UTF-8 shown as `\\xNN` (any other lone
    surrogate as `\\uNNNN`): safe for SQLite, JSON and a terminal."""
    return text if valid_name(text) else _SURROGATE.sub(_escape, text)


def shown(text: str) -> str:
    """A path for a message, unquoted: invalid bytes as `\\xNN` (`printable`), and control
    and direction-changing characters (a newline, an RTL override) escaped, not acting."""
    text = printable(text)
    if all(unicodedata.category(ch) not in ("Cc", "Cf") for ch in text):
        return text
    return "".join(
        ch.encode("unicode_escape").decode() if unicodedata.category(ch) in ("Cc", "Cf") else ch
        for ch in text
    )


def quoted(text: str) -> str:
    """A path quoted for a message, as `repr` would, with invalid bytes shown as `\\xNN`."""
    return repr(text) if valid_name(text) else f"'{printable(text)}'"


def bad_name_reason(is_dir: bool) -> str:
    """Why a file or folder whose name is not valid UTF-8 is not indexed, and what to do."""
    if is_dir:
        return (
            "folder name is not valid UTF-8, so nothing under it is indexed: "
            "rename it to a UTF-8 name to index it"
        )
    return "file name is not valid UTF-8: rename it to a UTF-8 name to index it"


class WorkspaceError(BadArgument):
    """A path or file problem with a message that says what was wrong and what to do."""

    def __init__(self, message: str, **data: Any) -> None:
        super().__init__(printable(message), **data)


class OutsideWorkspaceError(WorkspaceError, OutsideWorkspace):
    """A path that resolves outside the workspace root."""


class BadFileNameError(WorkspaceError):
    """A path from outside whose name is not valid UTF-8: it cannot be indexed or stored.

    `shown` is its printable form (see `printable`), for a caller that skips it and goes on.
    """

    def __init__(self, path: str, is_dir: bool = False) -> None:
        self.shown = printable(path)
        super().__init__(f"{quoted(path)}: {bad_name_reason(is_dir)}")
