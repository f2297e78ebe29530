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
from tests.helpers import background_workers

from codeindex.service import CodeIndexService

DEADLINE = 60.0
FINISHED = ("Completed", "Failed", "Cancelled")


async def until(check: Callable[[], Awaitable[Any]], what: str, timeout: float = DEADLINE) -> Any:
    """Poll `check` until it returns something truthy; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
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
    return {hit.path for hit in result.hits}


async def assert_valid(service: CodeIndexService) -> None:
    report = await service.validate()
    assert report["ok"], report["problems"]


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def go_func(name: str, token: str) -> str:
    return f'package cobra\n\n// {name} says {token}.\nfunc {name}() string {{\n\treturn "{token}"\n}}\n'


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
    status = await cobra.status()
    assert status["watcher"]["events_seen"] >= 1
    assert status["watcher"]["tasks_queued"] == 1
    await assert_valid(cobra)
