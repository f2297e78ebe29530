"""The machine-wide vector cache, used as people use it: clones, worktrees, branch switches.

Each test gets a cache dir of its own (the rest of the suite runs with the cache off, so
that one test's embedded texts never change another's counts). Workspaces are indexed by
the real CLI and its worker processes; several workers write the cache at once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.helpers import background_workers, cli_env, copy_tree, run_cli, run_json

from codeindex.vectors.cache import files

pytestmark = pytest.mark.slow  # starts codeindex processes and indexes a corpus

SUBSET = ["cobra-go"]


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "user-cache"


def _env(tiny_model_path: Path, cache: Path, **extra: str) -> dict[str, str]:
    return cli_env(
        CODEINDEX_EMBED_MODEL_PATH=str(tiny_model_path),
        CODEINDEX_ALLOW_DOWNLOAD="0",
        CODEINDEX_CACHE="1",
        CODEINDEX_CACHE_DIR=str(cache),
        **extra,
    )


def _index(root: Path, env: dict[str, str]) -> dict[str, int]:
    """`codeindex index` (full the first time, incremental after); its task's summary, once
    the worker it started has left (it prunes the cache as it leaves)."""
    proc = run_cli(root, "index", str(root), "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    summary: dict[str, int] = json.loads(proc.stdout)["result"]["summary"]
    deadline = time.monotonic() + 120
    while background_workers(root):
        assert time.monotonic() < deadline, "the worker did not leave"
        time.sleep(0.05)
    return summary


def test_a_second_clone_embeds_nothing_and_answers_semantic_queries(
    polyglot_src: Path, tiny_model_path: Path, cache: Path, tmp_path: Path
) -> None:
    env = _env(tiny_model_path, cache)
    first = copy_tree(polyglot_src, tmp_path / "first" / "ws", SUBSET)
    embedded_first = _index(first, env)["embeddings_generated"]
    assert embedded_first > 100
    [model] = files(cache)
    assert model.vectors == embedded_first

    second = copy_tree(polyglot_src, tmp_path / "second" / "ws", SUBSET)
    assert _index(second, env)["embeddings_generated"] == 0  # every text came from the cache
    status = run_json(second, "status", env=env)
    assert status["embeddings"]["chunks_pending"] == 0
    hits = run_json(second, "search", "add a sub command", "--mode", "semantic", env=env)
    assert hits["hits"] and hits["note"] is None
    assert run_json(second, "validate", env=env)["ok"]


def test_a_deleted_cache_costs_embedding_time_never_correctness(
    polyglot_src: Path, tiny_model_path: Path, cache: Path, tmp_path: Path
) -> None:
    env = _env(tiny_model_path, cache)
    first = copy_tree(polyglot_src, tmp_path / "first" / "ws", SUBSET)
    embedded = _index(first, env)["embeddings_generated"]
    shutil.rmtree(cache)
    second = copy_tree(polyglot_src, tmp_path / "second" / "ws", SUBSET)
    assert _index(second, env)["embeddings_generated"] == embedded  # embedded again
    assert files(cache) and files(cache)[0].vectors == embedded  # and kept again
    assert run_json(first, "validate", env=env)["ok"]  # the first never depended on it


def test_a_workspace_that_opts_out_neither_reads_nor_writes_the_cache(
    polyglot_src: Path, tiny_model_path: Path, cache: Path, tmp_path: Path
) -> None:
    first = copy_tree(polyglot_src, tmp_path / "first" / "ws", SUBSET)
    _index(first, _env(tiny_model_path, cache))
    before = files(cache)[0].vectors
    second = copy_tree(polyglot_src, tmp_path / "second" / "ws", SUBSET)
    (second / ".codeindex.toml").write_text("[cache]\nenabled = false\n", encoding="utf-8")
    (second / "cobra-go" / "fresh.go").write_text(
        "package cobra\n\nfunc FreshForTheCache() int { return 42 }\n", encoding="utf-8"
    )
    # the workspace's file decides: nothing in the environment says otherwise
    env = {k: v for k, v in _env(tiny_model_path, cache).items() if k != "CODEINDEX_CACHE"}
    assert _index(second, env)["embeddings_generated"] > 100
    assert files(cache)[0].vectors == before  # nothing of its own went in


def test_the_cache_stays_within_its_bound(
    polyglot_src: Path, tiny_model_path: Path, cache: Path, tmp_path: Path
) -> None:
    first = copy_tree(polyglot_src, tmp_path / "first" / "ws", SUBSET)
    _index(first, _env(tiny_model_path, cache))
    full = sum(f.bytes for f in files(cache))
    bound = full // 2
    second = copy_tree(polyglot_src, tmp_path / "second" / "ws", ["regex-rust"])
    _index(second, _env(tiny_model_path, cache, CODEINDEX_CACHE_MAX_BYTES=str(bound)))
    assert sum(f.bytes for f in files(cache)) <= bound
    assert files(cache)[0].vectors > 0  # the least recently used went, not everything
    status = json.loads(
        run_cli(second, "cache", "status", "--json", env=_env(tiny_model_path, cache)).stdout
    )
    assert status["bytes"] <= bound and status["vectors"] > 0


def test_cache_status_prune_and_clear_from_any_folder(
    polyglot_src: Path, tiny_model_path: Path, cache: Path, tmp_path: Path
) -> None:
    env = _env(tiny_model_path, cache)
    first = copy_tree(polyglot_src, tmp_path / "first" / "ws", SUBSET)
    _index(first, env)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    status = run_json(elsewhere, "cache", "status", env=env)
    assert status["vectors"] > 100 and status["folder"] == str(cache / "vectors")
    assert not (elsewhere / ".codeindex").exists()  # no index made for it
    pruned = run_json(elsewhere, "cache", "prune", env={**env, "CODEINDEX_CACHE_MAX_BYTES": "1"})
    assert pruned["vectors_dropped"] > 0
    cleared = run_json(elsewhere, "cache", "clear", env=env)
    assert cleared["vectors"] == 0 and cleared["bytes"] == 0
    text = run_cli(elsewhere, "cache", "status", env=env).stdout
    assert "0 vectors" in text


APPENDER = """
import sys
import numpy as np
from pathlib import Path
from codeindex.vectors.cache import VectorCache
base, who, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
cache = VectorCache(base, "v_race_8_abcd", 8)
for r in range(rounds):
    hashes = [f"{who}-{r}-{i}" for i in range(20)] + [f"both-{r}-{i}" for i in range(5)]
    cache.put(hashes, np.full((len(hashes), 8), r, dtype=np.float32))
    assert cache.get(hashes[:3])
