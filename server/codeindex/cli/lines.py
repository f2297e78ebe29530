"""One line of text per search hit or symbol, as both paths of the CLI print them.

Its own light module: the query fast path (`fast`) and the full CLI's renderers (`render`)
print the same lines, and the fast path must not import rich.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from codeindex.contract import SearchHit, SymbolInfo

__all__ = ["hit_line", "shown", "symbol_line"]


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


def symbol_line(symbol: SymbolInfo) -> str:
    """One found symbol as the CLI prints it."""
    container = f"{symbol['container']}." if symbol["container"] else ""
    return (
        f"{shown(symbol['path'])}:{symbol['start_line']}  {symbol['kind']} "
        f"{container}{shown(symbol['name'])}"
    )
