"""One line of text per search hit or symbol, as both paths of the CLI print them.

Its own light module: the query fast path (`fast`) and the full CLI's renderers (`render`)
print the same lines, and the fast path must not import rich.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from codeindex.contract import FileMatch, SearchHit, SearchResponse, SymbolInfo

__all__ = ["hit_line", "result_lines", "shown", "symbol_line"]


def shown(text: Any) -> str:
    """A path or name safe to print on a terminal: control and direction-changing characters
    (a newline, an RTL override) are shown escaped instead of acting."""
    value = str(text)
    if all(unicodedata.category(ch) not in ("Cc", "Cf") for ch in value):
        return value
    return "".join(
        ch if unicodedata.category(ch) not in ("Cc", "Cf") else ch.encode("unicode_escape").decode()
        for ch in value
    )


def hit_line(hit: SearchHit) -> str:
    """One search hit as the CLI prints it."""
    extra = f" [{hit['symbol']}]" if hit["symbol"] else ""
    fresh = "" if hit["freshness"] == "fresh" else f" ({hit['freshness']})"
    return f"{shown(hit['path'])}:{hit['line']}{extra}{fresh}  {hit['snippet']}"


def _context(hit: SearchHit) -> list[str]:
    if hit["context"] is None or hit["context_start_line"] is None:
        return []
    first = hit["context_start_line"]
    return [
        f"    {first + i:>5}{'>' if first + i == hit['line'] else ' '} {text}"
        for i, text in enumerate(hit["context"].split("\n"))
    ]


def _file_line(file: FileMatch) -> str:
    kind = "" if file["file_kind"] == "source" else f" ({file['file_kind']})"
    fresh = "" if file["freshness"] == "fresh" else f" ({file['freshness']})"
    symbols = f"  {', '.join(map(shown, file['symbols']))}" if file["symbols"] else ""
    return f"{shown(file['path'])}:{file['line']}{kind}{fresh}{symbols}"


def result_lines(result: SearchResponse, *, context: bool) -> list[str]:
    """A search's answer as the CLI prints it: a line per hit (and, with `context`, its
    context lines), or per file (and its hits, indented)."""
    lines: list[str] = []
    for hit in result["hits"]:
        lines += [hit_line(hit), *(_context(hit) if context else [])]
    for file in result["files"]:
        lines.append(_file_line(file))
        for hit in file["hits"]:
            lines += ["  " + hit_line(hit), *(_context(hit) if context else [])]
    if result["truncated"]:
        lines.append("... more results left out to fit --max-tokens")
    return lines or ["no results"]


def symbol_line(symbol: SymbolInfo) -> str:
    """One found symbol as the CLI prints it."""
    container = f"{symbol['container']}." if symbol["container"] else ""
    return (
        f"{shown(symbol['path'])}:{symbol['start_line']}  {symbol['kind']} "
        f"{container}{shown(symbol['name'])}"
    )
