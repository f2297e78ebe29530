"""The int8 variant of an embedding model: made once from the model's own file, then reused.

Embedding is most of a cold index. ONNX Runtime's dynamic quantization (`quantize_dynamic`,
QInt8 weights, one scale per output channel) runs MiniLM about 1.6x faster on this kind of
CPU, with vectors whose cosine to the fp32 ones is above 0.98 on code (per-tensor scales are
as fast but drift to about 0.92: too lossy). Activations stay float, so nothing has to be
calibrated and the variant can be made from the model file alone.

A variant is a folder that fastembed loads like any model folder: the quantized
`model.onnx` and copies of the small files beside the original (tokenizer, config, pooling
config). It lives in `codeindex-int8/` inside the model's folder when that folder may be
written (its mode allows it, and this process may), else in codeindex's cache dir
(`$XDG_CACHE_HOME/codeindex/int8/<name>-<fingerprint>`, `CODEINDEX_CACHE_DIR` overrides the
base). `variant.json` records the fingerprint of the file it was made from: a variant of
another file is made again. Making one takes 5-15 s for MiniLM; every file of it is
written to a temporary name and renamed, and one process makes it while the others wait on
its lock file, so two processes starting at once, or one loading it while another makes
it, only ever see whole files.

`onnx` (needed by `onnxruntime.quantization`) is imported only when a variant is made.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from codeindex.datadir import cache_dir

log = logging.getLogger(__name__)

QUANTIZE_MODES = ("fp32", "int8", "auto")
VARIANT_DIR = "codeindex-int8"
MANIFEST = "variant.json"
_SMALL_FILE = 8 << 20  # tokenizer and config files; never another copy of the weights
_RECIPE = {"weights": "QInt8", "per_channel": True, "activations": "dynamic uint8"}


class QuantizeError(Exception):
    """The variant cannot be made (no `onnx` package, an unsupported graph, no space)."""


def cache_base() -> Path:
    """codeindex's cache dir: `$CODEINDEX_CACHE_DIR` as given, else
    `$XDG_CACHE_HOME/codeindex`, or when that cannot be created or written (a read-only or
    missing HOME) a folder of this user's under the system's temp dir, with a warning."""
    wanted = cache_dir()
    if os.environ.get("CODEINDEX_CACHE_DIR"):
        return wanted
    try:
        wanted.mkdir(parents=True, exist_ok=True)
        if os.access(wanted, os.W_OK):
            return wanted
        problem = "it is not writable"
    except OSError as exc:
        problem = f"it cannot be created ({exc.strerror or exc})"
    fallback = Path(tempfile.gettempdir()) / f"codeindex-{os.getuid()}"
    log.warning(
        "the cache dir %s is not usable: %s; using %s (set CODEINDEX_CACHE_DIR to choose)",
        wanted,
        problem,
        fallback,
    )
    fallback.mkdir(mode=0o700, parents=True, exist_ok=True)
    return fallback


def fastembed_cache(given: Path | None, *, own_folder: bool) -> Path:
    """fastembed's cache dir: `given` (FASTEMBED_CACHE_PATH), else `fastembed/` in
    `cache_base()`. A model loaded from its own folder needs it only to exist: when it cannot
    be created, a folder of this user's under the temp dir takes its place."""
    wanted = given or cache_base() / "fastembed"
    if not own_folder:
        return wanted
    try:
        wanted.mkdir(parents=True, exist_ok=True)
        return wanted
    except OSError:
        fallback = Path(tempfile.gettempdir()) / f"codeindex-{os.getuid()}" / "fastembed"
        fallback.mkdir(parents=True, exist_ok=True)
        return fallback


def writable(folder: Path) -> bool:
    """True when the folder's mode lets its owner write and this process may write it.

    Root may write anywhere; a folder marked read-only (a shared model folder) is still
    left alone.
    """
    try:
        mode = folder.stat().st_mode
    except OSError:
        return False
    return bool(mode & stat.S_IWUSR) and os.access(folder, os.W_OK)


def variant_folder(folder: Path, name_slug: str, fingerprint: str) -> Path:
    """Where the int8 variant of the model in `folder` lives (beside it, or in the cache)."""
    if writable(folder):
        return folder / VARIANT_DIR
    return cache_base() / "int8" / f"{name_slug}-{fingerprint}"


def int8_variant(folder: Path, model_file: str, fingerprint: str, name_slug: str) -> Path:
    """The folder of the int8 variant of `folder/model_file`; made now if missing or stale.

    `fingerprint` is that of the fp32 file: a variant made from another file is remade.
    Raises QuantizeError when it cannot be made.
    """
    target = variant_folder(folder, name_slug, fingerprint)
    if _current(target, fingerprint):
        return target
    try:
        target.mkdir(parents=True, exist_ok=True)
        with _made_by_one(target):  # the others wait, then find it made
            if _current(target, fingerprint):
                return target
            log.info("making the int8 variant of %s in %s (once)", folder / model_file, target)
            _copy_small_files(folder, target)
            _quantize(folder / model_file, target / "model.onnx")
            manifest = {"source": str(folder / model_file), "fingerprint": fingerprint, **_RECIPE}
            _write_atomic(target / MANIFEST, json.dumps(manifest, indent=2).encode())
    except QuantizeError:
        raise
    except Exception as exc:
        raise QuantizeError(f"cannot write the int8 variant to {target}: {exc}") from exc
    return target


@contextlib.contextmanager
def _made_by_one(target: Path) -> Iterator[None]:
    """Hold the variant's lock file: one process makes it while the others wait (making it
    twice at once costs both the 5-15 s, on the same cores)."""
    with (target / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _current(target: Path, fingerprint: str) -> bool:
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(manifest, dict)
        and manifest.get("fingerprint") == fingerprint
        and (target / "model.onnx").is_file()
    )


def _copy_small_files(source: Path, target: Path) -> None:
    """Tokenizer, config and pooling files (not the weights) into the variant's folder."""
    for entry in source.rglob("*"):
        rel = entry.relative_to(source)
        if rel.parts[0] == VARIANT_DIR or not entry.is_file() or entry.suffix == ".onnx":
            continue
        if entry.stat().st_size > _SMALL_FILE or entry.suffix in (".onnx_data", ".bin"):
            continue
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(dest, entry.read_bytes())  # another process may be loading it


def _quantize(source: Path, dest: Path) -> None:
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise QuantizeError(
            f"onnxruntime.quantization cannot be imported ({exc}): install the `onnx` package"
        ) from exc
    import onnx

    handle, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=".model-", suffix=".onnx")
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        root = logging.getLogger()
        level = root.level
        root.setLevel(max(level, logging.ERROR))  # its "consider pre-processing" advice
        try:
            # the model, not its path: given a path, onnxruntime writes `<name>-inferred.onnx`
            # beside the source (a shared, maybe read-only folder) and deletes it after, so
            # two processes quantizing at once deleted each other's file
            quantize_dynamic(
                onnx.load(str(source)),
                tmp,
                weight_type=QuantType.QInt8,
                per_channel=True,
                use_external_data_format=False,
            )
        finally:
            root.setLevel(level)
        os.replace(tmp, dest)
    except Exception as exc:
        raise QuantizeError(f"cannot quantize {source}: {type(exc).__name__}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def _write_atomic(path: Path, data: bytes) -> None:
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(tmp_name, path)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
