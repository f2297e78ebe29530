"""Workspace: ignore rules, scan, path containment and safe reads, on the real filesystem."""

from __future__ import annotations

import codecs
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from codeindex.errors import OutsideWorkspace, from_dict
from codeindex.workspace import (
    BadFileNameError,
    FileEntry,
    OutsideWorkspaceError,
    SkipFile,
    Workspace,
    WorkspaceError,
    hash_bytes,
    printable,
    valid_name,
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


def test_a_path_refused_in_another_process_is_raised_again_here(tmp_path: Path) -> None:
    """The worker sends a refusal as JSON (`to_dict`, and its exit code): the front-end
    raises it again as the error of its code, with the same message and exit code."""
    ws = workspace(tmp_path)
    with pytest.raises(OutsideWorkspaceError) as info:
        ws.resolve("../outside")
    again = from_dict({**info.value.to_dict(), "exit_code": info.value.exit_code})
    assert isinstance(again, OutsideWorkspace) and str(again) == str(info.value)
    assert again.exit_code == info.value.exit_code == 2


# -- read --------------------------------------------------------------------------------


def test_read_text(tmp_path: Path) -> None:
    raw = "def f():\n    return 'é'\n".encode()
    ws = workspace(tmp_path, {"a.py": raw})
    src = ws.read("a.py")
    assert src.text == "def f():\n    return 'é'\n"
    assert src.content_hash == hashlib.sha256(raw).hexdigest() == hash_bytes(raw)
    assert src.size == len(raw)
    assert src.mtime_ns == (ws.root / "a.py").stat().st_mtime_ns


# Text in each encoding, written out as an editor would save it. The latin-1 text has no
# byte in 0x80..0x9F, where latin-1 and cp1252 differ, so it reads the same in cp1252: the
# encoding reported is cp1252, the text is right.
GERMAN = 'def grüße():\n    """Gibt „Grüße“ zurück – für alle."""\n    return "Größe"\n'
FRENCH = "def café():\n    return 'déjà vu, naïve façade, hôtel, élève'\n"
DJANGO_CSS = b"/* \xe9viter \xe9crasement */\n.test { margin: 1 rem; }\n"
DJANGO_SAMPLE = b"Copyright (c) 2009 \xd8yvind Sean Kinsey, oyvind@kinsey.no"


def _in(text: str, encoding: str, bom: bytes = b"") -> bytes:
    return bom + text.encode(encoding)


@pytest.mark.parametrize(
    ("raw", "text", "encoding"),
    [
        pytest.param(_in(GERMAN, "utf-8"), GERMAN, None, id="utf-8"),
        pytest.param(_in(GERMAN, "utf-8", codecs.BOM_UTF8), GERMAN, "utf-8-sig", id="utf-8-bom"),
        pytest.param(
            _in(GERMAN, "utf-16-le", codecs.BOM_UTF16_LE), GERMAN, "utf-16-le", id="utf-16-le-bom"
        ),
        pytest.param(
            _in(GERMAN, "utf-16-be", codecs.BOM_UTF16_BE), GERMAN, "utf-16-be", id="utf-16-be-bom"
        ),
        pytest.param(
            _in(GERMAN, "utf-32-le", codecs.BOM_UTF32_LE), GERMAN, "utf-32-le", id="utf-32-le-bom"
        ),
        pytest.param(
            _in(GERMAN, "utf-32-be", codecs.BOM_UTF32_BE), GERMAN, "utf-32-be", id="utf-32-be-bom"
        ),
        pytest.param(_in(GERMAN, "cp1252"), GERMAN, "cp1252", id="cp1252"),
        pytest.param(_in(FRENCH, "latin-1"), FRENCH, "cp1252", id="latin-1"),
        pytest.param(DJANGO_CSS, DJANGO_CSS.decode("cp1252"), "cp1252", id="django-css"),
        pytest.param(DJANGO_SAMPLE, DJANGO_SAMPLE.decode("cp1252"), "cp1252", id="django-sample"),
        pytest.param(
            _in("msg = 'Zażółć gęślą jaźń — łódź płynie po rzece'\n", "cp1250"),
            "msg = 'Zażółć gęślą jaźń — łódź płynie po rzece'\n",
            "cp1250",
            id="cp1250-polish",
        ),
        pytest.param(
            _in("def привет():\n    return 'Привет, мир! Это проверка кодировки.'\n", "cp1251"),
            "def привет():\n    return 'Привет, мир! Это проверка кодировки.'\n",
            "cp1251",
            id="cp1251-russian",
        ),
        pytest.param(
            _in("def привет():\n    return 'Привет, мир! Это проверка кодировки.'\n", "koi8-r"),
            "def привет():\n    return 'Привет, мир! Это проверка кодировки.'\n",
            "koi8-r",
            id="koi8-r-russian",
        ),
        pytest.param(
            _in("x = 'こんにちは世界、これは日本語のテストです。'\n", "shift_jis"),
            "x = 'こんにちは世界、これは日本語のテストです。'\n",
            "cp932",  # Microsoft's superset of Shift JIS
            id="shift-jis",
        ),
        pytest.param(
            _in("x = '你好世界，这是一个中文测试。'\n", "gb18030"),
            "x = '你好世界，这是一个中文测试。'\n",
            "gb18030",
            id="gb18030",
        ),
        pytest.param(
            _in("x = '안녕하세요 세계, 이것은 한국어 테스트입니다.'\n", "cp949"),
            "x = '안녕하세요 세계, 이것은 한국어 테스트입니다.'\n",
            "cp949",
            id="cp949-korean",
        ),
        pytest.param(
            b"# -*- coding: cp1251 -*-\nname = '\xe9t\xe9'\n",
            "# -*- coding: cp1251 -*-\nname = 'йtй'\n",
            "cp1251",
            id="declared-coding",
        ),
        pytest.param(
            "# «Grüße» → ok\nname = 'caf".encode() + b"\xe9'\n",
            "# «Grüße» → ok\nname = 'caf\ufffd'\n",
            "utf-8 (invalid bytes replaced)",
            id="utf-8-with-a-stray-byte",
        ),
        pytest.param(
            codecs.BOM_UTF16_LE + "x = 1\n".encode("utf-16-le") + b"\n",
            "x = 1\n\ufffd",
            "utf-16-le (invalid bytes replaced)",
            id="utf-16-cut-short",
        ),
        pytest.param(b"ok = 1\n\xff\xfe", "ok = 1\nÿþ", "cp1252", id="two-high-bytes"),
    ],
)
def test_read_decodes_as_an_editor_would(
    tmp_path: Path, raw: bytes, text: str, encoding: str | None
) -> None:
    ws = workspace(tmp_path, {"a.py": raw})
    src = ws.read("a.py")
    assert (src.text, src.encoding) == (text, encoding)
    assert src.content_hash == hash_bytes(raw)  # the bytes on disk, not the text
    assert src.size == len(raw)


# Bytes 1..255: no NUL byte, and read in any single-byte code page, noise.
NOISE = bytes(range(1, 256)) * 4
PNG = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89"


@pytest.mark.parametrize(
    ("content", "rel", "reason"),
    [
        pytest.param(b"abc\0def", "a.py", "binary file (NUL byte in the first 8 KiB)", id="nul"),
        pytest.param(PNG, "image", "binary file (NUL byte in the first 8 KiB)", id="png-no-suffix"),
        pytest.param(b"text", "logo.PNG", "binary file (.png)", id="binary-extension"),
        pytest.param(
            b"x" * (2 * 1024 * 1024),
            "big.txt",
            "2.0 MiB is over the 1.0 MiB limit (setting index.max_file_size)",
            id="2MiB",
        ),
        pytest.param(
            NOISE,
            "noise.py",
            "not text: not valid UTF-8 (byte 127), and no legacy encoding decodes it plausibly",
            id="noise-without-nul",
        ),
        pytest.param(
            codecs.BOM_UTF16_LE + "a\0b".encode("utf-16-le"),
            "a.py",
            "binary file (NUL character in the first 8 KiB of its utf-16-le text)",
            id="utf-16-bom-then-nul",
        ),
    ],
)
def test_read_skips_what_is_not_text(tmp_path: Path, content: bytes, rel: str, reason: str) -> None:
    ws = workspace(tmp_path, {rel: content})
    with pytest.raises(SkipFile) as info:
        ws.read(rel)
    assert info.value.reason == reason
    assert info.value.kind == "skipped"  # not a failure: the task goes on as Completed


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


# -- names that are not valid UTF-8 -----------------------------------------------------


def bad_name(root: Path, rel: bytes, content: bytes | None = b"def bad():\n    pass\n") -> str:
    """Create a file (or, with content None, a folder) whose name has bytes that are not UTF-8;
    return its name as Python sees it (with lone surrogates)."""
    path = os.fsencode(root) + b"/" + rel
    if content is None:
        os.mkdir(path)
    else:
        with open(path, "wb") as f:
            f.write(content)
    return os.fsdecode(rel)


def assert_clean(*texts: str) -> None:
    """Each text can be stored in SQLite, written as JSON and printed on a UTF-8 terminal."""
    for text in texts:
        text.encode("utf-8")
        json.dumps(text, ensure_ascii=False).encode("utf-8")


def test_scan_skips_names_that_are_not_utf8_and_lists_the_rest(tmp_path: Path) -> None:
    ws = workspace(tmp_path, {"good.py": "x = 1\n", "sub/ok.py": "y = 2\n"})
    bad_name(ws.root, b"bad\xff.py")
    bad_name(ws.root, b"d\xfe", None)
    bad_name(ws.root, b"d\xfe/inner.py")
    bad_name(ws.root, b"sub/caf\xe9.py")
    bad_name(ws.root, b"ignored\xff.log")
    (ws.root / ".gitignore").write_text("*.log\n", encoding="utf-8")
    os.symlink(b"bad\xff.py", os.fsencode(ws.root / "alias.py"))  # a good name for a bad one
    os.symlink(b"gone\xff.py", os.fsencode(ws.root / "dangling"))

    result = ws.scan()

    assert [f.path for f in result.files] == [".gitignore", "alias.py", "good.py", "sub/ok.py"]
    assert {s.path: s.reason for s in result.skipped} == {
        "bad\\xff.py": "file name is not valid UTF-8: rename it to a UTF-8 name to index it",
        "d\\xfe": "folder name is not valid UTF-8, so nothing under it is indexed: "
        "rename it to a UTF-8 name to index it",
        "dangling": "dangling symlink (-> gone\\xff.py)",
        "sub/caf\\xe9.py": "file name is not valid UTF-8: rename it to a UTF-8 name to index it",
    }
    assert_clean(*(f.path for f in result.files))
    assert_clean(*(t for s in result.skipped for t in (s.path, s.reason)))
    assert ws.read("alias.py").text == "def bad():\n    pass\n"


def test_a_name_that_is_not_utf8_is_refused_with_a_printable_reason(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    name = bad_name(ws.root, b"bad\xff.py")
    folder = bad_name(ws.root, b"d\xfe", None)

    assert ws.stat(name) is None
    with pytest.raises(SkipFile) as skip:
        ws.read(name)
    assert (
        skip.value.reason == "file name is not valid UTF-8: rename it to a UTF-8 name to index it"
    )
    for given, shown, what in [
        (name, "bad\\xff.py", "file name"),
        (str(ws.root / name), "bad\\xff.py", "file name"),
        (folder, "d\\xfe", "folder name"),
        (f"{folder}/new.py", "d\\xfe/new.py", "file name"),
    ]:
        with pytest.raises(BadFileNameError) as info:
            ws.resolve(given)
        assert info.value.shown == shown
        assert str(info.value).startswith(f"'{shown}': {what} is not valid UTF-8")
        assert_clean(str(info.value))
        with pytest.raises(WorkspaceError):  # what callers catch today
            ws.resolve(given)


def test_path_errors_are_printable_whatever_the_root(tmp_path: Path) -> None:
    root = os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9")
    os.mkdir(root)
    ws = Workspace(Path(root), Path(root) / ".codeindex")
    for call in (lambda: ws.scan("missing"), lambda: ws.resolve("/etc/passwd")):
        with pytest.raises(WorkspaceError) as info:
            call()
        assert "caf\\xe9" in str(info.value)
        assert_clean(str(info.value))


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        pytest.param("plain.py", "plain.py", id="ascii"),
        pytest.param("café.py", "café.py", id="utf-8"),
        pytest.param(os.fsdecode(b"bad\xff.py"), "bad\\xff.py", id="undecodable-byte"),
        pytest.param(os.fsdecode(b"caf\xc3\xa9\xe9.py"), "café\\xe9.py", id="mixed"),
        pytest.param("lone\ud800.py", "lone\\ud800.py", id="other-lone-surrogate"),
    ],
)
def test_printable(text: str, shown: str) -> None:
    assert printable(text) == shown
    assert valid_name(text) == (text == shown)


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
