"""The core the long-running front-ends share: supervision, watching, client boosts, errors.

Real SQLite, real worker processes (`codeindex worker` started by the service itself),
real CLI subprocesses, the real tiny ONNX model.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import background_workers, cli_env, copy_tree, run_cli

from codeindex import contract
from codeindex.app.service import CodeIndexService
from codeindex.cli.main import main
from codeindex.errors import BadArgument

pytestmark = pytest.mark.slow  # starts codeindex processes or indexes a corpus

DJANGO_SLICE = ["django/db/models", "django/utils"]


def _kill_workers(root: Path) -> None:
    for pid in background_workers(root):
        os.kill(pid, signal.SIGTERM)


async def _collect(service: CodeIndexService, into: list[dict[str, Any]], task_id: str) -> None:
    async for state in service.watch():
        if state["task_id"] == task_id:
            into.append(dict(state))
            if state["status"] in ("Completed", "Failed", "Cancelled"):
                return


async def test_the_root_is_a_directory_scope_and_listing_survives_old_rows(
    cobra: CodeIndexService,
) -> None:
    resp = await cobra.force_reindex("directory", ["."], async_=False)
    assert resp["scope"] == {"Directory": {"path": ".", "recursive": True}}
    assert resp["status"] == "Completed"
    # a row written by an older codeindex with no target path still lists
    async with cobra.storage.transaction() as db:
        await db.execute(
            "UPDATE reindexing_tasks SET target_paths = '[]' WHERE id = ?", (resp["task_id"],)
        )
    listed = await cobra.list_reindex_tasks()
    assert listed[0]["scope"] == {"Directory": {"path": ".", "recursive": True}}
    proc = run_cli(cobra.settings.root, "tasks", "--json", env=cli_env())
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["task_id"] == resp["task_id"]


async def test_two_watchers_see_every_change_of_a_task_created_by_another_process(
    cobra_template: Path, tmp_path: Path, tiny_env: dict[str, str]
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(cobra_template, root, symlinks=True)
    service = await CodeIndexService.open(root, worker="none")
    try:
        first: list[dict[str, Any]] = []
        second: list[dict[str, Any]] = []
        proc = await asyncio.to_thread(
            run_cli,
            root,
            "reindex",
            "--scope",
            "directory",
            "cobra-go",
            "--json",
            env=cli_env(**tiny_env),
        )
        assert proc.returncode == 0, proc.stderr
        task_id = json.loads(proc.stdout)["task_id"]
        async with asyncio.timeout(120):
            await asyncio.gather(
                _collect(service, first, task_id), _collect(service, second, task_id)
            )
        for seen in (first, second):
            assert seen[-1]["status"] == "Completed"
            assert seen[-1]["items_completed"] == seen[-1]["items_total"] > 30
            progress = [s["progress"] for s in seen]
            assert progress == sorted(progress)
        assert service.supervisor.spawned_pids == []  # the CLI's worker did the work
    finally:
        await service.close()
        _kill_workers(root)


async def test_open_files_are_boosts_of_each_client_and_a_dead_clients_expire(
    cobra_template: Path, tmp_path: Path, tiny_env: dict[str, str]
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(cobra_template, root, symlinks=True)
    one = await CodeIndexService.open(root, worker="none")
    two = await CodeIndexService.open(root, worker="none")
    dying = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import asyncio, sys\n"
            "from codeindex.app.service import CodeIndexService\n"
            "async def main():\n"
            f"    s = await CodeIndexService.open({str(root)!r}, worker='none')\n"
            "    await s.start_session('lsp')\n"
            "    await s.boost(['cobra-go/zsh_completions.go'])\n"
            "    print('ready', flush=True)\n"
            "    await asyncio.sleep(3600)\n"
            "asyncio.run(main())\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=cli_env(**tiny_env),
    )
    try:
        assert dying.stdout is not None
        assert await asyncio.to_thread(dying.stdout.readline) == "ready\n"
        await one.start_session("lsp")
        await two.start_session("lsp")
        await one.boost(["cobra-go/args.go"])
        await two.boost(["cobra-go/args.go", "cobra-go/command.go"])
        resp = await one.force_reindex("project", priority="low")

        async def priorities() -> dict[str, int]:
            rows = await one.storage.fetchall(
                "SELECT file_path, priority FROM reindexing_task_items WHERE task_id = ?",
                (resp["task_id"],),
            )
            return {str(r[0]): int(r[1]) for r in rows}

        high = {p for p, prio in (await priorities()).items() if prio == 0}
        assert high == {"cobra-go/args.go", "cobra-go/command.go", "cobra-go/zsh_completions.go"}

        await two.unboost(["cobra-go/args.go", "cobra-go/command.go"])
        now = await priorities()
        assert now["cobra-go/args.go"] == 0  # the other editor still has it open
        assert now["cobra-go/command.go"] == 2  # nobody has it open: back to low

        dying.send_signal(signal.SIGKILL)
        await asyncio.to_thread(dying.wait)
        assert await one.queue.expire_clients() == 1
        assert (await priorities())["cobra-go/zsh_completions.go"] == 2
        assert await one.queue.boosted_paths() == {"cobra-go/args.go"}
        await one.end_session()
        assert (await priorities())["cobra-go/args.go"] == 2
    finally:
        dying.kill()
        dying.wait()
        assert dying.stdout is not None
        dying.stdout.close()
        await one.close()
        await two.close()


async def test_a_boost_reaches_an_item_the_worker_already_claimed(
    cobra: CodeIndexService,
) -> None:
    await cobra.stop_worker()
    cobra.supervisor.mode = "none"
    await cobra.start_session("lsp")
    resp = await cobra.force_reindex("project", priority="low")
    claimed = await cobra.queue.claim(16)
    path = claimed[-1].path
    await cobra.boost([path])
    row = await cobra.storage.fetchone(
        "SELECT priority, status FROM reindexing_task_items WHERE task_id = ? AND file_path = ?",
        (resp["task_id"], path),
    )
    assert tuple(row) == (0, "processing")


def _worker_pid(root: Path, env: dict[str, str], other_than: int | None) -> int:
    """The pid of the worker holding the lease, once one (other than `other_than`) does."""
    deadline = time.monotonic() + 60
    while True:
        status = json.loads(run_cli(root, "status", "--json", env=cli_env(**env)).stdout)
        worker = status["queue"]["worker"]
        if worker is not None and int(worker["pid"]) != other_than:
            return int(worker["pid"])
        assert time.monotonic() < deadline, status["queue"]
        time.sleep(0.1)


def test_only_settings_that_change_the_index_hand_the_worker_over(
    cobra_template: Path, tmp_path: Path, tiny_env: dict[str, str]
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(cobra_template, root, symlinks=True)
    base = {**tiny_env, "CODEINDEX_WORKER_LINGER": "60"}
    try:

        def serve(name: str, other_than: int | None = None, **env: str) -> int:
            with (root / "cobra-go/args.go").open("a", encoding="utf-8") as fh:
                fh.write(f"\nfunc {name}() {{}}\n")
            proc = run_cli(
                root,
                "reindex",
                "--scope",
                "file",
                "cobra-go/args.go",
                "--sync",
                "--json",
                env=cli_env(**base, **env),
            )
            assert proc.returncode == 0, proc.stderr
            return _worker_pid(root, base, other_than)

        first = serve("ThreadsOne", CODEINDEX_EMBED_THREADS="1")
        assert serve("ThreadsTwo", CODEINDEX_EMBED_THREADS="2", CODEINDEX_EMBED_BATCH_SIZE="8") == (
            first
        )
        # the old worker may finish the task before it hands over: its successor takes the
        # lease a moment later
        other = serve("ChunksSmaller", other_than=first, CODEINDEX_MAX_CHUNK_CHARS="500")
        assert other != first
        deadline = time.monotonic() + 60
        while background_workers(root) != [other]:  # the first one is on its way out
            assert time.monotonic() < deadline, background_workers(root)
            time.sleep(0.05)
    finally:
        _kill_workers(root)


def _task_ids(root: Path) -> list[str]:
    return [t["task_id"] for t in json.loads(run_cli(root, "tasks", "--json").stdout)]


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        pytest.param(["reindex", "--scope", "file"], 2, "needs paths", id="bad-argument"),
        pytest.param(
            ["reindex", "--scope", "file", "/etc/hostname"], 2, "outside", id="outside-workspace"
        ),
        pytest.param(
            ["task", "reindex_20990101000000_deadbeef"], 2, "no reindex task", id="unknown"
        ),
        pytest.param(["resume", "{done}"], 2, "not paused", id="wrong-state"),
        pytest.param(["search", "parse", "--mode", "semantic"], 3, "missing", id="no-vectors"),
        pytest.param(["--log-level", "bogus", "status"], 2, "--log-level", id="bad-option"),
    ],
)
def test_each_error_kind_has_its_exit_code(
    cobra_template: Path, tmp_path: Path, args: list[str], code: int, says: str
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(cobra_template, root, symlinks=True)
    shutil.rmtree(root / ".codeindex" / "vectors")
    async_done = run_cli(root, "reindex", "--scope", "file", "cobra-go/args.go", "--sync")
    assert async_done.returncode == 0, async_done.stderr
    done = _task_ids(root)[0]
    argv = [a.replace("{done}", done) for a in args]
    env = cli_env(CODEINDEX_ALLOW_DOWNLOAD="0", CODEINDEX_EMBED_MODEL_PATH=str(tmp_path / "none"))
    proc = run_cli(root, *argv, env=env)
    assert proc.returncode == code, proc.stderr
    assert says in proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_unreadable_index_is_unavailable_not_bad_input(tmp_path: Path) -> None:
    (tmp_path / ".codeindex").mkdir()
    (tmp_path / ".codeindex" / "index.db").write_bytes(b"this is not a database" * 100)
    proc = run_cli(tmp_path, "status")
    assert proc.returncode == 3, proc.stderr
    assert "cannot be opened" in proc.stderr and "Traceback" not in proc.stderr


def test_a_bug_is_reported_as_internal_not_as_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def broken(self: CodeIndexService) -> dict[str, Any]:
        raise IndexError("list index out of range")

    async def create() -> None:
        await (await CodeIndexService.open(tmp_path, worker="none")).close()

    asyncio.run(create())
    monkeypatch.setattr(CodeIndexService, "status", broken)
    code = main(["--root", str(tmp_path), "status"])
    assert code == 70
    err = capsys.readouterr().err
    assert "internal error" in err and "bug" in err and "bad input" not in err


def test_relative_paths_are_relative_to_where_the_user_stands(
    cobra_template: Path, tmp_path: Path, tiny_env: dict[str, str]
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(cobra_template, root, symlinks=True)
    proc = subprocess.run(
        [sys.executable, "-m", "codeindex", "reindex", "--scope", "file", "args.go", "--json"],
        cwd=root / "cobra-go",
        capture_output=True,
        text=True,
        env=cli_env(**tiny_env),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["scope"] == {"File": {"path": "cobra-go/args.go"}}
    _kill_workers(root)


def test_the_data_dir_keeps_itself_out_of_git(polyglot_src: Path, tmp_path: Path) -> None:
    root = copy_tree(polyglot_src, tmp_path / "repo", ["cobra-go/args.go"])
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    proc = run_cli(root, "index", str(root))
    assert proc.returncode == 0, proc.stderr
    assert (root / ".codeindex" / ".gitignore").read_text(encoding="utf-8").strip().endswith("*")
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    assert ".codeindex" not in status.stdout and "cobra-go/args.go" in status.stdout


async def test_a_killed_worker_never_ends_a_session_and_the_task_finishes(
    django_src: Path, tmp_path: Path, tiny_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEINDEX_WORKER_LINGER", "0")
    root = copy_tree(django_src, tmp_path / "dj", DJANGO_SLICE)
    service = await CodeIndexService.open(root)
    try:
        await service.start_session("mcp")
        resp = await service.force_reindex("project")
        killed = False
        async with asyncio.timeout(300):
            async for state in service.watch(resp["task_id"]):
                if not killed and state["items_completed"] > 0:
                    lease = await service.queue.live_lease()
                    assert lease is not None
                    os.kill(lease.pid, signal.SIGKILL)
                    killed = True
                if state["status"] in ("Completed", "Failed", "Cancelled"):
                    break
        final = await service.get_reindex_status(resp["task_id"])
        assert killed and final["status"] == "Completed", final
        assert final["items_completed"] == final["items_total"]
        assert len(service.supervisor.spawned_pids) == 2  # the first, and its replacement
        assert len(background_workers(root)) == 1
        assert (await service.validate())["ok"]
    finally:
        await service.close()
        _kill_workers(root)


async def test_front_ends_starting_together_start_one_worker(
    cobra_template: Path, tmp_path: Path, tiny_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEINDEX_WORKER_LINGER", "0")
    root = tmp_path / "ws"
    shutil.copytree(cobra_template, root, symlinks=True)
    services = [await CodeIndexService.open(root) for _ in range(4)]
    queuer = await CodeIndexService.open(root, worker="none")
    try:
        await queuer.force_reindex("directory", ["cobra-go"], async_=True)
        started = await asyncio.gather(*(s.ensure_worker() for s in services))
        assert started.count(True) == 1
        pids = [pid for s in services for pid in s.supervisor.spawned_pids]
        assert len(pids) == 1
        lease = await services[1].queue.live_lease()
        assert lease is not None and lease.pid == pids[0]
    finally:
        for service in [*services, queuer]:
            await service.close()
        _kill_workers(root)


@pytest.mark.parametrize(
    ("given", "field"),
    [
        pytest.param({"scope": "everything"}, "scope", id="unknown-scope"),
        pytest.param({"scope": 3}, "scope", id="scope-type"),
        pytest.param({"scope": "files", "paths": "a.py"}, "paths", id="paths-string"),
        pytest.param({"scope": "files", "paths": [1]}, "paths[0]", id="path-type"),
        pytest.param({"scope": "file", "paths": ["a\0b"]}, "paths[0]", id="nul-byte"),
        pytest.param({"scope": "file", "priority": "urgent"}, "priority", id="priority"),
        pytest.param({"scope": "file", "async": "no"}, "async", id="async-type"),
        pytest.param({"scope": "file", "incremental": 1}, "incremental", id="incremental-type"),
        pytest.param(
            {"scope": "file", "recursive": None, "embeddings_only": []}, "embeddings_only"
        ),
        pytest.param({"scope": "file", "path": "a.py"}, "path", id="unknown-field"),
        pytest.param({"paths": ["a.py"]}, "scope", id="scope-missing"),
    ],
)
def test_contract_arguments_name_the_bad_field(given: dict[str, Any], field: str) -> None:
    with pytest.raises(BadArgument) as caught:
        contract.reindex_args(given)
    assert caught.value.data["field"] == field
    assert field.split("[")[0] in str(caught.value)


def test_contract_arguments_fill_the_defaults() -> None:
    assert contract.reindex_args({"scope": "project", "async": False}) == {
        "scope": "project",
        "paths": [],
        "priority": "normal",
        "embeddings_only": False,
        "async_": False,
        "incremental": False,
        "recursive": True,
    }
    assert contract.search_args({"query": "parse flags", "mode": "Lexical"})["mode"] == "lexical"
    with pytest.raises(BadArgument):
        contract.list_args({"limit": -1})
