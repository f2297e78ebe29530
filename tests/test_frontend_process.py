"""A front-end process stays small: it answers semantic queries through the worker.

An editor's language server and an agent's MCP server run for hours beside the worker that
already holds the embedding model. Each answers a semantic search here as its user would
ask for one, and then its own process is looked at from outside: the shared libraries it
mapped (`/proc/PID/maps`) hold no ONNX Runtime, LanceDB or fastembed, while the worker's do.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from pytest_lsp import client_capabilities
from tests.helpers import background_workers
from tests.lsp.support import start
from tests.mcp_client import call_ok, mcp_session

pytestmark = pytest.mark.slow  # starts codeindex processes or indexes a corpus

HEAVY_LIBRARIES = ("onnxruntime", "lancedb", "fastembed", "libonnx")


def _mapped(pid: int) -> set[str]:
    """The files a process has mapped into memory (its loaded libraries among them)."""
    found = set()
    for line in Path(f"/proc/{pid}/maps").read_text(encoding="utf-8").splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) == 6 and parts[5].startswith("/"):
            found.add(parts[5])
    return found


def _heavy(pid: int) -> set[str]:
    return {path for path in _mapped(pid) if any(lib in path for lib in HEAVY_LIBRARIES)}


def _front_end_pid(command: str) -> int:
    """The pid of the `codeindex COMMAND` process this test started (a child of ours)."""
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            status = (entry / "status").read_text(encoding="utf-8")
        except OSError:
            continue
        parent = next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("PPid:")
        )
        if parent == os.getpid() and b"codeindex" in argv and command.encode() in argv:
            return int(entry.name)
    raise AssertionError(f"this test started no `codeindex {command}` process")


@pytest.fixture
def workspace(polyglot_indexed: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(polyglot_indexed, root, symlinks=True)
    return root


async def test_the_mcp_server_answers_semantic_search_without_loading_the_model(
    workspace: Path, tiny_model_path: Path, tmp_path: Path
) -> None:
    async with mcp_session(tiny_model_path, tmp_path / "mcp.log", workspace=workspace) as session:
        found = await call_ok(
            session, "search_code", {"query": "add a sub command", "mode": "semantic"}
        )
        assert found["mode"] == "semantic" and found["hits"], found
        assert found["note"] is None
        hybrid = await call_ok(session, "search_code", {"query": "parse the flags"})
        assert hybrid["mode"] == "hybrid" and hybrid["hits"]
        server = _front_end_pid("mcp")
        assert _heavy(server) == set()
        workers = background_workers(workspace)
        assert workers, "a worker answered the semantic queries"
        assert any(_heavy(pid) for pid in workers)  # the model lives there


async def test_the_language_server_answers_semantic_search_without_loading_the_model(
    workspace: Path, tiny_model_path: Path
) -> None:
    env = {
        "CODEINDEX_EMBED_MODEL_PATH": str(tiny_model_path),
        "CODEINDEX_ALLOW_DOWNLOAD": "0",
        "CODEINDEX_WORKER_LINGER": "2",
    }
    session = await start(
        workspace,
        {**os.environ, **env},
        client_capabilities("visual-studio-code"),
        options={"watching": False},
    )
    try:
        result = await session.command(
            "codeindex.search", {"query": "add a sub command", "mode": "semantic"}
        )
        assert result["mode"] == "semantic" and result["hits"], result
        assert _heavy(_front_end_pid("lsp")) == set()
    finally:
        await session.close()
