"""Work-done progress and `codeindex/status` for every task, whoever created it; cancel
from the editor; a worker killed mid-task; a client without progress support.

Tasks that run to their end share the module's server (`lsp`); pausing, cancelling,
failing a file and killing the worker get a server of their own (`fresh`).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from pathlib import Path

from lsprotocol import types
from pytest_lsp import client_capabilities
from tests.helpers import background_workers, run_json
from tests.lsp.support import Session, start

REPORT = re.compile(r"^(\d+)/(\d+) files( · .+)?$")


def done_of(value: types.WorkDoneProgressReport) -> int:
    """Files done in a report's message (`12/25 files · path`)."""
    match = REPORT.match(value.message or "")
    assert match, value.message
    return int(match.group(1))


async def test_project_reindex_progress_rises_and_ends_with_counts(lsp: Session) -> None:
    task = await lsp.reindex(scope="project")
    values = await lsp.task_ended(task["task_id"])
    begin, *reports, end = values
    assert isinstance(begin, types.WorkDoneProgressBegin)
    assert begin.title == "Reindex project" and begin.cancellable
    assert reports and all(isinstance(r, types.WorkDoneProgressReport) for r in reports)
    percents = [r.percentage for r in reports]
    assert percents == sorted(percents) and percents[-1] > percents[0]
    files = [done_of(r) for r in reports if r.message and not r.message.startswith("queued")]
    assert files == sorted(files) and files[-1] > 0
    assert isinstance(end, types.WorkDoneProgressEnd)
    total = task["items_total"]
    assert end.message == f"completed: {total}/{total} files"
    final = await lsp.status_of(task["task_id"])
    assert final["status"] == "Completed" and final["items_completed"] == total
    await lsp.until("codeindex/status", lambda: lsp.statuses[-1]["state"] == "idle")
    states = [s["state"] for s in lsp.statuses]
    assert "indexing" in states
    indexing = [s["percent"] for s in lsp.statuses if s["state"] == "indexing"]
    assert indexing == sorted(indexing)


async def test_sync_request_reports_on_its_work_done_token(lsp: Session) -> None:
    answer = await lsp.command(
        "codeindex.forceReindex",
        {"scope": "directory", "paths": ["cobra-go"], "async": False},
        token="editor-token-1",
    )
    assert answer["status"] == "Completed"
    values = lsp.reports("editor-token-1")
    assert isinstance(values[0], types.WorkDoneProgressBegin)
    assert values[0].title == "Reindex directory cobra-go"
    assert isinstance(values[-1], types.WorkDoneProgressEnd)
    n = answer["items_total"]
    assert values[-1].message == f"completed: {n}/{n} files"
    assert lsp.tokens(answer["task_id"]) == []  # no second progress of the same task


async def test_task_created_by_the_cli_shows_progress(
    lsp: Session, tiny_server_env: dict[str, str]
) -> None:
    assert lsp.root is not None
    created = await asyncio.to_thread(
        run_json,
        lsp.root,
        "reindex",
        "--scope",
        "directory",
        "rxjs-ts/src/internal",
        env=tiny_server_env,
    )
    values = await lsp.task_ended(created["task_id"])
    assert isinstance(values[0], types.WorkDoneProgressBegin)
    assert values[0].title == "Reindex directory rxjs-ts/src/internal"
    n = created["items_total"]
    assert values[-1].message == f"completed: {n}/{n} files"


async def test_cancel_from_the_editor_cancels_the_task(fresh: Session) -> None:
    task = await fresh.reindex(scope="project", priority="low")
    await fresh.until("$/progress", lambda: bool(fresh.tokens(task["task_id"])))
    token = fresh.tokens(task["task_id"])[0]
    fresh.client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    values = await fresh.task_ended(task["task_id"])
    assert values[-1].message.startswith("cancelled at ")
    final = await fresh.status_of(task["task_id"])
    assert final["status"] == "Cancelled"
    assert final["items_completed"] < final["items_total"]


async def test_pause_ends_the_progress_and_resume_begins_it_again(fresh: Session) -> None:
    task = await fresh.reindex(scope="project", priority="low")
    await fresh.until("$/progress", lambda: bool(fresh.tokens(task["task_id"])))
    await fresh.command("codeindex.pauseReindex", {"task_id": task["task_id"]})
    first = fresh.tokens(task["task_id"])[0]
    await fresh.until("$/progress", lambda: fresh.ended(first))
    assert fresh.reports(first)[-1].message.startswith("paused at ")
    await fresh.until("codeindex/status", lambda: fresh.statuses[-1]["state"] == "paused")
    await fresh.command("codeindex.resumeReindex", {"task_id": task["task_id"]})

    def second_ended() -> bool:
        tokens = fresh.tokens(task["task_id"])
        return len(tokens) == 2 and fresh.ended(tokens[1])

    await fresh.until("$/progress", second_ended)
    values = fresh.reports(fresh.tokens(task["task_id"])[1])
    assert isinstance(values[0], types.WorkDoneProgressBegin)
    assert values[-1].message == f"completed: {task['items_total']}/{task['items_total']} files"


