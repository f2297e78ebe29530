"""Fixtures for the language server tests: `codeindex lsp` as a subprocess, driven by
pytest-lsp's client with the capabilities of VS Code and of Neovim.

Starting a server (and its worker) costs seconds, so a test module shares one server
per client kind (`lsp`) for the tests that only read, or whose tasks run to their end:
each starts from an idle queue and its own notifications. A test that pauses, cancels
or fails a task, kills the worker, changes files behind the server's back or changes
settings gets a server of its own (`fresh`, or `start` in the test). Every server works
on a copy of the polyglot corpus indexed once per session (`polyglot_indexed`).

The async tests here run in their module's event loop, the one the shared servers live in.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from pytest_lsp import client_capabilities
from tests.helpers import cli_env
from tests.lsp.support import CLIENTS, Session, start

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the async tests of this folder in their module's event loop."""
    in_module_loop = pytest.mark.asyncio(loop_scope="module")
    for item in items:
        if HERE in item.path.parents and pytest_asyncio.is_async_test(item):
            item.add_marker(in_module_loop, append=False)


@pytest.fixture(scope="session")
def tiny_server_env(tiny_model_path: Path) -> dict[str, str]:
    """The server's environment: the tiny model, no download, a worker that lingers 2 s."""
    return cli_env(
        CODEINDEX_EMBED_MODEL_PATH=str(tiny_model_path),
        CODEINDEX_ALLOW_DOWNLOAD="0",
        CODEINDEX_WORKER_LINGER="2",
    )


@pytest.fixture
def workspace(polyglot_indexed: Path, tmp_path: Path) -> Path:
    """An indexed copy of polyglot-small for one test."""
    root = tmp_path / "ws"
    shutil.copytree(polyglot_indexed, root, symlinks=True)
    return root


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=CLIENTS)
async def shared(
    request: pytest.FixtureRequest,
    polyglot_indexed: Path,
    tmp_path_factory: pytest.TempPathFactory,
    tiny_server_env: dict[str, str],
) -> AsyncIterator[Session]:
    """One session for the module's tests, as VS Code or as Neovim, on its own indexed copy
    of polyglot-small. The file watcher is off (`"watching": false`)."""
    root = tmp_path_factory.mktemp("shared") / "ws"
    shutil.copytree(polyglot_indexed, root, symlinks=True)
    session = await start(
        root, tiny_server_env, client_capabilities(request.param), options={"watching": False}
    )
    yield session
    await session.close()


@pytest_asyncio.fixture(loop_scope="module")
async def lsp(shared: Session) -> AsyncIterator[Session]:
    """The module's shared session, for a test that leaves no task unfinished (checked after
    it: the next test starts from an idle queue)."""
    shared.begin()
    yield shared
    await shared.settle()


@pytest_asyncio.fixture(loop_scope="module", params=CLIENTS)
async def fresh(
    request: pytest.FixtureRequest, workspace: Path, tiny_server_env: dict[str, str]
) -> AsyncIterator[Session]:
    """A session of its own on an indexed copy of polyglot-small, as VS Code or as Neovim.

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