"""


def test_processes_writing_at_once_lose_no_rows(tmp_path: Path) -> None:
    rounds = 60
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", APPENDER, str(tmp_path), who, str(rounds)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("a", "b", "c")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    [race] = files(tmp_path)
    assert race.vectors == 3 * rounds * 20 + rounds * 5  # each text once, none lost
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sqlite3,sys; print(sqlite3.connect(sys.argv[1])"
            ".execute('PRAGMA integrity_check').fetchone()[0])",
            str(race.path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert check.stdout.strip() == "ok"


GIT_PERSON = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_PERSON}
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="NOT TESTED: git is missing")
def test_a_new_worktree_indexes_with_no_text_embedded_and_its_own_workspace(
    polyglot_src: Path, tiny_model_path: Path, cache: Path, tmp_path: Path
) -> None:
    """`git worktree add`, inside the first checkout even: the new worktree is a workspace
    of its own (the first one's index leaves it alone) and embeds nothing the first did."""
    env = _env(tiny_model_path, cache)
    repo = copy_tree(polyglot_src, tmp_path / "repo", SUBSET)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "cobra")
    _index(repo, env)
    files_before = run_json(repo, "status", env=env)["files"]["total"]

    _git(repo, "worktree", "add", "-q", "trees/feature", "-b", "feature")
    tree = repo / "trees" / "feature"
    assert _index(tree, env)["embeddings_generated"] == 0
    assert run_json(tree, "status", env=env)["files"]["total"] == files_before
    # the first workspace's next pass does not take the worktree in
    summary = _index(repo, env)
    assert summary["files_processed"] == 0
    assert run_json(repo, "status", env=env)["files"]["total"] == files_before


def _bytes(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file())


def _db_bytes(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in data_dir.glob("index.db*"))


