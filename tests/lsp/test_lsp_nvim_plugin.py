"""codeindex.nvim (the plugin in codeindex.nvim/) in a real Neovim, headless, on Debian's
0.7 and on a current one (0.12: `.ci/run` installs it, see ../shared/e2e/neovim): set up
from a bare `-u` init (tests/lsp/nvim/plugin_init.lua), then every :CodeIndex subcommand,
completion, progress, the statusline and :checkhealth (tests/lsp/nvim/plugin.lua)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
PLUGIN = HERE.parent.parent / "codeindex.nvim"
INIT = HERE / "nvim" / "plugin_init.lua"
DRIVER = HERE / "nvim" / "plugin.lua"
CURRENT = os.environ.get("CODEINDEX_NVIM_CURRENT") or str(
    Path.home() / ".cache" / "codeindex-e2e" / "nvim" / "bin" / "nvim"
)
SUBCOMMANDS = (
    "reindex",
    "status",
    "tasks",
    "pause",
    "resume",
    "cancel",
    "validate",
    "search",
    "symbols",
)
TASK = r"reindex_\d{14}_[0-9a-f]{8}"
INSTALL_HINT = {
    "0.7": "apt-get install -y neovim (Debian's 0.7; `.ci/run` does it)",
    "current": "`.ci/run` installs it; by hand: ../shared/e2e/neovim/README.md "
    "(CODEINDEX_NVIM_CURRENT names another binary)",
}


def neovim(which: str) -> str:
    """The Neovim binary of this run; the test is skipped, saying so, when it is missing."""
    binary = "/usr/bin/nvim" if which == "0.7" else CURRENT
    if not (Path(binary).is_file() and os.access(binary, os.X_OK)):
        pytest.skip(
            f"NOT TESTED: Neovim {which} is not installed at {binary}: {INSTALL_HINT[which]}"
        )
    return binary


def drive(
    binary: str, attach: str, workspace: Path, tmp_path: Path, env: dict[str, str]
) -> dict[str, Any]:
    """Run tests/lsp/nvim/plugin.lua in `binary` set up by plugin_init.lua; what it saw."""
    out = tmp_path / "plugin.json"
    env = {
        **env,
        "CODEINDEX_PLUGIN": str(PLUGIN),
        "CODEINDEX_NVIM_PYTHON": sys.executable,
        "CODEINDEX_NVIM_ATTACH": attach,
        "CODEINDEX_NVIM_OUT": str(out),
        "HOME": str(tmp_path),  # no user config, no shada
    }
    command = [binary, "--headless", "-u", str(INIT), "-i", "NONE", "-c", f"luafile {DRIVER}"]
    proc = subprocess.run(
        command, env=env, cwd=workspace, capture_output=True, text=True, timeout=150, check=False
    )
    assert out.is_file(), f"nvim wrote nothing (exit {proc.returncode}): {proc.stderr}"
    seen: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert seen["errors"] == [], (seen["errors"], seen["notes"])
    assert seen["attached"] and seen["root"] == str(workspace)
    # the server exits cleanly when the client stops it (a SIGABRT at exit is reported)
    assert not any("quit with exit code" in n["text"] for n in seen["notes"]), seen["notes"]
    assert not any("deprecated" in n["text"] for n in seen["notes"]), seen["notes"]
    assert seen["statusline"] == seen["statusline_drawn"] == "codeindex: idle"
    assert seen["statusline_after"] == ""
    return seen


@pytest.mark.parametrize(
    ("which", "method"),
    [
        pytest.param("0.7", "start_client", id="nvim0.7"),
        pytest.param("current", "enable", id="nvim-current"),
    ],
)
def test_plugin_commands_progress_statusline_and_health(
    which: str, method: str, workspace: Path, tmp_path: Path, tiny_server_env: dict[str, str]
) -> None:
    seen = drive(neovim(which), "auto", workspace, tmp_path, tiny_server_env)
    assert seen["method"] == method
    assert seen["complete_subcommands"] == sorted(SUBCOMMANDS)
    assert seen["complete_scopes"] == ["directory"]
    assert seen["complete_paths"] == ["cobra-go/args.go", "cobra-go/args_test.go"]
    assert seen["bad_subcommand"].startswith('codeindex: unknown subcommand "frobnicate"')
    assert re.fullmatch(r"codeindex: 381 files indexed, \d+ symbols, .*; tasks: .*", seen["status"])
    assert re.fullmatch(
        rf"codeindex: {TASK} (Queued|Running|Completed): 1 file\(s\) queued", seen["reindex"]
    )
    task = seen["reindex"].split()[1]
    assert f"{task} Completed 100% 1 of 1 files done" in seen["tasks"]

    project = re.fullmatch(rf"codeindex: ({TASK}) \w+: 381 file\(s\) queued", seen["project"])
    assert project, seen["project"]
    assert seen["pause"] == f"codeindex: {project[1]} Paused"
    assert seen["complete_resume"] == [project[1]] and seen["complete_cancel"] == [project[1]]
    assert re.fullmatch(rf"codeindex: {project[1]} (Queued|Running)", seen["resume"])
    assert seen["cancel"] == f"codeindex: {project[1]} Cancelled"
    assert seen["validate"] == "codeindex: index is valid (381 files checked)"

    assert seen["search"] and all(
        item["filename"].startswith(f"{workspace}/") for item in seen["search"]
    )
    assert any(item["text"] for item in seen["search"])
    observable = str(workspace / "rxjs-ts" / "src" / "internal" / "Observable.ts")
    assert {"filename": observable, "lnum": 15, "text": "[class] Observable"}.items() <= seen[
        "symbols"
    ][0].items()

    # progress through Neovim's own $/progress handler (what vim.lsp.status() and fidget read)
    assert any("Reindex file cobra-go/args.go" in p for p in seen["progress"]), seen["progress"]
    # the statusline follows codeindex/status: idle, indexing, paused, idle again
    lines = seen["statuslines"]
    assert lines[0] == "codeindex: idle" and lines[-1] == "codeindex: idle", lines
    assert "codeindex: paused" in lines, lines
    assert any(re.fullmatch(r"codeindex: indexing \d+%", line) for line in lines), lines

    health = "\n".join(seen["health"])
    for expected in (
        f"attach method: {method}",
        f"server command: {sys.executable} -m codeindex lsp",
        "version: codeindex ",
        f"server running for {workspace}",
        "model configured: ",
        "worker",
        "index: 381 files indexed",
        "state: idle",
    ):
        assert expected in health, (expected, seen["health"])
    assert "ERROR" not in health and "WARNING" not in health, seen["health"]


def test_plugin_with_vim_lsp_start(
    workspace: Path, tmp_path: Path, tiny_server_env: dict[str, str]
) -> None:
    """The attach method of Neovim 0.8-0.10 (vim.lsp.start from a FileType autocmd), chosen
    with `attach = "start"` on the current Neovim, and `picker = "select"`: setup, attach,
    a command, symbols through vim.ui.select, the statusline."""
    env = {**tiny_server_env, "CODEINDEX_NVIM_QUICK": "1", "CODEINDEX_NVIM_PICKER": "select"}
    seen = drive(neovim("current"), "start", workspace, tmp_path, env)
    assert seen["method"] == "start"
    assert re.fullmatch(r"codeindex: 381 files indexed, \d+ symbols, .*", seen["status"])
    assert seen["statuslines"][0] == "codeindex: idle"
    # picker = "select": the symbols go to vim.ui.select, and the one chosen is opened
    assert seen["select"]["prompt"] == "codeindex symbols: Observable"
    assert seen["select"]["items"][0] == "rxjs-ts/src/internal/Observable.ts:15: [class] Observable"
    observable = workspace / "rxjs-ts" / "src" / "internal" / "Observable.ts"
    assert seen["opened"] == [str(observable), [15, 13]]