async def test_worker_killed_mid_task_session_survives_and_task_completes(fresh: Session) -> None:
    assert fresh.root is not None
    root = fresh.root
    task = await fresh.reindex(scope="project")
    task_id = task["task_id"]

    def started() -> bool:
        tokens = fresh.tokens(task_id)
        reports = [
            v
            for v in (fresh.reports(tokens[0]) if tokens else [])
            if isinstance(v, types.WorkDoneProgressReport) and REPORT.match(v.message or "")
        ]
        return bool(reports) and done_of(reports[-1]) > 0

    await fresh.until("$/progress", started)
    workers = background_workers(root)
    assert workers, "no worker process runs the task"
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    symbols = await fresh.client.workspace_symbol_async(
        types.WorkspaceSymbolParams(query="Observable")
    )
    assert symbols  # the session answers while no worker runs
    killed = await fresh.status_of(task_id)
    assert (
        killed["status"] in ("Running", "Queued")
        and killed["items_completed"] < killed["items_total"]
    )
    values = await fresh.task_ended(task_id)
    assert values[-1].message == f"completed: {task['items_total']}/{task['items_total']} files"
    final = await fresh.status_of(task_id)
    assert final["status"] == "Completed" and final["items_failed"] == 0
    assert set(background_workers(root)).isdisjoint(workers)


async def test_client_without_progress_support_still_works(
    workspace: Path, tiny_server_env: dict[str, str]
) -> None:
    capabilities = client_capabilities("visual-studio-code")
    capabilities.window = types.WindowClientCapabilities(work_done_progress=False)
    session = await start(workspace, tiny_server_env, capabilities)
    try:
        answer = await session.reindex(scope="directory", paths=["cobra-go"], **{"async": False})
        assert answer["status"] == "Completed"
        assert answer["result"]["items_completed"] == answer["items_total"] > 0
        await session.until("codeindex/status", lambda: session.statuses[-1]["state"] == "idle")
        assert session.client.progress_reports == {}
    finally:
        await session.close()


async def failing_task(session: Session, name: str) -> str:
    """A task that will fail one file: it is a regular file when the task is planned and a
    symlink loop when the worker reads it (behind a high-priority project task, so the
    swap happens before the worker gets to it)."""
    assert session.root is not None
    await session.reindex(scope="project", priority="high")
    bad = session.root / "cobra-go" / name
    bad.write_text("package cobra\n\nfunc Doomed() {}\n", encoding="utf-8")
    task = await session.reindex(scope="files", paths=[f"cobra-go/{name}", "cobra-go/args.go"])
    bad.unlink()
    bad.symlink_to(name)  # reading it now fails: too many levels of symbolic links
    return str(task["task_id"])


async def test_failed_files_prompt_offers_to_show_them(fresh: Session) -> None:
    fresh.answer = "Show failures"
    task_id = await failing_task(fresh, "broken.go")
    await fresh.until(
        "window/showMessage", lambda: any("broken.go:" in m.message for m in fresh.client.messages)
    )
    final = await fresh.status_of(task_id)
    assert final["status"] == "Failed" and final["items_failed"] == 1
    prompt = fresh.prompts[-1]
    assert prompt.type == types.MessageType.Warning
    assert prompt.message == "Reindex 2 files: 1 file failed (2/2 files)."
    assert [a.title for a in prompt.actions or []] == ["Show failures", "Retry failed"]
    shown = next(m.message for m in fresh.client.messages if "broken.go:" in m.message)
    assert f"cobra-go/broken.go: {final['failures'][0]['error']}" in shown
    assert "symbolic links" in shown
    await fresh.until("codeindex/status", lambda: fresh.statuses[-1]["state"] == "error")
    assert fresh.statuses[-1]["message"] == f"1 file failed in task {task_id}"


async def test_failed_files_prompt_offers_to_retry_them(fresh: Session) -> None:
    fresh.answer = "Retry failed"
    await failing_task(fresh, "broken.go")
    await fresh.until(
        "window/showMessage",
        lambda: (
            bool(fresh.client.messages) and fresh.client.messages[-1].message.startswith("Retrying")
        ),
    )
    fresh.answer = None
    retry_id = fresh.client.messages[-1].message.rsplit(" ", 1)[-1]
    assert fresh.client.messages[-1].message == f"Retrying 1 failed file: task {retry_id}"
    retry = await fresh.status_of(retry_id)
    assert retry["scope"] == {"Files": {"paths": ["cobra-go/broken.go"]}}
    assert retry["priority"] == "high"
