"""The embedder on the real local models: loading, identity, vectors, truncation, failures."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from codeindex.embedding.local import FastEmbedder, describe, fingerprint_file, load_embedder
from codeindex.embedding.spec import DEFAULT_MODEL, ModelSpec
from codeindex.errors import ModelUnavailable

SENTENCE = "the quick brown fox jumps over the lazy dog and runs far away "


@pytest.fixture(scope="module")
def minilm(minilm_path: Path) -> FastEmbedder:
    return load_embedder(ModelSpec(path=minilm_path))


@pytest.fixture(scope="module")
def tiny(tiny_model_path: Path) -> FastEmbedder:
    return load_embedder(ModelSpec(path=tiny_model_path))


def _model_files(source: Path, dest: Path, *, with_model: bool) -> Path:
    dest.mkdir()
    for file in source.iterdir():
        if file.name != "model.onnx" or with_model:
            shutil.copyfile(file, dest / file.name)
    return dest


def test_minilm_loads_from_its_folder(minilm: FastEmbedder, minilm_path: Path) -> None:
    identity = minilm.identity
    assert identity.name == DEFAULT_MODEL
    assert identity.dim == 384
    assert identity.max_tokens == 256
    assert identity.source == str(minilm_path.resolve())
    assert identity.key == f"{DEFAULT_MODEL}|384|{identity.fingerprint}"
    assert identity.table_name == f"v_all_minilm_l6_v2_384_{identity.fingerprint[:8]}"


def test_tiny_loads_as_a_custom_model_named_after_its_folder(tiny: FastEmbedder) -> None:
    assert tiny.identity.name == "tiny-bert-128-onnx"
    assert tiny.identity.dim == 128
    assert re.fullmatch(r"[a-z0-9_]+", tiny.identity.table_name)


def test_custom_model_keeps_an_explicit_name(tiny_model_path: Path) -> None:
    embedder = load_embedder(ModelSpec(name="acme/tiny", path=tiny_model_path, max_tokens=32))
    assert (embedder.identity.name, embedder.identity.dim) == ("acme/tiny", 128)
    assert embedder.identity.table_name.startswith("v_tiny_128_")
    assert embedder.count_tokens([SENTENCE * 20]) == [32]


def test_fingerprint_is_stable_and_tells_models_apart(
    minilm: FastEmbedder, tiny: FastEmbedder, minilm_path: Path
) -> None:
    again = load_embedder(ModelSpec(path=minilm_path))
    assert again.identity == minilm.identity
    assert re.fullmatch(r"[0-9a-f]{16}", minilm.identity.fingerprint)
    assert fingerprint_file(minilm_path / "model.onnx") == minilm.identity.fingerprint
    assert tiny.identity.fingerprint != minilm.identity.fingerprint
    assert tiny.identity.key != minilm.identity.key


@pytest.mark.parametrize("which", ["minilm", "tiny"])
def test_vectors_are_normalized_float32_in_order(
    which: str, request: pytest.FixtureRequest
) -> None:
    embedder: FastEmbedder = request.getfixturevalue(which)
    texts = ["def add(a, b): return a + b", "x", SENTENCE * 3, "class A:\n    pass"]
    vectors = embedder.embed(texts)
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(texts), embedder.identity.dim)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    one_by_one = np.vstack([embedder.embed([text]) for text in texts])
    np.testing.assert_allclose(vectors, one_by_one, atol=1e-4)
    assert embedder.embed([]).shape == (0, embedder.identity.dim)


def test_minilm_ranks_related_code_higher(minilm: FastEmbedder) -> None:
    query, related, unrelated = minilm.embed(
        [
            "read a file from disk",
            "def load_file(path): return open(path).read()",
            "class Color(Enum): RED = 1",
        ]
    )
    assert float(query @ related) > float(query @ unrelated) + 0.2


def test_long_text_is_truncated_to_max_tokens(minilm: FastEmbedder) -> None:
    long_text = SENTENCE * 200
    assert len(long_text.split()) > 2000
    words = long_text.split()
    prefix = " ".join(words[:254])
    assert minilm.count_tokens([long_text, prefix]) == [256, 256]
    long_vector, prefix_vector = minilm.embed([long_text, prefix])
    np.testing.assert_allclose(long_vector, prefix_vector, atol=1e-5)
    shorter = minilm.embed([" ".join(words[:200])])[0]
    assert not np.allclose(long_vector, shorter, atol=1e-5)


def test_count_tokens_includes_special_tokens(tiny: FastEmbedder) -> None:
    assert tiny.count_tokens([]) == []
    assert tiny.count_tokens(["hello world", "", SENTENCE * 100]) == [4, 2, 256]


def test_max_tokens_beyond_the_tokenizer_limit_is_capped(tiny_model_path: Path) -> None:
    embedder = load_embedder(ModelSpec(path=tiny_model_path, max_tokens=4096))
    assert embedder.identity.max_tokens == 512
    assert embedder.count_tokens([SENTENCE * 200]) == [512]


def test_embed_from_worker_threads(tiny: FastEmbedder) -> None:
    batches = [[f"def f{i}_{j}(): return {j}" for j in range(8)] for i in range(6)]
    serial = [tiny.embed(batch) for batch in batches]
    with ThreadPoolExecutor(max_workers=3) as pool:
        threaded = list(pool.map(tiny.embed, batches))
    for a, b in zip(serial, threaded, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def _missing_folder(tmp_path: Path, model: Path) -> ModelSpec:
    return ModelSpec(path=tmp_path / "nowhere")


def _no_model_file(tmp_path: Path, model: Path) -> ModelSpec:
    return ModelSpec(path=_model_files(model, tmp_path / "m", with_model=False))


def _corrupt_model_file(tmp_path: Path, model: Path) -> ModelSpec:
    folder = _model_files(model, tmp_path / "m", with_model=False)
    (folder / "model.onnx").write_bytes(bytes(range(100)))
    return ModelSpec(path=folder)


def _no_tokenizer(tmp_path: Path, model: Path) -> ModelSpec:
    folder = _model_files(model, tmp_path / "m", with_model=True)
    (folder / "tokenizer.json").unlink()
    return ModelSpec(path=folder)


@pytest.mark.parametrize(
    ("make_spec", "says"),
    [
        pytest.param(_missing_folder, "does not exist", id="missing-folder"),
        pytest.param(_no_model_file, "has no model.onnx", id="no-model-onnx"),
        pytest.param(_corrupt_model_file, "cannot load model", id="corrupt-model-onnx"),
        pytest.param(_no_tokenizer, "tokenizer.json", id="no-tokenizer"),
    ],
)
def test_a_bad_model_folder_is_a_clear_model_unavailable(
    make_spec: Callable[[Path, Path], ModelSpec], says: str, tmp_path: Path, tiny_model_path: Path
) -> None:
    spec = make_spec(tmp_path, tiny_model_path)
    with pytest.raises(ModelUnavailable) as caught:
        load_embedder(spec)
    assert says in caught.value.reason
    assert "CODEINDEX_EMBED_MODEL_PATH" in caught.value.hint
    assert "embedding.model_path" in caught.value.hint


def test_a_non_positive_max_tokens_is_refused(tiny_model_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="max_tokens is 0") as caught:
        load_embedder(ModelSpec(path=tiny_model_path, max_tokens=0))
    assert str(caught.value) == f"{caught.value.reason}; {caught.value.hint}"


def test_a_model_not_in_the_cache_fails_fast_without_downloading(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    started = time.perf_counter()
    with pytest.raises(ModelUnavailable) as caught:
        load_embedder(ModelSpec(cache_dir=cache), allow_download=False)
    assert time.perf_counter() - started < 20.0  # fastembed's offline retries take ~40 s
    reason, hint = caught.value.reason, caught.value.hint
    assert DEFAULT_MODEL in reason
    assert f"not in the fastembed cache {cache}" in reason
    assert "downloads are off" in reason
    assert "CODEINDEX_EMBED_MODEL_PATH" in hint
    assert "codeindex model check --download" in hint


def test_a_name_fastembed_does_not_list_needs_a_folder() -> None:
    with pytest.raises(ModelUnavailable, match="not one fastembed lists"):
        load_embedder(ModelSpec(name="acme/unknown-model"))


def test_describe_says_what_and_where_without_loading(
    minilm_path: Path, tiny_model_path: Path, tmp_path: Path
) -> None:
    text = describe(ModelSpec(path=minilm_path))
    assert DEFAULT_MODEL in text and "384 dims" in text and str(minilm_path.resolve()) in text
    text = describe(ModelSpec(path=tiny_model_path))
    assert "tiny-bert-128-onnx" in text and "128 dims" in text and "custom" in text
    text = describe(ModelSpec(cache_dir=tmp_path))
    assert f"fastembed cache {tmp_path}" in text and "not in the cache" in text
    text = describe(ModelSpec(path=tmp_path / "nowhere"))
    assert text.startswith("no model") and "CODEINDEX_EMBED_MODEL_PATH" in text


def test_settings_key_is_stable_and_covers_every_field(tmp_path: Path) -> None:
    base = ModelSpec()
    assert base.settings_key() == ModelSpec().settings_key()
    others = [
        ModelSpec(name="x/y"),
        ModelSpec(path=tmp_path),
        ModelSpec(max_tokens=128),
        ModelSpec(threads=1),
        ModelSpec(cache_dir=tmp_path),
    ]
    keys = {base.settings_key(), *(spec.settings_key() for spec in others)}
    assert len(keys) == len(others) + 1
