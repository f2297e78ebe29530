"""Chunks: syntax-aware grouping of whole lines, with plain-text and long-line fallbacks."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import accumulate

from tree_sitter import Node

from codeindex.parser.symbols import _Def, _end_row


@dataclass(frozen=True, slots=True)
class Chunk:
    """A run of whole source lines (or a slice of one over-long line) to index and embed."""

    start_line: int
    end_line: int
    text: str
    symbol: str | None
    cols: tuple[int, int] | None = None  # a slice of one over-long line: its columns


_PREFIX_TYPES = frozenset({"attribute_item", "decorator", "annotation", "marker_annotation"})


_BODY = re.compile(r"block|body|suite|_list$|compound_statement")


def _is_prefix(node_type: str) -> bool:
    return "comment" in node_type or node_type in _PREFIX_TYPES


class _Chunker:
    """Greedy syntax-aware grouping of rows; emits (start, end, core, lo, hi) segments."""

    def __init__(self, lines: list[str], max_chars: int) -> None:
        self.lines = lines
        self.cum = [0, *accumulate(len(line) + 1 for line in lines)]
        self.max = max_chars
        self.long_rows = [i for i, line in enumerate(lines) if len(line) > max_chars]
        self.out: list[tuple[int, int, int, int, int]] = []

    def size(self, start: int, end: int) -> int:
        return self.cum[end + 1] - self.cum[start] - 1

    def units(self, nodes: list[Node]) -> list[tuple[int, int, int, list[Node]]]:
        """Group sibling nodes into row-disjoint units, attaching comments to what follows."""
        units: list[tuple[int, int, int, list[Node]]] = []
        pending: tuple[int, int, list[Node]] | None = None
        for node in nodes:
            start, end = node.start_point.row, _end_row(node)
            if pending is None and units and start <= units[-1][1]:
                s, e, core, members = units[-1]
                members.append(node)
                units[-1] = (s, max(e, end), core, members)
                continue
            if _is_prefix(node.type):
                if pending is not None and start <= pending[1] + 1:
                    pending = (pending[0], max(pending[1], end), [*pending[2], node])
                else:
                    if pending is not None:
                        units.append((pending[0], pending[1], pending[0], pending[2]))
                    pending = (start, end, [node])
                continue
            if pending is not None:
                if start <= pending[1] + 1:
                    units.append((pending[0], max(end, pending[1]), start, [*pending[2], node]))
                    pending = None
                    continue
                units.append((pending[0], pending[1], pending[0], pending[2]))
                pending = None
            units.append((start, end, start, [node]))
        if pending is not None:
            units.append((pending[0], pending[1], pending[0], pending[2]))
        return units

    def walk(self, nodes: list[Node], depth: int, cur: list[int] | None = None) -> None:
        """Merge small units greedily; split oversized ones by their children.

        ``cur`` is the open group carried in from the parent: a definition's header
        (``def f():``, ``class A {``) that should start the first chunk of its body.
        """
        units = self.units(nodes)
        last = len(units) - 1
        for i, (start, end, core, members) in enumerate(units):
            if cur is not None and self.size(cur[0], end) <= self.max:
                cur[1] = end
                continue
            carry = cur if cur is not None and cur[1] + 1 >= start else None
            if cur is not None and carry is None:
                self.out.append((cur[0], cur[1], cur[2], -1, -1))
            cur = None
            if self.size(start, end) <= self.max and not (
                carry is not None
                and i == last
                and depth > 0
                and len(members) == 1
                and _BODY.search(members[0].type)
            ):
                if carry is not None:
                    self.out.append((carry[0], carry[1], carry[2], -1, -1))
                cur = [start, end, core]
                continue
            children: list[Node] = []
            expanded = False
            for node in members:
                # Cuts fall between rows: a node on one row is never worth opening.
                if (
                    node.child_count
                    and node.end_point.row > node.start_point.row
                    and not _is_prefix(node.type)
                ):
                    children.extend(node.children)
                    expanded = True
                else:
                    children.append(node)
            long_row = bisect_left(self.long_rows, start)
            if (
                not expanded
                or depth > 200
                or (long_row < len(self.long_rows) and self.long_rows[long_row] <= end)
            ):
                if carry is not None:
                    self.out.append((carry[0], carry[1], carry[2], -1, -1))
                self.lines_range(start, end)
            else:
                self.walk(children, depth + 1, carry)
        if cur is not None:
            self.out.append((cur[0], cur[1], cur[2], -1, -1))

    def lines_range(self, start: int, end: int) -> None:
        """Plain chunking of rows start..end: paragraphs merged, long ones split by lines."""
        lines = self.lines
        cur: list[int] | None = None
        row = start
        while row <= end:
            if not lines[row].strip():
                row += 1
                continue
            para_end = row
            while para_end < end and lines[para_end + 1].strip():
                para_end += 1
            if cur is not None and self.size(cur[0], para_end) <= self.max:
                cur[1] = para_end
            else:
                if cur is not None:
                    self.out.append((cur[0], cur[1], cur[0], -1, -1))
                    cur = None
                if self.size(row, para_end) <= self.max:
                    cur = [row, para_end]
                else:
                    for r in range(row, para_end + 1):
                        if cur is not None and self.size(cur[0], r) <= self.max:
                            cur[1] = r
                            continue
                        if cur is not None:
                            self.out.append((cur[0], cur[1], cur[0], -1, -1))
                            cur = None
                        if len(lines[r]) <= self.max:
                            cur = [r, r]
                        else:
                            self.slices(r)
            row = para_end + 1
        if cur is not None:
            self.out.append((cur[0], cur[1], cur[0], -1, -1))

    def slices(self, row: int) -> None:
        """Cut one over-long line into pieces, preferring to cut after whitespace."""
        line = self.lines[row]
        pos, n, limit = 0, len(line), self.max
        while pos < n:
            cut = min(pos + limit, n)
            if cut < n:
                space = line.rfind(" ", pos + limit * 3 // 4, cut)
                if space >= 0:
                    cut = space + 1
            if line[pos:cut].strip():
                self.out.append((row, row, row, pos, cut))
            pos = cut


class _Assembly:
    """Chunks from the chunker's row ranges: blank edges trimmed, each named after the
    innermost definition that holds it, a small neighbour of the same definition merged."""

    def __init__(self, chunker: _Chunker, defs: list[_Def]) -> None:
        self.lines = chunker.lines
        self.max = chunker.max
        self.sizer = chunker
        self.defs = sorted(defs, key=lambda d: (d.outer_row, -d.end_row))
        self.starts = [d.outer_row for d in self.defs]
        self.chunks: list[Chunk] = []
        self.sliced: set[int] = set()  # indexes of chunks that are a slice of one line

    def symbol_for(self, core: int, end: int) -> str | None:
        i = bisect_right(self.starts, core) - 1
        while i >= 0:
            if self.defs[i].end_row >= end:
                return self.defs[i].path
            i -= 1
        return None

    def emit(self, start: int, end: int, core: int, lo: int, hi: int) -> None:
        lines, chunks = self.lines, self.chunks
        if lo >= 0:
            self.sliced.add(len(chunks))
            symbol = self.symbol_for(start, start)
            text = lines[start][lo:hi]
            chunks.append(Chunk(start + 1, start + 1, text, symbol, (lo, hi)))
            return
        while start <= end and not lines[start].strip():
            start += 1
        while end >= start and not lines[end].strip():
            end -= 1
        if start > end:
            return
        symbol = self.symbol_for(max(core, start), end)
        if chunks and len(chunks) - 1 not in self.sliced:
            prev = chunks[-1]
            # A neighbour of the same definition left small by a split: merge when it fits.
            if prev.symbol == symbol and self.sizer.size(prev.start_line - 1, end) <= self.max:
                start = prev.start_line - 1
                chunks.pop()
        chunks.append(Chunk(start + 1, end + 1, "\n".join(lines[start : end + 1]), symbol))

    def gap(self, start: int, end: int) -> None:
        if any(self.lines[r].strip() for r in range(start, end + 1)):
            sub = _Chunker(self.lines, self.max)
            sub.lines_range(start, end)
            for segment in sub.out:
                self.emit(*segment)


def _chunks(lines: list[str], root: Node | None, max_chars: int, defs: list[_Def]) -> list[Chunk]:
    chunker = _Chunker(lines, max_chars)
    last = len(lines) - 1
    if root is None:
        chunker.lines_range(0, last)
    else:
        chunker.walk(root.children, 0)
    assembly = _Assembly(chunker, defs)
    prev_end = -1
    for start, end, core, lo, hi in chunker.out:
        if start <= prev_end and lo < 0:  # defensive: rows never overlap
            start = prev_end + 1
            if start > end:
                continue
        if prev_end < start - 1:
            if lo < 0 and chunker.size(prev_end + 1, end) <= max_chars:
                start = prev_end + 1
            else:
                assembly.gap(prev_end + 1, start - 1)
        assembly.emit(start, end, core, lo, hi)
        prev_end = end
    if prev_end < last:
        assembly.gap(prev_end + 1, last)
    return assembly.chunks
