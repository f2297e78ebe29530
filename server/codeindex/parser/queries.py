"""Symbol queries: hand-written per language, or built from the grammar's node types.

The main languages have a query each; every other grammar gets a generic query
that matches node types whose name says "definition". Compiled queries are cached
per language and shared between threads.
"""

from __future__ import annotations

import re
import threading

from tree_sitter import Language, Node, Query, QueryError

_JS_COMMON = """
(function_declaration name: (identifier) @name) @def.function
(generator_function_declaration name: (identifier) @name) @def.function
(method_definition name: (_) @name) @def.method
(program (lexical_declaration (variable_declarator name: (identifier) @name) @def.variable))
(program (variable_declaration (variable_declarator name: (identifier) @name) @def.variable))
(export_statement declaration: (lexical_declaration
  (variable_declarator name: (identifier) @name) @def.variable))
(export_statement declaration: (variable_declaration
  (variable_declarator name: (identifier) @name) @def.variable))
"""

_TS = (
    _JS_COMMON
    + """
(function_signature name: (identifier) @name) @def.function
(class_declaration name: (type_identifier) @name) @def.class
(abstract_class_declaration name: (type_identifier) @name) @def.class
(interface_declaration name: (type_identifier) @name) @def.interface
(type_alias_declaration name: (type_identifier) @name) @def.type
(enum_declaration name: (identifier) @name) @def.enum
(method_signature name: (_) @name) @def.method
(abstract_method_signature name: (_) @name) @def.method
(public_field_definition name: (_) @name) @def.property
(property_signature name: (_) @name) @def.property
(internal_module name: (_) @name) @def.namespace
(module name: (_) @name) @def.module
"""
)

_C_COMMON = """
(function_definition declarator: (_) @name) @def.function
(struct_specifier name: (_) @name body: (_)) @def.struct
(union_specifier name: (_) @name body: (_)) @def.struct
(enum_specifier name: (_) @name body: (_)) @def.enum
(type_definition declarator: (_) @name) @def.type
(preproc_def name: (identifier) @name) @def.macro
(preproc_function_def name: (identifier) @name) @def.macro
(translation_unit (declaration declarator: [
  (function_declarator)
  (pointer_declarator declarator: (function_declarator))] @name) @def.function)
"""

