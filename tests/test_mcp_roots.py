"""An agent working in several folders: `codeindex mcp` serves every root the client lists
(or every `--workspace` given), each its own index; search and symbols ask them all."""

from __future__ import annotations

from pathlib import Path

import mcp_types as types
import pytest
from mcp.client.session import ClientRequestContext
from tests.helpers import cli_env, copy_tree, index_with_cli
from tests.mcp_client import call_error, call_ok, mcp_session, server_env

pytestmark = pytest.mark.slow  # MCP server processes, their workers, two indexes

API = ["cobra-go/args.go", "cobra-go/command.go"]
LIB = ["regex-rust/src/sparse.rs", "regex-rust/src/backtrack.rs"]


@pytest.fixture
def two_roots(polyglot_src: Path, tiny_model_path: Path, tmp_path: Path) -> tuple[Path, Path]:
    api = copy_tree(polyglot_src, tmp_path / "api", API)
    lib = copy_tree(polyglot_src, tmp_path / "lib", LIB)
    env = cli_env(**server_env(tiny_model_path))
    for root in (api, lib):
        index_with_cli(root, env)
    return api, lib


async def test_every_client_root_is_served(
    two_roots: tuple[Path, Path], tiny_model_path: Path, tmp_path: Path
) -> None:
    api, lib = two_roots

    async def roots(context: ClientRequestContext) -> types.ListRootsResult:
        return types.ListRootsResult(
            roots=[
                types.Root(uri=api.as_uri(), name="api"),  # type: ignore[arg-type]
                types.Root(uri=lib.as_uri(), name="lib"),  # type: ignore[arg-type]
            ]
        )

    async with mcp_session(
        tiny_model_path, tmp_path / "mcp.log", cwd=tmp_path, list_roots=roots
    ) as s:
        found = await call_ok(
            s, "search_code", {"query": "func fn struct", "mode": "lexical", "limit": 20}
        )
        assert {h["root"] for h in found["hits"]} == {str(api), str(lib)}
        symbols = await call_ok(s, "find_symbol", {"name": "SparseSet", "match": "exact"})
        assert {(h["root"], h["path"]) for h in symbols["symbols"]} == {
            (str(lib), "regex-rust/src/sparse.rs")
        }
        only = await call_ok(
            s, "search_code", {"query": "SparseSet", "mode": "lexical", "root": "lib"}
        )
        assert only["hits"] and all("root" not in h for h in only["hits"])
        status = await call_ok(s, "get_index_status", {"root": str(lib)})
        assert status["workspace"] == str(lib)
        assert (await call_ok(s, "get_index_status", {}))["workspace"] == str(api)  # the first

        # a path decides the root, and a task id finds its root's queue
        task = await call_ok(
            s, "force_reindex", {"scope": "file", "paths": [str(lib / LIB[0])], "async": True}
        )
        followed = await call_ok(s, "get_reindex_status", {"task_id": task["task_id"]})
        assert followed["task_id"] == task["task_id"]

        refused = await call_error(s, "get_index_status", {"root": "elsewhere"})
        assert "not one of the served roots" in refused and str(lib) in refused


async def test_repeated_workspace_flags_are_all_served(
    two_roots: tuple[Path, Path], tiny_model_path: Path, tmp_path: Path
) -> None:
    api, lib = two_roots
    flags = ["--workspace", str(api), "--workspace", str(lib)]
    async with mcp_session(
        tiny_model_path, tmp_path / "mcp.log", cwd=tmp_path, extra_args=flags
    ) as s:
        tools = {t.name: t for t in (await s.list_tools()).tools}
        assert all("root" in t.input_schema["properties"] for t in tools.values())
        command = await call_ok(s, "find_symbol", {"name": "Command", "match": "exact"})
        assert {h["root"] for h in command["symbols"]} == {str(api)}
        both = await call_ok(s, "find_symbol", {"name": "S", "match": "prefix", "limit": 50})
        assert {h["root"] for h in both["symbols"]} == {str(api), str(lib)}
