"""tree-sitter parsing: a file's text in, its symbols and search chunks out.

Pure and I/O free: callers read and decode the file, this module only looks at
the text. Symbols come from per-language queries for the main languages
(Python, JavaScript, TypeScript, TSX, Go, Rust, Java, C, C++, C#, Ruby, PHP)
and from a generic definition query built from the grammar's node types for
every other grammar in the language pack. Chunks follow the syntax tree: a
definition is one chunk, a definition longer than ``max_chunk_chars`` is split
by its children (recursively), and small neighbours are merged while they fit.
Files without a grammar are chunked by lines, preferring blank lines as breaks.

Lines are ``text.split("\\n")``: a ``\\r`` before the newline stays part of the
line's content (tree-sitter counts rows the same way), so every chunk's text
is exactly ``"\\n".join(lines[start_line - 1 : end_line])``. The one exception
is a single line longer than ``max_chunk_chars`` (minified code): it becomes
several chunks on that line whose texts are consecutive slices of it
(whitespace-only slices are dropped).

A symbol's start is the position of its name (where an editor should jump),
its end is the end of the whole definition. Columns count characters (code
points), not bytes. Parsers are cached per thread and language; compiled
queries are shared, so ``parse`` is safe to call from worker threads.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import accumulate
from typing import get_args

from tree_sitter import Language, Node, Parser, Query, QueryCursor, QueryError
from tree_sitter_language_pack import SupportedLanguage, get_language

PARSER_VERSION: int = 1

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


@dataclass(frozen=True, slots=True)
class Chunk:
    """A run of whole source lines (or a slice of one over-long line) to index and embed."""

    start_line: int
    end_line: int
    text: str
    symbol: str | None


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Everything ``parse`` learns about one file."""

    language: str | None
    symbols: list[Symbol]
    chunks: list[Chunk]
    error: str | None


# --------------------------------------------------------------------------- languages

_SUPPORTED: frozenset[str] = frozenset(get_args(SupportedLanguage))

# "grammar: extensions; ..." and "grammar: file names; ..." (grammar names as in the pack).
_EXTENSION_TABLE = """
python: py pyi pyw; javascript: js mjs cjs jsx; typescript: ts mts cts; tsx: tsx; go: go
rust: rs; java: java; c: c h; cpp: cc cpp cxx c++ hpp hh hxx h++ ipp tpp inl; csharp: cs
ruby: rb rake gemspec ru; php: php phtml; kotlin: kt kts; swift: swift; scala: scala sc
lua: lua; luau: luau; bash: sh bash; fish: fish; powershell: ps1 psm1 psd1; perl: pl pm
r: r; julia: jl; dart: dart; elixir: ex exs; erlang: erl hrl; haskell: hs; ocaml: ml
ocaml_interface: mli; fsharp: fs fsx; fsharp_signature: fsi; clojure: clj cljs cljc edn
elisp: el; commonlisp: lisp cl; scheme: scm ss; racket: rkt; fennel: fnl; janet: janet
nim: nim; zig: zig; verilog: v sv svh; vhdl: vhd vhdl; d: d; odin: odin; hare: ha
gleam: gleam; elm: elm; purescript: purs; haxe: hx; hack: hack; groovy: groovy gradle
objc: m mm; cuda: cu cuh; glsl: glsl vert frag geom comp; hlsl: hlsl; wgsl: wgsl; ispc: ispc
solidity: sol; cairo: cairo; terraform: tf tfvars; hcl: hcl; nix: nix; proto: proto
thrift: thrift; graphql: graphql gql; sql: sql; json: json jsonc; yaml: yaml yml; toml: toml
ini: ini; properties: properties; xml: xml xsd xsl xslt svg plist; html: html htm xhtml
css: css; scss: scss; vue: vue; svelte: svelte; astro: astro; markdown: md markdown
rst: rst; latex: tex sty cls; bibtex: bib; typst: typ; org: org; csv: csv; tsv: tsv
psv: psv; cmake: cmake; make: mk mak; dockerfile: dockerfile; gn: gn gni; ninja: ninja
starlark: bzl bazel star; kdl: kdl; ron: ron; po: po pot; linkerscript: ld; llvm: ll
asm: s asm; ada: ada adb ads; fortran: f f90 f95 f03 f08 for; cobol: cob cbl
pascal: pas dpr; tcl: tcl; vim: vim; jsonnet: jsonnet libsonnet; rego: rego; prisma: prisma
smithy: smithy; capnp: capnp; dtd: dtd; wat: wat; wast: wast; twig: twig; heex: heex
embeddedtemplate: erb eex ejs; gdscript: gd; qmljs: qml; bicep: bicep; pony: pony
puppet: pp; sparql: sparql rq; tablegen: td; ungrammar: ungram; re2c: re
beancount: beancount; bitbake: bb bbappend bbclass; yuck: yuck; mermaid: mmd; pem: pem
agda: agda; actionscript: as; arduino: ino; apex: apex trigger; clarity: clar; smali: smali
squirrel: nut; uxntal: tal; magik: magik; pgn: pgn; gitattributes: gitattributes
gitignore: gitignore
"""
_FILENAME_TABLE = """
make: Makefile makefile GNUmakefile; dockerfile: Dockerfile Containerfile
cmake: CMakeLists.txt; ruby: Gemfile Rakefile Guardfile Vagrantfile Podfile
starlark: BUILD WORKSPACE BUCK Tiltfile; meson: meson.build meson_options.txt
gitignore: .gitignore .dockerignore .npmignore; gitattributes: .gitattributes
gitcommit: COMMIT_EDITMSG; gomod: go.mod; gosum: go.sum; requirements: requirements.txt
pymanifest: MANIFEST.in; readline: .inputrc; kconfig: Kconfig; vim: .vimrc _vimrc
bash: .bashrc .bash_profile .profile .zshrc
"""


