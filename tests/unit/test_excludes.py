"""`index.excludes`: extra gitignore-style patterns, from the settings file, the environment
or an editor, applied as if written in a `.codeindexignore` at the root."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeindex.app.supervisor import worker_environment
from codeindex.config import load_settings
from codeindex.errors import ConfigError
from codeindex.workspace import Workspace


def _tree(root: Path, files: list[str]) -> None:
    for rel in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n", encoding="utf-8")


def _scanned(root: Path, excludes: tuple[str, ...]) -> list[str]:
    workspace = Workspace(root, root / ".codeindex", excludes=excludes)
    return sorted(entry.path for entry in workspace.scan("").files)


FILES = ["a.py", "vendor/lib.py", "vendor/keep.py", "src/gen/out.py", "src/main.py"]


@pytest.mark.parametrize(
    ("excludes", "expected"),
    [
        pytest.param((), FILES, id="none"),
        pytest.param(("vendor/**",), ["a.py", "src/gen/out.py", "src/main.py"], id="folder"),
        pytest.param(
            ("gen/",), ["a.py", "src/main.py", "vendor/keep.py", "vendor/lib.py"], id="any-depth"
        ),
        pytest.param(
            ("vendor/*.py", "!vendor/keep.py"),
            ["a.py", "src/gen/out.py", "src/main.py", "vendor/keep.py"],
            id="negation",
        ),
        pytest.param(("*.py", "!src/**"), ["src/gen/out.py", "src/main.py"], id="all-but"),
    ],
)
def test_excludes_leave_paths_out_of_the_scan(
    tmp_path: Path, excludes: tuple[str, ...], expected: list[str]
) -> None:
    _tree(tmp_path, FILES)
    assert _scanned(tmp_path, excludes) == sorted(expected)


def test_excludes_win_over_the_roots_gitignore_and_deeper_files_over_them(tmp_path: Path) -> None:
    _tree(tmp_path, FILES)
    (tmp_path / ".gitignore").write_text("!vendor/lib.py\n", encoding="utf-8")
    (tmp_path / "src" / ".gitignore").write_text("!gen/out.py\n", encoding="utf-8")
    assert _scanned(tmp_path, ("vendor/*.py", "src/gen/*.py")) == [
        ".gitignore",
        "a.py",
        "src/.gitignore",
        "src/gen/out.py",
        "src/main.py",
    ]


def test_a_watched_path_under_an_exclude_is_ignored(tmp_path: Path) -> None:
    _tree(tmp_path, FILES)
    workspace = Workspace(tmp_path, tmp_path / ".codeindex", excludes=("vendor/**",))
    assert workspace.ignore.is_ignored("vendor/lib.py")
    assert not workspace.ignore.is_ignored("src/main.py")


def test_a_pattern_that_does_not_parse_is_reported_and_the_others_apply(tmp_path: Path) -> None:
    _tree(tmp_path, FILES)
    workspace = Workspace(tmp_path, tmp_path / ".codeindex", excludes=("vendor/**", "[z-a]"))
    assert "vendor/lib.py" not in [e.path for e in workspace.scan("").files]
    assert list(workspace.ignore.problems) == ["index.excludes:2"]


def test_excludes_come_from_the_settings_file_the_environment_and_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".codeindex.toml").write_text(
        '[index]\nexcludes = ["vendor/**", "*.min.js"]\n', encoding="utf-8"
    )
    assert load_settings(tmp_path).excludes == ("vendor/**", "*.min.js")
    monkeypatch.setenv("CODEINDEX_EXCLUDES", "build/**\n\n*.lock\n")
    assert load_settings(tmp_path).excludes == ("build/**", "*.lock")
    overridden = load_settings(tmp_path, {"index.excludes": ["gen/"]})
    assert overridden.excludes == ("gen/",)
    # a worker started with these overrides gets them through its environment, one per line
    env = worker_environment({"index.excludes": ["gen/", "out/**"]})
    assert env["CODEINDEX_EXCLUDES"] == "gen/\nout/**"
    monkeypatch.setenv("CODEINDEX_EXCLUDES", env["CODEINDEX_EXCLUDES"])
    assert load_settings(tmp_path).excludes == ("gen/", "out/**")


def test_excludes_of_the_wrong_type_are_a_settings_error(tmp_path: Path) -> None:
    (tmp_path / ".codeindex.toml").write_text("[index]\nexcludes = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"index\.excludes"):
        load_settings(tmp_path)


def test_other_excludes_make_another_index(tmp_path: Path) -> None:
    """A worker with other excludes indexes other files: it hands over (index_key)."""
    plain = load_settings(tmp_path)
    excluded = load_settings(tmp_path, {"index.excludes": ["vendor/**"]})
    assert plain.index_key() != excluded.index_key()