@pytest.mark.skipif(shutil.which("git") is None, reason="NOT TESTED: git is missing")
def test_branch_switches_embed_only_new_text_and_stay_the_same_size(
    polyglot_src: Path, tiny_model_path: Path, cache: Path, tmp_path: Path
) -> None:
    """A branch that changes a quarter of the files, checked out and back four times (the
    bench does ten, on a real repository's history): the
    first visit of each branch embeds its new texts, every later one embeds none, and the
    vectors and the cache stay within 10% of their size after the first round. index.db
    (1.4 MB here) is held to 25%: each switch rewrites a quarter of its rows, and how full
    SQLite's B-tree pages end up varies by that much on a tree this small."""
    env = _env(tiny_model_path, cache)
    repo = copy_tree(polyglot_src, tmp_path / "repo", SUBSET)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "cobra")
    _git(repo, "checkout", "-q", "-b", "feature")
    go_files = sorted((repo / "cobra-go").glob("*.go"))
    for n, path in enumerate(go_files[::4]):
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"\n// FeatureOnly{n} is on the feature branch only.\n")
            fh.write(f"func FeatureOnly{n}() int {{ return {n} }}\n")
    go_files[1].unlink()
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "feature")
    _git(repo, "checkout", "-q", "main")
    assert _index(repo, env)["embeddings_generated"] > 100
    embedded: list[int] = []
    sizes: list[tuple[int, int]] = []
    for _ in range(4):
        for branch in ("feature", "main"):
            _git(repo, "checkout", "-q", branch)
            embedded.append(_index(repo, env)["embeddings_generated"])
            data = repo / ".codeindex"
            sizes.append(
                (_bytes(data / "vectors"), _db_bytes(data), sum(f.bytes for f in files(cache)))
            )
    assert run_json(repo, "validate", env=env)["ok"]
    assert embedded[0] > 0  # the feature branch's new texts, once
    assert embedded[1:] == [0] * (len(embedded) - 1), embedded
    vectors_first, db_first, cache_first = sizes[1]
    for vectors, db, cached in sizes[2:]:
        assert vectors <= vectors_first * 1.1 and cached <= cache_first * 1.1, sizes
        assert db <= db_first * 1.25, sizes


@pytest.mark.skipif(shutil.which("git") is None, reason="NOT TESTED: git is missing")
def test_bench_cache_reports_clones_and_switches(
    polyglot_src: Path, tiny_model_path: Path, tmp_path: Path
) -> None:
    """`codeindex bench --cache`: the second clone and every switch back embed nothing."""
    tree = copy_tree(polyglot_src, tmp_path / "tree", SUBSET)
    history = copy_tree(polyglot_src, tmp_path / "history", SUBSET)
    _git(history, "init", "-q", "-b", "main")
    _git(history, "add", "-A")
    _git(history, "commit", "-q", "-m", "one")
    first = sorted((history / "cobra-go").glob("*.go"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "\nfunc Later() int { return 2 }\n")
    _git(history, "commit", "-q", "-am", "two")
    out = tmp_path / "cache.json"
    proc = run_cli(
        tmp_path,
        "bench",
        str(tree),
        "--model-path",
        str(tiny_model_path),
        "--cache",
        "--history",
        str(history),
        "--revisions",
        "HEAD~1",
        "HEAD",
        "--switches",
        "3",
        "--json",
        str(out),
        env=cli_env(),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "second clone (cache warm)" in proc.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    first_clone, second_clone = report["clones"]
    assert first_clone["texts_embedded"] > 100 and second_clone["texts_embedded"] == 0
    embedded = [row["texts_embedded"] for row in report["switches"]]
    assert len(embedded) == 4 and embedded[0] == 0  # the tree's texts were cached by the clones
    assert embedded[1] > 0 and embedded[2:] == [0, 0], embedded
    assert report["cache_bytes_per_1000_files"] > 0


def test_bench_cache_refuses_a_history_without_revisions(
    polyglot_src: Path, tiny_model_path: Path, tmp_path: Path
) -> None:
    tree = copy_tree(polyglot_src, tmp_path / "tree", SUBSET)
    args = ("bench", str(tree), "--model-path", str(tiny_model_path), "--cache")
    proc = run_cli(tmp_path, *args, "--history", str(tree), env=cli_env())
    assert proc.returncode == 2 and "--revisions A B" in " ".join(proc.stderr.split())
    proc = run_cli(tmp_path, *args, "--history", str(tree), "--revisions", "a", "b", env=cli_env())
    assert proc.returncode == 2 and "not a git repository" in " ".join(proc.stderr.split())
