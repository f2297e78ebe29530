"""scripts/fetch-test-data, offline: its check, the polyglot tarball it writes, the tiny model it
builds (its downloads need the network and are not run here)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import io
import subprocess
import sys
import tarfile
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from tests.conftest import FETCH, TEST_DATA

from codeindex.embedding.local import load_embedder
from codeindex.embedding.spec import ModelSpec


@pytest.fixture(scope="module")
def fetch() -> ModuleType:
    """The script imported as a module (it has no .py suffix)."""
    loader = importlib.machinery.SourceFileLoader("fetch_test_data", str(FETCH))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module
    loader.exec_module(module)
    return module


def _check(dest: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(FETCH), "--check", str(dest)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _data_with(tmp_path: Path, *, django: Path | None = None, polyglot: Path | None = None) -> Path:
    """A test-data folder of links to the real one's files, or to the tarballs given."""
    dest = tmp_path / "data"
    (dest / "corpus").mkdir(parents=True)
    for name, given in (("django-5.2.8.tar.gz", django), ("polyglot-small.tar.gz", polyglot)):
        (dest / "corpus" / name).symlink_to(given or TEST_DATA / "corpus" / name)
    (dest / "models").symlink_to(TEST_DATA / "models")
    return dest


def test_check_accepts_the_test_data() -> None:
    result = _check(TEST_DATA)
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip() == f"test data in {TEST_DATA} is complete"


def test_check_of_an_empty_folder_names_every_item_and_what_to_run(tmp_path: Path) -> None:
    result = _check(tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    for item in ("django-5.2.8.tar.gz", "polyglot-small.tar.gz", "all-MiniLM", "tiny-bert"):
        assert any(item in line for line in lines[:-1]), item
    assert (
        lines[-1]
        == f"test data in {tmp_path} is incomplete: run scripts/fetch-test-data {tmp_path}"
    )


def test_check_finds_one_changed_source_file(tmp_path: Path) -> None:
    changed = tmp_path / "polyglot-small.tar.gz"
    reference = TEST_DATA / "corpus" / "polyglot-small.tar.gz"
    with tarfile.open(reference) as src, tarfile.open(changed, "w:gz") as out:
        for member in src:
            data = src.extractfile(member) if member.isfile() else None
            if member.name == "./rxjs-ts/src/index.ts" and data is not None:
                body = data.read() + b"\n// one more line\n"
                member.size = len(body)
                out.addfile(member, io.BytesIO(body))
            else:
                out.addfile(member, data)
    result = _check(_data_with(tmp_path, polyglot=changed))
    assert result.returncode == 1
    assert "rxjs-ts is missing or differs" in result.stdout
    assert "cobra-go" not in result.stdout and "regex-rust" not in result.stdout


def test_a_different_django_tarball_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "django-5.2.8.tar.gz"
    other.write_bytes(b"not the sdist")
    result = _check(_data_with(tmp_path, django=other))
    assert result.returncode == 1
    assert "is not the Django 5.2.8 sdist" in result.stdout


def test_the_polyglot_tarball_it_writes_holds_the_reference_trees(
    fetch: ModuleType, tmp_path: Path
) -> None:
    """The writer used after the downloads, fed the reference trees: same files, same digests,
    and a folder holding the result passes the check."""
    trees = fetch.polyglot_trees(TEST_DATA / "corpus" / "polyglot-small.tar.gz")
    as_trees = {
        name: {rel: (executable, data) for rel, executable, data in files}
        for name, files in trees.items()
    }
    written = tmp_path / "polyglot-small.tar.gz"
    fetch.write_tarball(as_trees, written)
    again = fetch.polyglot_trees(written)
    assert {name: fetch.tree_digest(files) for name, files in again.items()} == (
        fetch.POLYGLOT_TREES
    )
    with tarfile.open(written) as tar:
        assert tar.getmember("./regex-rust/test").mode == 0o755
        assert tar.getmember("./cobra-go/command.go").mode == 0o644
    assert _check(_data_with(tmp_path, polyglot=written)).returncode == 0


def test_the_tiny_model_it_builds_embeds_with_codeindex(fetch: ModuleType, tmp_path: Path) -> None:
    dest = tmp_path / "data"
    (dest / "models").mkdir(parents=True)
    (dest / "models" / "all-MiniLM-L6-v2-onnx").symlink_to(
        TEST_DATA / "models" / "all-MiniLM-L6-v2-onnx"
    )
    fetch.fetch_tiny(dest)
    built = dest / "models" / "tiny-bert-128-onnx"
    assert fetch.check_model(built, 128) == []

    embedder = load_embedder(ModelSpec(path=built))
    assert embedder.identity.dim == 128
    vectors = embedder.embed(["def parse(path): return open(path).read()", "class Queue: pass"])
    assert vectors.shape == (2, 128)
    assert np.isfinite(vectors).all()
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert not np.allclose(vectors[0], vectors[1])

    fetch.build_tiny_bert(tmp_path / "again.onnx")
    assert (tmp_path / "again.onnx").read_bytes() == (built / "model.onnx").read_bytes()
