"""The index stays fresh on its own: a real file watcher and reconciliation on a copy of cobra.

Each test works on its own copy of cobra-go (from polyglot-small) indexed once with the tiny
model, its worker in this process with the watcher beside it; the multi-process tests run the
real `codeindex worker` processes the service supervises. Tests wait on what a user would
check (a search hit, a row gone, a task row) with a deadline, and end with `validate` clean.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import background_workers, cli_env, open_in_process, run_cli, worker_of
from watchfiles import Change

from codeindex.app.service import CodeIndexService
from codeindex.config import load_settings
from codeindex.errors import ConfigError
from codeindex.watcher.changes import common_folder, sort_changes
from codeindex.workspace import Workspace

pytestmark = pytest.mark.slow  # starts codeindex processes or indexes a corpus

DEADLINE = 60.0
FINISHED = ("Completed", "Failed", "Cancelled")


@pytest.fixture(autouse=True)
def watch_on(no_watcher: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """conftest turns the watcher off for other tests; these turn it back on."""
    monkeypatch.setenv("CODEINDEX_WATCH", "1")


async def until(check: Callable[[], Awaitable[Any]], what: str, seconds: float = DEADLINE) -> Any:
    """Poll `check` until it returns something truthy; fail with `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = await check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def watching(service: CodeIndexService) -> dict[str, Any]:
    """Wait until a watcher is active and its first reconciliation has run."""

    async def ready() -> dict[str, Any] | None:
        state: dict[str, Any] = (await service.status())["watcher"]
        return state if state["active"] and state["last_reconciliation"] else None

    result: dict[str, Any] = await until(ready, "an active watcher")
    return result


async def task_ids(service: CodeIndexService) -> set[str]:
    return {t["task_id"] for t in await service.list_reindex_tasks(limit=1000)}


async def settled(service: CodeIndexService, before: set[str]) -> list[dict[str, Any]]:
    """Wait until every task created since `before` has ended; return their final states."""

    async def done() -> list[dict[str, Any]] | None:
        new = (await task_ids(service)) - before
        states = [dict(await service.get_reindex_status(t)) for t in sorted(new)]
        return states if all(s["status"] in FINISHED for s in states) else None

    states: list[dict[str, Any]] = await until(done, "the watcher's tasks to end")
    assert all(s["status"] == "Completed" for s in states), states
    return states


async def found(service: CodeIndexService, token: str) -> set[str]:
    result = await service.search(token, mode="lexical", limit=50)
    return {hit["path"] for hit in result["hits"]}


async def assert_valid(service: CodeIndexService) -> None:
    report = await service.validate()
    assert report["ok"], report["problems"]


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def go_func(name: str, token: str) -> str:
    body = f'func {name}() string {{\n\treturn "{token}"\n}}\n'
    return f"package cobra\n\n// {name} says {token}.\n{body}"


async def test_an_edit_is_searchable_without_asking(cobra: CodeIndexService) -> None:
    await watching(cobra)
    before = await task_ids(cobra)
    path = cobra.settings.root / "cobra-go" / "args.go"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(go_func("Zebracorn", "zebracornedit"))
    await until(lambda: found(cobra, "zebracornedit"), "the edit to be searchable")
    states = await settled(cobra, before)
    assert [s["scope"] for s in states] == [{"Files": {"paths": ["cobra-go/args.go"]}}]
    assert states[0]["priority"] == "normal"
    assert (await found(cobra, "zebracornedit")) == {"cobra-go/args.go"}
    # an editor's hint about the same write queues nothing while a watcher is active
    assert await cobra.notice_changes(["cobra-go/args.go"]) == []
    status = await cobra.status()
    assert status["watcher"]["events_seen"] >= 1
    assert status["watcher"]["tasks_queued"] == 1
    await assert_valid(cobra)


async def test_a_new_file_is_indexed(cobra: CodeIndexService) -> None:
    await watching(cobra)
    before = await task_ids(cobra)
    write(cobra.settings.root / "cobra-go" / "fresh.go", go_func("Fresh", "freshlyminted"))
    await until(lambda: found(cobra, "freshlyminted"), "the new file to be searchable")
    states = await settled(cobra, before)
    assert [s["scope"] for s in states] == [{"Files": {"paths": ["cobra-go/fresh.go"]}}]
    assert (await cobra.find_symbols("Fresh", match="exact"))[0]["path"] == "cobra-go/fresh.go"
    await assert_valid(cobra)


async def test_a_deleted_file_leaves_the_index(cobra: CodeIndexService) -> None:
    await watching(cobra)
    before = await task_ids(cobra)
    assert await cobra.find_symbols("GenMarkdownTree", match="exact")
    (cobra.settings.root / "cobra-go" / "doc" / "md_docs.go").unlink()

    async def gone() -> bool:
        return await cobra.storage.get_file("cobra-go/doc/md_docs.go") is None

    await until(gone, "the deleted file's row to go")
    await settled(cobra, before)
    assert not await cobra.find_symbols("GenMarkdownTree", match="exact")
    await assert_valid(cobra)


async def test_a_rename_keeps_its_vectors(cobra: CodeIndexService) -> None:
    await watching(cobra)
    before = await task_ids(cobra)
    doc = cobra.settings.root / "cobra-go" / "doc"
    (doc / "md_docs.go").rename(doc / "markdown.go")

    async def moved() -> bool:
        old = await cobra.storage.get_file("cobra-go/doc/md_docs.go")
        new = await cobra.storage.get_file("cobra-go/doc/markdown.go")
        return old is None and new is not None

    await until(moved, "the renamed file's rows to move")
    states = await settled(cobra, before)
    assert sum(s["summary"]["embeddings_generated"] for s in states) == 0
    assert sum(s["summary"]["files_processed"] for s in states) >= 1
    hits = await cobra.find_symbols("GenMarkdownTree", match="exact")
    assert [h["path"] for h in hits] == ["cobra-go/doc/markdown.go"]
    assert (await cobra.status())["embeddings"]["chunks_pending"] == 0
    await assert_valid(cobra)


async def test_a_burst_of_500_writes_is_a_few_tasks(cobra: CodeIndexService) -> None:
    await watching(cobra)
    before = await task_ids(cobra)
    folder = cobra.settings.root / "cobra-go" / "doc"
    for n in range(500):
        write(folder / f"burst_{n:03}.go", go_func(f"Burst{n}", f"burstword{n}"))

    async def all_indexed() -> bool:
        rows = await cobra.storage.files_under("cobra-go/doc")
        return sum(1 for r in rows if "/burst_" in r.path) == 500

    await until(all_indexed, "the 500 files to be indexed", seconds=180)
    states = await settled(cobra, before)
    assert 1 <= len(states) <= 5, [s["items_total"] for s in states]
    assert all(s["priority"] == "low" for s in states if s["items_total"] > 200)
    assert sum(s["items_total"] for s in states) >= 500
    assert (await found(cobra, "burstword499")) == {"cobra-go/doc/burst_499.go"}
    await assert_valid(cobra)


async def test_changes_under_ignored_folders_queue_nothing(cobra: CodeIndexService) -> None:
    await watching(cobra)
    root = cobra.settings.root
    before = await task_ids(cobra)
    write(root / "cobra-go" / ".gitignore", "generated/\n")
    await until(lambda: found(cobra, "generated"), "the new .gitignore to be indexed")
    await settled(cobra, before)
    before = await task_ids(cobra)
    seen = (await cobra.status())["watcher"]["events_seen"]
    write(root / "cobra-go" / "generated" / "gen.go", go_func("Gen", "generatedword"))
    write(root / "node_modules" / "left-pad" / "index.js", "module.exports = 'padword'\n")
    write(root / "cobra-go" / "doc" / "__pycache__" / "x.pyc", "not code")

    async def events_handled() -> bool:
        return (await cobra.status())["watcher"]["events_seen"] > seen

    await until(events_handled, "the watcher to look at the changes")
    assert await task_ids(cobra) == before
    assert not await found(cobra, "generatedword")
    assert not await found(cobra, "padword")
    await assert_valid(cobra)


async def test_a_gitignore_edit_drops_a_folder_and_brings_it_back(cobra: CodeIndexService) -> None:
    await watching(cobra)
    root = cobra.settings.root
    doc_files = {r.path for r in await cobra.storage.files_under("cobra-go/doc")}
    assert len(doc_files) > 5

    async def doc_rows() -> set[str]:
        return {r.path for r in await cobra.storage.files_under("cobra-go/doc")}

    before = await task_ids(cobra)
    write(root / "cobra-go" / ".gitignore", "# docs are generated elsewhere\ndoc/\n")
    await until(lambda: _empty(doc_rows()), "the ignored folder's files to leave the index")
    states = await settled(cobra, before)
    assert {"Directory": {"path": "cobra-go", "recursive": True}} in [s["scope"] for s in states]
    assert not await cobra.find_symbols("GenMarkdownTree", match="exact")
    await assert_valid(cobra)

    before = await task_ids(cobra)
    write(root / "cobra-go" / ".gitignore", "# nothing ignored\n")

    async def back() -> bool:
        return await doc_rows() == doc_files

    await until(back, "the folder's files to come back")
    states = await settled(cobra, before)
    # the files that came back kept their vectors: only the .gitignore's new line is embedded
    assert sum(s["summary"]["embeddings_generated"] for s in states) == 1
    assert await cobra.find_symbols("GenMarkdownTree", match="exact")
    await assert_valid(cobra)


async def _empty(rows: Awaitable[set[str]]) -> bool:
    return not await rows


async def test_a_folder_moved_in_and_out_is_followed(
    cobra: CodeIndexService, tmp_path: Path
) -> None:
    await watching(cobra)
    outside = tmp_path / "outside" / "extras"
    write(outside / "one.go", go_func("MovedOne", "movedinword"))
    write(outside / "deeper" / "two.go", go_func("MovedTwo", "movedinword"))
    target = cobra.settings.root / "cobra-go" / "extras"
    before = await task_ids(cobra)
    outside.rename(target)
    want = {"cobra-go/extras/one.go", "cobra-go/extras/deeper/two.go"}
    await until(lambda: _equal(found(cobra, "movedinword"), want), "the moved-in folder's files")
    await settled(cobra, before)
    await assert_valid(cobra)

    before = await task_ids(cobra)
    target.rename(tmp_path / "outside" / "gone")

    async def dropped() -> bool:
        return not await cobra.storage.files_under("cobra-go/extras")

    await until(dropped, "the moved-out folder's files to leave the index")
    await settled(cobra, before)
    await assert_valid(cobra)


async def _equal(value: Awaitable[set[str]], want: set[str]) -> bool:
    return await value == want


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def cobra_copy(cobra_template: Path, tmp_path: Path, tiny_env: dict[str, str]) -> Path:
    """An indexed copy of cobra-go with no process running on it."""
    root = tmp_path / "ws"
    shutil.copytree(cobra_template, root, symlinks=True)
    return root


async def test_a_branch_switch_in_git_is_followed(cobra_copy: Path) -> None:
    root = cobra_copy
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "main")
    git(root, "checkout", "-q", "-b", "feature")
    write(root / "cobra-go" / "feature.go", go_func("Feature", "featureword"))
    (root / "cobra-go" / "doc" / "md_docs.go").unlink()
    with (root / "cobra-go" / "args.go").open("a", encoding="utf-8") as fh:
        fh.write(go_func("ArgsExtra", "argsfeatureword"))
    git(root, "mv", "cobra-go/doc/util.go", "cobra-go/doc/utilities.go")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "feature")
    git(root, "checkout", "-q", "main")
    service = await open_in_process(root)
    service.start_worker()
    try:
        state = await watching(service)
        # checkout rewrote files with new mtimes but the same text: hashed, nothing queued
        assert state["last_reconciliation"]["task_id"] is None

        async def on(branch: str) -> bool:
            feature = await service.storage.get_file("cobra-go/feature.go")
            removed = await service.storage.get_file("cobra-go/doc/md_docs.go")
            renamed = await service.storage.get_file("cobra-go/doc/utilities.go")
            extra = await found(service, "argsfeatureword")
            if branch == "feature":
                return bool(feature and not removed and renamed and extra)
            return bool(not feature and removed and not renamed and not extra)

        before = await task_ids(service)
        git(root, "checkout", "-q", "feature")
        await until(lambda: on("feature"), "the index to follow the feature branch")
        await settled(service, before)
        await assert_valid(service)

        before = await task_ids(service)
        git(root, "checkout", "-q", "main")
        await until(lambda: on("main"), "the index to follow main again")
        states = await settled(service, before)
        # back on main every text had a vector already
        assert sum(s["summary"]["embeddings_generated"] for s in states) == 0
        await assert_valid(service)
    finally:
        await service.close()


async def test_changes_made_while_nothing_ran_are_caught_when_a_server_starts(
    cobra_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEINDEX_WORKER_LINGER", "0")
    root = cobra_copy
    cobra = root / "cobra-go"
    with (cobra / "args.go").open("a", encoding="utf-8") as fh:
        fh.write(go_func("WhileAway", "whileawayedit"))
    write(cobra / "offline.go", go_func("Offline", "offlineword"))
    (cobra / "doc" / "md_docs.go").unlink()
    (cobra / "doc" / "util.go").rename(cobra / "doc" / "utilities.go")
    write(cobra / ".gitignore", "doc/man_*\n")
    expected_gone = {"cobra-go/doc/md_docs.go", "cobra-go/doc/util.go"} | {
        f"cobra-go/doc/{p.name}" for p in (cobra / "doc").glob("man_*")
    }
    service = await CodeIndexService.open(root, worker="process")
    try:
        await service.start_session("mcp")
        state = await watching(service)
        reconciliation = state["last_reconciliation"]
        assert reconciliation["task_id"] is not None
        # args.go, offline.go, utilities.go, .gitignore in; md_docs, util, 3 man_* files out
        assert reconciliation["files_changed"] == 4 + len(expected_gone)
        final = await service.wait(reconciliation["task_id"])
        assert final["status"] == "Completed"
        assert final["priority"] == "low"
        assert await found(service, "whileawayedit") == {"cobra-go/args.go"}
        assert await found(service, "offlineword") == {"cobra-go/offline.go"}
        assert await service.storage.get_file("cobra-go/doc/utilities.go") is not None
        assert not await service.storage.paths_with_rows(sorted(expected_gone))
        assert final["summary"]["embeddings_generated"] > 0
        await assert_valid(service)
        shown = await asyncio.to_thread(run_cli, root, "status", env=cli_env())
        assert shown.returncode == 0, shown.stderr
        line = " ".join(shown.stdout.split())
        assert "watcher active since" in line
        assert f"{4 + len(expected_gone)} changed file(s), task {final['task_id']}" in line
    finally:
        await service.close()
    await until(_no_workers(root), "the worker to leave after the session")


def _no_workers(root: Path) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return not background_workers(root)

    return check


async def test_one_watcher_serves_two_front_ends_and_dies_with_its_worker(
    cobra_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEINDEX_WORKER_LINGER", "0")
    root = cobra_copy
    editor = await CodeIndexService.open(root, worker="process")
    agent = await CodeIndexService.open(root, worker="process")
    try:
        await editor.start_session("lsp")
        await agent.start_session("mcp")
        state = await watching(editor)
        assert (await agent.status())["watcher"]["owner"] == state["owner"]
        lease = await agent.queue.live_lease()
        assert lease is not None and lease.owner == state["owner"]
        # both sessions may start a worker at once; the one without the lease leaves at once
        await until(_workers_are(root, [lease.pid]), "one worker process, the lease holder's")

        before = await task_ids(editor)
        with (root / "cobra-go" / "args.go").open("a", encoding="utf-8") as fh:
            fh.write(go_func("OnceOnly", "onceonlyword"))
        await until(lambda: found(agent, "onceonlyword"), "the edit to be searchable")
        assert len(await settled(editor, before)) == 1

        os.kill(lease.pid, signal.SIGKILL)
        # a dead worker's watcher is not shown active, although it could not say so
        await until(_watcher_inactive(agent), "the killed worker's watcher to show inactive")
        state = await watching(agent)  # a session started a new worker, and a new watcher
        assert state["owner"] != lease.owner
        lease = await agent.queue.live_lease()
        assert lease is not None and lease.owner == state["owner"]
        await until(_workers_are(root, [lease.pid]), "one worker process again")
        write(root / "cobra-go" / "after.go", go_func("AfterKill", "afterkillword"))
        await until(lambda: found(editor, "afterkillword"), "the new watcher to see a write")
        await assert_valid(editor)
    finally:
        await editor.close()
        await agent.close()
    await until(_no_workers(root), "the worker to leave after both sessions")
    assert not (await _status_after(root))["watcher"]["active"]


def _workers_are(root: Path, pids: list[int]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return background_workers(root) == pids

    return check


def _watcher_inactive(service: CodeIndexService) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return not (await service.status())["watcher"]["active"]

    return check


async def _status_after(root: Path) -> dict[str, Any]:
    service = await CodeIndexService.open(root, worker="none")
    try:
        return await service.status()
    finally:
        await service.close()


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        pytest.param("watch.enabled", "sometimes", "CODEINDEX_WATCH", id="enabled-not-bool"),
        pytest.param("watch.debounce_ms", "soon", "CODEINDEX_WATCH_DEBOUNCE_MS", id="debounce"),
        pytest.param("watch.debounce_ms", 0, "must be positive", id="debounce-zero"),
        pytest.param("watch.reconcile_seconds", -1, "must be positive", id="reconcile-neg"),
    ],
)
def test_bad_watch_settings_are_refused(tmp_path: Path, key: str, value: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path, {key: value})


def test_watch_settings_come_from_the_environment_and_never_hand_the_worker_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = load_settings(tmp_path)
    assert (default.watch_enabled, default.watch_debounce_ms) == (True, 100)
    assert default.watch_reconcile_seconds == 300
    monkeypatch.setenv("CODEINDEX_WATCH", "off")
    monkeypatch.setenv("CODEINDEX_WATCH_DEBOUNCE_MS", "250")
    monkeypatch.setenv("CODEINDEX_RECONCILE_SECONDS", "0")
    changed = load_settings(tmp_path)
    assert (changed.watch_enabled, changed.watch_debounce_ms) == (False, 250)
    assert changed.watch_reconcile_seconds == 0
    assert changed.index_key() == default.index_key()


async def test_with_watching_off_the_worker_runs_no_watcher(cobra_copy: Path) -> None:
    root = cobra_copy
    service = await open_in_process(root, {"watch.enabled": False})
    service.start_worker()
    try:

        async def serving() -> bool:
            lease = await service.queue.live_lease()
            worker = worker_of(service)
            return lease is not None and worker is not None and lease.owner == worker.owner

        await until(serving, "the worker to take the lease")
        assert not (await service.status())["watcher"]["active"]
        before = await task_ids(service)
        write(root / "cobra-go" / "unwatched.go", go_func("Unwatched", "unwatchedword"))
        resp = await service.force_reindex("project", incremental=True, async_=False)
        # nothing was queued on its own: the file waited for the pass that was asked for
        assert resp["result"]["summary"]["files_processed"] == 1
        assert await task_ids(service) - before == {resp["task_id"]}
        assert not (await service.status())["watcher"]["active"]
        await assert_valid(service)

        # an editor's hints (LSP didChangeWatchedFiles) take the watcher's path instead
        write(root / "cobra-go" / "hinted.go", go_func("Hinted", "hintedword"))
        (root / "cobra-go" / "args.go").unlink()
        outside = str(root.parent / "elsewhere.go")
        created = await service.notice_changes(
            ["cobra-go/hinted.go", str(root / "cobra-go" / "args.go"), "cobra-go/.git", outside]
        )
        assert len(created) == 1
        final = await service.wait(created[0])
        assert final["scope"] == {"Files": {"paths": ["cobra-go/args.go", "cobra-go/hinted.go"]}}
        assert await found(service, "hintedword") == {"cobra-go/hinted.go"}
        assert await service.storage.get_file("cobra-go/args.go") is None
        assert await service.notice_changes(["cobra-go/hinted.go"]) == []  # nothing changed
        await assert_valid(service)
    finally:
        await service.close()


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        pytest.param(["", "a/b.py"], "", id="root"),
        pytest.param(["a/b/c.py", "a/b/d/e.py"], "a/b", id="nested"),
        pytest.param(["a/x.py", "b/y.py"], "", id="siblings"),
        pytest.param(["ab/x", "a/y"], "", id="prefix-is-not-a-folder"),
        pytest.param(["a/b"], "a/b", id="one"),
    ],
)
def test_common_folder(paths: list[str], expected: str) -> None:
    assert common_folder(paths) == expected


def test_changes_are_sorted_with_the_scan_rules(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root / ".gitignore", "logs/\n*.tmp\n")
    write(root / "src" / "a.py", "x = 1\n")
    write(root / "src" / "skip.tmp", "scratch\n")
    write(root / "logs" / "today.py", "ignored = True\n")
    write(root / "node_modules" / "p" / "index.js", "1\n")
    write(root / "pkg" / ".codeindexignore", "gen/\n")
    write(root / "outside.py", "elsewhere = 1\n")
    (root / "new_folder").mkdir()
    (root / "src" / "link_out.py").symlink_to(tmp_path / "elsewhere.py")
    write(tmp_path / "elsewhere.py", "out = 1\n")
    workspace = Workspace(root, root / ".codeindex")
    write(root / ".codeindex" / "index.db", "")
    raw = [
        (Change.modified, str(root / "src" / "a.py")),
        (Change.added, str(root / "src" / "skip.tmp")),
        (Change.added, str(root / "logs" / "today.py")),
        (Change.added, str(root / "node_modules" / "p" / "index.js")),
        (Change.modified, str(root / "pkg" / ".codeindexignore")),
        (Change.added, str(root / "new_folder")),
        (Change.modified, str(root / "src")),
        (Change.deleted, str(root / "src" / "gone.py")),
        (Change.modified, str(root / "src" / "link_out.py")),
        (Change.modified, str(root / ".codeindex" / "index.db")),
        (Change.modified, str(tmp_path / "elsewhere.py")),
    ]
    changes = sort_changes(workspace, raw)
    assert changes.files == {"src/a.py", "pkg/.codeindexignore"}
    assert changes.folders == {"pkg", "new_folder"}
    # may have rows from before (rules changed, or deleted): looked up in the index
    assert changes.gone == {"src/gone.py", "src/skip.tmp", "src/link_out.py"}
    assert changes.events == 9  # the data dir and paths outside the root are not events
    assert changes.ignored == 4
