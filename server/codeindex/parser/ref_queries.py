"""Reference queries: where a file uses names, per language, for `find_references`.

Each capture's name is the kind of use: `call` (the callee of a call: a name, or a
member/attribute/selector/scoped expression whose last part is the name), `type` (a type
use: an annotation, a parameter or field type, a base class, a type argument), `use` (a
name used otherwise: a class reached through `Name.member`, a function passed as a
value), and `import` (a whole import statement; `references` takes the names it brings in
and the module they come from). Grammars without a query here get a generic capture of
identifier uses (`references._generic`), except the data and markup formats below, which
get none.
"""

from __future__ import annotations

_JS_COMMON = """
(call_expression function: (_) @call)
(new_expression constructor: (_) @call)
(import_statement) @import
(class_heritage (identifier) @type)
(class_heritage (member_expression) @type)
(extends_clause value: (_) @type)
(call_expression function: (member_expression object: (identifier) @use (#match? @use "^[A-Z]")))
(decorator (identifier) @call)
(decorator (member_expression) @call)
(jsx_opening_element name: (identifier) @call (#match? @call "^[A-Z]"))
(jsx_self_closing_element name: (identifier) @call (#match? @call "^[A-Z]"))
"""

_TS = (
    _JS_COMMON
    + """
(type_identifier) @type
"""
)

_C_COMMON = """
(call_expression function: (_) @call)
(preproc_include) @import
(type_identifier) @type
"""

REFERENCE_QUERIES: dict[str, str] = {
    "python": """
(call function: (_) @call)
(decorator [(identifier) (attribute)] @call)
(import_statement) @import
(import_from_statement) @import
(type [(identifier) (attribute)] @type)
(type (generic_type (identifier) @type))
(type (subscript value: [(identifier) (attribute)] @type))
(type (binary_operator [(identifier) (attribute)] @type))
(generic_type (type_parameter (type [(identifier) (attribute)] @type)))
(class_definition superclasses: (argument_list [(identifier) (attribute)] @type))
(except_clause value: [(identifier) (attribute)] @type)
(except_clause value: (tuple [(identifier) (attribute)] @type))
(call function: (attribute object: (identifier) @use (#match? @use "^[A-Z]")))
(argument_list (identifier) @use (#match? @use "^[A-Z]"))
(argument_list (attribute object: (identifier) @_o attribute: (identifier)) @use
  (#not-match? @_o "^(self|cls)$"))
(keyword_argument value: (attribute object: (identifier) @_o attribute: (identifier)) @use
  (#not-match? @_o "^(self|cls)$"))
(keyword_argument value: (identifier) @use (#match? @use "^[A-Z]"))
""",
    "javascript": _JS_COMMON,
    "typescript": _TS,
    "tsx": _TS,
    "go": """
(call_expression function: (_) @call)
(import_spec) @import
(type_identifier) @type
(argument_list (identifier) @use (#match? @use "^[A-Z]"))
(argument_list (selector_expression field: (field_identifier) @_f) @use (#match? @_f "^[A-Z]"))
(keyed_element value: (literal_element [(identifier) (selector_expression)] @use))
""",
    "rust": """
(call_expression function: (_) @call)
(macro_invocation macro: (_) @call)
(use_declaration) @import
(type_identifier) @type
(scoped_identifier path: (identifier) @use (#match? @use "^[A-Z]"))
(struct_expression name: (_) @type)
""",
    "java": """
(method_invocation) @call
(object_creation_expression type: (_) @call)
(import_declaration) @import
(type_identifier) @type
(marker_annotation name: (_) @type)
(annotation name: (_) @type)
(method_invocation object: (identifier) @use (#match? @use "^[A-Z]"))
(method_reference . (identifier) @use)
""",
    "c": _C_COMMON,
    "cpp": _C_COMMON
    + """
(using_declaration) @import
(base_class_clause (_) @type)
""",
}

# Grammars of data, markup, prose and configuration: no references are taken from them.
NO_REFERENCES = frozenset(
    {
        *("json", "yaml", "toml", "ini", "properties", "xml", "html", "css", "scss", "markdown"),
        *("rst", "latex", "bibtex", "typst", "org", "csv", "tsv", "psv", "po", "gitignore"),
        *("gitattributes", "gitcommit", "requirements", "pymanifest", "readline", "pem", "dtd"),
        *("mermaid", "kdl", "ron", "gosum", "gomod", "make", "cmake", "dockerfile", "ninja"),
        *("sql", "graphql", "vue", "svelte", "astro", "twig", "heex", "embeddedtemplate"),
        *("linkerscript", "llvm", "asm", "wat", "wast", "pgn", "beancount", "ungrammar"),
    }
)

# Names so common that a reference to them says nothing (builtin types and functions); a
# file that defines or imports such a name keeps its references.
STOP_NAMES: dict[str, frozenset[str]] = {
    "python": frozenset(
        {
            *("int", "str", "bool", "float", "bytes", "list", "dict", "set", "tuple", "object"),
            *("len", "isinstance", "issubclass", "print", "getattr", "setattr", "hasattr"),
            *("super", "type", "range", "enumerate", "zip", "iter", "next", "repr", "sorted"),
            *("min", "max", "any", "all", "callable", "id", "frozenset", "None"),
        }
    ),
    "go": frozenset(
        {
            *("bool", "byte", "rune", "string", "error", "any", "comparable", "uintptr"),
            *("int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32"),
            *("uint64", "float32", "float64", "complex64", "complex128", "len", "cap"),
            *("append", "make", "new", "panic", "recover", "delete", "copy", "close"),
        }
    ),
    "rust": frozenset({"Self", "Some", "None", "Ok", "Err", "Option", "Result", "Vec", "String"}),
    "java": frozenset({"String", "Object", "Override", "Integer", "Boolean", "Long"}),
}
