"""A real Neovim (Debian's 0.7, headless) drives `codeindex lsp`: a sync project reindex
with its $/progress, then workspace/symbol (tests/lsp/nvim/drive.lua)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

DRIVER = Path(__file__).parent / "nvim" / "drive.lua"
NVIM = shutil.which("nvim")


@pytest.mark.skipif(
    NVIM is None,
    reason="NEOVIM IS NOT INSTALLED: the real-editor test cannot run. `.ci/run` installs "
    "Debian's neovim; by hand: apt-get install -y neovim",
)
def test_neovim_reindexes_with_progress_and_finds_symbols(
    workspace: Path, tmp_path: Path, tiny_server_env: dict[str, str]
) -> None:
    assert NVIM is not None
    out = tmp_path / "nvim.json"
    env = {
        **tiny_server_env,
        "CODEINDEX_NVIM_ROOT": str(workspace),
        "CODEINDEX_NVIM_OUT": str(out),
        "CODEINDEX_NVIM_PYTHON": sys.executable,
        "HOME": str(tmp_path),  # no user config, no shada
    }
    proc = subprocess.run(
        [NVIM, "--headless", "-u", "NONE", "-i", "NONE", "--noplugin", "-c", f"luafile {DRIVER}"],
        env=env,
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert out.is_file(), f"nvim wrote nothing (exit {proc.returncode}): {proc.stderr}"
    seen: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert seen["errors"] == [], seen["errors"]
    assert "codeindex.forceReindex" in seen["commands"] and len(seen["commands"]) == 10

    answer = seen["reindex"]
    assert seen.get("reindex_error") is None
    assert answer["status"] == "Completed" and answer["scope"] == "Project"
    total = answer["items_total"]
    assert total == 381 and answer["result"]["items_completed"] == total
    assert answer["result"]["failures"] == []

    tokens = {p["token"] for p in seen["progress"]}
    mine = [t for t in tokens if t.startswith(f"codeindex/{answer['task_id']}/")]
    assert len(mine) == 1, tokens
    values = [p["value"] for p in seen["progress"] if p["token"] == mine[0]]
    assert values[0]["kind"] == "begin" and values[0]["title"] == "Reindex project"
    assert values[-1] == {"kind": "end", "message": f"completed: {total}/{total} files"}
    percents = [v["percentage"] for v in values if v["kind"] == "report"]
    assert percents and percents == sorted(percents)
    assert [s["state"] for s in seen["statuses"]][-1] == "idle"

    observable = workspace / "rxjs-ts" / "src" / "internal" / "Observable.ts"
    assert any(
        s["name"] == "Observable"
        and s["kind"] == 5  # Class
        and s["location"]["uri"] == observable.as_uri()
        for s in seen["symbols"]
    ), seen["symbols"][:5]
    assert seen["exit_code"] == 0
