"""Full-text search splits identifiers into words (searching through the CLI, where
definitions rank above mentions: tests/test_fulltext_cli.py)."""

from __future__ import annotations

import pytest

from codeindex.parser.identifiers import defined_names, split_identifier, split_words


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        pytest.param("AddCommand", ["add", "command"], id="pascal"),
        pytest.param("addCommand", ["add", "command"], id="camel"),
        pytest.param("parseHTTPHeader2", ["parse", "http", "header", "2"], id="acronym-digit"),
        pytest.param("HTTPServer", ["http", "server"], id="leading-acronym"),
        pytest.param("command", ["command"], id="plain"),
        pytest.param("été", ["été"], id="not-ascii"),
    ],
)
def test_split_identifier(word: str, parts: list[str]) -> None:
    assert split_identifier(word) == parts


def test_words_and_defined_names_of_a_chunk() -> None:
    assert split_words("c.AddCommand(x); c.commands = HTTPServer{}") == "add command http server"
    assert split_words("plain lower UPPER snake_case") == ""
    assert defined_names(["AddCommand", "x"]) == "AddCommand add command x"
