"""A test session with `codeindex lsp`: pytest-lsp's client plus what the tests look at
(status notifications, prompts, progress per task) and waits on notifications; and `Wire`,
the server spoken to byte by byte, for messages no client library sends.

A session may serve a whole test module (`begin` before each test, `settle` after it):
the next test then starts from an idle queue and its own notifications.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.protocol import default_converter
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient

CLIENTS = ["visual-studio-code", "neovim"]  # the capabilities pytest-lsp ships
STATUS = "codeindex/status"
WAIT_SECONDS = 240.0
UNFINISHED = ("Queued", "Running", "Paused")
SERVER = [sys.executable, "-m", "codeindex", "lsp"]


def plain(value: Any) -> Any:
    """pygls hands unknown notifications' params over as namedtuples: back to dicts."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


class Session:
    """One client connected to one server process."""

    def __init__(
        self, client: LanguageClient, root: Path | None, capabilities: types.ClientCapabilities
    ) -> None:
        self.client = client
        self.root = root
        self.capabilities = capabilities
        self.result: types.InitializeResult | None = None
        self.statuses: list[dict[str, Any]] = []
        self.prompts: list[types.ShowMessageRequestParams] = []
        self.answer: str | None = None

        def on_status(ls: LanguageClient, params: Any) -> None:
            self.statuses.append(plain(params))

        def on_prompt(
            ls: LanguageClient, params: types.ShowMessageRequestParams
        ) -> types.MessageActionItem | None:
            self.prompts.append(params)
            return types.MessageActionItem(title=self.answer) if self.answer else None

        client.feature(STATUS)(on_status)
        client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)(on_prompt)

    def begin(self) -> None:
        """A new test on this session: its own statuses (the last one kept) and prompts."""
        self.statuses = self.statuses[-1:]
        self.prompts = []
        self.answer = None

    async def settle(self) -> None:
        """Wait until every task has ended and the status says so: the next test on this
        session starts from an idle queue. A task left paused fails the test."""
        while True:
            heard = len(self.statuses)  # taken before asking: no status is missed
            tasks = await self.command("codeindex.listTasks", {"limit": 1000})
            unfinished = [t for t in tasks if t["status"] in UNFINISHED]
            assert all(t["status"] != "Paused" for t in unfinished), unfinished
            if not unfinished and self.statuses and self.statuses[-1]["tasks"] == 0:
                return
            await self.until(STATUS, lambda seen=heard: len(self.statuses) > seen)

    async def close(self) -> None:
        """shutdown, exit, and the server process gone."""
        await self.client.shutdown_session()
        await self.client.stop()

    async def command(
        self, name: str, *arguments: Any, token: types.ProgressToken | None = None
    ) -> Any:
        """workspace/executeCommand."""
        if token is not None:
            self.client.progress_reports.setdefault(token, [])
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command=name, arguments=list(arguments), work_done_token=token
            )
        )

    async def error(self, name: str, *arguments: Any) -> JsonRpcException:
        """The error a command answers with (fails the test when it answers a result)."""
        try:
            result = await self.command(name, *arguments)
        except JsonRpcException as exc:
            return exc
        raise AssertionError(f"{name} {arguments!r} answered {result!r}, not an error")

    async def until(
        self, method: str, done: Callable[[], bool], within: float = WAIT_SECONDS
    ) -> None:
        """Wait, notification by notification, until `done()` holds."""
        async with asyncio.timeout(within):
            while not done():
                await self.client.wait_for_notification(method)

    def tokens(self, task_id: str) -> list[types.ProgressToken]:
        """The progress tokens the server created for a task, in order."""
        return [
            t for t in self.client.progress_reports if str(t).startswith(f"codeindex/{task_id}/")
        ]

    def reports(self, token: types.ProgressToken) -> list[Any]:
        """begin/report/end values received on a token."""
        return list(self.client.progress_reports.get(token, []))

    def ended(self, token: types.ProgressToken) -> bool:
        """True once the token's progress ended."""
        values = self.reports(token)
        return bool(values) and isinstance(values[-1], types.WorkDoneProgressEnd)

    async def task_ended(self, task_id: str) -> list[Any]:
        """Wait for the end of a task's progress; its begin/report/end values."""

        def over() -> bool:
            tokens = self.tokens(task_id)
            return bool(tokens) and self.ended(tokens[-1])

        await self.until("$/progress", over)
        return self.reports(self.tokens(task_id)[-1])

    async def reindex(self, **fields: Any) -> dict[str, Any]:
        """codeindex.forceReindex with these contract fields."""
        result: dict[str, Any] = await self.command("codeindex.forceReindex", fields)
        return result

    async def status_of(self, task_id: str) -> dict[str, Any]:
        """codeindex.reindexStatus."""
        result: dict[str, Any] = await self.command("codeindex.reindexStatus", {"task_id": task_id})
        return result


