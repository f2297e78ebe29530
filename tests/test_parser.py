"""Parser tests: symbols per language, chunk invariants, and the real corpora."""

from __future__ import annotations

import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from codeindex.parser import KINDS, Chunk, ParseResult, language_for_path, parse

Sym = tuple[str, str, str | None, int]


def _syms(result: ParseResult) -> set[Sym]:
    return {(s.name, s.kind, s.container, s.start_line) for s in result.symbols}


def _src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _line_of(text: str, needle: str) -> int:
    """1-based number of the first line containing needle (fails when absent)."""
    for number, line in enumerate(text.split("\n"), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def _check_chunks(text: str, chunks: list[Chunk], max_chars: int) -> None:
    """Chunks are ordered, disjoint, exact, bounded, non-empty and cover every non-blank line."""
    lines = text.split("\n")
    covered: set[int] = set()
    prev_end = 0
    prev_slice_end: tuple[int, int] | None = None  # (line, offset) of the last slice
    for chunk in chunks:
        assert chunk.text.strip(), chunk
        assert len(chunk.text) <= max_chars, (chunk.start_line, len(chunk.text))
        assert 1 <= chunk.start_line <= chunk.end_line <= len(lines)
        exact = "\n".join(lines[chunk.start_line - 1 : chunk.end_line])
        if chunk.text == exact:
            assert chunk.start_line > prev_end, (chunk.start_line, prev_end)
            prev_slice_end = None
        else:
            line = lines[chunk.start_line - 1]
            assert chunk.start_line == chunk.end_line and len(line) > max_chars, chunk
            offset = (
                prev_slice_end[1] if prev_slice_end and prev_slice_end[0] == chunk.start_line else 0
            )
            if offset == 0:
                assert chunk.start_line > prev_end
            found = line.find(chunk.text, offset)
            assert found >= 0 and not line[offset:found].strip(), chunk.start_line
            prev_slice_end = (chunk.start_line, found + len(chunk.text))
        prev_end = chunk.end_line
        covered.update(range(chunk.start_line, chunk.end_line + 1))
    missing = [n for n, line in enumerate(lines, 1) if line.strip() and n not in covered]
    assert not missing, missing[:10]


# --------------------------------------------------------------------------- symbols

SNIPPETS = [
    pytest.param(
        "python",
        """
        import os
        MAX_SIZE = 10
        lower = 1

        # about Foo
        @decorator
        class Foo(Base):
            LIMIT = 3

            def method(self):
                def inner():
                    pass

            async def amethod(self):
                pass

        def top():
            pass
        """,
        {
            ("MAX_SIZE", "constant", None, 2),
            ("Foo", "class", None, 7),
            ("LIMIT", "constant", "Foo", 8),
            ("method", "method", "Foo", 10),
            ("inner", "function", "Foo.method", 11),
            ("amethod", "method", "Foo", 14),
            ("top", "function", None, 17),
        },
        id="python",
    ),
    pytest.param(
        "javascript",
        """
        const helper = require('x');
        export const api = 1;
        export default class Foo {
          constructor() {}
          static bar() {}
          handler = () => {};
        }
        function* gen() {}
        const arrow = async () => {};
        """,
        {
            ("api", "constant", None, 2),
            ("Foo", "class", None, 3),
            ("constructor", "constructor", "Foo", 4),
            ("bar", "method", "Foo", 5),
            ("handler", "method", "Foo", 6),
            ("gen", "function", None, 8),
            ("arrow", "function", None, 9),
        },
        id="javascript",
    ),
    pytest.param(
        "typescript",
        """
        export interface Shape { area(): number; name: string }
        export type Id = string;
        export enum Color { Red }
        export abstract class Base<T> {
          abstract size(): number;
          run(): void {}
        }
        export function over(a: string): void;
        export function over(a: number): void;
        export function over(a: any): void {}
        export const double = (x: number) => x * 2;
        namespace Util { function inner() {} }
        """,
        {
            ("Shape", "interface", None, 1),
            ("area", "method", "Shape", 1),
            ("name", "property", "Shape", 1),
            ("Id", "type", None, 2),
            ("Color", "enum", None, 3),
            ("Base", "class", None, 4),
            ("size", "method", "Base", 5),
            ("run", "method", "Base", 6),
            ("over", "function", None, 10),
            ("double", "function", None, 11),
            ("Util", "namespace", None, 12),
            ("inner", "function", "Util", 12),
        },
        id="typescript",
    ),
    pytest.param(
        "tsx",
        """
        interface Props { title: string }
        export function App({ title }: Props) {
          return <div>{title}</div>;
        }
        export const Button = () => <button />;
        """,
        {
            ("Props", "interface", None, 1),
            ("title", "property", "Props", 1),
            ("App", "function", None, 2),
            ("Button", "function", None, 5),
        },
        id="tsx",
    ),
    pytest.param(
        "go",
        """
        package main

        type Command struct {
            Use string
        }

        type Runner interface {
            Run() error
        }

        type ID = int

        const Version = "1"

        func (c *Command) Execute() error { return nil }

        func (s Stack[T]) Push(v T) {}

        func main() {}
        """,
        {
            ("Command", "struct", None, 3),
            ("Use", "field", "Command", 4),
            ("Runner", "interface", None, 7),
            ("Run", "method", "Runner", 8),
            ("ID", "type", None, 11),
            ("Version", "constant", None, 13),
            ("Execute", "method", "Command", 15),
            ("Push", "method", "Stack", 17),
            ("main", "function", None, 19),
        },
        id="go",
    ),
    pytest.param(
        "rust",
        """
        #[derive(Debug)]
        pub struct Regex(Exec);

        pub enum Kind { A, B }

        pub trait Input {
            fn at(&self, i: usize) -> char;
        }

        impl<'a> fmt::Display for Regex<'a> {
            fn fmt(&self) {}
        }

        mod tests {
            fn helper() {}
        }

        macro_rules! define { () => {} }

        const MAX: usize = 1;
        """,
        {
            ("Regex", "struct", None, 2),
            ("Kind", "enum", None, 4),
            ("Input", "trait", None, 6),
            ("at", "method", "Input", 7),
            ("Regex", "impl", None, 10),
            ("fmt", "method", "Regex", 11),
            ("tests", "module", None, 14),
            ("helper", "function", "tests", 15),
            ("define", "macro", None, 18),
            ("MAX", "constant", None, 20),
        },
        id="rust",
    ),
    pytest.param(
        "java",
        """
        package p;
        public class Outer {
            static final int LIMIT = 1;
            private int count;
            Outer() {}
            @Override
            public String toString() { return ""; }
            interface Inner { void call(); }
            enum Mode { ON }
        }
        """,
        {
            ("Outer", "class", None, 2),
            ("LIMIT", "constant", "Outer", 3),
            ("count", "field", "Outer", 4),
            ("Outer", "constructor", "Outer", 5),
            ("toString", "method", "Outer", 7),
            ("Inner", "interface", "Outer", 8),
            ("call", "method", "Outer.Inner", 8),
            ("Mode", "enum", "Outer", 9),
            ("ON", "constant", "Outer.Mode", 9),
        },
        id="java",
    ),
    pytest.param(
        "c",
        """
        #define MAX(a, b) ((a) > (b) ? (a) : (b))
        struct node { int value; };
        typedef unsigned long size_type;
        enum color { RED };
        static char *name(int id) { return 0; }
        int count(void);
        int main(void) { int local = 0; return local; }
        """,
        {
            ("MAX", "macro", None, 1),
            ("node", "struct", None, 2),
            ("size_type", "type", None, 3),
            ("color", "enum", None, 4),
            ("name", "function", None, 5),
            ("count", "function", None, 6),
            ("main", "function", None, 7),
        },
        id="c",
    ),
    pytest.param(
        "cpp",
        """
        namespace ns {
        class Widget : public Base {
          public:
            Widget();
            void draw();
            int size() const { return 0; }
            int width;
        };
        }
        void ns::Widget::draw() {}
        template <typename T> struct Box { T value; };
        using Alias = int;
        """,
        {
            ("ns", "namespace", None, 1),
            ("Widget", "class", "ns", 2),
            ("Widget", "constructor", "ns.Widget", 4),
            ("draw", "method", "ns.Widget", 5),
            ("size", "method", "ns.Widget", 6),
            ("width", "field", "ns.Widget", 7),
            ("draw", "function", "ns.Widget", 10),
            ("Box", "struct", None, 11),
            ("value", "field", "Box", 11),
            ("Alias", "type", None, 12),
        },
        id="cpp",
    ),
    pytest.param(
        "csharp",
        """
        namespace App.Core {
            public class Service : IService {
                public Service() {}
                public int Count { get; set; }
                private int total;
                public void Run() {}
            }
            public interface IService { void Run(); }
            public struct Point {}
            public enum Level { Low }
            public record Person(string Name);
        }
        """,
        {
            ("App.Core", "namespace", None, 1),
            ("Service", "class", "App.Core", 2),
            ("Service", "constructor", "App.Core.Service", 3),
            ("Count", "property", "App.Core.Service", 4),
            ("total", "field", "App.Core.Service", 5),
            ("Run", "method", "App.Core.Service", 6),
            ("IService", "interface", "App.Core", 8),
            ("Run", "method", "App.Core.IService", 8),
            ("Point", "struct", "App.Core", 9),
            ("Level", "enum", "App.Core", 10),
            ("Person", "class", "App.Core", 11),
        },
        id="csharp",
    ),
    pytest.param(
        "ruby",
        """
        module Shop
          class Cart::Item < Base
            LIMIT = 5
            def total
            end
            def self.build
            end
          end
        end
        def helper
        end
        """,
        {
            ("Shop", "module", None, 1),
            ("Item", "class", "Shop.Cart", 2),
            ("LIMIT", "constant", "Shop.Cart.Item", 3),
            ("total", "method", "Shop.Cart.Item", 4),
            ("build", "method", "Shop.Cart.Item", 6),
            ("helper", "function", None, 10),
        },
        id="ruby",
    ),
    pytest.param(
        "php",
        """
        <?php
        namespace App\\Models;
        class User extends Model {
            const ROLE = 'user';
            private $name;
            public function __construct() {}
            public static function find($id) {}
        }
        interface Repo { function all(); }
        trait Greets {}
        function helper() {}
        """,
        {
            ("App\\Models", "namespace", None, 2),
            ("User", "class", None, 3),
            ("ROLE", "constant", "User", 4),
            ("name", "property", "User", 5),
            ("__construct", "constructor", "User", 6),
            ("find", "method", "User", 7),
            ("Repo", "interface", None, 9),
            ("all", "method", "Repo", 9),
            ("Greets", "trait", None, 10),
            ("helper", "function", None, 11),
        },
        id="php",
    ),
    pytest.param(
        "kotlin",
        """
        class Greeter(val name: String) {
            fun greet() {}
        }
        object Registry
        fun main() {}
        """,
        {
            ("Greeter", "class", None, 1),
            ("greet", "method", "Greeter", 2),
            ("Registry", "class", None, 4),
            ("main", "function", None, 5),
        },
        id="kotlin-generic",
    ),
    pytest.param(
        "lua",
        """
        local function helper() end
        function M.run(x) return x end
        """,
        {("helper", "function", None, 1), ("M.run", "function", None, 2)},
        id="lua-generic",
    ),
    pytest.param(
        "bash",
        """
        build() { make; }
        function deploy { echo hi; }
        """,
        {("build", "function", None, 1), ("deploy", "function", None, 2)},
        id="bash-generic",
    ),
]


@pytest.mark.parametrize(("language", "source", "expected"), SNIPPETS)
def test_symbols(language: str, source: str, expected: set[Sym]) -> None:
    result = parse(_src(source), language)
    assert result.error is None
    assert result.language == language
    assert _syms(result) == expected
    assert all(s.kind in KINDS for s in result.symbols)


def test_symbol_positions_are_characters_and_span_the_definition() -> None:
    text = "ünï = 1\ndef fé(a):\n    return a\n"
    [symbol] = parse(text, "python").symbols
    assert (symbol.start_line, symbol.start_col) == (2, 4)
    assert (symbol.end_line, symbol.end_col) == (3, 12)


def test_typescript_overloads_fold_into_the_implementation() -> None:
    text = _src(
        """
        class Stream {
          pipe(): Stream;
          pipe(a: number): Stream;
          pipe(...a: number[]): Stream { return this; }
        }
        """
    )
    pipes = [s for s in parse(text, "typescript").symbols if s.name == "pipe"]
    assert [(s.kind, s.container, s.start_line) for s in pipes] == [("method", "Stream", 4)]


# --------------------------------------------------------------------------- languages


@pytest.mark.parametrize(
    ("path", "language"),
    [
        pytest.param("src/app.py", "python", id="py"),
        pytest.param("a/b/types.pyi", "python", id="pyi"),
        pytest.param("web/index.JS", "javascript", id="upper-ext"),
        pytest.param("lib/x.mjs", "javascript", id="mjs"),
        pytest.param("x.ts", "typescript", id="ts"),
        pytest.param("x.tsx", "tsx", id="tsx"),
        pytest.param("x.go", "go", id="go"),
        pytest.param("x.rs", "rust", id="rs"),
        pytest.param("X.java", "java", id="java"),
        pytest.param("x.c", "c", id="c"),
        pytest.param("x.h", "c", id="h"),
        pytest.param("x.hpp", "cpp", id="hpp"),
        pytest.param("x.cs", "csharp", id="cs"),
        pytest.param("x.rb", "ruby", id="rb"),
        pytest.param("x.php", "php", id="php"),
        pytest.param("sub/Makefile", "make", id="makefile"),
        pytest.param("Dockerfile", "dockerfile", id="dockerfile"),
        pytest.param("Dockerfile.dev", "dockerfile", id="dockerfile-suffix"),
        pytest.param("CMakeLists.txt", "cmake", id="cmake"),
        pytest.param("go.mod", "gomod", id="gomod"),
        pytest.param("win\\path\\x.rb", "ruby", id="backslashes"),
        pytest.param("notes.txt", None, id="txt"),
        pytest.param("README", None, id="no-ext"),
        pytest.param("image.png", None, id="binary"),
        pytest.param("x.unknownext", None, id="unknown"),
    ],
)
def test_language_for_path(path: str, language: str | None) -> None:
    assert language_for_path(path) == language


def test_every_mapped_language_parses() -> None:
    from codeindex.parser.languages import _EXTENSIONS, _FILENAMES

    for language in sorted({*_EXTENSIONS.values(), *_FILENAMES.values()}):
        result = parse("x\n\nfoo bar\n", language)
        assert result.language == language
        _check_chunks("x\n\nfoo bar\n", result.chunks, 1000)


def test_unknown_language_falls_back_to_lines() -> None:
    result = parse("a\nb\n", "no-such-grammar")
    assert result.language is None
    assert [c.text for c in result.chunks] == ["a\nb"]


# --------------------------------------------------------------------------- chunks


def test_small_neighbours_merge_and_big_class_splits_by_methods() -> None:
    methods = "\n".join(
        f"    def m{i}(self):\n        return {i}  # {'x' * 40}\n" for i in range(12)
    )
    text = f"import os\nimport sys\n\n\nclass Big:\n{methods}\n\ndef tail():\n    pass\n"
    result = parse(text, "python", max_chunk_chars=300)
    _check_chunks(text, result.chunks, 300)
    assert result.chunks[0].text.startswith("import os\nimport sys")
    class_chunks = [c for c in result.chunks if c.symbol and c.symbol.startswith("Big")]
    assert len(class_chunks) > 2
    assert class_chunks[0].text.startswith("class Big:")
    assert result.chunks[-1].symbol == "tail"


def test_long_function_splits_by_statements_with_its_symbol() -> None:
    body = "\n".join(
        f"        value_{i} = compute({i}, 'text to make it longer')" for i in range(40)
    )
    text = f"class A:\n    def run(self):\n{body}\n"
    result = parse(text, "python", max_chunk_chars=400)
    _check_chunks(text, result.chunks, 400)
    assert len(result.chunks) > 3
    assert result.chunks[0].text.startswith("class A:\n    def run(self):")
    assert result.chunks[0].symbol == "A"  # the chunk holds the class header too
    assert {c.symbol for c in result.chunks[1:]} == {"A.run"}


def test_comment_above_definition_joins_its_chunk() -> None:
    filler = "\n".join(f"x{i} = {i}" for i in range(30))
    text = f"{filler}\n\n# Explains f.\n# More.\ndef f():\n    return 1\n"
    result = parse(text, "python", max_chunk_chars=120)
    _check_chunks(text, result.chunks, 120)
    [holder] = [c for c in result.chunks if "def f():" in c.text]
    assert "# Explains f.\n# More.\ndef f():" in holder.text


def test_rust_attribute_and_doc_comment_join_the_item() -> None:
    filler = "\n".join(f"const C{i}: u32 = {i};" for i in range(20))
    text = f"{filler}\n\n/// A regex.\n#[derive(Debug)]\npub struct Regex {{\n    x: u32,\n}}\n"
    result = parse(text, "rust", max_chunk_chars=150)
    _check_chunks(text, result.chunks, 150)
    assert result.chunks[-1].text.startswith("/// A regex.")
    assert result.chunks[-1].symbol == "Regex"


def test_plain_text_chunks_prefer_blank_lines() -> None:
    paragraphs = ["\n".join(f"line {p}.{i} " + "w" * 30 for i in range(4)) for p in range(6)]
    text = "\n\n".join(paragraphs) + "\n"
    result = parse(text, None, max_chunk_chars=400)
    assert result.language is None and result.symbols == [] and result.error is None
    _check_chunks(text, result.chunks, 400)
    for chunk in result.chunks:  # every chunk is whole paragraphs
        assert chunk.text.split("\n")[0].endswith(".0 " + "w" * 30)
    assert len(result.chunks) == 3


def test_plain_text_long_paragraph_splits_by_lines() -> None:
    text = "\n".join("y" * 90 for _ in range(50))
    result = parse(text, None, max_chunk_chars=200)
    _check_chunks(text, result.chunks, 200)
    assert [c.end_line - c.start_line for c in result.chunks] == [1] * 25


@pytest.mark.parametrize("language", [None, "python", "javascript"])
@pytest.mark.parametrize("text", ["", "\n", "\n\n   \n\t\n", "   "], ids=repr)
def test_empty_and_blank_files_have_no_chunks(language: str | None, text: str) -> None:
    result = parse(text, language)
    assert result.chunks == [] and result.symbols == [] and result.error is None


@pytest.mark.parametrize("language", [None, "javascript", "python"])
def test_one_huge_line_is_sliced(language: str | None) -> None:
    line = "var a=" + ";".join(f"f{i}(x,y)" for i in range(6000))
    line = line[:50_000]
    text = f"// header\n{line}\n"
    result = parse(text, language, max_chunk_chars=1000)
    _check_chunks(text, result.chunks, 1000)
    slices = [c for c in result.chunks if c.start_line == 2]
    assert len(slices) >= 50
    assert "".join(c.text for c in slices) == line


def test_slices_skip_whitespace_runs() -> None:
    line = "a" * 10 + " " * 300 + "b" * 10
    result = parse(line, None, max_chunk_chars=100)
    _check_chunks(line, result.chunks, 100)
    assert "".join(c.text for c in result.chunks).replace(" ", "") == "a" * 10 + "b" * 10


def test_crlf_keeps_carriage_returns_in_lines() -> None:
    text = "import os\r\n\r\nclass A:\r\n    def f(self):\r\n        return 1\r\n"
    result = parse(text, "python")
    assert _syms(result) == {("A", "class", None, 3), ("f", "method", "A", 4)}
    _check_chunks(text, result.chunks, 1000)
    assert result.chunks[0].text.endswith("return 1\r")


def test_syntax_errors_are_reported_and_still_indexed() -> None:
    text = _src(
        """
        def broken(:
            pass

        class Fine:
            def ok(self):
                return 1

        x = (1,
        """
    )
    result = parse(text, "python")
    assert result.error is not None and result.error.startswith("syntax error")
    assert "1" in result.error
    assert {("Fine", "class", None, 4), ("ok", "method", "Fine", 5)} <= _syms(result)
    _check_chunks(text, result.chunks, 1000)


def test_clean_file_has_no_error() -> None:
    assert parse("x = 1\n", "python").error is None


def test_parse_is_thread_safe() -> None:
    cases = [(_src(str(p.values[1])), str(p.values[0])) for p in SNIPPETS] * 3

    def run(case: tuple[str, str]) -> ParseResult:
        return parse(case[0], case[1], max_chunk_chars=80)

    expected = [run(case) for case in cases]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(5):
            assert list(pool.map(run, cases)) == expected


# --------------------------------------------------------------------------- real corpora


def _parse_file(path: Path) -> tuple[str, ParseResult]:
    text = path.read_text(encoding="utf-8")
    language = language_for_path(str(path))
    assert language is not None
    return text, parse(text, language)


def _find(result: ParseResult, name: str, kind: str, container: str | None) -> list[int]:
    return [
        s.start_line
        for s in result.symbols
        if (s.name, s.kind, s.container) == (name, kind, container)
    ]


def test_cobra_go(polyglot_src: Path) -> None:
    text, result = _parse_file(polyglot_src / "cobra-go" / "command.go")
    assert result.error is None
    assert _line_of(text, "func (c *Command) Execute() error {") in _find(
        result, "Execute", "method", "Command"
    )
    assert _find(result, "Command", "struct", None) == [_line_of(text, "type Command struct {")]
    assert _line_of(text, "func (c *Command) AddCommand(") in _find(
        result, "AddCommand", "method", "Command"
    )
    assert _find(result, "Use", "field", "Command")
    line = _line_of(text, "func (c *Command) Execute() error {")
    [holder] = [c for c in result.chunks if c.start_line <= line <= c.end_line]
    assert holder.symbol in (None, "Command.Execute")  # small neighbours may share it


def test_regex_rust(polyglot_src: Path) -> None:
    src = polyglot_src / "regex-rust" / "src"
    text, result = _parse_file(src / "re_unicode.rs")
    assert _find(result, "Regex", "struct", None) == [_line_of(text, "pub struct Regex(")]
    assert _line_of(text, "impl Regex {") in _find(result, "Regex", "impl", None)
    assert _line_of(text, "    pub fn is_match(&self") in _find(
        result, "is_match", "method", "Regex"
    )
    assert _line_of(text, "    pub fn new(re: &str)") in _find(result, "new", "method", "Regex")

    text, result = _parse_file(src / "input.rs")
    assert _find(result, "Input", "trait", None) == [_line_of(text, "pub trait Input")]

    text, result = _parse_file(src / "re_builder.rs")
    assert _find(result, "define_builder", "macro", None) == [
        _line_of(text, "macro_rules! define_builder")
    ]

    text, result = _parse_file(src / "error.rs")
    assert _find(result, "Error", "enum", None) == [_line_of(text, "pub enum Error")]


def test_rxjs_ts(polyglot_src: Path) -> None:
    internal = polyglot_src / "rxjs-ts" / "src" / "internal"
    text, result = _parse_file(internal / "Observable.ts")
    assert result.error is None
    assert _find(result, "Observable", "class", None) == [_line_of(text, "export class Observable")]
    assert len(_find(result, "pipe", "method", "Observable")) == 1
    assert _find(result, "subscribe", "method", "Observable")

    text, result = _parse_file(internal / "types.ts")
    assert _find(result, "UnaryFunction", "interface", None) == [
        _line_of(text, "export interface UnaryFunction")
    ]
    assert _find(result, "TeardownLogic", "type", None) == [
        _line_of(text, "export type TeardownLogic")
    ]


def test_django_queryset(django_src: Path) -> None:
    text, result = _parse_file(django_src / "django" / "db" / "models" / "query.py")
    assert result.error is None
    assert _find(result, "QuerySet", "class", None) == [_line_of(text, "class QuerySet(")]
    assert _find(result, "filter", "method", "QuerySet") == [
        _line_of(text, "    def filter(self, *args, **kwargs):")
    ]
    line = _line_of(text, "    def filter(self, *args, **kwargs):")
    [holder] = [c for c in result.chunks if c.start_line <= line <= c.end_line]
    assert holder.symbol in ("QuerySet", "QuerySet.filter")
    assert any(c.symbol == "QuerySet.bulk_create" for c in result.chunks)  # a long method


def _corpus(polyglot_src: Path, django_src: Path) -> list[Path]:
    polyglot = [
        p for p in sorted(polyglot_src.rglob("*")) if p.is_file() and language_for_path(str(p))
    ]
    django = sorted((django_src / "django").rglob("*.py"))
    return polyglot + django[:: max(1, len(django) // 200)]


def test_chunk_invariants_on_real_files(polyglot_src: Path, django_src: Path) -> None:
    files = _corpus(polyglot_src, django_src)
    assert len(files) > 500
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        language = language_for_path(str(path))
        result = parse(text, language)
        assert all(s.kind in KINDS for s in result.symbols), path
        try:
            _check_chunks(text, result.chunks, 1000)
        except AssertionError as exc:
            raise AssertionError(f"{path}: {exc}") from exc


@pytest.mark.parametrize("max_chars", [60, 300])
def test_chunk_invariants_with_small_limits(
    polyglot_src: Path, django_src: Path, max_chars: int
) -> None:
    for path in _corpus(polyglot_src, django_src)[::7]:
        text = path.read_text(encoding="utf-8", errors="replace")
        result = parse(text, language_for_path(str(path)), max_chunk_chars=max_chars)
        try:
            _check_chunks(text, result.chunks, max_chars)
        except AssertionError as exc:
            raise AssertionError(f"{path}: {exc}") from exc