_QUERIES: dict[str, str] = {
    "python": """
(class_definition name: (identifier) @name) @def.class
(function_definition name: (identifier) @name) @def.function
(module (assignment left: (identifier) @name) @def.constant)
(module (expression_statement (assignment left: (identifier) @name) @def.constant))
(class_definition body: (block (assignment left: (identifier) @name) @def.constant))
(class_definition body: (block (expression_statement
  (assignment left: (identifier) @name) @def.constant)))
""",
    "javascript": _JS_COMMON
    + """
(class_declaration name: (identifier) @name) @def.class
(field_definition property: (_) @name) @def.property
""",
    "typescript": _TS,
    "tsx": _TS,
    "go": """
(function_declaration name: (identifier) @name) @def.function
(method_declaration receiver: (parameter_list) @receiver name: (field_identifier) @name)
  @def.method
(type_spec name: (type_identifier) @name) @def.type
(type_alias name: (type_identifier) @name) @def.type
(method_elem name: (field_identifier) @name) @def.method
(field_declaration name: (field_identifier) @name) @def.field
(source_file (const_declaration (const_spec name: (identifier) @name) @def.constant))
(source_file (var_declaration (var_spec name: (identifier) @name) @def.variable))
(source_file (var_declaration (var_spec_list (var_spec name: (identifier) @name) @def.variable)))
""",
    "rust": """
(function_item name: (identifier) @name) @def.function
(function_signature_item name: (identifier) @name) @def.function
(struct_item name: (type_identifier) @name) @def.struct
(union_item name: (type_identifier) @name) @def.struct
(enum_item name: (type_identifier) @name) @def.enum
(trait_item name: (type_identifier) @name) @def.trait
(impl_item type: (_) @name) @def.impl
(mod_item name: (identifier) @name) @def.module
(macro_definition name: (identifier) @name) @def.macro
(type_item name: (type_identifier) @name) @def.type
(const_item name: (identifier) @name) @def.constant
(static_item name: (identifier) @name) @def.constant
(field_declaration name: (field_identifier) @name) @def.field
""",
    "java": """
(class_declaration name: (identifier) @name) @def.class
(interface_declaration name: (identifier) @name) @def.interface
(enum_declaration name: (identifier) @name) @def.enum
(record_declaration name: (identifier) @name) @def.class
(annotation_type_declaration name: (identifier) @name) @def.interface
(method_declaration name: (identifier) @name) @def.method
(constructor_declaration name: (identifier) @name) @def.constructor
(compact_constructor_declaration name: (identifier) @name) @def.constructor
(field_declaration declarator: (variable_declarator name: (identifier) @name)) @def.field
(constant_declaration declarator: (variable_declarator name: (identifier) @name)) @def.constant
(enum_constant name: (identifier) @name) @def.constant
""",
    "c": _C_COMMON,
    "cpp": _C_COMMON
    + """
(class_specifier name: (_) @name body: (_)) @def.class
(namespace_definition name: (_) @name) @def.namespace
(alias_declaration name: (type_identifier) @name) @def.type
(field_declaration_list (field_declaration declarator: [
  (function_declarator) (pointer_declarator declarator: (function_declarator))
  (reference_declarator (function_declarator))] @name) @def.function)
(field_declaration_list (declaration declarator: (function_declarator) @name) @def.function)
(field_declaration_list (field_declaration declarator: (field_identifier) @name) @def.field)
(declaration_list (declaration declarator: [
  (function_declarator)
  (pointer_declarator declarator: (function_declarator))] @name) @def.function)
""",
    "csharp": """
(class_declaration name: (identifier) @name) @def.class
(interface_declaration name: (identifier) @name) @def.interface
(struct_declaration name: (identifier) @name) @def.struct
(enum_declaration name: (identifier) @name) @def.enum
(record_declaration name: (identifier) @name) @def.class
(delegate_declaration name: (identifier) @name) @def.type
(method_declaration name: (identifier) @name) @def.method
(local_function_statement name: (identifier) @name) @def.function
(constructor_declaration name: (identifier) @name) @def.constructor
(destructor_declaration name: (identifier) @name) @def.method
(property_declaration name: (identifier) @name) @def.property
(field_declaration (variable_declaration (variable_declarator name: (identifier) @name)))
  @def.field
(namespace_declaration name: (_) @name) @def.namespace
(file_scoped_namespace_declaration name: (_) @name) @def.namespace
""",
    "ruby": """
(class name: (_) @name) @def.class
(module name: (_) @name) @def.module
(method name: (_) @name) @def.function
(singleton_method name: (_) @name) @def.method
(assignment left: (constant) @name) @def.constant
""",
    "php": """
(class_declaration name: (name) @name) @def.class
(interface_declaration name: (name) @name) @def.interface
(trait_declaration name: (name) @name) @def.trait
(enum_declaration name: (name) @name) @def.enum
(function_definition name: (name) @name) @def.function
(method_declaration name: (name) @name) @def.method
(namespace_definition name: (namespace_name) @name) @def.namespace
(const_declaration (const_element (name) @name)) @def.constant
(property_declaration (property_element name: (variable_name (name) @name))) @def.property
""",
}


