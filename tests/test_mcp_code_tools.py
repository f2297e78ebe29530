"""The code tools over the real MCP stdio client: `python -m codeindex mcp` as a subprocess.

get_file_outline on a Go, Rust, TypeScript and Python file, get_symbol (by name, by id,
a class without its method bodies), find_references of a cobra method and a Django
function listing their real callers, and a bad argument of each tool answered like the
other tools' (a tool error that names the field). The workspace is the indexed polyglot
corpus plus part of Django, which the server indexes itself (force_reindex) first: the
reference index is filled by the same pipeline as everything else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession
from tests.helpers import copy_tree
from tests.mcp_client import call_error, call_ok, mcp_session

pytestmark = pytest.mark.slow  # starts codeindex processes or indexes a corpus

DJANGO = [
    "django/utils/crypto.py",
    "django/contrib/auth/hashers.py",
    "django/contrib/sessions/backends/base.py",
    "django/core/management/utils.py",
    "django/middleware/csrf.py",
]


@pytest.fixture
def workspace(polyglot_ws: Path, django_src: Path) -> Path:
    """The indexed polyglot corpus with part of Django added (not indexed yet)."""
    copy_tree(django_src, polyglot_ws, DJANGO)
    return polyglot_ws


@asynccontextmanager
async def served(workspace: Path, model: Path, log: Path) -> AsyncIterator[ClientSession]:
    """A stdio session whose server has indexed the Django part of the workspace."""
    async with mcp_session(model, log, workspace=workspace) as session:
        done = await call_ok(
            session, "force_reindex", {"scope": "directory", "paths": ["django"], "async": False}
        )
        assert done["status"] == "Completed" and done["items_total"] == len(DJANGO), done
        yield session


def _flat(symbols: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    stack = list(symbols)
    while stack:
        node = stack.pop()
        found[node["name"]] = node
        stack.extend(node.get("children", []))
    return found


OUTLINES = [
    ("cobra-go/args.go", "NoArgs", "function", "func NoArgs(cmd *Command, args []string) error"),
    ("regex-rust/src/re_set.rs", "define_set", "macro", "macro_rules! define_set"),
    (
        "rxjs-ts/src/internal/Subject.ts",
        "Subject",
        "class",
        "export class Subject<T> extends Observable<T> implements SubscriptionLike",
    ),
    ("django/contrib/auth/hashers.py", "verify", "method", "def verify(self, password, encoded)"),
]


async def test_outline_of_a_go_rust_typescript_and_python_file(
    workspace: Path, tiny_model_path: Path, tmp_path: Path
) -> None:
    async with served(workspace, tiny_model_path, tmp_path / "server.log") as s:
        for path, name, kind, signature in OUTLINES:
            outline = await call_ok(s, "get_file_outline", {"path": path})
            assert outline["path"] == path and outline["freshness"] == "fresh", outline
            node = _flat(outline["symbols"])[name]
            assert (node["kind"], node["signature"]) == (kind, signature), path
            size = (workspace / path).stat().st_size
            result = await s.call_tool("get_file_outline", {"path": path})
            text = result.content[0].text  # type: ignore[union-attr]
            assert name in text and len(text) < size, (path, len(text), size)
        absolute = await call_ok(s, "get_file_outline", {"path": str(workspace / OUTLINES[0][0])})
        assert absolute["path"] == OUTLINES[0][0]


async def test_get_symbol_by_name_id_and_without_bodies(
    workspace: Path, tiny_model_path: Path, tmp_path: Path
) -> None:
    async with served(workspace, tiny_model_path, tmp_path / "server.log") as s:
        found = await call_ok(s, "get_symbol", {"name": "Command.AddCommand"})
        assert (found["path"], found["kind"]) == ("cobra-go/command.go", "method")
        assert found["signature"] == "func (c *Command) AddCommand(cmds ...*Command)"
        assert found["source"].rstrip().endswith("}") and not found["truncated"]
        again = await call_ok(s, "get_symbol", {"id": found["id"]})
        assert again["source"] == found["source"]

        whole = await call_ok(s, "get_symbol", {"name": "BasePasswordHasher"})
        short = await call_ok(s, "get_symbol", {"name": "BasePasswordHasher", "bodies": False})
        assert whole["path"] == "django/contrib/auth/hashers.py" and whole["bodies"] is True
        assert short["bodies"] is False and len(short["source"]) < len(whole["source"]) / 2
        assert "    def verify(self, password, encoded):" in short["source"]
        cut = await call_ok(s, "get_symbol", {"name": "BasePasswordHasher", "max_tokens": 100})
        assert cut["truncated"] and len(cut["source"]) < len(whole["source"])


async def test_find_references_lists_the_real_callers_in_cobra_and_django(
    workspace: Path, tiny_model_path: Path, tmp_path: Path
) -> None:
    async with served(workspace, tiny_model_path, tmp_path / "server.log") as s:
        cobra = await call_ok(s, "find_references", {"name": "ExecuteC", "kind": "call"})
        assert [d["path"] for d in cobra["definitions"]] == ["cobra-go/command.go"]
        assert {r["caller"] for r in cobra["references"]} >= {
            "Command.Execute",
            "Command.ExecuteContextC",
        }
        assert all(r["kind"] == "call" for r in cobra["references"])

        django = await call_ok(s, "find_references", {"name": "get_random_string"})
        assert [d["path"] for d in django["definitions"]] == ["django/utils/crypto.py"]
        calls = {(r["path"], r["caller"]) for r in django["references"] if r["kind"] == "call"}
        assert calls >= {
            ("django/contrib/auth/hashers.py", "make_password"),
            ("django/contrib/auth/hashers.py", "BasePasswordHasher.salt"),
            ("django/contrib/sessions/backends/base.py", "SessionBase._get_new_session_key"),
            ("django/core/management/utils.py", "get_random_secret_key"),
            ("django/middleware/csrf.py", "_get_new_csrf_string"),
        }
        imports = {r["path"] for r in django["references"] if r["kind"] == "import"}
        assert "django/contrib/auth/hashers.py" in imports
        result = await s.call_tool("find_references", {"name": "get_random_string"})
        text = result.content[0].text  # type: ignore[union-attr]
        assert "make_password" in text


async def test_bad_arguments_are_answered_like_the_other_tools(
    workspace: Path, tiny_model_path: Path, tmp_path: Path
) -> None:
    async with mcp_session(tiny_model_path, tmp_path / "server.log", workspace=workspace) as s:
        for tool, args, expected in (
            ("get_file_outline", {"path": 5}, "bad_argument: path must be a string; got 5"),
            ("get_symbol", {"bodies": False}, "bad_argument: get_symbol takes a name"),
            ("find_references", {"name": "x", "kind": "callers"}, "bad_argument: kind must be"),
            ("find_references", {"name": "x", "path": "/etc"}, "outside_workspace: "),
        ):
            text = await call_error(s, tool, args)
            assert text.startswith(expected), (tool, text)
        assert (await call_ok(s, "get_file_outline", {"path": "cobra-go/args.go"}))["symbols"]


async def test_references_follow_the_file_when_it_is_reindexed(
    workspace: Path, tiny_model_path: Path, tmp_path: Path
) -> None:
    added = workspace / "cobra-go" / "runner.go"
    async with mcp_session(tiny_model_path, tmp_path / "server.log", workspace=workspace) as s:

        async def callers() -> set[tuple[str, str | None]]:
            found = await call_ok(s, "find_references", {"name": "ExecuteC", "limit": 1000})
            return {(r["path"], r["caller"]) for r in found["references"]}

        before = await callers()
        added.write_text(
            "package cobra\n\nfunc runTwice(c *Command) {\n\tc.ExecuteC()\n\tc.ExecuteC()\n}\n",
            encoding="utf-8",
        )
        reindex = {"scope": "file", "paths": ["cobra-go/runner.go"], "async": False}
        assert (await call_ok(s, "force_reindex", reindex))["status"] == "Completed"
        assert await callers() == before | {("cobra-go/runner.go", "runTwice")}
        outline = await call_ok(s, "get_file_outline", {"path": "cobra-go/runner.go"})
        assert [n["name"] for n in outline["symbols"]] == ["runTwice"]

        added.write_text("package cobra\n\nfunc runNever() {}\n", encoding="utf-8")
        assert (await call_ok(s, "force_reindex", reindex))["status"] == "Completed"
        assert await callers() == before
        added.unlink()
        assert (await call_ok(s, "force_reindex", reindex))["status"] == "Completed"
        assert await callers() == before
