"""Turning user text into FTS5 queries, and fusing rankings (pure functions)."""

from __future__ import annotations

import pytest

from codeindex.search import Hit, SearchError, fts_query, fuse


@pytest.mark.parametrize(
    ("query", "any_term", "expected"),
    [
        pytest.param("parse args", False, '"parse" AND "args"', id="and"),
        pytest.param("parse args", True, '"parse" OR "args"', id="or"),
        pytest.param("how to parse the args", True, '"parse" OR "args"', id="stop-words-dropped"),
        pytest.param("the", False, '"the"', id="only-stop-words-kept"),
        pytest.param('"for x in" items', False, '"for x in" AND "items"', id="quoted-phrase-kept"),
        pytest.param("get_user_name", False, '"get_user_name"', id="identifier"),
        pytest.param('say "hi" OR NEAR(', False, '"say" AND "hi" AND "NEAR"', id="syntax-is-text"),
        pytest.param("addCommand", False, '("addCommand" OR "add command")', id="identifier-words"),
        pytest.param(
            "HTTPServer start",
            True,
            '("HTTPServer" OR "http server") OR "start"',
            id="identifier-words-any",
        ),
        pytest.param("args args", False, '"args"', id="duplicates"),
    ],
)
def test_fts_query(query: str, any_term: bool, expected: str) -> None:
    assert fts_query(query, any_term=any_term) == expected


def test_fts_query_in_one_column() -> None:
    query = fts_query("add command", any_term=False, column="defines")
    assert query == '{defines} : ("add" AND "command")'


def test_fts_query_without_words_is_a_clear_error() -> None:
    with pytest.raises(SearchError, match="no words to search for"):
        fts_query("  ()  ", any_term=False)


def _hit(chunk_id: int) -> Hit:
    return Hit(
        path=f"f{chunk_id}",
        start_line=1,
        end_line=2,
        line=1,
        snippet="",
        symbol=None,
        language=None,
        score=0.0,
        chunk_id=chunk_id,
    )


def test_fuse_rewards_agreement_between_rankings() -> None:
    lexical = [_hit(1), _hit(2), _hit(3)]
    semantic = [_hit(3), _hit(4), _hit(1)]
    fused = fuse([lexical, semantic], limit=3)
    assert [h.chunk_id for h in fused] == [1, 3, 2]
    assert fused[0].score == pytest.approx(1 / 11 + 1 / 13)
    assert fused[1].score == pytest.approx(1 / 13 + 1 / 11)
    weighted = fuse([lexical, semantic], limit=4, weights=(1.0, 3.0))
    assert [h.chunk_id for h in weighted] == [3, 1, 4, 2]
