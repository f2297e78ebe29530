"""What a query says, what kind a file is (and the settings that say it), the prior for source
files, signatures and the token budget (pure functions)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codeindex.config import load_settings
from codeindex.errors import ConfigError
from codeindex.search import Hit, fts_query
from codeindex.search.hits import FileResult, SearchResult
from codeindex.search.kinds import DEFAULT_KINDS, FileKind, FileKinds, kinds_of
from codeindex.search.kinds import tested_names as names_tested
from codeindex.search.query import Identifier, asks, identifiers
from codeindex.search.ranking import apply_prior, by_file
from codeindex.search.shaping import fit, signature_of


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("Command::Execute", '"Command" AND "Execute"', id="rust-path"),
        pytest.param("self->next", '"self" AND "next"', id="arrow"),
        pytest.param("cmd.Flags()", '"cmd" AND "Flags"', id="dot-call"),
        pytest.param('unpaired "quote', '"unpaired" AND "quote"', id="unpaired-quote"),
        pytest.param("path:src name*", '"path" AND "src" AND "name"', id="column-and-prefix"),
        pytest.param("^start AND -x", '"start" AND "x"', id="operators-and-stop-words"),
    ],
)
def test_punctuation_in_a_query_is_text_and_each_word_a_term(query: str, expected: str) -> None:
    assert fts_query(query, any_term=False) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(
            "fix Command::Execute when args", [Identifier("Execute", "Command")], id="qualified"
        ),
        pytest.param("call parse_args()", [Identifier("parse_args")], id="snake-call"),
        pytest.param(
            "in addCommand and HTTPServer",
            [Identifier("addCommand"), Identifier("HTTPServer")],
            id="camel",
        ),
        pytest.param("see `run` there", [Identifier("run")], id="backquoted"),
        pytest.param("edit command.go and args", [], id="file-name-is-no-method"),
        pytest.param("plain words only", [], id="prose"),
    ],
)
def test_identifiers_named_by_a_query(query: str, expected: list[Identifier]) -> None:
    assert identifiers(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("add a test for flag parsing", {"test"}, id="test"),
        pytest.param("document the completion in the README", {"docs"}, id="docs"),
        pytest.param("update the changelog for 1.2", {"changelog"}, id="changelog"),
        pytest.param("parse flags after the command", set(), id="none"),
    ],
)
def test_what_kinds_of_file_a_query_asks_for(query: str, expected: set[FileKind]) -> None:
    assert asks(query) == expected


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        pytest.param("cobra-go/command.go", "source", id="go-source"),
        pytest.param("cobra-go/command_test.go", "test", id="go-test"),
        pytest.param("django/tests/admin/views.py", "test", id="tests-folder"),
        pytest.param("pkg/test_query.py", "test", id="pytest-file"),
        pytest.param("src/map.spec.ts", "test", id="spec"),
        pytest.param("rxjs/CHANGELOG.md", "changelog", id="changelog-before-docs"),
        pytest.param("docs/releases/5.2.txt", "changelog", id="release-notes"),
        pytest.param("site/docs/guide.md", "docs", id="markdown"),
        pytest.param("examples/main.go", "example", id="example"),
        pytest.param("api/v1/service.pb.go", "generated", id="protobuf"),
        pytest.param("src/contest.py", "source", id="test-inside-a-word"),
    ],
)
def test_the_kind_of_a_path(path: str, kind: FileKind) -> None:
    assert DEFAULT_KINDS.kind_of(path) == kind


def test_a_generated_file_found_by_indexing_is_generated_whatever_its_name() -> None:
    assert DEFAULT_KINDS.kind_of("src/schema.py", "generated") == "generated"
    assert DEFAULT_KINDS.kind_of("src/schema.py", "too large") == "source"


def test_patterns_from_settings_replace_the_defaults_of_their_kind_only() -> None:
    kinds = FileKinds.of({"test": ("checks/",)})
    assert kinds.kind_of("checks/flags.go") == "test"
    assert kinds.kind_of("cobra-go/command_test.go") == "source"
    assert kinds.kind_of("README.md") == "docs"


def test_a_test_file_names_the_file_it_tests() -> None:
    assert names_tested("cobra-go/command_test.go") == ["command.go"]
    assert names_tested("pkg/test_query.py") == ["query.py"]
    assert names_tested("src/map.spec.ts") == ["map.ts"]
    assert names_tested("src/map.ts") == []


def _hit(path: str, score: float, chunk_id: int = 0, symbol: str | None = None) -> Hit:
    return Hit(
        path=path,
        start_line=1,
        end_line=3,
        line=2,
        snippet="x",
        symbol=symbol,
        language="go",
        score=score,
        chunk_id=chunk_id,
        file_kind=DEFAULT_KINDS.kind_of(path),
    )


def test_the_prior_puts_source_before_a_better_matching_test_unless_tests_are_asked_for() -> None:
    hits = [_hit("a_test.go", 1.0, 1), _hit("a.go", 0.5, 2), _hit("CHANGELOG.md", 0.9, 3)]
    assert [h.path for h in apply_prior(hits, frozenset())] == ["a.go", "a_test.go", "CHANGELOG.md"]
    hits = [_hit("a_test.go", 1.0, 1), _hit("a.go", 0.5, 2)]
    assert [h.path for h in apply_prior(hits, frozenset({"test"}))] == ["a_test.go", "a.go"]


def test_files_add_up_their_hits_and_a_test_credits_the_file_it_tests() -> None:
    hits = [_hit("b.go", 0.4, 1), _hit("a.go", 0.3, 2), _hit("a.go", 0.3, 3)]
    files = by_file(hits, limit=10, per_file=1)
    assert [(f.path, len(f.hits)) for f in files] == [("a.go", 1), ("b.go", 1)]
    assert files[0].score == pytest.approx(0.3 + 0.15)
    test = _hit("c_test.go", 0.9, 4)
    test.unweighted = 3.0
    files = by_file([_hit("b.go", 0.5, 1), _hit("c.go", 0.2, 2), test], limit=2, per_file=1)
    assert [f.path for f in files] == ["c.go", "c_test.go"]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param(
            ["@property", "def name(self) -> str:", "    return x"],
            "def name(self) -> str:",
            id="decorator",
        ),
        pytest.param(
            ["func (c *Command) Execute(", "\targs []string,", ") error {", "\treturn nil"],
            "func (c *Command) Execute( args []string, ) error {",
            id="multi-line",
        ),
        pytest.param(
            ["/// Docs.", "pub fn new() -> Self {"], "pub fn new() -> Self {", id="doc-comment"
        ),
        pytest.param(["", "   "], None, id="blank"),
    ],
)
def test_a_signature_is_the_definition_line_until_its_brackets_close(
    lines: list[str], expected: str | None
) -> None:
    assert signature_of(lines) == expected


def _long_hit(i: int) -> Hit:
    hit = _hit(f"f{i}.go", 1.0 / (i + 1), i)
    hit.context = "\n".join(f"line {n} " + "x" * 60 for n in range(5))
    hit.context_start_line = 1
    return hit


def test_max_tokens_keeps_the_best_hits_that_fit_and_says_so() -> None:
    result = SearchResult("q", "lexical", hits=[_long_hit(i) for i in range(20)])
    fit(result, 400)
    assert 1 <= len(result.hits) < 20
    assert result.truncated
    assert [h.path for h in result.hits] == [f"f{i}.go" for i in range(len(result.hits))]
    assert len(json.dumps(result.to_dict())) <= 400 * 4


def test_max_tokens_keeps_one_hit_without_its_context_when_even_one_is_too_big() -> None:
    result = SearchResult("q", "lexical", hits=[_long_hit(i) for i in range(3)])
    result.hits[0].context = "y" * 2000
    fit(result, 100)
    assert [h.path for h in result.hits] == ["f0.go"]
    assert result.hits[0].context is None
    assert result.truncated


def test_max_tokens_over_files_and_no_budget() -> None:
    files = [FileResult(f"f{i}.go", 1.0, [_long_hit(i)]) for i in range(10)]
    result = SearchResult("q", "hybrid", output="files", files=files)
    fit(result, 300)
    assert 1 <= len(result.files) < 10 and result.truncated
    roomy = SearchResult("q", "lexical", hits=[_long_hit(i) for i in range(3)])
    fit(roomy, None)
    assert len(roomy.hits) == 3 and not roomy.truncated


def test_the_kinds_come_from_the_search_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".codeindex.toml").write_text(
        '[search]\ntest_patterns = ["checks/", "*_check.go"]\n', encoding="utf-8"
    )
    monkeypatch.setenv("CODEINDEX_SEARCH_DOCS_PATTERNS", "manual/\n")
    kinds = kinds_of(load_settings(tmp_path))
    assert kinds.kind_of("checks/a.go") == kinds.kind_of("src/flag_check.go") == "test"
    assert kinds.kind_of("src/flag_test.go") == "source"
    assert kinds.kind_of("manual/intro.txt") == "docs"
    assert kinds.kind_of("CHANGELOG.md") == "changelog"
    (tmp_path / ".codeindex.toml").write_text("[search]\ntest_patterns = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"search\.test_patterns"):
        load_settings(tmp_path)
