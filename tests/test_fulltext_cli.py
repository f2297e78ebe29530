"""Full-text search through the CLI (in this process): every spelling of an identifier finds
every other, and definitions rank above mentions."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.helpers import line_of
from tests.in_process import index_in_process, run_main, run_main_json

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


def test_the_printed_answer_shows_context_files_and_the_scope_asked_for(workspace: Path) -> None:
    plain = run_main(
        workspace, "search", "Command::AddCommand", "--mode", "lexical", "--limit", "1"
    )
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.splitlines()[0].startswith("cli/app.go:")
    assert len(plain.stdout.splitlines()) == 1  # no context unless asked for
    shown = run_main(
        workspace,
        "search",
        "Command::AddCommand",
        "--mode",
        "lexical",
        "--limit",
        "1",
        "--context",
        "1",
    ).stdout.splitlines()
    line = int(shown[0].split(":")[1].split()[0])
    assert [s.split()[0].rstrip(">") for s in shown[1:]] == [
        str(n) for n in range(line - 1, line + 2)
    ]
    assert [s for s in shown[1:] if f"{line}>" in s]
    files = run_main(
        workspace, "search", "add command", "--mode", "lexical", "--output", "paths"
    ).stdout.splitlines()
    assert files[0].startswith(("cli/app.go:", "tools/registry.py:", "web/menu.ts:")), files
    assert any(f.startswith("cli/app_test.go:") and "(test)" in f for f in files)
    source = run_main_json(
        workspace,
        "search",
        "add command",
        "--mode",
        "lexical",
        "--output",
        "paths",
        "--source-only",
        "--exclude",
        "web",
    )
    assert {f["path"] for f in source["files"]} == {"cli/app.go", "tools/registry.py"}
