"""References out of real files: calls, imports and type uses, each with its caller.

The main languages on files of the corpora (Go: cobra, Rust: regex, TypeScript: rxjs,
Python and JavaScript: Django); Java, C and C++, which the corpora lack, on short real
programs; a grammar without a query of its own (Ruby) through the generic capture; a
data format not at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from codeindex.parser import Reference, language_for_path, parse


def refs_of(path: Path) -> list[Reference]:
    return parse(path.read_text(encoding="utf-8"), language_for_path(path.name)).references


def has(
    refs: list[Reference],
    name: str,
    kind: str,
    *,
    caller: str | None = None,
    qualifier: str | None = None,
    line: int | None = None,
) -> bool:
    return any(
        r.name == name
        and r.kind == kind
        and (caller is None or r.caller == caller)
        and (qualifier is None or r.qualifier == qualifier)
        and (line is None or r.line == line)
        for r in refs
    )


def test_go_calls_imports_and_types(polyglot_src: Path) -> None:
    path = polyglot_src / "cobra-go" / "args.go"
    refs = refs_of(path)
    lines = path.read_text(encoding="utf-8").split("\n")
    assert has(refs, "fmt", "import", qualifier="fmt")
    assert has(refs, "findSuggestions", "call", caller="legacyArgs", qualifier="cmd")
    assert has(refs, "stringInSlice", "call", caller="OnlyValidArgs", qualifier=None)
    assert has(refs, "Command", "type", caller="NoArgs")
    assert has(refs, "ExactArgs", "call", caller="ExactValidArgs")
    assert has(refs, "OnlyValidArgs", "use", caller="ExactValidArgs")  # passed as a value
    for ref in refs:  # the position is where the name is written
        assert lines[ref.line - 1][ref.col :].startswith(ref.name) or ref.kind == "import"
    # definitions are not uses of themselves; builtin types and functions are left out
    assert not has(refs, "NoArgs", "call")
    assert not any(r.name in ("string", "len", "error") for r in refs)


def test_go_methods_are_called_by_their_receiver_path(polyglot_src: Path) -> None:
    refs = refs_of(polyglot_src / "cobra-go" / "command.go")
    assert has(refs, "ExecuteC", "call", caller="Command.Execute", qualifier="c")
    assert has(refs, "ExecuteC", "call", caller="Command.ExecuteC", qualifier="c.Root()")
    assert has(refs, "flag", "import", qualifier="github.com/spf13/pflag")  # aliased import


def test_rust_use_trees_calls_macros_and_types(polyglot_src: Path) -> None:
    refs = refs_of(polyglot_src / "regex-rust" / "src" / "re_unicode.rs")
    assert has(refs, "Exec", "import", qualifier="crate::exec")
    assert has(refs, "ExecNoSyncStr", "import", qualifier="crate::exec")  # from a use list
    assert has(refs, "RegexBuilder", "import", qualifier="crate::re_builder::unicode")
    assert has(refs, "Formatter", "type", qualifier="fmt")
    assert has(refs, "write", "call", caller="Regex.fmt")  # a macro
    assert has(refs, "Regex", "call", caller="Regex.from")  # a tuple struct built


def test_typescript_imports_calls_and_types(polyglot_src: Path) -> None:
    refs = refs_of(polyglot_src / "rxjs-ts" / "src" / "internal" / "operators" / "map.ts")
    assert has(refs, "operate", "import", qualifier="../util/lift")
    assert has(refs, "operate", "call", caller="map")
    assert has(refs, "createOperatorSubscriber", "call", caller="map")
    assert has(refs, "OperatorFunction", "type", caller="map")
    assert has(refs, "subscribe", "call", qualifier="source")


def test_typescript_classes_extend_and_construct(polyglot_src: Path) -> None:
    refs = refs_of(polyglot_src / "rxjs-ts" / "src" / "internal" / "BehaviorSubject.ts")
    assert has(refs, "Subject", "import", qualifier="./Subject")
    assert has(refs, "Subject", "type", caller="BehaviorSubject")  # extends Subject<T>


def test_python_imports_calls_types_and_values(django_src: Path) -> None:
    refs = refs_of(django_src / "django" / "contrib" / "auth" / "hashers.py")
    assert has(refs, "get_random_string", "import", qualifier="django.utils.crypto")
    assert has(refs, "get_random_string", "call", caller="make_password")
    assert has(refs, "get_random_string", "call", caller="BasePasswordHasher.salt")
    assert has(refs, "ValueError", "type", caller="verify_password")  # except ValueError
    assert has(refs, "RANDOM_STRING_CHARS", "use", caller="must_update_salt")
    assert has(refs, "BasePasswordHasher", "type", caller="PBKDF2PasswordHasher")  # a base
    assert has(refs, "lru_cache", "call", qualifier="functools")  # a decorator
    assert not any(r.name in ("len", "isinstance") for r in refs)


def test_python_relative_imports_keep_their_dots(django_src: Path) -> None:
    refs = refs_of(django_src / "django" / "db" / "models" / "__init__.py")
    assert has(refs, "QuerySet", "import", qualifier="django.db.models.query")
    refs = refs_of(django_src / "django" / "contrib" / "admin" / "__init__.py")
    assert has(refs, "ModelAdmin", "import", qualifier="django.contrib.admin.options")


def test_javascript_calls(django_src: Path) -> None:
    path = django_src / "django" / "contrib" / "admin" / "static" / "admin" / "js" / "actions.js"
    refs = refs_of(path)
    assert any(r.kind == "call" and r.name == "addEventListener" for r in refs)
    assert all(r.caller is None or r.caller for r in refs)


JAVA = """\
package org.example.app;