def _table(src: str) -> dict[str, str]:
    return {
        key: lang
        for entry in src.replace("\n", ";").split(";")
        for lang, _, keys in [entry.strip().partition(": ")]
        for key in keys.split()
    }


_EXTENSIONS = _table(_EXTENSION_TABLE)
_FILENAMES = _table(_FILENAME_TABLE)


def language_for_path(path: str) -> str | None:
    """The grammar name for a path, by file name or extension; None when there is none."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    lang = _FILENAMES.get(name)
    if lang is None:
        if name.startswith(("Dockerfile.", "Containerfile.")):
            return "dockerfile"
        if name.startswith("requirements") and name.endswith(".txt"):
            return "requirements"
        _, dot, ext = name.rpartition(".")
        lang = _EXTENSIONS.get(ext.lower()) if dot else None
    return lang if lang in _SUPPORTED else None


# --------------------------------------------------------------------------- queries

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

# Kinds whose definitions hold other definitions (containers); a function directly
# inside one of _METHOD_PARENTS becomes a method.
_CONTAINER_KINDS = KINDS - {"type", "variable", "constant", "field", "property", "macro"}
_METHOD_PARENTS = frozenset({"class", "struct", "interface", "trait", "impl", "enum"})
_RUBY_METHOD_PARENTS = _METHOD_PARENTS | {"module"}

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
_languages: dict[str, Language] = {}
_queries: dict[str, Query | None] = {}
_local = threading.local()


def _language(name: str) -> Language | None:
    lang = _languages.get(name)
    if lang is None and name in _SUPPORTED:
        with _lock:
            lang = _languages.get(name)
            if lang is None:
                try:
                    lang = get_language(name)  # type: ignore[arg-type]
                except Exception:  # a grammar that fails to load means plain-text chunks
                    return None
                _languages[name] = lang
    return lang


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


def _parser(name: str, lang: Language) -> Parser:
    parsers: dict[str, Parser] | None = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    parser = parsers.get(name)
    if parser is None:
        parser = parsers[name] = Parser(lang)
    return parser


# --------------------------------------------------------------------------- symbols

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


# --------------------------------------------------------------------------- chunks

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


def _chunks(lines: list[str], root: Node | None, max_chars: int, defs: list[_Def]) -> list[Chunk]:
    chunker = _Chunker(lines, max_chars)
    last = len(lines) - 1
    if root is None:
        chunker.lines_range(0, last)
    else:
        chunker.walk(root.children, 0)
    defs = sorted(defs, key=lambda d: (d.outer_row, -d.end_row))
    starts = [d.outer_row for d in defs]
    chunks: list[Chunk] = []
    sliced: set[int] = set()

    def symbol_for(core: int, end: int) -> str | None:
        i = bisect_right(starts, core) - 1
        while i >= 0:
            if defs[i].end_row >= end:
                return defs[i].path
            i -= 1
        return None

    def emit(start: int, end: int, core: int, lo: int, hi: int) -> None:
        if lo >= 0:
            sliced.add(len(chunks))
            chunks.append(
                Chunk(start + 1, start + 1, lines[start][lo:hi], symbol_for(start, start))
            )
            return
        while start <= end and not lines[start].strip():
            start += 1
        while end >= start and not lines[end].strip():
            end -= 1
        if start > end:
            return
        symbol = symbol_for(max(core, start), end)
        if chunks and len(chunks) - 1 not in sliced:
            prev = chunks[-1]
            # A neighbour of the same definition left small by a split: merge when it fits.
            if prev.symbol == symbol and chunker.size(prev.start_line - 1, end) <= max_chars:
                start = prev.start_line - 1
                chunks.pop()
        chunks.append(Chunk(start + 1, end + 1, "\n".join(lines[start : end + 1]), symbol))

    def gap(start: int, end: int) -> None:
        if any(lines[r].strip() for r in range(start, end + 1)):
            sub = _Chunker(lines, max_chars)
            sub.lines_range(start, end)
            for segment in sub.out:
                emit(*segment)

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
                gap(prev_end + 1, start - 1)
        emit(start, end, core, lo, hi)
        prev_end = end
    if prev_end < last:
        gap(prev_end + 1, last)
    return chunks


# --------------------------------------------------------------------------- parse


def _error_rows(root: Node, limit: int = 3) -> list[int]:
    rows: list[int] = []
    stack = [root]
    while stack and len(rows) < limit:
        node = stack.pop()
        if node.is_error or node.is_missing:
            row = node.start_point.row + 1
            if row not in rows:
                rows.append(row)
            continue
        stack.extend(reversed([c for c in node.children if c.has_error]))
    return rows


def parse(text: str, language: str | None, *, max_chunk_chars: int = 1000) -> ParseResult:
    """Parse one file's text into symbols and chunks; never raises on bad source."""
    max_chars = max(1, max_chunk_chars)
    lines = text.split("\n")
    lang = _language(language) if language else None
    if language is None or lang is None:
        return ParseResult(None, [], _chunks(lines, None, max_chars, []), None)
    data = text.encode("utf-8", "surrogatepass")
    tree = _parser(language, lang).parse(data)
    root = tree.root_node
    query = _query(language, lang)
    defs = _collect(root, data, query, language) if query is not None else []
    defs = _nest(defs, language)
    error = None
    if root.has_error:
        rows = _error_rows(root)
        noun = "line" if len(rows) == 1 else "lines"
        error = (
            f"syntax errors near {noun} {', '.join(map(str, rows))}" if rows else "syntax errors"
        )
    chunks = _chunks(lines, root, max_chars, defs)
    return ParseResult(language, _symbols(defs, lines, data), chunks, error)


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
