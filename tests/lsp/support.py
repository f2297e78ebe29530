"""A test session with `codeindex lsp`: pytest-lsp's client plus what the tests look at
(status notifications, prompts, progress per task) and waits on notifications."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient

CLIENTS = ["visual-studio-code", "neovim"]  # the capabilities pytest-lsp ships
STATUS = "codeindex/status"
WAIT_SECONDS = 240.0


def plain(value: Any) -> Any:
    """pygls hands unknown notifications' params over as namedtuples: back to dicts."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


class Session:
    """One client connected to one server process."""

    def __init__(self, client: LanguageClient, root: Path | None) -> None:
        self.client = client
        self.root = root
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
    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "codeindex", "lsp"],
        server_env=env,
    )
    client = await config.start()
    assert isinstance(client, LanguageClient)
    session = Session(client, root)
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
