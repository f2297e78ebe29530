"""The seam between the language server and the codeindex core.

Everything the server needs from the core goes through `Core`, so that moving to the
long-running front-end API (sessions with per-client boosts and worker supervision,
`watch()`, `codeindex.contract`, `codeindex.errors`) changes this module and `args`
only. Lines marked `STOPGAP(core-api)` stand in for that API on today's service and go
away when it lands; none of them holds policy the core will not own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from codeindex.config import SETTINGS, Settings
from codeindex.lsp.errors import CoreError, translate
from codeindex.service import CodeIndexService
from codeindex.tasks import FINISHED, TaskStatus

log = logging.getLogger(__name__)

CORE_KEYS = frozenset(s.key for s in SETTINGS)
_ENV_OF = {s.key: s.env for s in SETTINGS}
UNFINISHED = (TaskStatus.QUEUED.value, TaskStatus.RUNNING.value, TaskStatus.PAUSED.value)
WATCH_POLL_SECONDS = 0.2  # STOPGAP(core-api): watch() wakes on changes, not on a timer


def split_overrides(overrides: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Settings the core knows now, and the others (kept and passed on once it knows them)."""
    known = {k: v for k, v in overrides.items() if k in CORE_KEYS}
    later = {k: v for k, v in overrides.items() if k not in CORE_KEYS}
    return known, later


