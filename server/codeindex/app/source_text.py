"""A definition's text as an agent wants it: its signature, its first doc line, its source
with the comments and decorators above it, and a class with its members' bodies left out.

Pure functions over a file's lines (1-based line numbers in, text out). The lines are the
file as it was indexed, rebuilt from its chunks (`indexed_lines`), so they always agree
with the symbols' line numbers, even when the file changed on disk since.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from codeindex.embedding.context import leading_doc

MAX_SIGNATURE = 200
_SIGNATURE_LINES = 8
_ABOVE = re.compile(r"^\s*(?:@|#\[|//|/\*|\*|--|#(?!\s*(?:include|define|if|endif|else|pragma)))")
_CONTINUED = (",", "(", "[", "\\", "->", "=>")
_SPACE = re.compile(r"\s+")
_DOCSTRING = re.compile(r"\s*[rbuRBU]?(\"{3}|'{3})")


def indexed_lines(chunks: Sequence[tuple[int, int, str]]) -> list[str]:
    """A file's lines rebuilt from its chunks ((start, end, text) in order); blank lines,
    which no chunk holds, come back empty."""
    total = max((end for _, end, _ in chunks), default=0)
    lines = [""] * total
    for start, end, text in chunks:
        parts = text.split("\n")
        if len(parts) == end - start + 1:
            lines[start - 1 : end] = parts
        else:  # a slice of one over-long line: the slices follow each other
            lines[start - 1] += text
    return lines


def signature(lines: Sequence[str], start: int, end: int) -> tuple[str, int]:
    """The definition's head from its name's line: whole lines until its brackets close,
    whitespace collapsed, a trailing `{` or `:` dropped; and the line where it ends."""
    depth = 0
    parts: list[str] = []
    last = start
    for number in range(start, min(end, start + _SIGNATURE_LINES - 1, len(lines)) + 1):
        line = lines[number - 1].strip()
        parts.append(line)
        last = number
        depth += sum(line.count(c) for c in "([") - sum(line.count(c) for c in ")]")
        if depth <= 0 and not line.endswith(_CONTINUED):
            break
    text = _SPACE.sub(" ", " ".join(parts)).strip()
    trimmed = text.removesuffix("{").removesuffix(":").rstrip()
    text = trimmed if trimmed and not trimmed.endswith("=") else text
    if len(text) > MAX_SIGNATURE:
        text = text[: MAX_SIGNATURE - 3] + "..."
    return text, last


def first_doc(lines: Sequence[str], start: int) -> str | None:
    """The first sentence of the comment above the definition or of its docstring."""
    return leading_doc(lines, start) if 0 < start <= len(lines) else None


def head_line(lines: Sequence[str], start: int, floor: int = 1) -> int:
    """The first line of a definition with the comments, decorators and attributes right
    above its name's line (never above `floor`)."""
    line = start
    while line - 1 >= floor and lines[line - 2].strip() and _ABOVE.match(lines[line - 2]):
        line -= 1
    return line


def elided(
    lines: Sequence[str], first: int, last: int, members: Sequence[tuple[int, int]]
) -> list[str]:
    """Lines first..last with the bodies of `members` ((name line, end line), in order)
    replaced by one `...` line: a class as its members' signatures."""
    out: list[str] = []
    line = first
    for start, end in members:
        if start < line or end > last:
            continue
        out.extend(lines[line - 1 : start - 1])
        _, head_end = signature(lines, start, end)
        head_end = _with_docstring(lines, head_end, end)
        out.extend(lines[start - 1 : head_end])
        if head_end < end:
            indent = len(lines[start - 1]) - len(lines[start - 1].lstrip())
            out.append(" " * (indent + 4) + "...")
            closing = lines[end - 1].strip()
            if closing in ("}", "};", "end"):
                out.append(lines[end - 1])
        line = end + 1
    out.extend(lines[line - 1 : last])
    return out


def _with_docstring(lines: Sequence[str], head_end: int, end: int) -> int:
    """The signature's end moved past a Python docstring's first line of text."""
    if head_end < end and _DOCSTRING.match(lines[head_end]):
        bare = _DOCSTRING.fullmatch(lines[head_end].strip())
        return head_end + (2 if bare and head_end + 1 < end else 1)
    return head_end
