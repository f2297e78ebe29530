"""The int8 variant of a model: made once from its file, reused, its own model, close to fp32."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from codeindex.config import ConfigError, load_settings
from codeindex.embedding.local import FastEmbedder, load_embedder
from codeindex.embedding.quantize import MANIFEST, VARIANT_DIR
from codeindex.embedding.spec import ModelSpec, spec_from
from codeindex.errors import ModelUnavailable


def _copy_model(source: Path, dest: Path, *, read_only: bool = False) -> Path:
    shutil.copytree(source, dest)
    mode = 0o555 if read_only else 0o755
    for path in (dest, *dest.iterdir()):
        os.chmod(path, mode if path.is_dir() else mode & ~0o111)
    return dest


def test_int8_variant_is_made_once_beside_a_writable_model_and_reused(
    tiny_model_path: Path, tmp_path: Path
) -> None:
    folder = _copy_model(tiny_model_path, tmp_path / "tiny")
    first = load_embedder(ModelSpec(path=folder, quantize="int8"))
    variant = folder / VARIANT_DIR
    assert first.identity.source == str(variant.resolve())
    made = (variant / "model.onnx").stat()
    assert made.st_size < (folder / "model.onnx").stat().st_size / 2  # int8 weights
    again = load_embedder(ModelSpec(path=folder, quantize="auto"))
    assert again.identity == first.identity
    assert (variant / "model.onnx").stat().st_mtime_ns == made.st_mtime_ns  # not made again


def test_processes_starting_at_once_all_get_the_same_int8_model(
    tiny_model_path: Path, tmp_path: Path
) -> None:
    """Three workers load a model whose variant is not made yet: one makes it, the others
    wait for it; none falls back to fp32 (a model of its own: everything re-embedded), and
    nothing but the variant is left beside the model."""
    folder = _copy_model(tiny_model_path, tmp_path / "tiny")
    before = {p.name for p in folder.iterdir()}
    script = (
        "import sys; from pathlib import Path\n"
        "from codeindex.embedding.local import load_embedder\n"
        "from codeindex.embedding.spec import ModelSpec\n"
        "print(load_embedder(ModelSpec(path=Path(sys.argv[1]), quantize='auto')).identity.key)"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(folder)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    assert not any("fp32" in err for _, err in outs), [err for _, err in outs]
    keys = {out.strip() for out, _ in outs}
    assert keys == {load_embedder(ModelSpec(path=folder, quantize="int8")).identity.key}
    assert {p.name for p in folder.iterdir()} == before | {VARIANT_DIR}


def test_int8_is_a_model_of_its_own(tiny_model_path: Path, tmp_path: Path) -> None:
    folder = _copy_model(tiny_model_path, tmp_path / "tiny")
    fp32 = load_embedder(ModelSpec(path=folder))
    int8 = load_embedder(ModelSpec(path=folder, quantize="int8"))
    assert int8.identity.name == "tiny-int8"
    assert fp32.identity.name == "tiny"
    assert int8.identity.dim == fp32.identity.dim
    assert int8.identity.key != fp32.identity.key
    assert int8.identity.table_name != fp32.identity.table_name
    reloaded = load_embedder(ModelSpec(name=int8.identity.name, path=Path(int8.identity.source)))
    assert reloaded.identity == int8.identity  # how a query process loads a recorded model
    text = ["def add(a, b):\n    return a + b"]
    np.testing.assert_allclose(reloaded.embed(text), int8.embed(text), atol=1e-6)


def test_a_read_only_model_folder_is_left_alone_and_the_variant_goes_to_the_cache(
    tiny_model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _copy_model(tiny_model_path, tmp_path / "shared-tiny", read_only=True)
    cache = tmp_path / "cache"
    monkeypatch.setenv("CODEINDEX_CACHE_DIR", str(cache))
    embedder = load_embedder(ModelSpec(path=folder, quantize="int8"))
    assert not (folder / VARIANT_DIR).exists()
    source = Path(embedder.identity.source)
    assert source.parent == cache / "int8"
    assert (source / "model.onnx").is_file() and (source / "tokenizer.json").is_file()


def test_a_changed_model_file_gets_a_new_variant(tiny_model_path: Path, tmp_path: Path) -> None:
    folder = _copy_model(tiny_model_path, tmp_path / "tiny")
    before = load_embedder(ModelSpec(path=folder, quantize="int8")).identity
    import onnx

    model = onnx.load(str(folder / "model.onnx"))
    model.doc_string = "the same graph, saved again with other bytes"
    onnx.save(model, str(folder / "model.onnx"))
    after = load_embedder(ModelSpec(path=folder, quantize="int8")).identity
    assert after.fingerprint != before.fingerprint
    assert '"fingerprint"' in (folder / VARIANT_DIR / MANIFEST).read_text(encoding="utf-8")


def test_auto_falls_back_to_fp32_when_no_variant_can_be_written(
    tiny_model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _copy_model(tiny_model_path, tmp_path / "tiny", read_only=True)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder", encoding="utf-8")
    monkeypatch.setenv("CODEINDEX_CACHE_DIR", str(blocked))
    auto = load_embedder(ModelSpec(path=folder, quantize="auto"))
    assert auto.identity.name == "tiny" and auto.identity.source == str(folder.resolve())
    with pytest.raises(ModelUnavailable, match="no int8 variant") as caught:
        load_embedder(ModelSpec(path=folder, quantize="int8"))
    assert "embedding.quantize" in caught.value.hint


def test_the_setting_chooses_and_is_checked(tmp_path: Path) -> None:
    assert spec_from(load_settings(tmp_path)).quantize == "auto"
    assert spec_from(load_settings(tmp_path, {"embedding.quantize": "FP32"})).quantize == "fp32"
    with pytest.raises(ConfigError, match="fp32, int8, auto"):
        load_settings(tmp_path, {"embedding.quantize": "int4"})
    a, b = (load_settings(tmp_path, {"embedding.quantize": q}) for q in ("fp32", "int8"))
    assert a.index_key() != b.index_key()  # a switch is a model switch: the worker hands over


@pytest.mark.slow
def test_minilm_int8_vectors_are_close_to_fp32_on_corpus_code(
    minilm_path: Path, polyglot_src: Path
) -> None:
    fp32 = load_embedder(ModelSpec(path=minilm_path))
    int8 = load_embedder(ModelSpec(path=minilm_path, quantize="int8"))
    assert isinstance(int8, FastEmbedder)
    assert not (minilm_path / VARIANT_DIR).exists()  # the shared folder is read-only
    texts: list[str] = []
    for pattern in ("cobra-go/*.go", "regex-rust/src/*.rs", "rxjs-ts/src/internal/operators/*.ts"):
        for path in sorted(polyglot_src.glob(pattern))[:5]:
            body = path.read_text(encoding="utf-8")
            texts += [body[i : i + 800] for i in range(0, min(len(body), 2400), 800)]
    assert len(texts) >= 30
    cosines = (fp32.embed(texts) * int8.embed(texts)).sum(axis=1)
    assert float(cosines.mean()) >= 0.98
    assert float(cosines.min()) >= 0.95
    assert stat.S_IMODE(minilm_path.stat().st_mode) & 0o222 == 0