class Core:
    """The workspace's index as the language server sees it: tasks, queries, boosts."""

    def __init__(self, service: CodeIndexService, overrides: Mapping[str, Any]) -> None:
        self.service = service
        self.overrides = dict(overrides)
        self._worker: subprocess.Popen[bytes] | None = None  # STOPGAP(core-api)
        self._boosted: set[str] = set()  # STOPGAP(core-api): per-client boosts in the core
        self._retired: list[CodeIndexService] = []  # STOPGAP(core-api)
        self._created: list[str] = []  # STOPGAP(core-api)

    @classmethod
    async def open(cls, root: Path, overrides: Mapping[str, Any]) -> Core:
        """Open the index of `root` with these settings (ConfigError when one is unusable)."""
        known, _later = split_overrides(overrides)
        try:
            service = await CodeIndexService.open(root, known)
        except Exception as exc:
            raise translate(exc) from exc
        return cls(service, overrides)

    @property
    def root(self) -> Path:
        """The workspace root."""
        return self.service.settings.root

    @property
    def data_dir(self) -> Path:
        """Where the index lives (never reindexed)."""
        return self.service.settings.data_dir

    async def close(self) -> None:
        """Close the index (and, STOPGAP(core-api), services replaced by apply_settings)."""
        for service in [*self._retired, self.service]:
            with contextlib.suppress(Exception):
                await service.close()
        self._retired.clear()

    # ---- the session --------------------------------------------------------------

    async def start_session(self) -> None:
        """Register this editor session (the core then keeps a worker alive for it)."""
        await self.ensure_worker()  # STOPGAP(core-api): service.start_session(kind="lsp")

    async def end_session(self) -> None:
        """Drop this session's boosts; the worker winds down when no session needs it."""
        await self._call(self.service.boost([]))  # STOPGAP(core-api): service.end_session()
        self._boosted.clear()

    async def boost(self, paths: Sequence[str]) -> None:
        """Files open in this editor: their pending items go first."""
        # STOPGAP(core-api): today's boost replaces one global set; the core keeps a set
        # per client, and this becomes `service.boost(paths)`.
        self._boosted.update(paths)
        await self._call(self.service.boost(sorted(self._boosted)))

    async def unboost(self, paths: Sequence[str]) -> None:
        """Files closed in this editor lose their boost."""
        self._boosted.difference_update(paths)  # STOPGAP(core-api): service.unboost(paths)
        await self._call(self.service.boost(sorted(self._boosted)))

    async def apply_settings(self, overrides: Mapping[str, Any]) -> None:
        """New settings for this session (ConfigError, keeping the old ones, when unusable)."""
        known, _later = split_overrides(overrides)
        old_known, _ = split_overrides(self.overrides)
        if known != old_known:
            # STOPGAP(core-api): service.apply_settings(overrides). Today: a new service;
            # the old one stays open until close() so requests in flight finish on it.
            try:
                service = await CodeIndexService.open(self.root, known)
            except Exception as exc:
                raise translate(exc) from exc
            self._retired.append(self.service)
            self.service = service
        self.overrides = dict(overrides)

    # ---- tasks --------------------------------------------------------------------

    async def force_reindex(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """Create a task from contract arguments; wait for its end when `async_` is false."""
        kwargs = dict(args)
        sync = kwargs.pop("async_", True) is False
        # STOPGAP(core-api): the core's force_reindex ensures a worker process itself.
        resp: dict[str, Any] = await self._call(self.service.force_reindex(**kwargs))
        self._created.append(resp["task_id"])  # STOPGAP(core-api): seen by watch() at once
        await self.ensure_worker()
        if not sync:
            return resp
        return await self.force_reindex_result(resp["task_id"])

    async def force_reindex_result(self, task_id: str) -> dict[str, Any]:
        """Wait for a task to end; the sync force_reindex response (with `result`)."""
        # STOPGAP(core-api): service.wait(task_id) never starts a worker in this process.
        await self._call(self.service.wait(task_id, ensure_worker=False))
        result: dict[str, Any] = await self._call(
            self.service.reindex_response(task_id, with_result=True)
        )
        return result

    async def get_reindex_status(self, task_id: str) -> dict[str, Any]:
        """One task's state (TaskInfo)."""
        result: dict[str, Any] = await self._call(self.service.get_reindex_status(task_id))
        return result

    async def list_reindex_tasks(self, status: str | None, limit: int) -> list[dict[str, Any]]:
        """Tasks, newest first."""
        result: list[dict[str, Any]] = await self._call(
            self.service.list_reindex_tasks(status, limit)
        )
        return result

    async def control(self, action: str, task_id: str) -> dict[str, Any]:
        """Pause, resume or cancel a task (`action`); its state afterwards."""
        method = {
            "pause": self.service.pause_reindex,
            "resume": self.service.resume_reindex,
            "cancel": self.service.cancel_reindex,
        }[action]
        result: dict[str, Any] = await self._call(method(task_id))
        if action == "resume":
            await self.ensure_worker()  # STOPGAP(core-api)
        return result

    async def failures(self, task_id: str) -> list[dict[str, str]]:
        """Every failed file of a task with its reason."""
        # CORE GAP: TaskInfo lists 20 failures and the sync result 100; retrying "exactly
        # those" needs them all.
        resp = await self._call(self.service.reindex_response(task_id, with_result=True))
        failures: list[dict[str, str]] = resp["result"]["failures"]
        return failures

    # ---- queries ------------------------------------------------------------------

    async def search(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """Search (contract arguments); the CLI's --json object."""
        result = await self._call(self.service.search(**args))
        out: dict[str, Any] = result.to_dict()
        return out

    async def find_symbols(self, args: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Symbols by name (contract arguments); the CLI's --json list."""
        hits = await self._call(self.service.find_symbols(**args))
        return [h.to_dict() for h in hits]

    async def status(self) -> dict[str, Any]:
        """get_index_status."""
        result: dict[str, Any] = await self._call(self.service.status())
        return result

    async def validate(self) -> dict[str, Any]:
        """validate_index."""
        result: dict[str, Any] = await self._call(self.service.validate())
        return result

    def relative(self, path: str) -> str:
        """A workspace-relative path for `path`; BadArgument when it is outside."""
        try:
            return self.service.workspace.resolve(path)
        except Exception as exc:
            raise translate(exc) from exc

    # ---- following tasks ----------------------------------------------------------

    async def watch(self) -> AsyncIterator[dict[str, Any]]:
        """Every change of any task, whoever created it; unfinished tasks first."""
        # STOPGAP(core-api): `async for info in service.watch()`. Today: poll the task rows.
        last: dict[str, tuple[Any, ...]] = {}
        while True:
            ids = list(last) + self._created
            self._created = []
            for status in UNFINISHED:
                for entry in await self.list_reindex_tasks(status, 200):
                    if entry["task_id"] not in last:
                        ids.append(entry["task_id"])
            for task_id in dict.fromkeys(ids):
                try:
                    info = await self.get_reindex_status(task_id)
                except CoreError:
                    last.pop(task_id, None)
                    continue
                key = (
                    info["status"],
                    info["progress"],
                    info["items_completed"],
                    info["items_failed"],
                    info["current_file"],
                )
                if last.get(task_id) != key:
                    last[task_id] = key
                    yield info
                if info["status"] not in UNFINISHED:
                    last.pop(task_id, None)
            await self.ensure_worker()
            await asyncio.sleep(WATCH_POLL_SECONDS)

    async def ensure_worker(self) -> None:
        """STOPGAP(core-api): the core supervises the worker process; remove with it.

        When runnable work exists and no live worker holds the lease, start
        `codeindex worker --exit-when-idle` in the background with this session's settings.
        """
        if self._worker is not None and self._worker.poll() is None:
            return  # ours is starting or running (poll() also reaps a killed one)
        if await self.service.worker_alive() and not await self.service.retire_mismatched_worker():
            return
        runnable = await self.service.queue.has_runnable()
        if not runnable:
            return
        self._worker = await asyncio.to_thread(
            spawn_worker, self.service.settings, split_overrides(self.overrides)[0]
        )
        log.info("started worker process %d for %s", self._worker.pid, self.root)

    async def _call(self, awaitable: Any) -> Any:
        """Await a core call; what it raises comes out as a CoreError."""
        try:
            return await awaitable
        except CoreError:
            raise
        except Exception as exc:
            raise translate(exc) from exc


def spawn_worker(settings: Settings, overrides: Mapping[str, Any]) -> subprocess.Popen[bytes]:
    """STOPGAP(core-api): `codeindex worker --exit-when-idle` with these settings (as its
    environment), logging to <data dir>/worker.log."""
    env = dict(os.environ)
    for key, value in overrides.items():
        if value is not None:
            env[_ENV_OF[key]] = str(value)
    log_path = settings.data_dir / "worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "codeindex",
        "--root",
        str(settings.root),
        "worker",
        "--exit-when-idle",
        "--linger",
        str(settings.linger_seconds),
    ]
    with open(log_path, "ab") as sink:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=sink,
            env=env,
            start_new_session=True,
            close_fds=True,
        )


def finished(info: Mapping[str, Any]) -> bool:
    """True when a task (TaskInfo) has ended."""
    return str(info["status"]) in {s.value for s in FINISHED}
