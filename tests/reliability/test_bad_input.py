"""Bad input through the CLI: a clear message, the exit code of its kind, no traceback, and
an index that keeps working. (The MCP server's: tests/test_mcp_errors.py; the language
server's: tests/lsp.)

Arguments are a table run once per module against an indexed copy of cobra-go, each
through the CLI's entry point in this process (`tests.in_process`); files are indexed for
real, by the worker process a command starts, and by one in this process where a file must
change while it is read.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from tests.helpers import background_workers, cli_env, open_in_process, run_cli
from tests.in_process import run_main, run_main_json
from tests.reliability.checks import assert_index_matches_disk

from codeindex.app.service import CodeIndexService
from codeindex.errors import (
    BadArgument,
    CodeIndexError,
    OutsideWorkspace,
    UnknownTask,
    WrongState,
)

GO_FILES = 38
UNKNOWN = "reindex_20200101000000_deadbeef"
ARGS = [
    # (id, argv, the error class whose exit code is expected, what the message says)
    (
        "dotdot",
        ["reindex", "--scope", "file", "../outside.go"],
        OutsideWorkspace,
        "outside the workspace",
    ),
    (
        "dotdot-inside",
        ["reindex", "--scope", "file", "cobra-go/../../x.go"],
        OutsideWorkspace,
        "outside the workspace",
    ),
    (
        "absolute-outside",
        ["reindex", "--scope", "files", "/etc/passwd"],
        OutsideWorkspace,
        "outside the workspace",
    ),
    (
        "symlink-out-dir",
        ["reindex", "--scope", "directory", "linkout"],
        OutsideWorkspace,
        "resolves to /etc",
    ),
    (
        "symlink-out-file",
        ["reindex", "--scope", "file", "linkout/passwd"],
        OutsideWorkspace,
        "outside the workspace",
    ),
    (
        "long-path",
        ["reindex", "--scope", "file", "a/" * 3000 + "x.go"],
        BadArgument,
        "too long for a path",
    ),
    (
        "long-name",
        ["reindex", "--scope", "file", "a" * 300 + ".go"],
        BadArgument,
        "too long for a path",
    ),
    ("missing-file", ["reindex", "--scope", "file", "nothere.go"], BadArgument, "does not exist"),
    ("newline-name", ["reindex", "--scope", "file", "new\nline.go"], BadArgument, "new\\nline.go"),
    ("file-is-dir", ["reindex", "--scope", "file", "cobra-go"], BadArgument, "use scope directory"),
    (
        "dir-is-file",
        ["reindex", "--scope", "directory", "cobra-go/args.go"],
        BadArgument,
        "use scope file",
    ),
    (
        "unknown-scope",
        ["reindex", "--scope", "everything"],
        BadArgument,
        "invalid choice: 'everything'",
    ),
    (
        "unknown-priority",
        ["reindex", "--scope", "project", "--priority", "urgent"],
        BadArgument,
        "invalid choice: 'urgent'",
    ),
    ("file-no-paths", ["reindex", "--scope", "file"], BadArgument, "needs paths"),
    ("files-no-paths", ["reindex", "--scope", "files"], BadArgument, "needs paths"),
    (
        "embeddings-only-paths",
        ["reindex", "--scope", "embeddings-only", "cobra-go/args.go"],
        BadArgument,
        "takes no paths",
    ),
    (
        "10001-paths",
        ["reindex", "--scope", "files", *["{go}"] * 10_001],
        BadArgument,
        "at most 10000",
    ),
    ("unknown-task", ["task", UNKNOWN], UnknownTask, f"no reindex task '{UNKNOWN}'"),
    ("unknown-task-wait", ["task", UNKNOWN, "--wait"], UnknownTask, "no reindex task"),
    ("pause-unknown", ["pause", "nonsense"], UnknownTask, "no reindex task 'nonsense'"),
    ("cancel-unknown", ["cancel", UNKNOWN], UnknownTask, "no reindex task"),
    ("pause-finished", ["pause", "{done}"], WrongState, "is Completed"),
    ("resume-finished", ["resume", "{done}"], WrongState, "not paused"),
    ("limit-not-a-number", ["search", "x", "--limit", "ten"], BadArgument, "'ten' is not a int"),
    ("limit-zero", ["tasks", "--limit", "0"], BadArgument, "out of range"),
    ("empty-query", ["search", ""], BadArgument, "query must be a non-empty string"),
    ("unknown-output", ["search", "x", "--output", "tree"], BadArgument, "invalid choice"),
    ("context-too-long", ["search", "x", "--context", "99"], BadArgument, "out of range"),
    ("max-tokens-too-few", ["search", "x", "--max-tokens", "5"], BadArgument, "out of range"),
    ("exclude-outside", ["search", "x", "--exclude", "../up"], OutsideWorkspace, "outside"),
    ("unknown-kind", ["search", "x", "--kind", "lambda"], BadArgument, "kind 'lambda'"),
    ("empty-symbol", ["symbols", ""], BadArgument, "name must be a non-empty string"),
    ("unknown-status", ["tasks", "--status", "Done"], BadArgument, "Done"),
    (
        "negative-timeout",
        ["task", "{done}", "--wait", "--timeout", "-1"],
        BadArgument,
        "out of range",
    ),
]


@pytest.fixture(scope="module")
def workspace(cobra_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bad") / "ws"
    shutil.copytree(cobra_template, root, symlinks=True)
    (root / "linkout").symlink_to("/etc")
    return root


@pytest.fixture(scope="module")
def answers(workspace: Path, tiny_model_path: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every row of ARGS run against the workspace, one after the other."""
    db = sqlite3.connect(workspace / ".codeindex" / "index.db")
    with db:
        (done,) = db.execute(
            "SELECT id FROM reindexing_tasks WHERE status = 'Completed'"
        ).fetchone()
    db.close()
    go = sorted(p.relative_to(workspace).as_posix() for p in workspace.rglob("*.go"))
    env = cli_env(CODEINDEX_EMBED_MODEL_PATH=str(tiny_model_path), CODEINDEX_ALLOW_DOWNLOAD="0")

    def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
        args = [a.replace("{done}", done) for a in argv]
        args = [go[n % len(go)] if a == "{go}" else a for n, a in enumerate(args)]
        return run_main(workspace, *args, env=env)

    return {name: run(argv) for name, argv, _, _ in ARGS}


