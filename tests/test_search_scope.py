"""Search over a real index (cobra): the prior for source files, a scoped semantic search
that returns as many hits as asked, and identifiers that rank their definitions first."""

from __future__ import annotations

import pytest

from codeindex.app.service import CodeIndexService

pytestmark = pytest.mark.slow  # indexes a corpus


async def test_source_comes_before_the_tests_unless_the_query_asks_for_tests(
    cobra: CodeIndexService,
) -> None:
    # without the prior, cobra's command_test.go holds the best three chunks for this
    plain = await cobra.search("unknown flag error", mode="lexical", limit=5)
    assert [h["file_kind"] for h in plain["hits"][:2]] == ["source", "source"], plain["hits"]
    asked = await cobra.search("tests for unknown flag error", mode="lexical", limit=5)
    assert asked["hits"][0]["file_kind"] == "test", asked["hits"]
    only = await cobra.search("unknown flag error", mode="lexical", limit=50, source_only=True)
    assert only["hits"] and all(h["file_kind"] == "source" for h in only["hits"])


async def test_a_scoped_semantic_search_returns_as_many_hits_as_the_scope_holds(
    cobra: CodeIndexService,
) -> None:
    rows = await cobra.storage.db.fetchall(
        "SELECT f.path, count(*) FROM chunks c JOIN files f ON f.id = c.file_id "
        "WHERE f.language = 'go' GROUP BY f.path HAVING count(*) BETWEEN 4 AND 12 "
        "ORDER BY f.path"
    )
    assert len(rows) >= 3
    for path, chunks in rows:
        found = await cobra.search("run the command", mode="semantic", limit=chunks, path=path)
        assert len(found["hits"]) == chunks, (path, chunks, found["hits"])
        assert {h["path"] for h in found["hits"]} == {path}


async def test_a_qualified_name_finds_its_definition(cobra: CodeIndexService) -> None:
    for query in ("Command::ExecuteC", "c.ExecuteC()", "why does Command.ExecuteC fail"):
        found = await cobra.search(query, mode="lexical", limit=3)
        first = found["hits"][0]
        assert first["path"] == "cobra-go/command.go", (query, found["hits"])
        assert (first["signature"] or "").startswith("func (c *Command) ExecuteC("), query
