"""The results of the code tools: a file's outline, one symbol's source, a name's references.

TypedDicts like the other results: the CLI-style JSON, the language server's command
results and the MCP tools' structured content are the same, and the MCP output schemas and
the VS Code client's types are generated from them.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from codeindex.contract.results import SymbolInfo

FileFreshness = Literal["fresh", "stale"]
ReferenceKind = Literal["call", "import", "type", "use"]
ReferenceMatch = Literal["same_file", "same_package", "imports_definition", "name_only"]


class OutlineSymbol(TypedDict):
    """A symbol of a file's outline (lines 1-based), with the symbols it holds."""

    name: str
    kind: str
    signature: str
    start_line: int
    end_line: int
    doc: NotRequired[str]
    children: NotRequired[list[OutlineSymbol]]
    omitted: NotRequired[int]


class FileOutline(TypedDict):
    """get_file_outline: the symbols of one file as a tree."""

    path: str
    language: str | None
    lines: int
    freshness: FileFreshness
    symbols: list[OutlineSymbol]
    truncated: bool
    note: str | None


class SymbolSource(TypedDict):
    """get_symbol: the source of one definition, its signature and doc, within a budget."""

    id: str
    name: str
    kind: str
    container: str | None
    path: str
    language: str | None
    start_line: int
    end_line: int
    signature: str
    doc: str | None
    source: str
    bodies: bool
    truncated: bool
    freshness: FileFreshness
    others: list[SymbolInfo]
    note: str | None


class ReferenceInfo(TypedDict):
    """One use of a name: where, how, its line of code, the symbol around it, how sure.

    `caller` is the symbol the use is in; `match` says how surely it means the
    definition asked about.
    """

    path: str
    line: int
    col: int
    kind: ReferenceKind
    text: str
    caller: str | None
    qualifier: str | None
    match: ReferenceMatch


class ReferenceList(TypedDict):
    """find_references: the definitions of a name and its uses, most surely theirs first."""

    name: str
    definitions: list[SymbolInfo]
    references: list[ReferenceInfo]
    total: int
    truncated: bool
    note: str | None
