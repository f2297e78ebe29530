"""Shared fixtures: the real corpora and models, unpacked once per session.

They come from one folder, `$CODEINDEX_TEST_DATA` (default: `shared` beside the repository),
which `scripts/fetch-test-data` fills. Without it the run stops before the first test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from filelock import FileLock
from tests.helpers import cli_env, copy_tree, index_with_cli, open_in_process

from codeindex.app.service import CodeIndexService

REPO = Path(__file__).resolve().parent.parent
TEST_DATA = Path(os.environ.get("CODEINDEX_TEST_DATA") or REPO.parent / "shared").resolve()
FETCH = REPO / "scripts" / "fetch-test-data"
MINILM = TEST_DATA / "models" / "all-MiniLM-L6-v2-onnx"
TINY = TEST_DATA / "models" / "tiny-bert-128-onnx"


# The fast tier (`uv run pytest -m "not slow"`) is what runs in seconds in this process: a
# test is slow when it lives in one of these folders, when a module says so
# (`pytestmark = pytest.mark.slow`: it starts codeindex processes or indexes a corpus), or
# when it uses one of these fixtures (they index a corpus or start a server).
SLOW_DIRS = {"lsp", "reliability", "e2e"}
SLOW_FIXTURES = {
    "cobra_template",
    "polyglot_indexed",
    "django_indexed",
    "minilm_template",
    "s3_endpoint",
    "code_server",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the slow tier (and the end-to-end tests, which are also slow)."""
    tests = Path(__file__).resolve().parent
    for item in items:
        folder = item.path.relative_to(tests).parts[0]
        if folder == "e2e":
            item.add_marker(pytest.mark.e2e)
        fixtures = set(getattr(item, "fixturenames", ()))
        if folder in SLOW_DIRS or fixtures & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Stop at once, with one line that says what to run, when the test data is incomplete."""
    check = subprocess.run(
        [sys.executable, str(FETCH), "--check", str(TEST_DATA)],
        capture_output=True,
        text=True,
        check=False,
    )
    if check.returncode != 0:
        first = check.stdout.splitlines()[0] if check.stdout else check.stderr.strip()
        pytest.exit(
            f"test data incomplete ({first}): run scripts/fetch-test-data {TEST_DATA}, "
            "or set CODEINDEX_TEST_DATA to a folder it filled",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )


@pytest.fixture(scope="session", autouse=True)
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """codeindex's cache dir (int8 model variants) for this session, never the user's."""
    folder = tmp_path_factory.mktemp("codeindex-cache")
    os.environ["CODEINDEX_CACHE_DIR"] = str(folder)
    # the machine-wide vector cache is off unless a test turns it on (tests/test_cache.py):
    # a text one test embedded must not make another's count of embedded texts lie
    os.environ["CODEINDEX_CACHE"] = "0"
    return folder


def _unpack(archive: Path, dest: Path) -> Path:
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    return dest


@pytest.fixture(autouse=True)
def no_watcher(monkeypatch: pytest.MonkeyPatch) -> None:
    """No file watcher beside test workers (test_watcher turns it on): a test that edits
    files and then asks for a reindex must not race one."""
    monkeypatch.setenv("CODEINDEX_WATCH", "0")


@pytest.fixture(scope="session")
def polyglot_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """polyglot-small unpacked (read-only by convention: copy it before changing files)."""
    return _unpack(
        TEST_DATA / "corpus" / "polyglot-small.tar.gz", tmp_path_factory.mktemp("polyglot")
    )


@pytest.fixture(scope="session")
def django_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Django 5.2.8 tree unpacked (read-only by convention)."""
    root = _unpack(TEST_DATA / "corpus" / "django-5.2.8.tar.gz", tmp_path_factory.mktemp("django"))
    return root / "django-5.2.8"


@pytest.fixture(scope="session")
def minilm_path() -> Path:
    """all-MiniLM-L6-v2 as ONNX: the real default model (slow on this machine)."""
    return MINILM


@pytest.fixture(scope="session")
def tiny_model_path() -> Path:
    """A 2-layer BERT with random weights, 128 dimensions: fast, meaningless vectors."""
    return TINY


@pytest.fixture
def tiny_env(monkeypatch: pytest.MonkeyPatch, tiny_model_path: Path) -> dict[str, str]:
    env = {"CODEINDEX_EMBED_MODEL_PATH": str(tiny_model_path), "CODEINDEX_ALLOW_DOWNLOAD": "0"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def _template(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A read-only indexed workspace, built once per test run: with pytest-xdist, the first
    worker process that needs it builds it (under a lock) and the others reuse it."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        root = factory.mktemp(name) / "ws"
        build(root)
        return root
    shared = factory.getbasetemp().parent / "templates"
    shared.mkdir(exist_ok=True)
    root, done = shared / name / "ws", shared / f"{name}.done"
    with FileLock(str(shared / f"{name}.lock")):
        if not done.exists():
            shutil.rmtree(root.parent, ignore_errors=True)
            build(root)
            done.touch()
    return root


@pytest.fixture(scope="session")
def cobra_template(
    polyglot_src: Path, tiny_model_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """cobra-go indexed once with the tiny model; tests work on copies of it."""
    env = cli_env(CODEINDEX_EMBED_MODEL_PATH=str(tiny_model_path), CODEINDEX_ALLOW_DOWNLOAD="0")

    def build(root: Path) -> None:
        copy_tree(polyglot_src, root, ["cobra-go"])
        index_with_cli(root, env=env)

    return _template(tmp_path_factory, "cobra", build)


@pytest.fixture
async def cobra(
    cobra_template: Path, tmp_path: Path, tiny_env: dict[str, str]
) -> AsyncIterator[CodeIndexService]:
    """An indexed copy of cobra-go, its service open with a worker in this process."""
    root = tmp_path / "ws"
    shutil.copytree(cobra_template, root, symlinks=True)
    service = await open_in_process(root)
    service.start_worker()
    yield service
    await service.close()


@pytest.fixture(scope="session")
def polyglot_indexed(
    polyglot_src: Path, tiny_model_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The whole polyglot corpus indexed once with the tiny model (read-only: use copies)."""
    env = cli_env(CODEINDEX_EMBED_MODEL_PATH=str(tiny_model_path), CODEINDEX_ALLOW_DOWNLOAD="0")

    def build(root: Path) -> None:
        copy_tree(polyglot_src, root)
        index_with_cli(root, env=env)

    return _template(tmp_path_factory, "polyglot", build)


@pytest.fixture
def polyglot_ws(polyglot_indexed: Path, tmp_path: Path) -> Path:
    """A fresh copy of the indexed polyglot corpus, to change at will."""
    root = tmp_path / "ws"
    shutil.copytree(polyglot_indexed, root, symlinks=True)
    return root
