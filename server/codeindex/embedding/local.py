"""A local embedding model: fastembed and ONNX Runtime, and where the model comes from.

Embedding is the slowest step of indexing, and the one that can fail before it starts:
a model is either a local folder (`CODEINDEX_EMBED_MODEL_PATH` / `embedding.model_path`)
or a name fastembed downloads into its cache. Offline, fastembed's download only fails
after about 40 s of retries, so before a download the hub gets one short request
(`hub.check_hub`): when it does not answer, the load fails at once saying so. The caller
remembers a failure
(`ModelSpec.settings_key`) and `ModelUnavailable` says what to set instead.

How a folder is loaded:

- Its model is the one fastembed lists under `spec.name` when that name is listed and
  the folder holds the file fastembed names for it. The default name only counts when
  the folder looks like MiniLM (config `hidden_size` 384 and `_name_or_path` naming
  MiniLM); any other folder loaded under the default name is named after the folder.
- Otherwise it is registered as a fastembed custom model: `model.onnx`, dimension from
  config.json `hidden_size`, CLS pooling if a sentence-transformers `1_Pooling/config.json`
  says so and mean pooling otherwise, vectors normalized.

With `quantize` int8 (or auto), the model loaded is the int8 variant made from the
configured model's file (`quantize`): a model of its own, named `<name>-int8`, whose folder
is that variant's. `auto` falls back to fp32 when no variant can be made, with the reason
as the embedder's `note` (the worker records it for status); `int8` then fails with
`ModelUnavailable`.

Every vector is keyed by `ModelIdentity.key` (name, dimension, fingerprint of the model
file), so another model, or the same name with other weights, gets its own LanceDB table.
fastembed is imported only when a model is loaded or described.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from codeindex.embedding.hub import DOWNLOAD_HINT, check_hub, in_cache
from codeindex.embedding.quantize import (
    QUANTIZE_MODES,
    QuantizeError,
    fastembed_cache,
    int8_variant,
)
from codeindex.embedding.spec import DEFAULT_MODEL, ModelIdentity, ModelSpec
from codeindex.errors import ModelUnavailable

__all__ = ["FastEmbedder", "describe", "fingerprint_file", "load_embedder"]

if TYPE_CHECKING:
    from fastembed import TextEmbedding
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

MODEL_FILE = "model.onnx"
INT8_SUFFIX = "-int8"

_FOLDER_HINT = (
    "point CODEINDEX_EMBED_MODEL_PATH or embedding.model_path at a folder holding "
    "model.onnx, tokenizer.json, tokenizer_config.json and config.json "
    "(e.g. an ONNX export of sentence-transformers/all-MiniLM-L6-v2)"
)
_CUSTOM_PREFIX = "codeindex-local/"
_FINGERPRINT_SPAN = 1 << 20
_register_lock = threading.Lock()


class FastEmbedder:
    """An `Embedder` on a loaded `fastembed.TextEmbedding`; make one with `load_embedder`."""

    def __init__(self, model: TextEmbedding, identity: ModelIdentity, counter: Tokenizer) -> None:
        self._model = model
        self._counter = counter
        self.identity = identity

    max_batch = 64  # larger ONNX batches are slower here and take gigabytes of memory
    batch_texts: int | None = None  # the worker's embedding.batch_size decides
    note: str | None = None  # why this is not the model asked for (fp32 without int8 copy)

    def probe(self) -> None:
        """A local model is loaded and answers: nothing to check."""

    def close(self) -> None:
        """Nothing to release: the ONNX session goes with the object."""

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Vectors of shape (len(texts), dim), L2-normalized, in order.

        One ONNX batch for up to `max_batch` texts; a longer list is split.
        """
        if not texts:
            return np.zeros((0, self.identity.dim), dtype=np.float32)
        rows = list(self._model.embed(list(texts), batch_size=min(len(texts), self.max_batch)))
        vectors = np.asarray(np.stack(rows), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors /= np.maximum(norms, np.float32(1e-12))
        return vectors

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens each text costs after truncation, special tokens included."""
        return [len(encoding.ids) for encoding in self._counter.encode_batch(list(texts))]


@dataclass(frozen=True, slots=True)
class _Plan:
    """What `load_embedder` would do, worked out without loading anything."""

    name: str
    fastembed_name: str
    folder: Path | None
    model_file: str
    dim: int
    custom_pooling: str | None


def load_embedder(spec: ModelSpec, *, allow_download: bool = False) -> FastEmbedder:
    """Load the model `spec` asks for, or raise `ModelUnavailable` saying why and what to set."""
    if spec.quantize not in QUANTIZE_MODES:
        raise ModelUnavailable(
            f"quantize is {spec.quantize!r}", "set embedding.quantize to fp32, int8 or auto"
        )
    if spec.quantize != "fp32":
        return _load_int8(spec, allow_download=allow_download)
    plan = _plan(spec)
    if plan.custom_pooling is not None:
        _register_custom(plan)
    from fastembed import TextEmbedding

    kwargs: dict[str, Any] = {"local_files_only": plan.folder is not None or not allow_download}
    if plan.folder is not None:
        kwargs["specific_model_path"] = str(plan.folder)
    elif allow_download:
        check_hub(plan.name, cached=in_cache(plan.fastembed_name, _cache_dir(spec)))
    try:
        model = TextEmbedding(
            model_name=plan.fastembed_name,
            cache_dir=str(_cache_dir(spec, own_folder=plan.folder is not None)),
            threads=spec.threads,
            **kwargs,
        )
    except Exception as exc:
        raise _load_error(spec, plan, exc, allow_download) from exc

    inner = model.model
    folder = Path(getattr(inner, "_model_dir", plan.folder or ""))
    model_file = str(getattr(getattr(inner, "model_description", None), "model_file", MODEL_FILE))
    try:
        counter = _truncate(inner, spec.max_tokens)
        fingerprint = fingerprint_file(folder / model_file)
        probe = list(model.embed(["def probe(): pass"], batch_size=1))
    except Exception as exc:
        raise ModelUnavailable(
            f"model {plan.name} from {folder} does not work: {type(exc).__name__}: {exc}",
            _FOLDER_HINT if plan.folder is not None else DOWNLOAD_HINT,
        ) from exc
    dim = int(probe[0].shape[-1])
    if dim != plan.dim:
        raise ModelUnavailable(
            f"model {plan.name} from {folder} gives {dim}-dim vectors, expected {plan.dim}",
            _FOLDER_HINT,
        )
    max_tokens = int((counter.truncation or {}).get("max_length", spec.max_tokens))
    identity = ModelIdentity(plan.name, dim, fingerprint, str(folder), max_tokens)
    return FastEmbedder(model, identity, counter)


def _load_int8(spec: ModelSpec, *, allow_download: bool) -> FastEmbedder:
    """The int8 variant of the model `spec` names, made from its file once (`quantize`)."""
    fp32 = replace(spec, quantize="fp32")
    plan = _plan(fp32)
    base: FastEmbedder | None = None
    if plan.folder is None:  # a named model: fastembed finds (or downloads) its folder
        base = load_embedder(fp32, allow_download=allow_download)
        folder, fingerprint = Path(base.identity.source), base.identity.fingerprint
    else:
        folder = plan.folder
        try:
            fingerprint = fingerprint_file(folder / plan.model_file)
        except OSError as exc:
            raise ModelUnavailable(
                f"cannot read {folder / plan.model_file}: {exc}", _FOLDER_HINT
            ) from exc
    try:
        variant = int8_variant(folder, plan.model_file, fingerprint, _slug(plan.name))
    except QuantizeError as exc:
        if spec.quantize == "int8":
            raise ModelUnavailable(
                f"no int8 variant of {plan.name}: {exc}",
                "set embedding.quantize to fp32 or auto, or make the cache dir writable",
            ) from exc
        log.warning("using the fp32 model: %s", exc)
        fallback = base or load_embedder(fp32, allow_download=allow_download)
        fallback.note = f"int8 copy could not be made ({exc}): using fp32 (slower)"
        return fallback
    int8 = replace(fp32, name=plan.name + INT8_SUFFIX, path=variant)
    return load_embedder(int8, allow_download=False)


def describe(spec: ModelSpec) -> str:
    """What would be loaded from where, without loading it (for `codeindex model check`)."""
    try:
        plan = _plan(spec)
    except ModelUnavailable as exc:
        return f"no model: {exc.reason}\n  hint: {exc.hint}"
    if plan.folder is None:
        cache = _cache_dir(spec)
        state = "found in" if in_cache(plan.fastembed_name, cache) else "not in"
        where = f"the fastembed cache {cache} ({state} the cache)"
    else:
        where = f"{plan.folder / plan.model_file}"
    kind = (
        f"custom model, {plan.custom_pooling.lower()} pooling, normalized"
        if plan.custom_pooling is not None
        else "as listed by fastembed"
    )
    quantized = {
        "fp32": "fp32 weights",
        "int8": "int8 weights (a variant made once from this file)",
        "auto": "int8 weights when a variant can be made from this file, else fp32",
    }.get(spec.quantize, f"unknown quantize {spec.quantize!r}")
    return (
        f"model {plan.name}: {plan.dim} dims, {kind}, {quantized}, inputs truncated to "
        f"{spec.max_tokens} tokens\n  from {where}"
    )


def fingerprint_file(path: Path) -> str:
    """16 hex chars of sha256 over the file's size and its first and last MiB."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        digest.update(str(size).encode())
        digest.update(handle.read(_FINGERPRINT_SPAN))
        if size > _FINGERPRINT_SPAN:
            handle.seek(max(_FINGERPRINT_SPAN, size - _FINGERPRINT_SPAN))
            digest.update(handle.read(_FINGERPRINT_SPAN))
    return digest.hexdigest()[:16]


def _plan(spec: ModelSpec) -> _Plan:
    if spec.max_tokens < 1:
        raise ModelUnavailable(
            f"max_tokens is {spec.max_tokens}", "set the embedding max_tokens to e.g. 256"
        )
    try:
        from fastembed import TextEmbedding
    except ImportError as exc:
        raise ModelUnavailable(
            f"fastembed cannot be imported: {exc}", "reinstall codeindex with its dependencies"
        ) from exc

    listed = {m["model"].lower(): m for m in TextEmbedding.list_supported_models()}
    described = listed.get(spec.name.lower())
    if spec.path is None:
        if described is None:
            raise ModelUnavailable(
                f"model {spec.name} is not one fastembed lists, and no model folder is set",
                DOWNLOAD_HINT,
            )
        return _Plan(
            spec.name, described["model"], None, described["model_file"], described["dim"], None
        )

    folder = spec.path.expanduser().resolve()
    if folder.is_file():
        raise ModelUnavailable(
            f"model path {spec.path} is a file, not a folder",
            f"give the folder that holds it ({folder.parent}): {_FOLDER_HINT}",
        )
    if not folder.is_dir():
        raise ModelUnavailable(f"model folder {spec.path} does not exist", _FOLDER_HINT)
    config = _read_json(folder / "config.json")
    name = spec.name
    if name == DEFAULT_MODEL and not _looks_like_minilm(config):
        name = folder.name
        described = None
    if described is not None and (folder / described["model_file"]).is_file():
        return _Plan(
            name, described["model"], folder, described["model_file"], described["dim"], None
        )
    if not (folder / MODEL_FILE).is_file():
        raise ModelUnavailable(f"model folder {folder} has no {MODEL_FILE}", _FOLDER_HINT)
    dim = config.get("hidden_size")
    if not isinstance(dim, int) or dim <= 0:
        raise ModelUnavailable(
            f"model folder {folder} has no config.json with hidden_size (the vector size)",
            _FOLDER_HINT,
        )
    pooling = _pooling(folder)
    registered = f"{_CUSTOM_PREFIX}{_slug(name)}-{dim}-{pooling.lower()}"
    return _Plan(name, registered, folder, MODEL_FILE, dim, pooling)


def _register_custom(plan: _Plan) -> None:
    from fastembed import TextEmbedding
    from fastembed.common.model_description import ModelSource, PoolingType

    with _register_lock:
        known = {m["model"].lower() for m in TextEmbedding.list_supported_models()}
        if plan.fastembed_name.lower() in known:
            return
        TextEmbedding.add_custom_model(
            model=plan.fastembed_name,
            pooling=PoolingType(plan.custom_pooling),
            normalization=True,
            sources=ModelSource(hf=plan.fastembed_name),
            dim=plan.dim,
            model_file=MODEL_FILE,
            description=f"local folder loaded by codeindex as {plan.name}",
        )


def _truncate(inner: object, max_tokens: int) -> Tokenizer:
    """Cap the model's tokenizer at max_tokens; return an unpadded copy for counting."""
    from tokenizers import Tokenizer

    tokenizer = getattr(inner, "tokenizer", None)
    if not isinstance(tokenizer, Tokenizer):
        raise TypeError("fastembed exposes no tokenizers.Tokenizer for this model")
    current = tokenizer.truncation or {}
    limit = min(max_tokens, int(current.get("max_length", max_tokens)))
    tokenizer.enable_truncation(
        max_length=limit,
        stride=int(current.get("stride", 0)),
        strategy=str(current.get("strategy", "longest_first")),
        direction=str(current.get("direction", "right")),
    )
    counter = Tokenizer.from_str(tokenizer.to_str())
    counter.no_padding()
    return counter


def _load_error(spec: ModelSpec, plan: _Plan, exc: Exception, allow_download: bool) -> Exception:
    detail = f"{type(exc).__name__}: {exc}"
    if plan.folder is not None:
        return ModelUnavailable(
            f"cannot load model {plan.name} from {plan.folder / plan.model_file}: {detail}",
            _FOLDER_HINT,
        )
    if not allow_download:
        return ModelUnavailable(
            f"model {plan.name} is not in the fastembed cache {_cache_dir(spec)} "
            f"and downloads are off ({detail})",
            DOWNLOAD_HINT,
        )
    return ModelUnavailable(f"cannot download model {plan.name}: {detail}", DOWNLOAD_HINT)


def _looks_like_minilm(config: dict[str, Any]) -> bool:
    return config.get("hidden_size") == 384 and "minilm" in str(config.get("_name_or_path")).lower()


def _pooling(folder: Path) -> str:
    pooling = _read_json(folder / "1_Pooling" / "config.json")
    return "CLS" if pooling.get("pooling_mode_cls_token") is True else "MEAN"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "model"


def _cache_dir(spec: ModelSpec, *, own_folder: bool = False) -> Path:
    """Where downloaded models live (`quantize.fastembed_cache`), not fastembed's default
    under /tmp, which the system may wipe (a model is downloaded once, not every reboot)."""
    given = spec.cache_dir or os.environ.get("FASTEMBED_CACHE_PATH")
    return fastembed_cache(Path(given) if given else None, own_folder=own_folder)
