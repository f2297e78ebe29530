"""Workspace: ignore rules, scan, path containment and safe reads, on the real filesystem."""

from __future__ import annotations

import codecs
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from codeindex.workspace import (
    FileEntry,
    OutsideWorkspaceError,
    SkipFile,
    Workspace,
    WorkspaceError,
    hash_bytes,
)


def make_tree(root: Path, files: Mapping[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def workspace(tmp_path: Path, files: Mapping[str, str | bytes] | None = None) -> Workspace:
    root = tmp_path / "ws"
    root.mkdir()
    make_tree(root, files or {})
    return Workspace(root, root / ".codeindex")


def scanned(ws: Workspace, under: str = "", *, recursive: bool = True) -> list[str]:
    return [f.path for f in ws.scan(under, recursive=recursive).files]


# -- ignore rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {
                ".gitignore": "*.log\n!important.log\n",
                "a.log": "",
                "important.log": "",
                "main.py": "",
                "sub/.gitignore": "!keep.log\n",
                "sub/keep.log": "",
                "sub/x.log": "",
                "sub/deeper/.gitignore": "keep.log\n",
                "sub/deeper/keep.log": "",
            },
            [
                ".gitignore",
                "important.log",
                "main.py",
                "sub/.gitignore",
                "sub/deeper/.gitignore",
                "sub/keep.log",
            ],
            id="nested-gitignore-with-negation",
        ),
        pytest.param(
            {
                ".gitignore": "generated/\n/top.txt\ndocs/*.md\n",
                "generated/a.py": "",
                "src/generated/b.py": "",
                "top.txt": "",
                "src/top.txt": "",
                "docs/a.md": "",
                "src/docs/a.md": "",
            },
            [".gitignore", "src/docs/a.md", "src/top.txt"],
            id="gitignore-dir-anchored-and-slash-patterns",
        ),
        pytest.param(
            {
                ".codeindexignore": "fixtures/\n",
                "fixtures/big.json": "",
                "lib/.codeindexignore": "secret.py\n",
                "lib/secret.py": "",
                "lib/public.py": "",
                "gen/.gitignore": "*.gen\n",
                "gen/.codeindexignore": "!keep.gen\n",
                "gen/keep.gen": "",
                "gen/drop.gen": "",
            },
            [
                ".codeindexignore",
                "gen/.codeindexignore",
                "gen/.gitignore",
                "gen/keep.gen",
                "lib/.codeindexignore",
                "lib/public.py",
            ],
            id="codeindexignore-nested-and-overriding-gitignore",
        ),
        pytest.param(
            {
                "app.py": "",
                "node_modules/pkg/index.js": "",
                "web/node_modules/pkg/index.js": "",
                ".git/config": "",
                ".codeindex/index.db": "",
                "__pycache__/app.cpython-311.pyc": "",
                "mod.pyc": "",
                "lib.so": "",
                "Main.class": "",
                ".DS_Store": "",
                ".venv/lib/site.py": "",
                "venv/pyvenv.cfg": "",
                "venv/lib/site.py": "",
                "env/settings.py": "",
                "tools/env/pyvenv.cfg": "",
                "tools/env/lib/site.py": "",
                "build/lib/app.py": "",
                "dist/app.whl": "",
                ".mypy_cache/x.json": "",
                ".tox/py311/x.py": "",
                "rust/Cargo.toml": "",
                "rust/target/debug/out.rs": "",
                "java/target/classes.txt": "",
                "cache/CACHEDIR.TAG": "Signature: 8a477f597d28d172789f06886806bc55\n",
                "cache/data.txt": "",
            },
            ["app.py", "env/settings.py", "java/target/classes.txt", "rust/Cargo.toml"],
            id="default-excludes",
        ),
    ],
)
def test_ignore_rules(tmp_path: Path, files: dict[str, str], expected: list[str]) -> None:
    ws = workspace(tmp_path, files)
    assert scanned(ws) == expected
    for rel in files:
        assert ws.is_ignored(rel) == (rel not in expected), rel


