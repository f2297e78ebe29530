"""Queries answered by the process that has the index open and the model loaded.

A `codeindex search` from the shell would otherwise pay for a whole process start:
importing LanceDB (~1 s), fastembed and ONNX Runtime, loading the model, for a query that
takes milliseconds. The worker of a workspace has all of that loaded, so it serves queries
on a local stream socket: the CLI asks it first (`ask`), and every front-end sends it the
queries that need the model (`ask_async`: semantic and hybrid search, the vector check).

The socket lives in Linux's abstract namespace, named after the data dir like the
doorbell (`doorbell.address`), so it vanishes with its process and needs no file. One
connection carries one request and one answer, each a line of JSON: `{"v", "op", "args"}`
with `op` `search`, `symbols` or `vectors` and the service's keyword arguments, answered
first by `{"v", "ack": true}` as soon as the request is read, then by
`{"ok": true, "result": ...}` or `{"ok": false, "error": {code, message, exit_code}}`.
The acknowledgement tells a live server (an answer may take seconds: a model loading, a
shared store far away) from a frozen one (stopped, its event loop stuck), which gives
none: a front-end waits ACK_SECONDS for it, then for the answer as long as it chose.
Requests over 64 KiB and answers over 16 MiB are refused; the server gives a client 5 s
to send its request. A client that gets no answer (nobody listens, another version, a
timeout) falls back to searching in its own process; `ask` returns None then and never
raises, or `LATE` when a server took the request and did not acknowledge it in time (frozen:
the caller answers from its own read at once instead of asking it again).

This module imports nothing heavy: the CLI's fast path imports it before anything else.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio
    import logging

SUPPORTED = sys.platform.startswith("linux")
PROTOCOL = 2
ACK_SECONDS = 2.0  # a live server acknowledges a request within this
MAX_REQUEST = 64 << 10
MAX_ANSWER = 16 << 20
READ_SECONDS = 5.0
CLOSE_SECONDS = 10.0  # a closing server lets the answers under way finish this long
OPS = ("search", "symbols", "vectors")
FAST_ACK_SECONDS = 1.0  # the CLI's fast path: a frozen worker costs a search this much
LATE: Any = "late"  # `ask`: the server took the request and did not acknowledge it

Handler = Callable[[str, dict[str, Any]], Awaitable[Any]]


def address(data_dir: Path) -> str:
    """The abstract socket name of the query server of the index in `data_dir`."""
    digest = hashlib.sha256(os.fsencode(data_dir.resolve())).hexdigest()[:32]
    return f"\0codeindex-query-{digest}"


def ask(
    data_dir: Path,
    op: str,
    args: dict[str, Any],
    timeout: float = 10.0,
    ack_seconds: float = FAST_ACK_SECONDS,
) -> Any | None:
    """The answer of the workspace's query server: `{"ok": ...}`, None when none answers,
    `LATE` when one took the request and gave no acknowledgement within `ack_seconds`."""
    if not SUPPORTED:
        return None
    request = json.dumps({"v": PROTOCOL, "op": op, "args": args}).encode() + b"\n"
    if len(request) > MAX_REQUEST:
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(min(timeout, ack_seconds))
            sock.connect(address(data_dir))
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
            try:
                first = sock.recv(1 << 16)
            except TimeoutError:
                _log().debug("the query server did not acknowledge within %g s", ack_seconds)
                return LATE
            sock.settimeout(timeout)
            data = first + _read_all(sock, MAX_ANSWER - len(first)) if first else b""
    except OSError as exc:  # nobody listens, a timeout, a reset: search in-process
        _log().debug("no query server answered: %s", exc)
        return None
    lines = [line for line in data.split(b"\n") if line.strip() and not _is_ack(line)]
    try:
        answer = json.loads(lines[0]) if len(lines) == 1 else None
    except ValueError:
        return None
    if not isinstance(answer, dict) or answer.get("v") != PROTOCOL or "ok" not in answer:
        return None
    return answer


class Late(Exception):
    """The query server took the request but did not answer in time (busy or frozen)."""


async def ask_async(
    data_dir: Path, op: str, args: dict[str, Any], *, ack_seconds: float, answer_seconds: float
) -> Any | None:
    """`ask` on the running event loop: the answer, or None when nobody listens.

    Raises `Late` when a server took the request and acknowledged it not within
    `ack_seconds` (frozen), or answered it not within `answer_seconds` after that (busy).
    """
    import asyncio

    if not SUPPORTED:
        return None
    request = json.dumps({"v": PROTOCOL, "op": op, "args": args}).encode() + b"\n"
    try:
        async with asyncio.timeout(ack_seconds):
            reader, writer = await asyncio.open_unix_connection(address(data_dir), limit=MAX_ANSWER)
    except (OSError, TimeoutError) as exc:
        _log().debug("no query server answered: %s", exc)
        return None
    try:
        writer.write(request)
        writer.write_eof()
        data = await _within(reader.readline(), ack_seconds, "acknowledged")
        if _is_ack(data):
            data = await _within(reader.readline(), answer_seconds, "answered")
    except (OSError, ValueError) as exc:
        _log().debug("the query server went away: %s", exc)
        return None
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    try:
        answer = json.loads(data)
    except ValueError:
        return None
    if not isinstance(answer, dict) or answer.get("v") != PROTOCOL or "ok" not in answer:
        return None
    return answer


async def _within(read: Awaitable[bytes], seconds: float, what: str) -> bytes:
    import asyncio

    try:
        async with asyncio.timeout(seconds):
            return await read
    except TimeoutError:
        raise Late(f"the request was not {what} within {seconds:g} s") from None


def _is_ack(line: bytes) -> bool:
    try:
        data = json.loads(line)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("ack") is True and data.get("v") == PROTOCOL


def _read_all(sock: socket.socket, limit: int) -> bytes:
    """What the server sends until it closes the connection (its ack, then its answer)."""
    parts: list[bytes] = []
    size = 0
    while chunk := sock.recv(1 << 16):
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            raise OSError(f"answer over {limit} bytes")
    return b"".join(parts)


class QueryServer:
    """The serving end, on the running event loop; `handler(op, args)` makes each answer.

    `handler` raises `CodeIndexError` for a request it refuses: the client gets its code,
    message and exit code, as if it had run the query itself.
    """

    def __init__(self, data_dir: Path, handler: Handler) -> None:
        self._address = address(data_dir)
        self._handler = handler
        self._server: asyncio.Server | None = None
        self._answering: set[asyncio.Task[Any]] = set()

    async def open(self) -> bool:
        """Start serving; False when the platform or another process prevents it."""
        import asyncio

        if not SUPPORTED or self._server is not None:
            return self._server is not None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(self._address)
        except OSError as exc:
            sock.close()
            _log().info("query server not bound (%s); CLI queries run in their own process", exc)
            return False
        self._server = await asyncio.start_unix_server(self._serve, sock=sock, limit=MAX_REQUEST)
        return True

    async def close(self) -> None:
        """Stop taking requests, and let those being answered finish (within CLOSE_SECONDS):
        the process closes the index right after, and an answer cut short is an error."""
        import asyncio

        server, self._server = self._server, None
        if server is not None:
            server.close()
            if self._answering:
                await asyncio.wait(set(self._answering), timeout=CLOSE_SECONDS)
            with contextlib.suppress(Exception):
                await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        import asyncio

        task = asyncio.current_task()
        if task is not None:
            self._answering.add(task)
        try:
            line = await asyncio.wait_for(reader.readline(), READ_SECONDS)
            writer.write(json.dumps({"v": PROTOCOL, "ack": True}).encode() + b"\n")
            await writer.drain()
            answer = await self._answer(line)
            data = json.dumps(answer, default=str).encode() + b"\n"
            if len(data) > MAX_ANSWER:
                data = json.dumps(_error("internal", "the answer is too large", 70)).encode()
            writer.write(data)
            await writer.drain()
        except (TimeoutError, ValueError, ConnectionError) as exc:
            _log().debug("a query client went away: %s", exc)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            self._answering.discard(task)

    async def _answer(self, line: bytes) -> dict[str, Any]:
        from codeindex.errors import CodeIndexError, internal

        try:
            request = json.loads(line)
        except ValueError:
            return _error("bad_argument", "the request is not JSON", 2)
        if not isinstance(request, dict) or request.get("v") != PROTOCOL:
            return {"v": request.get("v") if isinstance(request, dict) else None, "ok": False}
        op, args = request.get("op"), request.get("args")
        if op not in OPS or not isinstance(args, dict):
            return _error("bad_argument", f"op must be one of {', '.join(OPS)}", 2)
        try:
            return {"v": PROTOCOL, "ok": True, "result": await self._handler(op, args)}
        except CodeIndexError as exc:
            refused = {**exc.to_dict(), "message": str(exc), "exit_code": exc.exit_code}
            return {"v": PROTOCOL, "ok": False, "error": refused}
        except Exception as exc:
            _log().exception("a served query failed")
            error = internal(exc)
            return _error(error.code, error.message, error.exit_code)


def _log() -> logging.Logger:
    """This module's logger; `logging` is not imported on the CLI's fast path until needed."""
    import logging

    return logging.getLogger(__name__)


def _error(code: str, message: str, exit_code: int) -> dict[str, Any]:
    return {
        "v": PROTOCOL,
        "ok": False,
        "error": {"code": code, "message": message, "exit_code": exit_code},
    }
