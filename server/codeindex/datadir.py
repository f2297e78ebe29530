"""Where the index of a workspace lives: the one function every front-end calls.

Its own module, without the settings machinery, so that the CLI's query fast path
(`entry`) can find a workspace's data dir without importing more than it needs.
"""

from __future__ import annotations

import os
from pathlib import Path


def data_dir_for(root: Path) -> Path:
    """Where the index of `root` lives: $CODEINDEX_DATA_DIR or <root>/.codeindex."""
    env = os.environ.get("CODEINDEX_DATA_DIR")
    if env:
        return Path(env).expanduser().resolve()
    return root.resolve() / ".codeindex"