def test_data_dir_inside_root_is_excluded(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    make_tree(
        root, {"a.py": "", "var/ci/index.db": "", "var/ci/vectors/t.lance": "", "var/b.py": ""}
    )
    ws = Workspace(root, root / "var" / "ci")
    assert scanned(ws) == ["a.py", "var/b.py"]
    assert ws.is_ignored("var/ci", is_dir=True)
    assert ws.is_ignored("var/ci/index.db")
    assert scanned(ws, "var/ci") == []


def test_data_dir_outside_root_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    make_tree(root, {"a.py": "", "data/x.py": ""})
    ws = Workspace(root, tmp_path / "data")
    assert scanned(ws) == ["a.py", "data/x.py"]


def test_changed_gitignore_is_reread(tmp_path: Path) -> None:
    ws = workspace(tmp_path, {".gitignore": "", "a.py": "", "b.py": ""})
    assert scanned(ws) == [".gitignore", "a.py", "b.py"]
    (ws.root / ".gitignore").write_text("b.py\n# longer, so the size changes\n", encoding="utf-8")
    assert scanned(ws) == [".gitignore", "a.py"]
    assert ws.is_ignored("b.py")


# -- scan ------------------------------------------------------------------------------


def test_non_recursive_scan_lists_only_direct_files(tmp_path: Path) -> None:
    ws = workspace(tmp_path, {"a.py": "", "pkg/b.py": "", "pkg/c.py": "", "pkg/sub/d.py": ""})
    assert scanned(ws, "pkg", recursive=False) == ["pkg/b.py", "pkg/c.py"]
    assert scanned(ws, recursive=False) == ["a.py"]
    assert scanned(ws, "pkg") == ["pkg/b.py", "pkg/c.py", "pkg/sub/d.py"]


def test_scan_of_a_subfolder_applies_ignore_files_above_it(tmp_path: Path) -> None:
    ws = workspace(tmp_path, {".gitignore": "*.tmp\n", "pkg/a.py": "", "pkg/b.tmp": ""})
    assert scanned(ws, "pkg") == ["pkg/a.py"]


def test_scan_entries_carry_size_and_mtime(tmp_path: Path) -> None:
    ws = workspace(tmp_path, {"a.py": "x = 1\n"})
    st = (ws.root / "a.py").stat()
    assert ws.scan().files == [FileEntry("a.py", 6, st.st_mtime_ns)]


def test_files_over_the_size_limit_are_still_listed(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    make_tree(root, {"big.txt": "x" * 200})
    ws = Workspace(root, root / ".codeindex", max_file_bytes=100)
    assert scanned(ws) == ["big.txt"]


@pytest.mark.parametrize(
    ("under", "error", "message"),
    [
        pytest.param("missing", WorkspaceError, "folder 'missing' does not exist", id="missing"),
        pytest.param("a.py", WorkspaceError, "'a.py' is not a folder", id="a-file"),
        pytest.param("../..", OutsideWorkspaceError, "outside the workspace", id="outside"),
    ],
)
def test_scan_refuses_a_bad_folder(
    tmp_path: Path, under: str, error: type[Exception], message: str
) -> None:
    ws = workspace(tmp_path, {"a.py": ""})
    with pytest.raises(error, match=message):
        ws.scan(under)


def test_scan_reports_symlinks_and_special_files(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    make_tree(outside, {"secret.txt": "s", "lib/x.py": ""})
    ws = workspace(tmp_path, {"src/a.py": "", "real/b.py": ""})
    root = ws.root
    (root / "loop").symlink_to("loop")
    (root / "self").symlink_to(".")
    (root / "src" / "up").symlink_to("..")
    (root / "dangling").symlink_to("nowhere.py")
    (root / "out_file").symlink_to(outside / "secret.txt")
    (root / "out_dir").symlink_to(outside / "lib")
    (root / "in_file.py").symlink_to("src/a.py")
    (root / "in_dir").symlink_to("real")
    (root / "to_ignored").symlink_to(".codeindex")
    (root / ".codeindex").mkdir()
    os.mkfifo(root / "pipe")

    result = ws.scan()

    assert [f.path for f in result.files] == ["in_dir/b.py", "in_file.py", "real/b.py", "src/a.py"]
    skipped = {s.path: s.reason for s in result.skipped}
    assert skipped == {
        "dangling": "dangling symlink (-> nowhere.py)",
        "loop": "symlink loop",
        "out_dir": f"symlink points outside the workspace (-> {outside / 'lib'})",
        "out_file": f"symlink points outside the workspace (-> {outside / 'secret.txt'})",
        "pipe": "not a regular file",
        "self": "symlink loop (-> .)",
        "src/up": "symlink loop (-> .)",
        "to_ignored": "symlink target is ignored (-> .codeindex)",
    }


def test_stat(tmp_path: Path) -> None:
    ws = workspace(tmp_path, {"a.py": "abc", "node_modules/x.js": "", "d/e.py": ""})
    os.mkfifo(ws.root / "pipe")
    assert ws.stat("a.py") == FileEntry("a.py", 3, (ws.root / "a.py").stat().st_mtime_ns)
    for rel in ["missing.py", "node_modules/x.js", "pipe", "d"]:
        assert ws.stat(rel) is None, rel


# -- resolve -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param("src/a.py", "src/a.py", id="relative"),
        pytest.param("./src/../src/./a.py", "src/a.py", id="relative-with-dots"),
        pytest.param("{root}/src/a.py", "src/a.py", id="absolute"),
        pytest.param("", "", id="empty-is-root"),
        pytest.param(".", "", id="dot-is-root"),
        pytest.param("{root}", "", id="absolute-root"),
        pytest.param("src/deleted.py", "src/deleted.py", id="missing-file"),
        pytest.param("alias/a.py", "alias/a.py", id="through-inner-symlink"),
    ],
)
def test_resolve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str, expected: str
) -> None:
    ws = workspace(tmp_path, {"src/a.py": ""})
    (ws.root / "alias").symlink_to("src")
    elsewhere = tmp_path / "elsewhere"
    make_tree(elsewhere, {"src/a.py": ""})
    monkeypatch.chdir(elsewhere)  # relative paths are against the root, not the cwd
    assert ws.resolve(given.format(root=ws.root)) == expected


