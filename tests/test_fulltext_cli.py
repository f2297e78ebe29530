"""Full-text search through the CLI (in this process): every spelling of an identifier finds
every other, and definitions rank above mentions."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.helpers import line_of
from tests.in_process import index_in_process, run_main_json

pytestmark = pytest.mark.slow  # starts codeindex processes or indexes a corpus

FILES = {
    "cli/app.go": "package cli\n\n// AddCommand adds one or more commands to this parent.\n"
    "func (c *Command) AddCommand(cmds ...*Command) {\n"
    "\tc.commands = append(c.commands, cmds...)\n}\n",
    "tools/registry.py": "def add_command(registry, name):\n    registry[name] = True\n",
    "web/menu.ts": "export function addCommand(menu: Menu, label: string): void {\n"
    "  menu.push(label);\n}\n",
    "cli/app_test.go": "package cli\n\nfunc TestTree(t *testing.T) {\n"
    + "".join(f"\troot.AddCommand(child{i})\n" for i in range(12))
    + "}\n",
    "notes/unrelated.md": "Adding a new command line flag is documented elsewhere.\n",
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fulltext") / "ws"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    index_in_process(root)  # no model: full-text and symbols only
    return root


def _paths(root: Path, query: str) -> list[str]:
    result = run_main_json(root, "search", query, "--mode", "lexical", "--limit", "10")
    return [h["path"] for h in result["hits"]]


@pytest.mark.parametrize("query", ["add command", "AddCommand", "addCommand", "add_command"])
def test_every_spelling_finds_every_spelling(workspace: Path, query: str) -> None:
    found = _paths(workspace, query)
    assert {"cli/app.go", "tools/registry.py", "web/menu.ts", "cli/app_test.go"} <= set(found)


@pytest.mark.parametrize("query", ["add command", "AddCommand"])
def test_definitions_rank_above_mentions(workspace: Path, query: str) -> None:
    found = _paths(workspace, query)
    mentions = found.index("cli/app_test.go")
    for definition in ("cli/app.go", "tools/registry.py", "web/menu.ts"):
        assert found.index(definition) < mentions, found


def test_cobra_add_command_definition_comes_first(cobra_template: Path) -> None:
    defined = line_of(cobra_template / "cobra-go/command.go", ") AddCommand(cmds")
    for query in ("add command", "AddCommand"):
        top = run_main_json(cobra_template, "search", query, "--mode", "lexical")["hits"][0]
        assert top["path"] == "cobra-go/command.go"
        assert top["start_line"] <= defined <= top["end_line"]
