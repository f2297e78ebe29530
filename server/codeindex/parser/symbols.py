"""Symbols: the definitions a query matches, named, kinded and nested into containers.

``_collect`` digs each match's identifier out of declarators and qualified names,
``_refine`` settles kinds a query cannot decide alone, ``_nest`` builds the dotted
container paths, and ``_symbols`` turns byte columns into character columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node, Query, QueryCursor

from codeindex.parser.queries import _QUERIES, _generic_name

KINDS = frozenset(
    {
        *("function", "method", "constructor", "class", "interface", "struct", "enum", "trait"),
        *("type", "module", "namespace", "impl", "macro", "constant", "variable", "field"),
        "property",
    }
)


@dataclass(frozen=True, slots=True)
class Symbol:
    """A named definition; lines are 1-based inclusive, columns 0-based characters."""

    name: str
    kind: str
    container: str | None
    start_line: int
    start_col: int
    end_line: int
    end_col: int


# Kinds whose definitions hold other definitions (containers); a function directly
# inside one of _METHOD_PARENTS becomes a method.
_CONTAINER_KINDS = KINDS - {"type", "variable", "constant", "field", "property", "macro"}
_METHOD_PARENTS = frozenset({"class", "struct", "interface", "trait", "impl", "enum"})
_RUBY_METHOD_PARENTS = _METHOD_PARENTS | {"module"}

_UPPER = re.compile(r"_*[A-Z][A-Z0-9_]*")
_FUNCTION_VALUES = frozenset(
    {"arrow_function", "function_expression", "function", "generator_function"}
)
_DECLARATORS = frozenset(
    {
        "function_declarator",
        "pointer_declarator",
        "reference_declarator",
        "array_declarator",
        "parenthesized_declarator",
        "attributed_declarator",
        "pointer_type",
        "reference_type",
        "generic_type",
        "template_type",
        "parameter_list",
        "parameter_declaration",
        "parenthesized_type",
    }
)
_QUALIFIED = frozenset(
    {"qualified_identifier", "scope_resolution", "scoped_type_identifier", "scoped_identifier"}
)
_WRAPPERS = frozenset(
    {
        "decorated_definition",
        "export_statement",
        "template_declaration",
        "ambient_declaration",
        "lexical_declaration",
        "variable_declaration",
        "type_declaration",
        "const_declaration",
        "var_declaration",
    }
)


@dataclass(slots=True)
class _Def:
    name: str
    kind: str
    scope: list[str]
    start: int  # bytes of the definition node
    end: int
    outer_row: int  # first row of the definition with its wrappers (decorators, export)
    end_row: int
    name_node: Node
    node: Node
    receiver: str | None = None
    path: str = ""


def _end_row(node: Node) -> int:
    start, end = node.start_point, node.end_point
    return end.row - 1 if end.column == 0 and end.row > start.row else end.row


def _unwrap_name(node: Node) -> tuple[list[Node], Node]:
    """Dig the identifier out of a declarator or type; return (qualifier parts, name node)."""
    scope: list[Node] = []
    for _ in range(32):
        t = node.type
        if t in _DECLARATORS:
            inner = (
                node.child_by_field_name("declarator")
                or node.child_by_field_name("type")
                or node.child_by_field_name("name")
                or (node.named_children[-1] if node.named_child_count else None)
            )
            if t == "parameter_list":
                inner = node.named_children[0] if node.named_child_count else None
            if inner is None:
                break
            node = inner
        elif t in _QUALIFIED:
            qualifier = node.child_by_field_name("scope") or node.child_by_field_name("path")
            name = node.child_by_field_name("name")
            if name is None:
                break
            if qualifier is not None:
                scope.append(qualifier)
            node = name
        else:
            break
    return scope, node


def _collect(root: Node, data: bytes, query: Query, language: str) -> list[_Def]:
    generic = language not in _QUERIES
    defs: dict[int, _Def] = {}
    for _, caps in QueryCursor(query).matches(root):
        kind = ""
        node: Node | None = None
        for key, nodes in caps.items():
            if key.startswith("def."):
                kind, node = key[4:], nodes[0]
        if node is None:
            continue
        names = caps.get("name")
        name_node = names[0] if names else _generic_name(node) if generic else None
        if name_node is None:
            continue
        def_key = node.id if generic else name_node.id
        if def_key in defs:
            continue
        scope_nodes, name_node = _unwrap_name(name_node)
        raw = data[name_node.start_byte : name_node.end_byte].decode("utf-8", "replace")
        name = raw.strip().split("\n", 1)[0].strip()
        if kind in ("module", "namespace"):
            name = name.strip("'\"`")
        scope = [
            re.sub(r"<.*", "", data[s.start_byte : s.end_byte].decode("utf-8", "replace"))
            for s in scope_nodes
        ]
        refined = _refine(kind, node, name, data, language)
        if refined is None or not name:
            continue
        receiver = None
        if "receiver" in caps:
            _, recv = _unwrap_name(caps["receiver"][0])
            receiver = data[recv.start_byte : recv.end_byte].decode("utf-8", "replace")
        if refined == "impl":
            scope = []
        defs[def_key] = _Def(
            name,
            refined,
            [s for s in scope if s],
            node.start_byte,
            node.end_byte,
            _outer_row(node),
            _end_row(node),
            name_node,
            node,
            receiver,
        )
    return list(defs.values())


def _outer_row(node: Node) -> int:
    row = node.start_point.row
    end = _end_row(node)
    parent = node.parent
    while parent is not None and parent.type in _WRAPPERS and _end_row(parent) == end:
        row = parent.start_point.row
        parent = parent.parent
    return row


def _refine(kind: str, node: Node, name: str, data: bytes, language: str) -> str | None:
    """Settle a kind that the query cannot decide alone; None drops the definition."""
    t = node.type
    if t == "assignment" and language == "python":
        return kind if _UPPER.fullmatch(name) else None
    if t == "variable_declarator":
        value = node.child_by_field_name("value")
        if value is not None and value.type in _FUNCTION_VALUES:
            return "function"
        if value is not None and value.type == "class":
            return "class"
        decl = node.parent
        if decl is None or decl.parent is None or decl.parent.type != "export_statement":
            return None
        return "constant" if data[decl.start_byte : decl.start_byte + 5] == b"const" else kind
    if t in ("public_field_definition", "field_definition"):
        value = node.child_by_field_name("value")
        return "method" if value is not None and value.type in _FUNCTION_VALUES else kind
    if t == "type_spec":
        body = node.child_by_field_name("type")
        if body is not None and body.type == "struct_type":
            return "struct"
        if body is not None and body.type == "interface_type":
            return "interface"
    if kind == "method" and name in ("constructor", "__construct"):
        return "constructor"
    if kind == "field" and len(name) > 1 and _UPPER.fullmatch(name):
        return "constant"
    return kind


def _nest(defs: list[_Def], language: str) -> list[_Def]:
    """Fill in containers (dotted paths), turn functions inside classes into methods.

    Returns the definitions in file order, overload signatures folded into the
    declaration that follows them (TypeScript's ``pipe()`` has a dozen).
    """
    defs.sort(key=lambda d: (d.start, -d.end))
    method_parents = _RUBY_METHOD_PARENTS if language == "ruby" else _METHOD_PARENTS
    generic = language not in _QUERIES
    stack: list[_Def] = []
    kept: list[_Def] = []
    for d in defs:
        while stack and not (
            d.end <= stack[-1].end and (d.start, d.end) != (stack[-1].start, stack[-1].end)
        ):
            stack.pop()
        parent = stack[-1] if stack else None
        if (
            generic
            and parent is not None
            and d.kind in ("variable", "constant")
            and parent.kind in ("function", "method", "constructor")
        ):
            continue  # a local variable
        if parent is not None and d.kind == "function" and parent.kind in method_parents:
            d.kind = "constructor" if d.name == parent.name and language == "cpp" else "method"
        parts = [parent.path] if parent is not None else []
        if d.receiver:
            parts = [d.receiver]
        parts += d.scope
        d.path = ".".join([*parts, d.name])
        d.scope = parts
        if d.kind in _CONTAINER_KINDS:
            stack.append(d)
        if kept and kept[-1].path == d.path and kept[-1].node.type.endswith("signature"):
            kept[-1] = d
        else:
            kept.append(d)
    return kept


def _symbols(defs: list[_Def], lines: list[str], data: bytes) -> list[Symbol]:
    raw_lines: list[bytes] | None = None

    def col(row: int, byte_col: int) -> int:
        nonlocal raw_lines
        if byte_col == 0 or lines[row].isascii():
            return byte_col
        if raw_lines is None:
            raw_lines = data.split(b"\n")
        return len(raw_lines[row][:byte_col].decode("utf-8", "replace"))

    symbols: list[Symbol] = []
    for d in defs:
        start = d.name_node.start_point
        end = d.node.end_point
        if end.column == 0 and end.row > d.node.start_point.row:
            end_row, end_col = end.row - 1, len(lines[end.row - 1])
        else:
            end_row, end_col = end.row, col(end.row, end.column)
        symbols.append(
            Symbol(
                d.name,
                d.kind,
                ".".join(d.scope) or None,
                start.row + 1,
                col(start.row, start.column),
                end_row + 1,
                end_col,
            )
        )
    return symbols