def test_resolve_accepts_a_path_object(tmp_path: Path) -> None:
    ws = workspace(tmp_path, {"a.py": ""})
    assert ws.resolve(ws.root / "a.py") == "a.py"


@pytest.mark.parametrize(
    ("given", "resolves_to"),
    [
        pytest.param("../x", "{tmp}/x", id="dotdot"),
        pytest.param("src/../../x", "{tmp}/x", id="dotdot-inside-path"),
        pytest.param("/etc/passwd", "/etc/passwd", id="absolute-elsewhere"),
        pytest.param("{tmp}/ws2/a.py", "{tmp}/ws2/a.py", id="sibling-with-common-prefix"),
        pytest.param("leak", "{tmp}/outside/secret.txt", id="symlink-to-outside"),
        pytest.param("leakdir/x.py", "{tmp}/outside/x.py", id="symlinked-dir-to-outside"),
    ],
)
def test_resolve_refuses_paths_outside(tmp_path: Path, given: str, resolves_to: str) -> None:
    ws = workspace(tmp_path, {"src/a.py": ""})
    make_tree(tmp_path / "outside", {"secret.txt": ""})
    (ws.root / "leak").symlink_to(tmp_path / "outside" / "secret.txt")
    (ws.root / "leakdir").symlink_to(tmp_path / "outside")
    with pytest.raises(OutsideWorkspaceError) as info:
        ws.resolve(given.format(tmp=tmp_path))
    expected = (
        f"{given.format(tmp=tmp_path)!r} resolves to {resolves_to.format(tmp=tmp_path)}, "
        f"outside the workspace {ws.root}: pass a path inside it"
    )
    assert str(info.value) == expected


