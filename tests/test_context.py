"""What the model sees of a chunk: a header of its context (moving a file keeps its vectors:
tests/test_context_reindex.py)."""

from __future__ import annotations

import pytest

from codeindex.embedding.context import (
    chunk_context,
    embed_text,
    keyed_text,
    leading_doc,
    qualified,
)
from codeindex.parser import parse

GO = """package cli

// AddCommand adds one or more commands to this parent command.
// It panics when a command is added to itself.
func (c *Command) AddCommand(cmds ...*Command) {
{body}
}
"""
PY = '''class Store:
    def save(self, item):
        """Write one item to the store. Items are kept in order."""
{body}
'''


def _contexts(text: str, language: str) -> list[tuple[str, str]]:
    result = parse(text, language, max_chunk_chars=300)
    by_name = {qualified(s): s for s in result.symbols}
    lines = text.split("\n")
    return [(c.text, chunk_context(language, c, by_name, lines)) for c in result.chunks]


def test_a_part_of_a_long_definition_is_headed_by_its_signature_and_doc() -> None:
    body = "\n".join(f"\tc.commands = append(c.commands, cmds[{i}])" for i in range(30))
    chunks = _contexts(GO.replace("{body}", body), "go")
    assert len(chunks) > 2
    _, first = next(c for c in chunks if "func (c *Command) AddCommand" in c[0])
    assert first == "go Command.AddCommand"  # it holds its own signature and doc
    _, later = chunks[-1]
    assert later.split("\n") == [
        "go Command.AddCommand",
        "func (c *Command) AddCommand(cmds ...*Command) {",
        "AddCommand adds one or more commands to this parent command.",
    ]


def test_python_docstrings_head_the_parts_of_a_method() -> None:
    body = "\n".join(f"        self.items.append(item + {i})" for i in range(30))
    chunks = _contexts(PY.replace("{body}", body), "python")
    _, later = chunks[-1]
    assert later.split("\n") == [
        "python Store.save",
        "def save(self, item):",
        "Write one item to the store.",
    ]
    assert keyed_text(later, "x") == later + "\nx"  # the key leaves the path out
    assert keyed_text("", "x") == "x"
    assert embed_text("app/store.py", later, "x") == f"app/store.py\n{later}\nx"


@pytest.mark.parametrize(
    ("lines", "line", "doc"),
    [
        pytest.param(["/// Parses it.", "#[inline]", "fn p() {}"], 3, "Parses it.", id="rust"),
        pytest.param(
            ["/**", " * Retries a source.", " */", "function r() {}"],
            4,
            "Retries a source.",
            id="jsdoc",
        ),
        pytest.param(["x = 1", "def f():", "    return 1"], 2, None, id="none"),
    ],
)
def test_leading_doc(lines: list[str], line: int, doc: str | None) -> None:
    assert leading_doc(lines, line) == doc
