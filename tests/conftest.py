"""Shared fixtures: the real corpora and models from ../shared, unpacked once per session."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CODEINDEX_SHARED_DIR", REPO.parent / "shared")).resolve()
MINILM = SHARED / "models" / "all-MiniLM-L6-v2-onnx"
TINY = SHARED / "models" / "tiny-bert-128-onnx"


def _unpack(archive: Path, dest: Path) -> Path:
    if not archive.is_file():
        pytest.fail(f"missing corpus {archive}: ../shared must sit beside the repository")
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    return dest


@pytest.fixture(scope="session")
def polyglot_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """polyglot-small unpacked (read-only by convention: copy it before changing files)."""
    return _unpack(SHARED / "corpus" / "polyglot-small.tar.gz", tmp_path_factory.mktemp("polyglot"))


@pytest.fixture(scope="session")
def django_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Django 5.2.8 tree unpacked (read-only by convention)."""
    root = _unpack(SHARED / "corpus" / "django-5.2.8.tar.gz", tmp_path_factory.mktemp("django"))
    return root / "django-5.2.8"


@pytest.fixture(scope="session")
def minilm_path() -> Path:
    if not (MINILM / "model.onnx").is_file():
        pytest.fail(f"missing model {MINILM}")
    return MINILM


@pytest.fixture(scope="session")
def tiny_model_path() -> Path:
    if not (TINY / "model.onnx").is_file():
        pytest.fail(f"missing model {TINY}")
    return TINY
