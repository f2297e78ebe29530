"""The index core on real corpora: symbols, chunks, full-text search, status, validate, bad input.

These run without an embedding model (downloads off, no model path), as a user
without a model would: the index still builds symbols, chunks and full-text.
"""

from __future__ import annotations

import codecs
import json
import os
from pathlib import Path

import pytest
from tests.helpers import NO_MODEL_ENV, cli_env, copy_tree, line_of, open_in_process
from tests.in_process import index_in_process, run_main, run_main_json

from codeindex.cli.args import build_parser
from codeindex.workspace import OutsideWorkspaceError

pytestmark = pytest.mark.slow  # starts codeindex processes or indexes a corpus

DJANGO_SUBSET = ["django/db/models", "django/utils", "django/http", "django/core/paginator.py"]


@pytest.fixture(scope="session")
def polyglot_index(polyglot_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """polyglot-small indexed once by the CLI (in this process), without a model."""
    root = copy_tree(polyglot_src, tmp_path_factory.mktemp("ws") / "polyglot")
    index_in_process(root)
    return root


@pytest.fixture(scope="session")
def django_index(django_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Django subset indexed once by the CLI (in this process), without a model."""
    root = copy_tree(django_src, tmp_path_factory.mktemp("ws") / "django", DJANGO_SUBSET)
    index_in_process(root)
    return root


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in NO_MODEL_ENV.items():
        monkeypatch.setenv(key, value)


async def _symbols(root: Path, name: str) -> list[tuple[str, str, str | None, int]]:
    service = await open_in_process(root)
    try:
        hits = await service.find_symbols(name, match="exact")
        return [(h["path"], h["kind"], h["container"], h["start_line"]) for h in hits]
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
    service = await open_in_process(polyglot_index)
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
    result = run_main_json(polyglot_index, "search", needle, "--limit", "5")
    assert result["mode"] == "lexical"
    top = result["hits"][0]
    assert top["path"] == "cobra-go/args.go"
    assert top["line"] == line_of(polyglot_index / "cobra-go/args.go", needle)
    assert "exactly n args" in top["snippet"]


def test_search_filters_by_path_and_language(polyglot_index: Path) -> None:
    rust = run_main_json(polyglot_index, "search", "error", "--lang", "rust", "--limit", "20")
    assert rust["hits"] and all(h["language"] == "rust" for h in rust["hits"])
    under = run_main_json(polyglot_index, "search", "error", "--path", "cobra-go", "--limit", "20")
    assert under["hits"] and all(h["path"].startswith("cobra-go/") for h in under["hits"])


def test_symbols_prefix_substring_and_kind(polyglot_index: Path) -> None:
    prefix = run_main_json(polyglot_index, "symbols", "ExecuteC", "--match", "prefix")
    assert {"ExecuteC", "ExecuteContext", "ExecuteContextC"} <= {s["name"] for s in prefix}
    sub = run_main_json(
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
    status = run_main_json(polyglot_index, "status")
    assert status["files"]["total"] == _files_on_disk(polyglot_index)
    assert status["files"]["by_language"]["go"] == sum(1 for p in polyglot_index.rglob("*.go"))
    assert status["symbols"] > 1000 and status["chunks"] > 1000
    assert status["last_full_index_at"] is not None
    assert status["embeddings"]["chunks_pending"] == status["embeddings"]["chunks_total"]
    assert "CODEINDEX_EMBED_MODEL_PATH" in status["embeddings"]["pending_reason"]


def test_touched_file_is_not_reported_changed(polyglot_src: Path, tmp_path: Path) -> None:
    root = copy_tree(polyglot_src, tmp_path / "ws", ["cobra-go/args.go"])
    assert run_main(root, "index", str(root)).returncode == 0
    os.utime(root / "cobra-go/args.go", ns=(1, 1))
    assert run_main(root, "validate").returncode == 0


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
    proc = run_main(root, "index", str(root), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "Completed"  # skipped files are not failures
    assert result["result"]["failures"] == []

    status = run_main_json(root, "status")
    reasons = {p["path"]: (p["status"], p["reason"]) for p in status["files"]["not_indexed"]}
    assert reasons["blob.dat"][0] == "skipped" and "binary" in reasons["blob.dat"][1]
    assert reasons["huge.txt"][0] == "skipped" and "limit" in reasons["huge.txt"][1]
    assert "latin1.py" not in reasons
    assert status["files"]["with_syntax_errors"] == 1
    assert status["files"]["by_status"]["indexed"] == 3  # good.py, broken.py and latin1.py

    symbols = run_main_json(root, "symbols", "Fine")
    assert [s["path"] for s in symbols] == ["broken.py"]
    assert run_main_json(root, "symbols", "ok")[0]["path"] == "good.py"

    report = run_main_json(root, "validate")
    assert report["ok"], report["problems"]
    skipped = {s["path"]: s["reason"] for s in report["skipped_paths"]}
    assert "loop" in skipped["loop"]
    assert "outside the workspace" in skipped["outside.py"]
    assert "not a regular file" in skipped["pipe.py"]
    assert "dir/up" in skipped
    text = run_main(root, "validate").stdout
    assert "not indexed: pipe.py: not a regular file" in text


# -- files in other encodings, and names that are not UTF-8 --------------------------------

# One Python file per encoding, each with a symbol whose name is not ASCII and a string that
# is not ASCII either. The latin-1 file has no byte in 0x80..0x9F, where latin-1 and cp1252
# differ: it reads the same in both, and is reported as cp1252.
ENCODED_FILES = {
    "win1252.py": ("cp1252", b"", "größe_win1252", "„Grüße“ – aus Köln"),
    "latin1.py": ("latin-1", b"", "größe_latin1", "Déjà vu à l'hôtel"),
    "utf16le.py": ("utf-16-le", codecs.BOM_UTF16_LE, "größe_utf16le", "Привет из Москвы"),
    "utf16be.py": ("utf-16-be", codecs.BOM_UTF16_BE, "größe_utf16be", "Γειά σου κόσμε"),
    "utf8bom.py": ("utf-8", codecs.BOM_UTF8, "größe_utf8bom", "こんにちは世界"),
}


def _encoded_source(name: str, phrase: str) -> str:
    return (
        '"""A module saved by an editor in a legacy encoding."""\n'
        "\n\n"
        f"def {name}(count):\n"
        '    """Return a greeting."""\n'
        f"    return '{phrase}' * count\n"
    )


@pytest.fixture(scope="module")
def encoded_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Files in five encodings, a NUL-byte blob, a PNG and a plain UTF-8 file, indexed once."""
    root = tmp_path_factory.mktemp("ws") / "encodings"
    root.mkdir()
    for file_name, (encoding, bom, symbol, phrase) in ENCODED_FILES.items():
        (root / file_name).write_bytes(bom + _encoded_source(symbol, phrase).encode(encoding))
    (root / "plain.py").write_text(_encoded_source("plain", "hello"), encoding="utf-8")
    (root / "blob.dat").write_bytes(b"\x00\x01\x02" * 1000)
    (root / "logo.png").write_bytes(
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89"
    )
    proc = run_main(root, "index", str(root), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "Completed"
    return root


@pytest.mark.parametrize("file_name", [pytest.param(n, id=n) for n in ENCODED_FILES])
def test_files_in_other_encodings_are_indexed(encoded_index: Path, file_name: str) -> None:
    _, _, symbol, phrase = ENCODED_FILES[file_name]
    symbols = run_main_json(encoded_index, "symbols", symbol)
    assert [(s["path"], s["kind"], s["start_line"]) for s in symbols] == [
        (file_name, "function", 4)
    ]
    found = run_main_json(encoded_index, "search", phrase, "--mode", "lexical")
    assert [(h["path"], h["line"]) for h in found["hits"]][:1] == [(file_name, 6)]
    assert phrase in found["hits"][0]["snippet"]


def test_status_counts_files_by_encoding_and_binaries_stay_skipped(encoded_index: Path) -> None:
    files = run_main_json(encoded_index, "status")["files"]
    assert files["by_encoding"] == {
        "cp1252": 2,  # win1252.py and latin1.py
        "utf-16-be": 1,
        "utf-16-le": 1,
        "utf-8-sig": 1,
    }
    assert files["by_status"] == {"indexed": 6, "skipped": 2}
    reasons = {p["path"]: (p["status"], p["reason"]) for p in files["not_indexed"]}
    assert reasons == {
        "blob.dat": ("skipped", "binary file (NUL byte in the first 8 KiB)"),
        "logo.png": ("skipped", "binary file (.png)"),
    }


def test_the_django_files_not_in_utf8_are_indexed(django_src: Path, tmp_path: Path) -> None:
    css = "tests/staticfiles_tests/project/nonutf8/nonutf8.css"
    sample = "tests/i18n/commands/not_utf8.sample"
    root = copy_tree(django_src, tmp_path / "django", [css, sample, "django/core/paginator.py"])
    proc = run_main(root, "index", str(root), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "Completed"
    files = run_main_json(root, "status")["files"]
    assert files["by_status"] == {"indexed": 3}
    assert files["by_encoding"] == {"cp1252": 2}
    for query, path in [("éviter", css), ("Øyvind", sample)]:
        hits = run_main_json(root, "search", query, "--mode", "lexical")["hits"]
        assert [(h["path"], h["line"]) for h in hits] == [(path, 1)], query


def test_a_file_rewritten_in_latin1_stays_indexed(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    source = "def résumé():\n    return 'café crème'\n"
    (root / "menu.py").write_text(source, encoding="utf-8")
    assert run_main(root, "index", str(root)).returncode == 0
    assert run_main_json(root, "symbols", "résumé")[0]["path"] == "menu.py"

    (root / "menu.py").write_bytes(source.encode("latin-1"))
    proc = run_main(root, "index", str(root), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["result"]["items_completed"] == 1  # it was read again

    assert [s["path"] for s in run_main_json(root, "symbols", "résumé")] == ["menu.py"]
    hits = run_main_json(root, "search", "crème", "--mode", "lexical")["hits"]
    assert [(h["path"], h["line"]) for h in hits] == [("menu.py", 2)]
    files = run_main_json(root, "status")["files"]
    assert files["by_encoding"] == {"cp1252": 1}
    assert files["not_indexed"] == []


def test_a_name_that_is_not_utf8_is_skipped_and_the_rest_indexed(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "pkg").mkdir(parents=True)
    (root / "good.py").write_text("def good():\n    return 1\n", encoding="utf-8")
    (root / "pkg" / "inner.py").write_text("def inner():\n    return 2\n", encoding="utf-8")
    broot = os.fsencode(root)
    with open(broot + b"/bad\xff.py", "wb") as f:
        f.write(b"def hidden():\n    return 3\n")
    os.mkdir(broot + b"/d\xfe")
    with open(broot + b"/d\xfe/under.py", "wb") as f:
        f.write(b"def under():\n    return 4\n")

    for _ in range(2):  # and again, incrementally: nothing sticks
        proc = run_main(root, "index", str(root))
        assert proc.returncode == 0, proc.stderr
    assert run_main_json(root, "symbols", "good")[0]["path"] == "good.py"
    assert run_main_json(root, "symbols", "inner")[0]["path"] == "pkg/inner.py"
    assert run_main_json(root, "symbols", "hidden") == []
    assert run_main_json(root, "status")["files"]["by_status"] == {"indexed": 2}

    report = run_main_json(root, "validate")
    assert report["ok"] and report["files_checked"] == 2
    assert {s["path"]: s["reason"] for s in report["skipped_paths"]} == {
        "bad\\xff.py": "file name is not valid UTF-8: rename it to a UTF-8 name to index it",
        "d\\xfe": "folder name is not valid UTF-8, so nothing under it is indexed: "
        "rename it to a UTF-8 name to index it",
    }
    text = run_main(root, "validate").stdout
    assert "not indexed: bad\\xff.py: file name is not valid UTF-8" in text

    proc = run_main(root, "reindex", "--scope", "file", os.fsdecode(b"bad\xff.py"))
    assert proc.returncode == 2
    assert "'bad\\xff.py': file name is not valid UTF-8" in proc.stderr


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
        pytest.param(["search", "   "], "query must be a non-empty string", id="empty-query"),
        pytest.param(["task", "reindex_nope"], "no reindex task", id="unknown-task"),
    ],
)
def test_bad_requests_get_clear_errors(tmp_path: Path, args: list[str], message: str) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "good.py").write_text("def ok():\n    return 1\n", encoding="utf-8")
    assert run_main(root, "index", str(root)).returncode == 0
    proc = run_main(root, *args)
    assert proc.returncode == 2, proc.stdout
    assert message in proc.stderr
    assert run_main_json(root, "symbols", "ok")[0]["path"] == "good.py"  # nothing lost


async def test_service_refuses_paths_outside(tmp_path: Path, no_model: None) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    service = await open_in_process(root)
    try:
        with pytest.raises(OutsideWorkspaceError, match="outside the workspace"):
            await service.force_reindex("file", [str(tmp_path / "elsewhere.py")])
        assert await service.list_reindex_tasks() == []
    finally:
        await service.close()


def test_a_workspace_whose_own_name_is_not_utf8_is_indexed(tmp_path: Path) -> None:
    """Its index cannot live inside it (LanceDB cannot open such a path, and a worker would
    fail on it for ever): refused up front with the way out, which works."""
    root = Path(os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9"))
    root.mkdir()
    (root / "good.py").write_text("def good():\n    return 1\n", encoding="utf-8")
    refused = run_main(root, "index", str(root))
    assert refused.returncode == 2 and "CODEINDEX_DATA_DIR" in refused.stderr, refused.stderr
    env = cli_env(**NO_MODEL_ENV, CODEINDEX_DATA_DIR=str(tmp_path / "data"))
    proc = run_main(root, "index", str(root), env=env)
    assert proc.returncode == 0, proc.stderr
    assert run_main_json(root, "symbols", "good", env=env)[0]["path"] == "good.py"
    status = run_main_json(root, "status", env=env)
    assert status["workspace"] == f"{tmp_path}/caf\\xe9"
    assert status["data_dir"] == f"{tmp_path}/data"


def test_upgrade_reads_again_the_files_the_old_reader_refused(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "latin1.py").write_bytes("def été():\n    return 1\n".encode("latin-1"))
    (root / "wide.py").write_bytes(
        codecs.BOM_UTF16_LE + "def wide():\n    pass\n".encode("utf-16-le")
    )
    assert run_main(root, "index", str(root)).returncode == 0
    import sqlite3

    # Turn the index back into one written before migration 006, by the old reader.
    conn = sqlite3.connect(root / ".codeindex" / "index.db")
    with conn:
        for path, status, error in [
            ("latin1.py", "failed", "not valid UTF-8 at byte 5: invalid continuation byte"),
            ("wide.py", "skipped", "binary file (NUL byte in the first 8 KiB)"),
        ]:
            (file_id,) = conn.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
            conn.execute("DELETE FROM symbols WHERE file_id = ?", (file_id,))
            conn.execute("DELETE FROM chunks WHERE file_id = ?", (file_id,))
            conn.execute(
                "UPDATE files SET index_status = ?, error = ?, content_hash = NULL WHERE id = ?",
                (status, error, file_id),
            )
        conn.execute("ALTER TABLE files DROP COLUMN encoding")
        # undo the later migrations too (007: crash suspects), so 006 onwards runs again
        conn.execute("DROP INDEX items_suspect")
        conn.execute("ALTER TABLE reindexing_task_items DROP COLUMN suspect")
        conn.execute("ALTER TABLE reindexing_task_items DROP COLUMN crashes")
        conn.execute("ALTER TABLE files DROP COLUMN embed_skip")  # migrations 008 and 009
        for statement in (
            "DROP TRIGGER chunks_ai",
            "DROP TRIGGER chunks_ad",
            "DROP TABLE chunks_fts",
        ):
            conn.execute(statement)
        conn.execute("ALTER TABLE chunks DROP COLUMN words")
        conn.execute("ALTER TABLE chunks DROP COLUMN defines")
        conn.execute("ALTER TABLE chunks DROP COLUMN context")
        conn.execute("DROP INDEX symbols_non_ascii")  # migration 011
        conn.execute("DROP TABLE symbol_refs")  # migration 012
        for table, column in [  # migration 013
            ("reindexing_tasks", "active_seconds"),
            ("reindexing_tasks", "running_since"),
            ("reindexing_tasks", "remaining_seconds"),
            ("reindexing_tasks", "estimated_active"),
            ("reindexing_task_items", "language"),
            ("reindexing_task_items", "embed_chars"),
        ]:
            conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        conn.execute("DELETE FROM schema_version WHERE version >= 6")
    conn.close()
    assert run_main_json(root, "symbols", "wide") == []

    proc = run_main(root, "index", str(root))  # incremental: the files did not change
    assert proc.returncode == 0, proc.stderr
    assert run_main_json(root, "symbols", "été")[0]["path"] == "latin1.py"
    assert run_main_json(root, "symbols", "wide")[0]["path"] == "wide.py"
    files = run_main_json(root, "status")["files"]
    assert files["by_encoding"] == {"cp1252": 1, "utf-16-le": 1}
    assert files["not_indexed"] == []


def test_help_for_every_command(capsys: pytest.CaptureFixture[str]) -> None:
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
        with pytest.raises(SystemExit) as exit_:
            build_parser().parse_args([command, "--help"])
        assert exit_.value.code == 0 and "usage:" in capsys.readouterr().out, command


def test_the_cli_runs_again_in_one_process_and_logs_as_each_run_asks(tmp_path: Path) -> None:
    """main() keeps nothing between runs: each logs once, at its own level, where it says."""
    log_file = tmp_path / "cli.log"
    runs = [
        run_main(tmp_path, "--log-level", "DEBUG", "status"),
        run_main(tmp_path, "--log-level", "DEBUG", "--log-file", str(log_file), "status"),
        run_main(tmp_path, "status"),
    ]
    assert [r.returncode for r in runs] == [3, 3, 3]  # no index here: unavailable
    assert all("there is no index" in r.stderr for r in runs)
    selector = "DEBUG asyncio: Using selector"
    assert [r.stderr.count(selector) for r in runs] == [1, 0, 0]
    assert log_file.read_text(encoding="utf-8").count(selector) == 1


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
