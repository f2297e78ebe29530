"""The model hub fastembed downloads named models from: whether a model is in the cache,
and whether the hub answers before a download starts.

Offline, fastembed and huggingface_hub only give up on a download after about 40 s of
retries (three attempts, 3 and 9 s apart, each with its own timeouts). One request of at
most `HUB_REACH_SECONDS` to the hub's endpoint (`HF_ENDPOINT`, else huggingface.co;
through any proxy the environment names) tells first whether a download can start.
"""

from __future__ import annotations

import os
from pathlib import Path

from codeindex.errors import ModelUnavailable

HUB_REACH_SECONDS = 5.0
DOWNLOAD_HINT = (
    "set CODEINDEX_EMBED_MODEL_PATH or embedding.model_path to a local model folder, "
    "or run `codeindex model check --download`"
)


def check_hub(name: str, *, cached: bool) -> None:
    """Before downloading model `name`: raise ModelUnavailable at once when the hub does not
    answer one request. A model in the cache (`cached`), or `HF_HUB_OFFLINE`, needs none."""
    offline = os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "TRUE", "YES", "ON"}
    if offline or cached:
        return
    import httpx
    from huggingface_hub import constants

    endpoint = constants.ENDPOINT
    try:
        httpx.head(endpoint, timeout=HUB_REACH_SECONDS)
    except httpx.HTTPError as exc:
        detail = str(exc) or f"nothing within {HUB_REACH_SECONDS:.0f} s"
        raise ModelUnavailable(
            f"cannot download model {name}: the model hub {endpoint} does not answer "
            f"({type(exc).__name__}: {detail})",
            DOWNLOAD_HINT,
        ) from exc


def in_cache(fastembed_name: str, cache: Path) -> bool:
    """Whether the fastembed cache seems to hold the model (a hub snapshot or a legacy
    folder)."""
    from fastembed import TextEmbedding

    for model in TextEmbedding.list_supported_models():
        if model["model"].lower() == fastembed_name.lower():
            names = ["fast-" + model["model"].split("/")[-1]]
            hub = model["sources"].get("hf")
            if hub:
                names.append("models--" + hub.replace("/", "--"))
            return any((cache / n).is_dir() for n in names)
    return False