@pytest.mark.parametrize(
    ("case", "error", "says"), [pytest.param(a[0], a[2], a[3], id=a[0]) for a in ARGS]
)
def test_bad_arguments_get_a_clear_message(
    answers: dict[str, subprocess.CompletedProcess[str]],
    case: str,
    error: type[CodeIndexError],
    says: str,
) -> None:
    proc = answers[case]
    assert proc.returncode == error.exit_code, (proc.returncode, proc.stderr)
    assert says in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and not proc.stdout


def test_ten_thousand_paths_are_one_task_and_the_index_still_serves(
    workspace: Path, answers: dict[str, subprocess.CompletedProcess[str]], tiny_model_path: Path
) -> None:
    """10,000 paths (the most allowed) make one task of the distinct files; after every row
    above, the index is as valid as before and answers."""
    env = cli_env(CODEINDEX_EMBED_MODEL_PATH=str(tiny_model_path), CODEINDEX_ALLOW_DOWNLOAD="0")
    go = sorted(p.relative_to(workspace).as_posix() for p in workspace.rglob("*.go"))
    paths = [go[n % len(go)] for n in range(10_000)]
    proc = run_main(workspace, "reindex", "--scope", "files", *paths, "--sync", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    resp = json.loads(proc.stdout)
    assert resp["status"] == "Completed" and resp["items_total"] == len(go) < GO_FILES
    assert run_main_json(workspace, "validate", env=env)["ok"]
    assert run_main_json(workspace, "search", "flag parsing", env=env)["hits"]
    assert run_main_json(workspace, "symbols", "Execute", env=env)
    for pid in background_workers(workspace):
        os.kill(pid, signal.SIGTERM)


async def test_a_nul_byte_in_a_path_is_refused(workspace: Path, tiny_env: dict[str, str]) -> None:
    """A NUL byte cannot reach the CLI (execve refuses it); the core every front-end calls
    refuses it with a message."""
    service = await CodeIndexService.open(workspace, worker="none")
    try:
        with pytest.raises(BadArgument, match="not a usable path"):
            await service.force_reindex("file", ["cobra-go/args\0.go"])
    finally:
        await service.close()


def _bad_files(root: Path) -> None:
    root.mkdir()
    shutil.copy(Path(__file__).parent.parent / "helpers.py", root / "fine.py")
    (root / "binary.py").write_bytes(b"def a():\n    return '\x00\x01\x02'\n")
    with (root / "huge.py").open("wb") as fh:  # 50 MiB
        fh.truncate(50 * 1024 * 1024)
    (root / "latin1.py").write_bytes("def café():\n    return 'naïve'\n".encode("latin-1"))
    (root / "invalid.py").write_bytes(b"def ok():\n    return '\xff\xfe \xc3\x28 stray'\n")
    digits = ",".join(str(n % 10) for n in range(499_990))
    (root / "oneline.js").write_text(f"var x = [{digits}];\n", "utf-8")  # ~1 MB, one line
    nested = [f"{'    ' * i}def f{i}():" for i in range(600)] + [f"{'    ' * 600}pass"]
    (root / "deep.py").write_text("\n".join(nested) + "\n", "utf-8")


def test_bad_files_are_skipped_or_indexed_with_a_reason_and_never_fail_the_task(
    tmp_path: Path, tiny_model_path: Path
) -> None:
    root = tmp_path / "files"
    _bad_files(root)
    env = cli_env(CODEINDEX_EMBED_MODEL_PATH=str(tiny_model_path), CODEINDEX_ALLOW_DOWNLOAD="0")
    proc = run_main(root, "index", str(root), "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    resp = json.loads(proc.stdout)
    assert resp["status"] == "Completed" and resp["result"]["items_failed"] == 0
    files = run_main_json(root, "status", env=env)["files"]
    skipped = {f["path"]: f["reason"] for f in files["not_indexed"]}
    assert skipped == {
        "binary.py": "binary file (NUL byte in the first 8 KiB)",
        "huge.py": "50.0 MiB is over the 1.0 MiB limit (setting index.max_file_size)",
    }
    assert files["by_encoding"] == {"cp1252": 2}, files["by_encoding"]  # read, not refused
    assert [e["path"] for e in files["syntax_errors"]] == ["deep.py"]
    assert run_main_json(root, "symbols", "café", env=env)[0]["path"] == "latin1.py"
    exact = run_main_json(root, "symbols", "ok", "--match", "exact", env=env)
    assert exact[0]["path"] == "invalid.py"
    line = run_main_json(root, "search", "var x", "--mode", "lexical", env=env)["hits"][0]
    assert line["path"] == "oneline.js" and len(line["snippet"]) < 1000
    db = sqlite3.connect(root / ".codeindex" / "index.db")
    with db:
        (longest,) = db.execute("SELECT max(length(text)) FROM chunks").fetchone()
    db.close()
    assert longest <= 1000  # the 1 MB line is split into chunks of the usual size
    assert run_main_json(root, "validate", env=env)["ok"]


async def test_files_deleted_or_changed_after_the_plan_are_read_as_they_are(
    cobra_template: Path, tmp_path: Path, tiny_env: dict[str, str]
) -> None:
    """Between planning a task and the worker reading: a deleted file leaves the index (no
    failure), a changed one is indexed as it is now."""
    root = tmp_path / "ws"
    shutil.copytree(cobra_template, root, symlinks=True)
    service = await CodeIndexService.open(root, worker="none")
    try:
        resp = await service.force_reindex("files", ["cobra-go/args.go", "cobra-go/cobra.go"])
        (root / "cobra-go" / "args.go").unlink()
        with (root / "cobra-go" / "cobra.go").open("a", encoding="utf-8") as fh:
            fh.write("\nfunc ChangedAfterThePlan() {}\n")
        proc = await asyncio.to_thread(
            run_cli, root, "task", resp["task_id"], "--wait", "--json", env=cli_env(**tiny_env)
        )
        assert proc.returncode == 0, proc.stderr
        final = json.loads(proc.stdout)
        assert final["status"] == "Completed" and final["items_failed"] == 0, final
        assert [h["path"] for h in await service.find_symbols("ChangedAfterThePlan")] == [
            "cobra-go/cobra.go"
        ]
        report = await service.validate()
        assert report["ok"], report["problems"]
        assert_index_matches_disk(root)
    finally:
        await service.close()
        for pid in background_workers(root):
            os.kill(pid, signal.SIGTERM)


WRITER = """
import sys, time
path, seconds = sys.argv[1], float(sys.argv[2])
versions = [f"def v{n}():\\n    return {n:04}\\n".encode() for n in range(3)]  # same size
versions.append(b"def longer():\\n    return 'a longer version'\\n")
deadline, n = time.monotonic() + seconds, 0
while time.monotonic() < deadline:
    with open(path, "r+b") as fh:  # in place: a reader may see it half written
        fh.truncate(0)
        fh.write(versions[n % len(versions)])
    n += 1
print(n)
"""


async def test_a_file_rewritten_while_it_is_read_ends_indexed_as_it_is(
    tmp_path: Path, tiny_env: dict[str, str]
) -> None:
    """Another program rewrites a file in place over and over (same size and not) while the
    worker reads it again and again: the index never takes a stale copy for the current
    one, so once the writes stop, the incremental pass a watcher queues brings it up to
    date."""
    root = tmp_path / "ws"
    root.mkdir()
    churn = root / "churn.py"
    churn.write_bytes(b"def v0():\n    return 0000\n")
    service = await open_in_process(root)
    try:
        service.start_worker()
        await service.force_reindex("project", async_=False)
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(churn), "3"], stdout=subprocess.PIPE, text=True
        )
        reads = 0
        try:
            while writer.poll() is None:
                async with asyncio.timeout(60):
                    final = await service.force_reindex("file", ["churn.py"], async_=False)
                assert final["status"] == "Completed", final
                reads += 1
        finally:
            out, _ = writer.communicate(timeout=60)
        assert reads >= 3 and int(out) > reads, (reads, out)
        await service.force_reindex("project", incremental=True, async_=False)
        digest = hashlib.sha256(churn.read_bytes()).hexdigest()
        row = await service.storage.get_file("churn.py")
        assert row is not None and row.content_hash == digest
        assert_index_matches_disk(root)
        assert (await service.validate())["ok"]
    finally:
        await service.close()