async def start(
    root: Path | None,
    env: dict[str, str],
    capabilities: types.ClientCapabilities,
    *,
    options: object = None,
    folders: list[Path] | None = None,
) -> Session:
    """Start `python -m codeindex lsp` and initialize it on `root`."""
    config = ClientServerConfig(server_command=SERVER, server_env=env)
    client = await config.start()
    assert isinstance(client, LanguageClient)
    session = Session(client, root, capabilities)
    if folders is None and root is not None:
        folders = [root]
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=from_fs_path(str(root)) if root is not None else None,
            workspace_folders=[
                types.WorkspaceFolder(uri=from_fs_path(str(f)) or "", name=f.name)
                for f in folders or []
            ],
            initialization_options=options,
        )
    )
    session.result = result
    return session


class Wire:
    """`codeindex lsp` spoken to byte by byte over stdio: a client library cannot send a
    malformed message, nor hand back the answer to a request it did not make."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def spawn(cls, env: dict[str, str]) -> Wire:
        """Start the server, not yet initialized."""
        process = await asyncio.create_subprocess_exec(
            *SERVER,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        return cls(process)

    @classmethod
    async def start(
        cls,
        root: Path,
        env: dict[str, str],
        capabilities: types.ClientCapabilities,
        *,
        process_id: int | None = None,
    ) -> Wire:
        """Start the server and initialize it on `root` (the client's `processId` given)."""
        wire = await cls.spawn(env)
        answer = await wire.initialize(root, capabilities, process_id=process_id)
        assert "result" in answer, answer
        await wire.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        return wire

    async def initialize(
        self,
        root: Path,
        capabilities: types.ClientCapabilities,
        *,
        process_id: int | None = None,
        msg_id: str = "init",
    ) -> dict[str, Any]:
        """Send `initialize` on `root` (the file watcher off); the answer."""
        initialize = {
            "processId": process_id,
            "rootUri": from_fs_path(str(root)),
            "capabilities": default_converter().unstructure(capabilities),
            "initializationOptions": {"watching": False},
        }
        return await self.request(msg_id, "initialize", initialize)

    async def exited(self, within: float) -> int:
        """The server's exit status, once it exits by itself within `within` seconds."""
        async with asyncio.timeout(within):
            return await self.process.wait()

    async def write(self, body: bytes) -> None:
        """One message, framed with its Content-Length, whatever its body."""
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        await self.process.stdin.drain()

    async def send(self, message: dict[str, Any]) -> None:
        """A message as JSON."""
        await self.write(json.dumps(message).encode())

    async def request(self, msg_id: str, method: str, params: Any) -> dict[str, Any]:
        """Send a request; the response to it."""
        await self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return await self.answer(msg_id)

    async def answer(self, msg_id: str | None) -> dict[str, Any]:
        """The response to `msg_id` (None: an error answer to a message with no usable id);
        notifications before it are skipped, the server's own requests answered."""
        return await self.until(lambda m: "method" not in m and m.get("id") == msg_id)

    async def until(
        self, wanted: Callable[[dict[str, Any]], bool], *, answering: bool = True
    ) -> dict[str, Any]:
        """The first message from the server that is `wanted`; the server's own requests
        before it (progress tokens, prompts) are answered with null (unless `answering` is
        false: a client slow to answer)."""
        assert self.process.stdout is not None
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                header = await self.process.stdout.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in header.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                message: dict[str, Any] = json.loads(await self.process.stdout.readexactly(length))
                if wanted(message):
                    return message
                if answering and "method" in message and "id" in message:
                    await self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})

    async def close(self) -> int:
        """shutdown, exit; the server's exit code."""
        try:
            await self.request("shutdown", "shutdown", None)
            await self.send({"jsonrpc": "2.0", "method": "exit"})
            async with asyncio.timeout(60):
                return await self.process.wait()
        finally:
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()
