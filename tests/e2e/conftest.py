"""Fixtures for the end-to-end tests in a real VS Code (code-server 1.139 + headless Chromium).

The tools come from `$CODEINDEX_TEST_DATA/e2e/vscode/setup.sh` (code-server, Node 24,
Chromium, Playwright; cached in ~/.cache/codeindex-e2e). `.ci/run` runs it before the
tests; here it is run again (instant once cached) for the paths it prints, or the E2E_*
variables it prints are taken from the environment. The extension is the `.vsix` that
`npm run package` builds in vscode-client/ (built here when missing or older than its
sources).

On a developer machine without the tools the tests are skipped with a loud reason; in CI
(`CI` set) a missing tool fails them.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import REPO, TEST_DATA
from tests.e2e.workbench import CodeServer, Workbench
from tests.helpers import background_workers

CLIENT = REPO / "vscode-client"
VSIX = CLIENT / "codeindex.vsix"
SETUP = TEST_DATA / "e2e" / "vscode" / "setup.sh"
TOOLS = ("E2E_NODE", "E2E_CODE_SERVER", "E2E_PYTHON", "E2E_CHROMIUM")
CACHE = Path(os.environ.get("CODEINDEX_E2E_CACHE") or Path.home() / ".cache" / "codeindex-e2e")
CACHED = (
    CACHE / "node24" / "package" / "bin" / "node",
    CACHE / "cs" / "node_modules" / ".bin" / "code-server",
    CACHE / "venv" / "bin" / "python",
)


def missing(reason: str) -> None:
    """Fail in CI, skip loudly elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"end-to-end prerequisites missing in CI: {reason}")
    pytest.skip(f"NOT TESTED in a real VS Code: {reason}")


@pytest.fixture(scope="session")
def e2e_tools() -> dict[str, str]:
    """The setup's paths: E2E_NODE, E2E_CODE_SERVER, E2E_PYTHON, E2E_CHROMIUM."""
    if all(os.environ.get(name) for name in TOOLS):
        tools = {name: os.environ[name] for name in TOOLS}
    elif not SETUP.is_file():
        missing(f"{SETUP} is not there (the test data folder has no e2e setup)")
    elif not (all(p.exists() for p in CACHED) and shutil.which("chromium")) and not os.environ.get(
        "CI"
    ):
        missing(
            f'the e2e tools are not installed: run  eval "$({SETUP})"  once (about 6 minutes: '
            "code-server, Node 24, Chromium and Playwright from the package registries)"
        )
    else:
        proc = subprocess.run(
            ["bash", str(SETUP)], capture_output=True, text=True, timeout=1800, check=False
        )
        if proc.returncode != 0:
            missing(f"{SETUP} failed: {proc.stderr[-2000:]}")
        tools = dict(
            line.split("=", 1) for line in proc.stdout.splitlines() if line.startswith("E2E_")
        )
    absent = [
        f"{name}={tools.get(name)}" for name in TOOLS if not Path(tools.get(name, "")).exists()
    ]
    if absent:
        missing(f"the setup's tools are not there: {', '.join(absent)}")
    return tools


def _stale(vsix: Path) -> bool:
    if not vsix.exists():
        return True
    built = vsix.stat().st_mtime
    sources = [CLIENT / "package.json", CLIENT / "package-lock.json", CLIENT / "README.md"]
    sources += list((CLIENT / "src").rglob("*.ts"))
    return any(p.stat().st_mtime > built for p in sources)


@pytest.fixture(scope="session")
def vsix() -> Path:
    """vscode-client/codeindex.vsix, built by `npm run package` when missing or stale."""
    if not _stale(VSIX):
        return VSIX
    npm = shutil.which("npm")
    if npm is None:
        missing("npm is not installed, so the extension cannot be built")
    assert npm is not None
    steps = [[npm, "run", "package"]]
    if not (CLIENT / "node_modules").is_dir():
        steps.insert(0, [npm, "ci", "--no-audit", "--no-fund"])
    for step in steps:
        proc = subprocess.run(
            step, cwd=CLIENT, capture_output=True, text=True, timeout=900, check=False
        )
        assert proc.returncode == 0, f"{' '.join(step)} failed:\n{proc.stdout}\n{proc.stderr}"
    assert VSIX.exists(), "npm run package made no codeindex.vsix"
    return VSIX


def server_command() -> str:
    """The `codeindex` program of this environment (an absolute path, as users must give)."""
    beside = Path(sys.executable).parent / "codeindex"
    found = str(beside) if beside.exists() else shutil.which("codeindex")
    assert found, f"no codeindex program beside {sys.executable} nor on PATH"
    return found


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """Keep each phase's report on the test item, for the fixtures' teardown to read."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def stop_workers(root: Path) -> None:
    """The background worker our server started exits when idle; end it if it lingers."""
    deadline = time.monotonic() + 30
    while background_workers(root) and time.monotonic() < deadline:
        time.sleep(0.1)  # the worker's exit has no event to wait on from here
    for pid in background_workers(root):
        os.kill(pid, signal.SIGTERM)


@pytest.fixture
def code_server(
    e2e_tools: dict[str, str], vsix: Path, tmp_path: Path, tiny_model_path: Path
) -> Iterator[Callable[..., CodeServer]]:
    """Make code-server with the extension installed, pointed at this environment's server
    and the tiny model unless `settings` say otherwise (the test starts it on a folder)."""
    made: list[CodeServer] = []

    def make(**settings: Any) -> CodeServer:
        defaults = {
            "codeindex.server.command": server_command(),
            "codeindex.model.path": str(tiny_model_path),
        }
        state = tmp_path / f"code-server-{len(made)}"
        server = CodeServer(e2e_tools, state, vsix, {**defaults, **settings})
        server.env = {k: v for k, v in server.env.items() if not k.startswith("CODEINDEX_")}
        server.env.update(CODEINDEX_ALLOW_DOWNLOAD="0", CODEINDEX_WORKER_LINGER="0")
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop()
        if server.workspace is not None:
            stop_workers(server.workspace)


@pytest.fixture
def workbench(
    request: pytest.FixtureRequest,
    e2e_tools: dict[str, str],
    code_server: Callable[..., CodeServer],
    tmp_path: Path,
) -> Iterator[Workbench]:
    """The page, driven through Playwright; on failure, a last screenshot and where they are
    (taken before code-server stops)."""
    shots = Path(os.environ.get("CODEINDEX_E2E_ARTIFACTS") or tmp_path / "screenshots")
    bench = Workbench(e2e_tools, shots)
    yield bench
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        bench.shot("at-failure")
        print(f"\nscreenshots of each step: {shots}\nseen: {bench.seen}")
    bench.close()
