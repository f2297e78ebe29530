"""The names an import statement brings in, each with the module it comes from.

`from a.b import c as d` brings in `c` from `a.b`; `import a.b.c` brings in `c` from `a.b`;
Go's `import f "x/y/foo"` brings in `f` (else `foo`) from `x/y/foo`; Rust's
`use a::b::{C, d::E}` brings in `C` from `a::b` and `E` from `a::b::d`; TypeScript's
`import { A } from "./m"` brings in `A` from `./m`; Java's `import a.b.C;` brings in `C`
from `a.b`; C's `#include "x/foo.h"` brings in `foo` from `x/foo.h`. The node returned is
where the name is written, so the reference points at it.
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

Imported = tuple[Node, str | None, str | None]
"""Where the name is written, the name when it is not that node's text, the module."""


def _text(node: Node, data: bytes) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _dotted(node: Node, data: bytes, base: str | None) -> Iterator[Imported]:
    """`a.b.c` (or `a.b.c as d`): the last part, from `base.a.b`."""
    if node.type == "aliased_import":
        inner = node.child_by_field_name("name")
        if inner is None:
            return
        node = inner
    parts = [c for c in node.named_children if c.type == "identifier"] or [node]
    prefix = ".".join(_text(p, data) for p in parts[:-1])
    joined = ".".join(p for p in (base, prefix) if p) if base != "." else "." + prefix
    yield parts[-1], None, joined or None


def _python(node: Node, data: bytes) -> Iterator[Imported]:
    module = node.child_by_field_name("module_name")
    base = _text(module, data) if module is not None else None
    for i, child in enumerate(node.children):
        if node.field_name_for_child(i) == "name":
            yield from _dotted(child, data, base)


def _go(node: Node, data: bytes) -> Iterator[Imported]:
    path = node.child_by_field_name("path")
    if path is None:
        return
    where = _text(path, data).strip('"`')
    alias = node.child_by_field_name("name")
    if alias is not None and alias.type == "package_identifier":
        yield alias, None, where
    else:
        yield path, where.rsplit("/", 1)[-1], where


def _rust(node: Node, data: bytes, prefix: str | None) -> Iterator[Imported]:
    kind = node.type
    if kind == "use_declaration":
        argument = node.child_by_field_name("argument")
        if argument is not None:
            yield from _rust(argument, data, None)
    elif kind in ("identifier", "type_identifier"):
        yield node, None, prefix
    elif kind == "scoped_identifier":
        name, path = node.child_by_field_name("name"), node.child_by_field_name("path")
        if name is not None:
            outer = _text(path, data) if path is not None else None
            yield name, None, "::".join(p for p in (prefix, outer) if p) or None
    elif kind in ("scoped_use_list", "use_list"):
        path = node.child_by_field_name("path")
        inner = "::".join(p for p in (prefix, _text(path, data) if path else None) if p) or None
        for child in node.named_children:
            if child.id != (path.id if path is not None else -1):
                yield from _rust(child, data, inner)
    elif kind == "use_as_clause":
        path = node.child_by_field_name("path")
        if path is not None:
            yield from _rust(path, data, prefix)


def _script(node: Node, data: bytes) -> Iterator[Imported]:
    source = node.child_by_field_name("source")
    where = _text(source, data).strip("\"'`") if source is not None else None
    stack = [c for c in node.named_children if c.type == "import_clause"]
    while stack:
        part = stack.pop()
        if part.type == "import_specifier":
            name = part.child_by_field_name("name")
            if name is not None:
                yield name, None, where
        elif part.type == "identifier":
            yield part, None, where
        else:
            stack.extend(reversed(part.named_children))


def _java(node: Node, data: bytes) -> Iterator[Imported]:
    for child in node.named_children:
        if child.type == "scoped_identifier":
            name, scope = child.child_by_field_name("name"), child.child_by_field_name("scope")
            if name is not None:
                yield name, None, _text(scope, data) if scope is not None else None
        elif child.type == "identifier":
            yield child, None, None


def _include(node: Node, data: bytes) -> Iterator[Imported]:
    path = node.child_by_field_name("path")
    if path is not None:
        where = _text(path, data).strip('"<>')
        yield path, where.rsplit("/", 1)[-1].split(".", 1)[0], where


def import_names(node: Node, data: bytes, language: str) -> Iterator[Imported]:
    """The (name node, module) pairs one import statement of `language` brings in."""
    if language == "python":
        yield from _python(node, data)
    elif language == "go":
        yield from _go(node, data)
    elif language == "rust":
        yield from _rust(node, data, None)
    elif language in ("javascript", "typescript", "tsx"):
        yield from _script(node, data)
    elif language == "java":
        yield from _java(node, data)
    elif node.type == "preproc_include":
        yield from _include(node, data)
    elif node.type == "using_declaration":
        yield from _using(node, data)


def _using(node: Node, data: bytes) -> Iterator[Imported]:
    """C++ `using std::vector;`: `vector` from `std`."""
    for child in node.named_children:
        scope: list[str] = []
        while child.type == "qualified_identifier":
            part, name = child.child_by_field_name("scope"), child.child_by_field_name("name")
            if name is None:
                break
            if part is not None:
                scope.append(_text(part, data))
            child = name
        if child.named_child_count == 0:
            yield child, None, "::".join(scope) or None