import java.util.List;
import org.example.store.Repository;

@Service
public class Orders extends Base implements Handler<Order> {
    private final Repository repository;

    public List<Order> open(Customer customer) {
        Order first = new Order(customer);
        repository.save(first);
        return Util.filterOpen(repository.all());
    }
}
"""

C = """\
#include "store.h"
#include <stdio.h>

static struct node *make_node(int value, const Allocator *alloc) {
    struct node *n = alloc->alloc(sizeof(struct node));
    init_node(n, value);
    return n;
}
"""

CPP = """\
#include "graph.hpp"
using std::vector;

class Walker : public Visitor {
  vector<Edge> edges;
  void run() { graph::Search::dfs(root); helper(edges); }
};
"""

RUBY = """\
require "json"

class Report < Base
  def render(rows)
    Formatter.new(rows).to_json
  end
end
"""


@pytest.mark.parametrize(
    ("source", "language", "expected"),
    [
        pytest.param(
            JAVA,
            "java",
            [
                ("Repository", "import", "org.example.store", None),
                ("Order", "call", None, "Orders.open"),
                ("save", "call", "repository", "Orders.open"),
                ("filterOpen", "call", "Util", "Orders.open"),
                ("Util", "use", None, "Orders.open"),
                ("Customer", "type", None, "Orders.open"),
                ("Base", "type", None, "Orders"),
                ("Service", "type", None, "Orders"),  # the annotation is part of the class
            ],
            id="java",
        ),
        pytest.param(
            C,
            "c",
            [
                ("store", "import", "store.h", None),
                ("init_node", "call", None, "make_node"),
                ("alloc", "call", "alloc", "make_node"),
                ("Allocator", "type", None, "make_node"),
            ],
            id="c",
        ),
        pytest.param(
            CPP,
            "cpp",
            [
                ("graph", "import", "graph.hpp", None),
                ("vector", "import", "std", None),
                ("dfs", "call", "graph::Search", "Walker.run"),
                ("helper", "call", None, "Walker.run"),
                ("Visitor", "type", None, "Walker"),
                ("Edge", "type", None, "Walker.edges"),  # in the field's declaration
            ],
            id="cpp",
        ),
        pytest.param(
            RUBY,
            "ruby",
            [
                ("Formatter", "use", None, "Report.render"),
                ("new", "call", "Formatter", "Report.render"),
                ("rows", "use", None, "Report.render"),
            ],
            id="ruby (generic capture)",
        ),
    ],
)
def test_languages_without_a_corpus(
    source: str, language: str, expected: list[tuple[str, str, str | None, str | None]]
) -> None:
    refs = parse(source, language).references
    for name, kind, qualifier, caller in expected:
        assert any(
            r.name == name and r.kind == kind and r.qualifier == qualifier and r.caller == caller
            for r in refs
        ), (name, kind, qualifier, caller, refs)


def test_data_files_have_no_references(polyglot_src: Path) -> None:
    assert parse('{"name": "value", "other": ["a"]}', "json").references == []
    assert parse("key: value\nother: [a, b]\n", "yaml").references == []
    assert refs_of(polyglot_src / "cobra-go" / "go.mod") == []


def test_references_are_in_file_order_without_duplicates(django_src: Path) -> None:
    refs = refs_of(django_src / "django" / "db" / "models" / "query.py")
    positions = [(r.line, r.col) for r in refs]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert sum(r.kind == "call" for r in refs) > 400
