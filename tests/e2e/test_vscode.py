"""The extension in a real VS Code: reindex from the palette, watch it, search and open a hit,
the explorer's menus, and a server command that points nowhere.

code-server 1.139 with the built `.vsix` installed serves a copy of cobra (38 Go files);
headless Chromium drives it as a person would: the command palette, the progress
notification, the status bar item, the Search Index list and the editor it opens. The CLI
checks what the index holds in between. A numbered screenshot is saved at each step; on
failure the report says where they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from tests.e2e.workbench import (
    CONTEXT_MENU,
    PALETTE_ROWS,
    STATUS_BAR,
    TOASTS,
    CodeServer,
    Workbench,
)
from tests.helpers import cli_env, copy_tree, line_of, run_json

SYMBOL = "ExecuteC"
DEFINITION = "func (c *Command) ExecuteC() (cmd *Command, err error) {"
INDEX_SECONDS = 150


def corpus_files(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.is_file() and ".codeindex" not in p.parts)


def test_reindex_from_the_palette_search_and_a_missing_server(
    code_server: Callable[..., CodeServer],
    workbench: Workbench,
    polyglot_src: Path,
    tiny_model_path: Path,
    tmp_path: Path,
) -> None:
    workspace = copy_tree(polyglot_src, tmp_path / "ws", ["cobra-go"]) / "cobra-go"
    files = corpus_files(workspace)
    line = line_of(workspace / "command.go", DEFINITION)
    column = DEFINITION.index(SYMBOL) + 1
    wb = workbench

    wb.open(code_server().start(workspace))
    wb.wait(STATUS_BAR, text="Code Index: idle", timeout=90)  # the server runs and says so
    wb.shot("workbench")

    wb.palette("Code Index: Reindex Workspace")
    progress = wb.wait(TOASTS, text=rf"Code Index: Reindex Workspace: .*\d+/{files} files")
    wb.shot("progress-notification")
    assert "Cancel" in progress, progress
    wb.wait(STATUS_BAR, text=r"Code Index: indexing \d+%")
    wb.shot("status-indexing")
    wb.wait(
        STATUS_BAR,
        text=rf"Reindex Workspace: completed: {files}/{files} files",
        timeout=INDEX_SECONDS,
    )
    wb.wait(STATUS_BAR, text="Code Index: idle")
    wb.shot("indexed")

    env = cli_env(CODEINDEX_EMBED_MODEL_PATH=str(tiny_model_path), CODEINDEX_ALLOW_DOWNLOAD="0")
    status = run_json(workspace, "status", env=env)
    assert status["files"]["by_status"] == {"indexed": files}
    assert status["symbols"] > 0
    task = run_json(workspace, "tasks", "--limit", "1", env=env)[0]
    assert (task["scope"], task["status"], task["items_completed"]) == (
        "Project",
        "Completed",
        files,
    )
    symbols = run_json(workspace, "symbols", SYMBOL, "--match", "exact", env=env)
    assert [(s["path"], s["start_line"]) for s in symbols] == [("command.go", line)]

    wb.palette("Code Index: Search Index")
    wb.wait(".quick-input-widget .quick-input-title", text="Code Index: Search Index")
    wb.call("type", text=SYMBOL)
    hit = rf"Command\.{SYMBOL}\s*method · command\.go:{line}"
    wb.wait(PALETTE_ROWS, text=hit)
    wb.shot("search-results")
    wb.call("click", selector=PALETTE_ROWS, text=hit)
    wb.wait(".tabs-container .tab.active", text=r"command\.go")
    wb.wait(STATUS_BAR, text=rf"Ln {line}, Col {column}\b")
    shown = re.escape(DEFINITION).replace(r"\ ", r"\s")  # the editor renders no-break spaces
    wb.wait(".monaco-editor .view-lines", text=shown)
    wb.shot("opened-at-line")

    wb.call("hover", selector="[id='status.languageStatus']")
    wb.wait(".monaco-hover", text=r"Code Index: idle")
    wb.shot("language-status")

    doc = corpus_files(workspace / "doc")
    menu = wb.explorer_menu("doc")
    assert "Reindex Folder..." in menu and "Reindex Selected Files" not in menu, menu
    wb.shot("folder-menu")
    wb.call("click", selector=f"{CONTEXT_MENU} .action-item", text=r"Reindex Folder\.\.\.")
    wb.wait(STATUS_BAR, text=rf"Reindex Folder: completed: {doc}/{doc} files", timeout=90)

    menu = wb.explorer_menu("args.go", "cobra.go")
    assert "Reindex Selected Files" in menu, menu
    wb.shot("files-menu")
    wb.call("click", selector=f"{CONTEXT_MENU} .action-item", text="Reindex Selected Files")
    wb.wait(STATUS_BAR, text=r"Reindex Selected Files: completed: 2/2 files", timeout=90)
    wb.shot("selected-files-reindexed")

    # A changed server command (in the Settings editor) restarts the server: a missing one
    # says what to set.
    missing = str(tmp_path / "no-such-venv" / "bin" / "codeindex")
    wb.set_setting("codeindex.server.command", missing)
    wb.wait(STATUS_BAR, text="Code Index: server not found")
    error = wb.wait(TOASTS, text=re.escape(missing))
    wb.shot("server-not-found")
    assert "does not exist or is not executable" in error, error
    assert "codeindex.server.command" in error, error
    wb.call("click", selector=f"{TOASTS} .monaco-button", text="How to Install")
    wb.wait(".tabs-container .tab.active", text=r"Preview readme\.md")
    wb.wait("h2", text="Install the server", frames=["iframe.webview", "iframe#active-frame"])
    wb.shot("how-to-install")
