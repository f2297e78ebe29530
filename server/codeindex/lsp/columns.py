"""Columns in the client's position encoding.

The index stores a symbol's columns as characters (code points) of its line; an LSP
`Position.character` counts code units of the encoding negotiated at `initialize` (UTF-16
unless the client offers another, as pygls negotiates it). They differ on a line with
characters outside the ASCII range before the column: an emoji before a name is two
UTF-16 units, four UTF-8 ones. Each line needed is read from the file as it is on disk
now (decoded as the indexer decodes it); a file that is plain ASCII, that cannot be read,
or whose line is shorter than the column keeps the stored column.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pygls.workspace.position_codec import PositionCodec

MAX_BYTES = 8 * 1024 * 1024  # larger files keep their stored columns


def _lines(path: Path) -> list[str] | None:
    """The file's lines as the indexer numbers them; None for ASCII or unreadable files."""
    from codeindex.workspace.decoding import NotText, decode  # not before initialize

    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_BYTES or data.isascii():
        return None
    try:
        return decode(data).text.split("\n")
    except NotText:
        return None


def convert(
    codec: PositionCodec, root: Path, wanted: Iterable[tuple[str, int, int]]
) -> dict[tuple[str, int, int], int]:
    """Client columns for (path, 1-based line, stored column) triples whose value changes
    in the client's encoding (the others are left out: they stay as stored)."""
    by_path: dict[str, list[tuple[int, int]]] = {}
    for path, line, column in wanted:
        by_path.setdefault(path, []).append((line, column))
    converted: dict[tuple[str, int, int], int] = {}
    for path, spots in by_path.items():
        lines = _lines(root / path)
        if lines is None:
            continue
        for line, column in spots:
            if 0 < line <= len(lines) and column <= len(lines[line - 1]):
                units = codec.client_num_units(lines[line - 1][:column])
                if units != column:
                    converted[(path, line, column)] = units
    return converted
