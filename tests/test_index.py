"""The index core on real corpora: symbols, chunks, full-text search, status, validate, bad input.

These run without an embedding model (downloads off, no model path), as a user
without a model would: the index still builds symbols, chunks and full-text.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.helpers import NO_MODEL_ENV, copy_tree, index_with_cli, line_of, run_cli, run_json

from codeindex.service import CodeIndexService
from codeindex.workspace import OutsideWorkspaceError

DJANGO_SUBSET = ["django/db/models", "django/utils", "django/http", "django/core/paginator.py"]


@pytest.fixture(scope="session")
def polyglot_index(polyglot_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """polyglot-small indexed once by the real CLI, without a model."""
    root = copy_tree(polyglot_src, tmp_path_factory.mktemp("ws") / "polyglot")
    index_with_cli(root)
    return root


@pytest.fixture(scope="session")
def django_index(django_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Django subset indexed once by the real CLI, without a model."""
    root = copy_tree(django_src, tmp_path_factory.mktemp("ws") / "django", DJANGO_SUBSET)
    index_with_cli(root)
    return root


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in NO_MODEL_ENV.items():
        monkeypatch.setenv(key, value)


async def _symbols(root: Path, name: str) -> list[tuple[str, str, str | None, int]]:
    service = await CodeIndexService.open(root, worker="in-process")
    try:
        hits = await service.find_symbols(name, match="exact")
        return [(h.path, h.kind, h.container, h.start_line) for h in hits]
    finally:
        await service.close()


@pytest.mark.parametrize(
    ("path", "name", "kind", "container", "needle"),
    [
        pytest.param(
            "cobra-go/command.go",
            "Execute",
            "method",
            "Command",
            "func (c *Command) Execute() error",
            id="go-method",
        ),
        pytest.param(
            "cobra-go/command.go", "Command", "struct", None, "type Command struct", id="go-struct"
        ),
        pytest.param(
            "cobra-go/args.go", "ExactArgs", "function", None, "func ExactArgs(", id="go-func"
        ),
        pytest.param(
            "regex-rust/src/re_unicode.rs",
            "is_match",
            "method",
            "Regex",
            "pub fn is_match(&self, text: &str) -> bool",
            id="rust-method",
        ),
        pytest.param(
            "regex-rust/src/re_unicode.rs",
            "Regex",
            "struct",
            None,
            "pub struct Regex(Exec);",
            id="rust-struct",
        ),
        pytest.param(
            "rxjs-ts/src/internal/Observable.ts",
            "Observable",
            "class",
            None,
            "export class Observable<T>",
            id="ts-class",
        ),
        pytest.param(
            "rxjs-ts/src/internal/Observable.ts",
            "pipe",
            "method",
            "Observable",
            "  pipe(...operations: OperatorFunction<any, any>[]): Observable<any> {",
            id="ts-method",
        ),
    ],
)
async def test_polyglot_symbols(
    polyglot_index: Path, path: str, name: str, kind: str, container: str | None, needle: str
) -> None:
    expected_line = line_of(polyglot_index / path, needle)
    found = await _symbols(polyglot_index, name)
    assert (path, kind, container, expected_line) in found, found


@pytest.mark.parametrize(
    ("path", "name", "kind", "container", "needle"),
    [
        pytest.param(
            "django/db/models/query.py",
            "QuerySet",
            "class",
            None,
            "class QuerySet(AltersData):",
            id="class",
        ),
        pytest.param(
            "django/db/models/query.py",
            "filter",
            "method",
            "QuerySet",
            "    def filter(self, *args, **kwargs):",
            id="method",
        ),
        pytest.param(
            "django/core/paginator.py",
            "Paginator",
            "class",
            None,
            "class Paginator:",
            id="paginator",
        ),
        pytest.param(
            "django/utils/text.py",
            "slugify",
            "function",
            None,
            "def slugify(value, allow_unicode=False):",
            id="function",
        ),
    ],
)
async def test_django_symbols(
    django_index: Path, path: str, name: str, kind: str, container: str | None, needle: str
) -> None:
    expected_line = line_of(django_index / path, needle)
    found = await _symbols(django_index, name)
    assert (path, kind, container, expected_line) in found, found


