"""Who makes sure a worker serves the workspace, and where it runs.

The worker runs in a process of its own (`python -m codeindex.worker`), started
by whichever front-end first finds work and no live worker. Not in the front-end's
process, because:
- a crash of tree-sitter or ONNX Runtime (native code) would end the editor's language
  server or the agent's MCP server with it; in its own process it ends only the worker,
  which the supervisor replaces, and the task goes on (items in flight go back to pending);
- parsing holds the GIL and embedding keeps both cores busy: beside them, a server in the
  same process answers `workspace/symbol` late; in another process it answers at once;
- the worker outlives the front-end that started it, so the CLI, an editor and an agent
  share one worker and one loaded model, and the first to come finds it warm.

Exactly one worker per workspace holds the lease (invariant 4). The supervisor starts a
worker only when no live process holds the lease: in one transaction it takes the lease
on the new worker's behalf (a reservation the worker takes over, tied to its pid), so a
front-end starting at the same moment sees the lease taken and starts none. A front-end
with a session (`start_session`) registers as a client: the worker stays while any
client lives (the watcher runs beside it), and the
session re-checks every `CHECK_SECONDS` that a worker is alive, so a SIGKILLed worker is
replaced within about a second and its task finishes.

A worker serving with other index settings (another model, chunk size, ...) is asked to
hand over when it is a background worker: it stops between two steps and gives its items
back; a successor started with the new settings takes the lease. Settings that change
only speed (threads, batch size, download permission) never cause a hand-over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import sys
from collections.abc import Callable, Mapping
from typing import Any, Literal, Protocol

from codeindex.aio import spawn
from codeindex.config import SETTINGS, Settings
from codeindex.ipc import doorbell
from codeindex.tasks import Queue
from codeindex.tasks.model import host_id

log = logging.getLogger(__name__)

WorkerMode = Literal["process", "in-process", "none"]
CHECK_SECONDS = 1.0
START_SECONDS = 60.0  # a worker that has not taken its reserved lease by then is not coming
CLIENT_TTL_SECONDS = 15.0
_ENV_OF = {s.key: s.env for s in SETTINGS}


def worker_environment(overrides: Mapping[str, Any]) -> dict[str, str]:
    """The environment of a worker process: ours, plus settings given as overrides."""
    env = dict(os.environ)
    for key, value in overrides.items():
        if value is None or key not in _ENV_OF:
            continue
        if isinstance(value, list | tuple):
            env[_ENV_OF[key]] = "\n".join(str(v) for v in value)  # a list: one per line
        else:
            env[_ENV_OF[key]] = str(value).lower() if isinstance(value, bool) else str(value)
    return env


def spawn_worker(
    settings: Settings,
    overrides: Mapping[str, Any],
    reservation: str | None = None,
    *,
    linger: float = 0.0,
) -> int:
    """Start `python -P -m codeindex.worker` in a session of its own; returns its pid.

    It logs to `<data dir>/worker.log` and outlives the front-end that started it. `-P`: the
    caller's folder is not first on its `sys.path` (a `types.py` there shadows nothing).
    """
    log_path = settings.data_dir / "worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-P",
        "-m",
        "codeindex.worker",
        "--root",
        str(settings.root),
        "--linger",
        str(max(settings.linger_seconds, linger)),
        *(["--reservation", reservation] if reservation else []),
    ]
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        pid = os.posix_spawn(
            sys.executable,
            command,
            worker_environment(overrides),
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_DUP2, log_fd, 2),
            ],
            setsid=True,
        )
    finally:
        os.close(log_fd)
    log.info("started worker process %d for %s", pid, settings.root)
    return pid


def _running_child(pid: int | None) -> bool:
    """True while a worker process we started has not exited (reaping it once it has)."""
    if pid is None:
        return False
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == 0


class InProcessWorker(Protocol):
    """A worker run in this process (`codeindex.worker.host.WorkerHost` attaches one)."""

    @property
    def running(self) -> bool: ...

    def start(self, *, exit_when_idle: bool = False, linger: float = 0.0) -> asyncio.Task[None]: ...

    def wake(self) -> None: ...

    async def stop(self) -> None: ...

    async def answer(self, op: str, args: dict[str, Any]) -> Any: ...


class Supervisor:
    """Makes sure a worker serves the workspace; keeps a front-end's client row alive."""

    def __init__(
        self,
        queue: Queue,
        settings: Settings,
        *,
        mode: WorkerMode,
        start_in_process: Callable[[], Any],
        runs_in_process: Callable[[], bool],
    ) -> None:
        self.queue = queue
        self.settings = settings
        self.overrides: Mapping[str, Any] = {}
        self.mode = mode
        self._start_in_process = start_in_process
        self._runs_in_process = runs_in_process
        self._spawned: int | None = None
        self._lock = asyncio.Lock()
        self.client_id: str | None = None
        self.client_kind = ""
        self._session: asyncio.Task[None] | None = None
        self.spawned_pids: list[int] = []
        self._unreaped: set[int] = set()  # workers we started before the latest one
        self._asked: set[str] = set()

    async def ensure_worker(self, *, linger: float = 0.0) -> bool:
        """Start a worker when no live one serves this workspace; True when one was started.

        A background worker serving with other index settings is asked to hand over first.
        One started for a query lingers at least `linger` seconds once idle, so the query
        that started it finds it (and so does the next one).
        """
        if self.mode == "none":
            return False
        async with self._lock:
            if self._runs_in_process():
                return False
            lease = await self.queue.live_lease()
            if lease is not None and lease.settings_key == self.settings.index_key():
                return False
            self._unreaped = {p for p in self._unreaped if _running_child(p)}
            ours = lease is not None and lease.hostname == host_id() and lease.pid == self._spawned
            if _running_child(self._spawned) and not ours:
                return False  # started, not holding the lease yet (or waiting to succeed one)
            if lease is not None and not await self._hand_over(lease.owner, lease.hostname):
                return False
            if self.mode == "in-process":
                self._start_in_process()
                return True
            token = None
            if lease is None:
                # hold the lease for the worker we start: a front-end starting at the same
                # moment sees it taken and starts none
                token = secrets.token_hex(8)
                if not await self.queue.reserve_lease(
                    token, START_SECONDS, self.settings.index_key()
                ):
                    return False
            if self._spawned is not None:
                self._unreaped.add(self._spawned)
            self._spawned = spawn_worker(self.settings, self.overrides, token, linger=linger)
            self.spawned_pids.append(self._spawned)
            if token is not None:
                await self.queue.assign_reservation(token, self._spawned)
            return True

    async def _hand_over(self, owner: str, hostname: str) -> bool:
        """Ask a worker of this host with other settings to hand over, once; True when asked.

        A foreground worker declines (its owner restarts it); it is not asked again.
        """
        if hostname != host_id() or owner in self._asked:
            return False
        self._asked.add(owner)
        asked = await self.queue.request_retire(owner)
        doorbell.ring(self.settings.data_dir)
        if asked:
            log.info("asked worker %s to hand over to one with the current settings", owner)
        return asked

    # ---- sessions ---------------------------------------------------------------------

    async def start_session(self, kind: str) -> str:
        """Register this front-end as a client and keep a worker alive while it lives."""
        if self.client_id is None:
            self.client_id = f"{kind}:{host_id()}:{os.getpid()}:{secrets.token_hex(4)}"
            self.client_kind = kind
        await self.queue.register_client(self.client_id, kind, CLIENT_TTL_SECONDS)
        if self._session is None or self._session.done():
            self._session = spawn(
                self._keep(), name="codeindex-session", what="the session supervisor"
            )
        return self.client_id

    async def end_session(self) -> None:
        """Stop supervising and drop this client (and its open-file boosts)."""
        session, self._session = self._session, None
        if session is not None:
            session.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await session
        if self.client_id is not None:
            client_id, self.client_id = self.client_id, None
            with contextlib.suppress(Exception):
                await self.queue.drop_client(client_id)

    async def _keep(self) -> None:
        assert self.client_id is not None
        renewed = 0.0
        loop = asyncio.get_running_loop()
        while True:
            try:
                if loop.time() - renewed >= CLIENT_TTL_SECONDS / 3:
                    if not await self.queue.renew_client(self.client_id, CLIENT_TTL_SECONDS):
                        await self.queue.register_client(
                            self.client_id, self.client_kind, CLIENT_TTL_SECONDS
                        )
                    await self.queue.expire_clients()
                    renewed = loop.time()
                await self.ensure_worker()
            except Exception:
                log.exception("supervising the worker failed; trying again")
            await asyncio.sleep(CHECK_SECONDS)
