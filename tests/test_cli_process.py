"""The console script as a real process: one test per exit code a user sees (0 fine,
1 problems found, 2 bad input, 3 unavailable), through `python -m codeindex`.

The rest of the CLI's tests run it in their own process (`tests.in_process`); these keep
what only a process shows: its exit status, its streams, its start from a shell.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tests.helpers import copy_tree, run_cli, run_json

pytestmark = pytest.mark.slow  # starts codeindex processes or indexes a corpus


def test_validate_reports_deleted_edited_and_new_files(polyglot_src: Path, tmp_path: Path) -> None:
    root = copy_tree(polyglot_src, tmp_path / "ws", ["cobra-go"])
    assert run_cli(root, "index", str(root)).returncode == 0
    fresh = run_cli(root, "validate")
    assert fresh.returncode == 0, fresh.stdout
    assert "index is valid" in fresh.stdout

    (root / "cobra-go/args.go").unlink()
    edited = root / "cobra-go/command.go"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n// edited\n", encoding="utf-8")
    (root / "cobra-go/brand_new.go").write_text(
        "package cobra\n\nfunc New() {}\n", encoding="utf-8"
    )
    report = run_json(root, "validate")
    assert report["ok"] is False
    kinds = {p["kind"]: p for p in report["problems"]}
    assert kinds["deleted"]["paths"] == ["cobra-go/args.go"]
    assert kinds["changed"]["paths"] == ["cobra-go/command.go"]
    assert kinds["new"]["paths"] == ["cobra-go/brand_new.go"]
    assert kinds["new"]["fix"] == {"scope": "file", "paths": ["cobra-go/brand_new.go"]}
    assert run_cli(root, "validate").returncode == 1

    fixed = run_cli(root, "reindex", "--scope", "project", "--incremental", "--sync")
    assert fixed.returncode == 0, fixed.stderr
    assert run_cli(root, "validate").returncode == 0


def test_index_of_a_missing_folder_is_refused(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, "index", str(tmp_path / "nowhere"))
    assert proc.returncode == 2
    assert "is not a directory" in proc.stderr


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    assert run_cli(root, "index", str(root)).returncode == 0
    conn = sqlite3.connect(root / ".codeindex" / "index.db")
    conn.execute("INSERT INTO schema_version VALUES (999, '999_future.sql', 0)")
    conn.commit()
    conn.close()
    proc = run_cli(root, "status")
    assert proc.returncode == 3  # unavailable, not bad input
    assert "newer than" in proc.stderr and "upgrade codeindex" in proc.stderr
