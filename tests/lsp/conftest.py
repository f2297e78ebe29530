"""Fixtures for the language server tests: `codeindex lsp` as a subprocess, driven by
pytest-lsp's client with the capabilities of VS Code and of Neovim.

The polyglot corpus is indexed once per session (tiny model); each test works on a copy.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pytest_lsp import client_capabilities
from tests.helpers import cli_env, copy_tree, index_with_cli
from tests.lsp.support import CLIENTS, Session, start


@pytest.fixture(scope="session")
def tiny_server_env(tiny_model_path: Path) -> dict[str, str]:
    """The server's environment: the tiny model, no download, a worker that lingers 2 s."""
    return cli_env(
        CODEINDEX_EMBED_MODEL_PATH=str(tiny_model_path),
        CODEINDEX_ALLOW_DOWNLOAD="0",
        CODEINDEX_WORKER_LINGER="2",
    )


@pytest.fixture(scope="session")
def indexed_polyglot(
    polyglot_src: Path, tmp_path_factory: pytest.TempPathFactory, tiny_server_env: dict[str, str]
) -> Path:
    """polyglot-small indexed once with the tiny model (read-only: tests take copies)."""
    root = copy_tree(polyglot_src, tmp_path_factory.mktemp("lsp-template") / "ws")
    index_with_cli(root, env={**tiny_server_env, "CODEINDEX_WORKER_LINGER": "0"})
    return root


@pytest.fixture
def workspace(indexed_polyglot: Path, tmp_path: Path) -> Path:
    """An indexed copy of polyglot-small for one test."""
    root = tmp_path / "ws"
    shutil.copytree(indexed_polyglot, root, symlinks=True)
    return root


@pytest.fixture(params=CLIENTS)
async def lsp(
    request: pytest.FixtureRequest, workspace: Path, tiny_server_env: dict[str, str]
) -> AsyncIterator[Session]:
    """A session on an indexed copy of polyglot-small, as VS Code or as Neovim.

    The file watcher is off (`"watching": false`), so the tasks a test sees are its own.
    """
    session = await start(
        workspace,
        tiny_server_env,
        client_capabilities(request.param),
        options={"watching": False},
    )
    yield session
    await session.close()