# Generic definitions for grammars without a hand-written query: node types whose
# name says "definition", found by one query, named by their `name` field or first
# identifier-like child.
_GENERIC_TRIGGERS = frozenset(
    {
        *("function", "class", "method", "definition", "declaration", "struct", "interface"),
        *("enum", "trait", "module", "namespace", "macro", "constructor", "protocol", "impl"),
        *("contract", "fnproto", "vardecl"),
    }
)
_GENERIC_SKIP = frozenset(
    {
        *("import", "export", "include", "using", "package", "parameter", "param", "argument"),
        *("call", "invocation", "expression", "statement", "reference", "body", "list"),
        *("clause", "modifier", "attribute", "annotation", "comment", "pattern", "literal"),
        *("lambda", "anonymous", "closure", "arrow", "specifier", "forward", "local", "suffix"),
        *("selector", "identifier", "head", "entry", "case", "enumerator", "keyword", "path"),
        *("wildcard", "application", "constraint", "tearoff", "of", "packed", "open", "drop"),
        *("implicit", "expansion", "superclass", "id", "name", "builtin", "instance"),
        "command",
    }
)
_GENERIC_KINDS = {
    **dict.fromkeys(["constructor", "init"], "constructor"),
    **dict.fromkeys(["method", "deinit", "subscript"], "method"),
    **dict.fromkeys(["function", "fnproto", "fn", "func", "operator"], "function"),
    "macro": "macro",
    **dict.fromkeys(["class", "object", "contract"], "class"),
    "struct": "struct",
    **dict.fromkeys(["interface", "protocol"], "interface"),
    "enum": "enum",
    "trait": "trait",
    "impl": "impl",
    "namespace": "namespace",
    "module": "module",
    **dict.fromkeys(["const", "constant"], "constant"),
    "field": "field",
    "property": "property",
    **dict.fromkeys(["type", "typealias", "associatedtype"], "type"),
}
_GENERIC_NAMES = frozenset({"name", "constant", "word", "symbol", "simple_identifier"})
_GENERIC_STOP = re.compile(r"body|block|value|parameters|arguments", re.IGNORECASE)


def _generic_kind(node_type: str) -> str | None:
    """The symbol kind a node type name suggests, or None when it is no definition."""
    words = node_type.lower().split("_")
    if (
        not any(w in _GENERIC_TRIGGERS for w in words)
        or any(w in _GENERIC_SKIP or (w.endswith("s") and not w.endswith("ss")) for w in words)
        or words[-1] == "type"
    ):
        return None
    return next((kind for w, kind in _GENERIC_KINDS.items() if w in words), "variable")


def _generic_query(lang: Language) -> str:
    patterns: list[str] = []
    seen: set[str] = set()
    for kind_id in range(lang.node_kind_count):
        node_type = lang.node_kind_for_id(kind_id)
        if (
            not node_type
            or node_type in seen
            or not lang.node_kind_is_named(kind_id)
            or not lang.node_kind_is_visible(kind_id)
            or not re.fullmatch(r"\w+", node_type)
        ):
            continue
        seen.add(node_type)
        kind = _generic_kind(node_type)
        if kind is not None:
            patterns.append(f"({node_type}) @def.{kind}")
    return "\n".join(patterns)


def _generic_name(node: Node) -> Node | None:
    """The name of a definition found by the generic query, or None."""
    name = node.child_by_field_name("name")
    if name is not None:
        return name
    for child in node.named_children:
        t = child.type.lower()
        if t.endswith("identifier") or t in _GENERIC_NAMES:
            return child
        if _GENERIC_STOP.search(t):
            break
    return None


_lock = threading.Lock()
_queries: dict[str, Query | None] = {}


def _compile(lang: Language, src: str) -> Query | None:
    """Compile a query; when the grammar lacks a node type, keep the patterns that work."""
    try:
        return Query(lang, src) if src.strip() else None
    except QueryError:
        patterns = re.split(r"\n(?=\()", src.strip())
        good = []
        for pattern in patterns:
            try:
                Query(lang, pattern)
            except QueryError:
                continue
            good.append(pattern)
        return Query(lang, "\n".join(good)) if good else None


def _query(name: str, lang: Language) -> Query | None:
    if name in _queries:
        return _queries[name]
    with _lock:
        if name not in _queries:
            src = _QUERIES.get(name)
            _queries[name] = _compile(lang, _generic_query(lang) if src is None else src)
        return _queries[name]