def test_resolve_refuses_a_null_byte(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    with pytest.raises(WorkspaceError, match="not a usable path"):
        ws.resolve("a\0b")


# -- read --------------------------------------------------------------------------------


def test_read_text(tmp_path: Path) -> None:
    raw = "def f():\n    return 'é'\n".encode()
    ws = workspace(tmp_path, {"a.py": raw})
    src = ws.read("a.py")
    assert src.text == "def f():\n    return 'é'\n"
    assert src.content_hash == hashlib.sha256(raw).hexdigest() == hash_bytes(raw)
    assert src.size == len(raw)
    assert src.mtime_ns == (ws.root / "a.py").stat().st_mtime_ns


def test_read_strips_bom_but_hashes_raw_bytes(tmp_path: Path) -> None:
    raw = codecs.BOM_UTF8 + b"x = 1\n"
    ws = workspace(tmp_path, {"a.py": raw})
    src = ws.read("a.py")
    assert src.text == "x = 1\n"
    assert src.content_hash == hash_bytes(raw)
    assert src.size == len(raw)


@pytest.mark.parametrize(
    ("content", "rel", "reason"),
    [
        pytest.param(b"abc\0def", "a.py", "binary file (NUL byte in the first 8 KiB)", id="nul"),
        pytest.param(b"text", "logo.PNG", "binary file (.png)", id="binary-extension"),
        pytest.param(
            b"x" * (2 * 1024 * 1024),
            "big.txt",
            "2.0 MiB is over the 1.0 MiB limit (setting index.max_file_size)",
            id="2MiB",
        ),
        pytest.param(
            b"ok = 1\n\xff\xfe",
            "bad.py",
            "not valid UTF-8 at byte 7: invalid start byte",
            id="invalid-utf8",
        ),
        pytest.param(
            codecs.BOM_UTF8 + b"ab\xc3",
            "bom_bad.py",
            "not valid UTF-8 at byte 5: unexpected end of data",
            id="invalid-utf8-after-bom",
        ),
    ],
)
def test_read_skips_bad_content(tmp_path: Path, content: bytes, rel: str, reason: str) -> None:
    ws = workspace(tmp_path, {rel: content})
    with pytest.raises(SkipFile) as info:
        ws.read(rel)
    assert info.value.reason == reason


def test_read_skips_a_file_that_vanished_after_the_scan(tmp_path: Path) -> None:
    ws = workspace(tmp_path, {"a.py": "x"})
    assert scanned(ws) == ["a.py"]
    (ws.root / "a.py").unlink()
    with pytest.raises(SkipFile, match=r"^vanished before it could be read$"):
        ws.read("a.py")


def test_read_skips_an_unreadable_path(tmp_path: Path) -> None:
    ws = workspace(tmp_path, {"a.py": "x"})
    with pytest.raises(SkipFile) as info:
        ws.read("a.py/inner.py")  # a file where a folder is expected: fails even for root
    assert info.value.reason == "unreadable: Not a directory"


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_read_skips_what_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    ws = workspace(tmp_path)
    if kind == "fifo":
        os.mkfifo(ws.root / "thing")  # opening it must not wait for a writer
    else:
        (ws.root / "thing").mkdir()
    with pytest.raises(SkipFile, match=r"^not a regular file$"):
        ws.read("thing")


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        pytest.param("loop", "unreadable: Too many levels of symbolic links", id="loop"),
        pytest.param("leak", "symlink points outside the workspace (-> {secret})", id="outside"),
    ],
)
def test_read_skips_bad_symlinks(tmp_path: Path, link: str, reason: str) -> None:
    ws = workspace(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("s", encoding="utf-8")
    (ws.root / "loop").symlink_to("loop")
    (ws.root / "leak").symlink_to(secret)
    with pytest.raises(SkipFile) as info:
        ws.read(link)
    assert info.value.reason == reason.format(secret=secret)


# -- the real corpus -----------------------------------------------------------------------


# Written out again from the design, not imported, so a wrong constant in the module shows.
DEFAULT_EXCLUDED_DIRS = {
    *(".git", ".hg", ".svn", ".codeindex", "node_modules", "__pycache__", ".venv", ".tox"),
    *(".nox", "build", "dist", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".next"),
    ".gradle",
}
DEFAULT_EXCLUDED_SUFFIXES = (".pyc", ".pyo", ".class", ".o", ".so", ".dylib", ".dll", ".exe")


def expected_files(root: Path) -> list[str]:
    """An independent walk with the default excludes (the Django sdist has no ignore files)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [
            d
            for d in dirnames
            if d not in DEFAULT_EXCLUDED_DIRS
            and not os.path.exists(os.path.join(dirpath, d, "pyvenv.cfg"))
            and not os.path.exists(os.path.join(dirpath, d, "CACHEDIR.TAG"))
        ]
        rel_dir = os.path.relpath(dirpath, root)
        for name in filenames:
            if name == ".DS_Store" or name.endswith(DEFAULT_EXCLUDED_SUFFIXES):
                continue
            found.append(name if rel_dir == "." else f"{rel_dir}/{name}")
    return sorted(found)


@pytest.mark.slow
def test_scan_of_the_django_corpus(django_src: Path) -> None:
    assert not list(django_src.rglob(".gitignore"))
    expected = expected_files(django_src)
    result = Workspace(django_src, django_src / ".codeindex").scan()
    assert [f.path for f in result.files] == expected
    assert len(expected) > 6000
    assert result.skipped == []
    assert "django/db/models/query.py" in expected
