"""A minimal LSP client over stdio for `codeindex bench`: framed JSON-RPC, byte by byte.

`codeindex lsp` is started as a subprocess and spoken to as an editor would: each message
framed by its `Content-Length` header, one request at a time, the server's own requests
(`window/workDoneProgress/create`, prompts, `workspace/configuration`) answered with
nothing, its notifications skipped. No client library: what is timed is the server and
the pipe, not a client's start-up.

    client = await LspStdio.spawn([sys.executable, "-m", "codeindex", "lsp"], env, cwd, log)
    await client.request("initialize", {...})
    await client.notify("initialized", {})
    answer = await client.request("workspace/executeCommand", {...})
    await client.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from codeindex.bench.common import BenchError

ANSWER_SECONDS = 120.0
EXIT_SECONDS = 10.0


class LspStdio:
    """One `codeindex lsp` subprocess and the requests sent to it, in order."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self._next_id = 0

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    @classmethod
    async def spawn(
        cls, command: Sequence[str], env: dict[str, str], cwd: Path, log_path: Path
    ) -> LspStdio:
        """Start the server (its stderr appended to `log_path`), not yet initialized."""
        with log_path.open("ab") as log:
            process = await asyncio.create_subprocess_exec(
                *command,
                cwd=cwd,
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
            )
        return cls(process)

    async def _send(self, message: dict[str, Any]) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        body = json.dumps(message).encode()
        stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        await stdin.drain()

    async def _read(self) -> dict[str, Any]:
        stdout = self.process.stdout
        assert stdout is not None
        header = await stdout.readuntil(b"\r\n\r\n")
        lengths = [
            int(line.split(b":", 1)[1])
            for line in header.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ]
        if not lengths:
            raise BenchError(f"`codeindex lsp` sent a frame with no Content-Length: {header!r}")
        message: dict[str, Any] = json.loads(await stdout.readexactly(lengths[0]))
        return message

    async def notify(self, method: str, params: Any) -> None:
        """A notification (no answer)."""
        await self._send({"jsonrpc": "2.0", "method": method, "params": params})

    async def request(self, method: str, params: Any) -> Any:
        """Send a request and wait for its answer; its result (BenchError on an error)."""
        self._next_id += 1
        msg_id = self._next_id
        await self._send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        try:
            async with asyncio.timeout(ANSWER_SECONDS):
                while True:
                    message = await self._read()
                    if "method" not in message and message.get("id") == msg_id:
                        break
                    if "method" in message and "id" in message:
                        await self._answer_server(message)
        except (TimeoutError, asyncio.IncompleteReadError) as exc:
            raise BenchError(f"`codeindex lsp` gave no answer to {method}: {exc!r}") from exc
        if "error" in message:
            raise BenchError(f"`codeindex lsp` answered {method} with {message['error']}")
        return message.get("result")

    async def _answer_server(self, message: dict[str, Any]) -> None:
        """The server's own request: an empty answer (one null per configuration item)."""
        result: Any = None
        if message["method"] == "workspace/configuration":
            result = [None for _ in (message.get("params") or {}).get("items", [])]
        await self._send({"jsonrpc": "2.0", "id": message["id"], "result": result})

    async def close(self) -> None:
        """shutdown, exit, stdin closed, and the process gone (killed after EXIT_SECONDS)."""
        try:
            with contextlib.suppress(BenchError, OSError, TimeoutError):
                async with asyncio.timeout(EXIT_SECONDS):
                    await self.request("shutdown", None)
                    await self.notify("exit", None)
            if self.process.stdin is not None:
                self.process.stdin.close()  # as an editor's pipe closes when it quits
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(EXIT_SECONDS):
                    await self.process.wait()
        finally:
            if self.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()
