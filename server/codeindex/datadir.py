"""Where the index of a workspace lives: the one function every front-end calls.

Its own module, without the settings machinery, so that the CLI's query fast path
(`entry`) can find a workspace's data dir without importing more than it needs.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """codeindex's cache dir, shared by every workspace of the user: `$CODEINDEX_CACHE_DIR`,
    else `$XDG_CACHE_HOME/codeindex`, else `~/.cache/codeindex` (not created here)."""
    explicit = os.environ.get("CODEINDEX_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "codeindex"


def data_dir_for(root: Path) -> Path:
    """Where the index of `root` lives: $CODEINDEX_DATA_DIR or <root>/.codeindex."""
    env = os.environ.get("CODEINDEX_DATA_DIR")
    if env:
        return Path(env).expanduser().resolve()
    return root.resolve() / ".codeindex"
