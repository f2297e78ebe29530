"""References: where a file uses a name (calls, imports, type uses), and in which symbol.

Taken from the same syntax tree as the symbols, by the queries of `ref_queries` (or, for a
grammar without one, by a generic walk over identifier uses). A reference is a name, how
it is used, where (line, column), what it was reached through (`qualifier`: the receiver
`c` of `c.AddCommand()`, the module of an import, the package of `pkg.Type`) and the
innermost definition that holds it (`caller`, a dotted path like the symbols'): what
`find_references` calls "called by". Names are only names: which definition a use means
is decided when references are looked up, by where the definitions are and what each file
imports (`app.code_refs`).
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Language, Node, Query, QueryCursor

from codeindex.parser.queries import _compile
from codeindex.parser.ref_imports import import_names
from codeindex.parser.ref_queries import NO_REFERENCES, REFERENCE_QUERIES, STOP_NAMES
from codeindex.parser.symbols import _Def

MAX_QUALIFIER = 80
MAX_PER_FILE = 20_000
_PRIORITY = {"import": 0, "call": 1, "type": 2, "use": 3}
_NAME_FIELDS = ("property", "attribute", "field", "name")
_OBJECT_FIELDS = ("object", "operand", "value", "argument", "path", "scope", "module", "package")
_WRAPPERS = {
    "generic_function": "function",
    "template_function": "name",
    "generic_type": "type",
    "template_type": "name",
    "parenthesized_expression": "",
    "await": "",
    "non_null_expression": "",
}
_LEAF_NAMES = frozenset({"name", "constant", "simple_identifier"})
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Reference:
    """A use of a name: line 1-based, column 0-based characters; `caller` the dotted path
    of the innermost definition around it (None at the top level of the file)."""

    name: str
    kind: str
    line: int
    col: int
    qualifier: str | None
    caller: str | None


@dataclass(slots=True)
class _Use:
    node: Node
    kind: str
    qualifier: str | None
    name: str | None = None  # when the name is not the node's text (a Go import path)


def _text(node: Node, data: bytes) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _qualifier(node: Node | None, data: bytes) -> str | None:
    if node is None:
        return None
    text = _SPACE.sub(" ", _text(node, data)).strip()
    return text if len(text) <= MAX_QUALIFIER else "..." + text[-(MAX_QUALIFIER - 3) :]


def is_leaf_name(node: Node) -> bool:
    """An identifier-like node with nothing inside (a name, not an expression)."""
    return node.named_child_count == 0 and (
        node.type.endswith("identifier") or node.type in _LEAF_NAMES
    )


def _field(node: Node, names: tuple[str, ...]) -> Node | None:
    for name in names:
        child = node.child_by_field_name(name)
        if child is not None:
            return child
    return None


def target(node: Node, data: bytes) -> tuple[Node, str | None] | None:
    """The name node a callee, type or member expression ends in, and what it was reached
    through (`a.b.c` -> c, "a.b"); None when it ends in no name (a call's result, a
    subscript)."""
    qualifiers: list[str] = []
    for _ in range(8):
        if node.type in _WRAPPERS:
            inner = node.child_by_field_name(_WRAPPERS[node.type]) if _WRAPPERS[node.type] else None
            inner = inner or (node.named_children[0] if node.named_child_count else None)
            if inner is None:
                return None
            node = inner
            continue
        if is_leaf_name(node):
            if not qualifiers:
                qualifiers.append(_qualifier(_qualified_parent(node), data) or "")
            return node, "::".join(q for q in qualifiers if q) or None
        name = _field(node, _NAME_FIELDS)
        if name is None:
            return None
        qualifier = _qualifier(_field(node, _OBJECT_FIELDS), data)
        if qualifier:
            qualifiers.append(qualifier)
        node = name
    return None


def _qualified_parent(node: Node) -> Node | None:
    """For a leaf that is the name of `pkg.Type` or `path::Type`, the `pkg` / `path` part."""
    parent = node.parent
    if parent is None or parent.type in ("call", "call_expression", "method_invocation"):
        return None
    name = _field(parent, _NAME_FIELDS)
    if name is None or name.id != node.id:
        return None
    return _field(parent, _OBJECT_FIELDS)


_lock = threading.Lock()
_queries: dict[str, Query | None] = {}


def _query(language: str, lang: Language) -> Query | None:
    if language in _queries:
        return _queries[language]
    with _lock:
        if language not in _queries:
            src = REFERENCE_QUERIES.get(language)
            _queries[language] = _compile(lang, src) if src else None
        return _queries[language]


def _queried(root: Node, data: bytes, language: str, query: Query) -> Iterator[_Use]:
    for _, caps in QueryCursor(query).matches(root):
        for kind, nodes in caps.items():
            if kind not in _PRIORITY:
                continue
            for node in nodes:
                if kind == "import":
                    for where, name, qualifier in import_names(node, data, language):
                        yield _Use(where, "import", qualifier, name)
                    continue
                found = target(node, data)
                if found is not None:
                    yield _Use(found[0], kind, found[1])


_MEMBER = ("member", "access", "selector", "scope", "qualified", "navigation", "attribute")
_RECEIVERS = ("receiver", "object", "operand", "expression", "scope", "path", "value", "argument")


def _generic_kind(node: Node) -> tuple[str, Node | None]:
    """How the generic walk sees an identifier: its kind, and what it was reached through."""
    parent = node.parent
    if parent is None:
        return "use", None
    receiver = _field(parent, _RECEIVERS)
    if receiver is not None and receiver.id == node.id:
        return "use", None  # `a` of `a.b`: a value, not what is called
    member = any(w in parent.type for w in _MEMBER)
    if receiver is None and member and parent.named_children[0].id != node.id:
        receiver = parent.named_children[0]
    context = parent.parent if member and parent.parent is not None else parent
    up: Node | None = context
    for _ in range(3):
        if up is None:
            break
        if any(w in up.type for w in ("import", "include", "using", "require", "use_decl")):
            return "import", receiver
        up = up.parent
    if any(w in context.type for w in ("call", "invocation")):
        return "call", receiver
    return ("type" if "type" in node.type or "type" in parent.type else "use"), receiver


def _generic(root: Node, data: bytes) -> Iterator[_Use]:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.named_child_count:
            stack.extend(reversed(node.named_children))
        elif is_leaf_name(node):
            kind, qualifier = _generic_kind(node)
            yield _Use(node, kind, _qualifier(qualifier, data))


def extract(
    root: Node, data: bytes, language: str, lang: Language, defs: list[_Def]
) -> list[Reference]:
    """Every reference of one parsed file, in file order, each with its caller."""
    if language in NO_REFERENCES:
        return []
    query = _query(language, lang)
    uses = _queried(root, data, language, query) if query is not None else _generic(root, data)
    defined = {(d.name_node.start_byte, d.name_node.end_byte) for d in defs}
    best: dict[int, _Use] = {}
    for use in uses:
        node = use.node
        if (node.start_byte, node.end_byte) in defined:
            continue
        held = best.get(node.start_byte)
        if held is None or (_PRIORITY[use.kind], held.qualifier is None) < (
            _PRIORITY[held.kind],
            use.qualifier is None,
        ):
            best[node.start_byte] = use
        if len(best) >= MAX_PER_FILE:
            break
    return _finish(sorted(best.items()), data, language, defs)


def _finish(
    uses: list[tuple[int, _Use]], data: bytes, language: str, defs: list[_Def]
) -> list[Reference]:
    """Names read, common names dropped, columns in characters, callers found."""
    imported = {u.name or _text(u.node, data) for _, u in uses if u.kind == "import"}
    keep = imported | {d.name for d in defs}
    stop = STOP_NAMES.get(language, frozenset())
    ordered = sorted(defs, key=lambda d: (d.start, -d.end))
    starts = [d.start for d in ordered]
    lines: list[bytes] | None = None
    found: list[Reference] = []
    seen: set[tuple[str, int, str]] = set()
    for start, use in uses:
        name = (use.name or _text(use.node, data)).strip()
        row = use.node.start_point.row
        if len(name) < 2 or (name in stop and name not in keep) or (name, row, use.kind) in seen:
            continue
        seen.add((name, row, use.kind))
        column = use.node.start_point.column
        if column and not data[start - column : start].isascii():
            lines = lines if lines is not None else data.split(b"\n")
            column = len(lines[row][:column].decode("utf-8", "replace"))
        found.append(
            Reference(
                name, use.kind, row + 1, column, use.qualifier, _caller(ordered, starts, start)
            )
        )
    return found


def _caller(defs: list[_Def], starts: list[int], at: int) -> str | None:
    """The dotted path of the innermost definition that holds byte `at`."""
    i = bisect_right(starts, at) - 1
    while i >= 0:
        if defs[i].end > at:
            return defs[i].path
        i -= 1
    return None
