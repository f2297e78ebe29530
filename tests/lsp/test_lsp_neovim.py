"""A real Neovim (Debian's 0.7, headless) drives `codeindex lsp`: a sync project reindex
with its $/progress, then workspace/symbol (tests/lsp/nvim/drive.lua); several folders
from one server (tests/lsp/nvim/folders.lua); README's Lua blocks parse. The plugin README
shows (codeindex.nvim/) is tested in test_lsp_nvim_plugin.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import copy_tree, index_with_cli

HERE = Path(__file__).parent
DRIVER = HERE / "nvim" / "drive.lua"
FOLDERS = HERE / "nvim" / "folders.lua"
README = HERE.parent.parent / "README.md"
NVIM = shutil.which("nvim")
needs_nvim = pytest.mark.skipif(
    NVIM is None,
    reason="NEOVIM IS NOT INSTALLED: the real-editor tests cannot run. `.ci/run` installs "
    "Debian's neovim; by hand: apt-get install -y neovim",
)


def nvim(*scripts: Path, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Neovim, headless, without user config, running these Lua files in order."""
    assert NVIM is not None
    command = [NVIM, "--headless", "-u", "NONE", "-i", "NONE", "--noplugin"]
    for script in scripts:
        command += ["-c", f"luafile {script}"]
    return subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=900, check=False
    )


@needs_nvim
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
    proc = nvim(DRIVER, env=env, cwd=workspace)
    assert out.is_file(), f"nvim wrote nothing (exit {proc.returncode}): {proc.stderr}"
    seen: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert seen["errors"] == [], seen["errors"]
    assert "codeindex.forceReindex" in seen["commands"] and len(seen["commands"]) == 13

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


@needs_nvim
def test_every_lua_block_of_the_readme_parses(tmp_path: Path) -> None:
    blocks = re.findall(r"```lua\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 2  # the plugin's setup for lazy.nvim and for a bare init.lua
    check = tmp_path / "parse.lua"
    lines = ["local bad = {}"]
    for i, block in enumerate(blocks):
        path = tmp_path / f"block{i}.lua"
        path.write_text(block, encoding="utf-8")
        lines.append(
            f"local f{i}, e{i} = loadfile({json.dumps(str(path))}) "
            f"if not f{i} then table.insert(bad, e{i}) end"
        )
    lines += [
        f"local out = assert(io.open({json.dumps(str(tmp_path / 'parse.json'))}, 'w'))",
        "out:write(vim.fn.json_encode({ bad = bad })) out:close() vim.cmd('qa!')",
    ]
    check.write_text("\n".join(lines), encoding="utf-8")
    nvim(check, env={**os.environ, "HOME": str(tmp_path)}, cwd=tmp_path)
    assert json.loads((tmp_path / "parse.json").read_text(encoding="utf-8")) == {"bad": []}


@needs_nvim
def test_neovim_serves_several_folders_from_one_server(
    polyglot_src: Path, tmp_path: Path, tiny_server_env: dict[str, str]
) -> None:
    """Several folders: `workspace_folders` at start, `add_workspace_folder` later (README)."""
    a = copy_tree(polyglot_src, tmp_path / "a", ["cobra-go/args.go", "cobra-go/command.go"])
    b = copy_tree(polyglot_src, tmp_path / "b", ["regex-rust/src/sparse.rs"])
    c = copy_tree(polyglot_src, tmp_path / "c", ["regex-rust/src/pattern.rs"])  # not indexed
    for root in (a, b):
        index_with_cli(root, tiny_server_env)
    out = tmp_path / "nvim.json"
    env = {
        **tiny_server_env,
        "CODEINDEX_NVIM_A": str(a),
        "CODEINDEX_NVIM_B": str(b),
        "CODEINDEX_NVIM_C": str(c),
        "CODEINDEX_NVIM_OUT": str(out),
        "CODEINDEX_NVIM_PYTHON": sys.executable,
        "HOME": str(tmp_path),
    }
    proc = nvim(FOLDERS, env=env, cwd=a)
    assert out.is_file(), f"nvim wrote nothing (exit {proc.returncode}): {proc.stderr}"
    seen: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert seen["errors"] == [], seen["errors"]
    assert seen["from_a"] and all(u.startswith(a.as_uri() + "/") for u in seen["from_a"])
    assert seen["from_b"] and all(u.startswith(b.as_uri() + "/") for u in seen["from_b"])
    assert seen["from_c"] and all(u.startswith(c.as_uri() + "/") for u in seen["from_c"])
    assert any(t.startswith("c: ") for t in seen["titles"]), seen["titles"]