async def test_chunks_cover_every_line_with_code(polyglot_index: Path) -> None:
    service = await CodeIndexService.open(polyglot_index, worker="in-process")
    try:
        rows = await service.storage.fetchall(
            "SELECT f.path, c.start_line, c.end_line, c.text FROM chunks c "
            "JOIN files f ON f.id = c.file_id ORDER BY f.path, c.ordinal"
        )
    finally:
        await service.close()
    by_file: dict[str, list[tuple[int, int, str]]] = {}
    for path, start, end, text in rows:
        by_file.setdefault(path, []).append((start, end, text))
    assert len(by_file) > 300
    for path, chunks in by_file.items():
        lines = (polyglot_index / path).read_text(encoding="utf-8").split("\n")
        covered: set[int] = set()
        previous_end = 0
        for start, end, text in chunks:
            assert start >= previous_end, f"{path}: chunks overlap at line {start}"
            previous_end = end
            if start == end and len(lines[start - 1]) > len(text):
                assert text in lines[start - 1]
            else:
                assert text == "\n".join(lines[start - 1 : end]), f"{path}:{start}-{end}"
            covered.update(range(start, end + 1))
        gaps = [n for n, line in enumerate(lines, 1) if line.strip() and n not in covered]
        assert not gaps, f"{path}: lines with code outside every chunk: {gaps[:10]}"


def test_full_text_search_finds_known_text(polyglot_index: Path) -> None:
    needle = "ExactArgs returns an error if there are not exactly n args"
    result = run_json(polyglot_index, "search", needle, "--limit", "5")
    assert result["mode"] == "lexical"
    top = result["hits"][0]
    assert top["path"] == "cobra-go/args.go"
    assert top["line"] == line_of(polyglot_index / "cobra-go/args.go", needle)
    assert "exactly n args" in top["snippet"]


def test_search_filters_by_path_and_language(polyglot_index: Path) -> None:
    rust = run_json(polyglot_index, "search", "error", "--lang", "rust", "--limit", "20")
    assert rust["hits"] and all(h["language"] == "rust" for h in rust["hits"])
    under = run_json(polyglot_index, "search", "error", "--path", "cobra-go", "--limit", "20")
    assert under["hits"] and all(h["path"].startswith("cobra-go/") for h in under["hits"])


def test_symbols_prefix_substring_and_kind(polyglot_index: Path) -> None:
    prefix = run_json(polyglot_index, "symbols", "ExecuteC", "--match", "prefix")
    assert {"ExecuteC", "ExecuteContext", "ExecuteContextC"} <= {s["name"] for s in prefix}
    sub = run_json(
        polyglot_index, "symbols", "Completion", "--match", "substring", "--kind", "function"
    )
    assert sub and all("completion" in s["name"].lower() for s in sub)
    assert all(s["kind"] == "function" for s in sub)


def _files_on_disk(root: Path) -> int:
    count = 0
    for _folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in (".codeindex", ".git")]
        count += len(files)
    return count


def test_status_counts_match_the_disk(polyglot_index: Path) -> None:
    status = run_json(polyglot_index, "status")
    assert status["files"]["total"] == _files_on_disk(polyglot_index)
    assert status["files"]["by_language"]["go"] == sum(1 for p in polyglot_index.rglob("*.go"))
    assert status["symbols"] > 1000 and status["chunks"] > 1000
    assert status["last_full_index_at"] is not None
    assert status["embeddings"]["chunks_pending"] == status["embeddings"]["chunks_total"]
    assert "CODEINDEX_EMBED_MODEL_PATH" in status["embeddings"]["pending_reason"]


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


def test_touched_file_is_not_reported_changed(polyglot_src: Path, tmp_path: Path) -> None:
    root = copy_tree(polyglot_src, tmp_path / "ws", ["cobra-go/args.go"])
    assert run_cli(root, "index", str(root)).returncode == 0
    os.utime(root / "cobra-go/args.go", ns=(1, 1))
    assert run_cli(root, "validate").returncode == 0


