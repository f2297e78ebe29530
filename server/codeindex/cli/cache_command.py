"""`codeindex cache status|prune|clear`: the machine-wide vector cache, from any folder.

The cache (`vectors.cache`) belongs to the user, not to a workspace, so this command opens
no index. Its bound is `cache.max_bytes` as the settings of the current folder say (a
`.codeindex.toml` there, or the environment).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from codeindex.cli.args import find_root
from codeindex.cli.render import emit, out
from codeindex.config import load_settings
from codeindex.datadir import cache_dir
from codeindex.vectors.cache import cache_folder, clear, files, prune


def cmd_cache(args: argparse.Namespace) -> int:
    """Show, prune or clear the vector cache."""
    settings = load_settings(args.root or find_root(Path.cwd()))
    base = cache_dir()
    result: dict[str, Any] = {"action": args.action}
    if args.action == "prune":
        result["vectors_dropped"] = prune(base, settings.cache_max_bytes)
    elif args.action == "clear":
        result["bytes_freed"] = clear(base)
    listed = files(base)
    result.update(
        folder=str(cache_folder(base)),
        enabled=settings.cache_enabled,
        max_bytes=settings.cache_max_bytes,
        bytes=sum(f.bytes for f in listed),
        vectors=sum(f.vectors for f in listed),
        models=[{"model": f.model, "vectors": f.vectors, "bytes": f.bytes} for f in listed],
    )
    emit(args, result, _render)
    return 0


def _render(result: dict[str, Any]) -> None:
    if "vectors_dropped" in result:
        out.print(f"pruned: {result['vectors_dropped']} least recently used vectors dropped")
    if "bytes_freed" in result:
        out.print(f"cleared: {_size(result['bytes_freed'])} freed")
    state = "on" if result["enabled"] else "off here (cache.enabled = false)"
    out.print(
        f"vector cache {result['folder']} ({state}): {result['vectors']} vectors, "
        f"{_size(result['bytes'])} of {_size(result['max_bytes'])}"
    )
    for model in result["models"]:
        out.print(f"  {model['model']}: {model['vectors']} vectors, {_size(model['bytes'])}")


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    value = float(count)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024 or unit == "GiB":
            break
    return f"{value:.1f} {unit}"