@pytest.fixture
def bad_workspace(tmp_path: Path) -> Path:
    root = tmp_path / "bad"
    root.mkdir()
    (root / "good.py").write_text("def ok():\n    return 1\n", encoding="utf-8")
    (root / "broken.py").write_text(
        "def broken(:\n    return (\n\nclass Fine:\n    pass\n", encoding="utf-8"
    )
    (root / "blob.dat").write_bytes(b"\x00\x01\x02" * 1000)
    (root / "huge.txt").write_text("x = 1\n" * (2 * 1024 * 1024 // 6 + 10), encoding="utf-8")
    (root / "latin1.py").write_bytes(b"name = '\xe9t\xe9'\n")
    (root / "loop").symlink_to(root / "loop")
    (root / "dir").mkdir()
    (root / "dir" / "up").symlink_to(root)
    (root / "outside.py").symlink_to("/etc/hostname")
    os.mkfifo(root / "pipe.py")
    return root


def test_bad_files_get_reasons_and_never_stop_the_run(bad_workspace: Path) -> None:
    root = bad_workspace
    proc = run_cli(root, "index", str(root), "--json")
    result = __import__("json").loads(proc.stdout)
    assert result["status"] == "Failed"  # latin1.py failed: the rest went on
    failures = {f["path"]: f["error"] for f in result["result"]["failures"]}
    assert list(failures) == ["latin1.py"]
    assert "not valid UTF-8 at byte 8" in failures["latin1.py"]

    status = run_json(root, "status")
    reasons = {p["path"]: (p["status"], p["reason"]) for p in status["files"]["not_indexed"]}
    assert reasons["blob.dat"][0] == "skipped" and "binary" in reasons["blob.dat"][1]
    assert reasons["huge.txt"][0] == "skipped" and "limit" in reasons["huge.txt"][1]
    assert reasons["latin1.py"][0] == "failed"
    assert status["files"]["with_syntax_errors"] == 1
    assert status["files"]["by_status"]["indexed"] == 2  # good.py and broken.py

    symbols = run_json(root, "symbols", "Fine")
    assert [s["path"] for s in symbols] == ["broken.py"]
    assert run_json(root, "symbols", "ok")[0]["path"] == "good.py"

    report = run_json(root, "validate")
    failed = next(p for p in report["problems"] if p["kind"] == "failed")
    assert failed["paths"] == ["latin1.py"]
    assert "UTF-8" in failed["reasons"]["latin1.py"]
    skipped = {s["path"]: s["reason"] for s in report["skipped_paths"]}
    assert "loop" in skipped["loop"]
    assert "outside the workspace" in skipped["outside.py"]
    assert "not a regular file" in skipped["pipe.py"]
    assert "dir/up" in skipped
    text = run_cli(root, "validate").stdout
    assert "not indexed: pipe.py: not a regular file" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["reindex", "--scope", "file", "/etc/passwd"],
            "outside the workspace",
            id="absolute-outside",
        ),
        pytest.param(
            ["reindex", "--scope", "file", "../../etc/passwd"],
            "outside the workspace",
            id="dotdot-outside",
        ),
        pytest.param(
            ["reindex", "--scope", "file", "missing.py"], "does not exist", id="missing-file"
        ),
        pytest.param(
            ["reindex", "--scope", "directory", "nowhere"], "does not exist", id="missing-folder"
        ),
        pytest.param(
            ["reindex", "--scope", "file", "good.py", "--priority", "urgent"],
            "invalid choice",
            id="bad-priority",
        ),
        pytest.param(["search", "   "], "no words", id="empty-query"),
        pytest.param(["task", "reindex_nope"], "no reindex task", id="unknown-task"),
    ],
)
def test_bad_requests_get_clear_errors(tmp_path: Path, args: list[str], message: str) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "good.py").write_text("def ok():\n    return 1\n", encoding="utf-8")
    assert run_cli(root, "index", str(root)).returncode == 0
    proc = run_cli(root, *args)
    assert proc.returncode == 2, proc.stdout
    assert message in proc.stderr
    assert run_json(root, "symbols", "ok")[0]["path"] == "good.py"  # nothing lost


async def test_service_refuses_paths_outside(tmp_path: Path, no_model: None) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    service = await CodeIndexService.open(root, worker="in-process")
    try:
        with pytest.raises(OutsideWorkspaceError, match="outside the workspace"):
            await service.force_reindex("file", [str(tmp_path / "elsewhere.py")])
        assert await service.list_reindex_tasks() == []
    finally:
        await service.close()


def test_index_of_a_missing_folder_is_refused(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, "index", str(tmp_path / "nowhere"))
    assert proc.returncode == 2
    assert "is not a directory" in proc.stderr


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    assert run_cli(root, "index", str(root)).returncode == 0
    import sqlite3

    conn = sqlite3.connect(root / ".codeindex" / "index.db")
    conn.execute("INSERT INTO schema_version VALUES (999, '999_future.sql', 0)")
    conn.commit()
    conn.close()
    proc = run_cli(root, "status")
    assert proc.returncode == 3  # unavailable, not bad input
    assert "newer than" in proc.stderr and "upgrade codeindex" in proc.stderr


def test_help_for_every_command() -> None:
    for command in [
        "index",
        "reindex",
        "search",
        "symbols",
        "status",
        "validate",
        "tasks",
        "task",
        "pause",
        "resume",
        "cancel",
        "worker",
        "model",
    ]:
        proc = run_cli(Path.cwd(), command, "--help")
        assert proc.returncode == 0 and "usage:" in proc.stdout, command


def test_wheel_ships_the_migrations(tmp_path: Path) -> None:
    import subprocess
    import sys
    import zipfile

    repo = Path(__file__).resolve().parent.parent
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(repo),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    wheel = next(tmp_path.glob("codeindex-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    shipped = sorted(n for n in names if n.startswith("codeindex/migrations/"))
    expected = sorted(f"codeindex/migrations/{p.name}" for p in (repo / "migrations").glob("*.sql"))
    assert shipped == expected
