"""One editor session on a stream: read, admit, dispatch, and end when the client goes.

The server lives exactly as long as its client. The session ends, the index is closed and
the process exits within about a second (at most END_SECONDS of clean-up) when:

- the client sends `exit` (exit status 0 after `shutdown`, 1 without it, as LSP says);
- its input ends (the editor quit or crashed: status 1 unless `shutdown` came first);
- the process the client named in `initialize` (`processId`) is gone (polled every
  PARENT_POLL_SECONDS; status 1);
- nobody reads what the server writes any more (status 1).

Tasks the session created stay in the queue and finish in the worker; requests still being
answered (a sync reindex waiting for its task) stop waiting. Messages are read by one task
and handled by another, in order: the one waits for the index to open after `initialize`
has been answered (`lifecycle.open_index`) while the other keeps reading, so `exit` or the
end of input is seen at once even then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
import sys
import threading
from pathlib import Path
from typing import Any, Protocol

from codeindex.aio import spawn
from codeindex.lsp import gate, lifecycle
from codeindex.lsp.server import IGNORED, CodeIndexServer
from codeindex.lsp.wire import Frames, Refused, error_message

log = logging.getLogger(__name__)

PARENT_POLL_SECONDS = 0.5
END_SECONDS = 1.5


class Stream(Protocol):
    """A binary stream messages are written to (stdout, a connection)."""

    def write(self, data: bytes, /) -> int: ...

    def flush(self) -> None: ...


class Output:
    """Where messages to the client go: a binary stream, flushed per message. Once writing
    fails (the client is gone) it says so (`gone`) and drops the rest."""

    def __init__(self, stream: Stream, gone: asyncio.Event) -> None:
        self.stream = stream
        self.gone = gone
        self.closed = False

    def write(self, data: bytes) -> None:
        """Send one framed message."""
        if self.closed:
            return
        try:
            self.stream.write(data)
            self.stream.flush()
        except (OSError, ValueError):
            self.closed = True
            self.gone.set()

    def close(self) -> None:
        """Send nothing more."""
        self.closed = True


def alive(pid: int) -> bool:
    """True while process `pid` runs (a zombie, dead but not yet reaped, is gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    fields = text.rpartition(")")[2].split()
    return not fields or fields[0] not in ("Z", "X")


async def _parent_gone(ls: CodeIndexServer) -> None:
    """Return once the client's process (its `processId`) has ended."""
    while True:
        pid = ls.process_id
        if pid is not None and not alive(pid):
            log.warning("the client's process %d is gone: ending the session", pid)
            return
        await asyncio.sleep(PARENT_POLL_SECONDS)


async def _read(ls: CodeIndexServer, frames: Frames, admitted: asyncio.Queue[Any]) -> None:
    """Read frames until the input ends or `exit` comes; admitted messages go to the queue."""
    while not ls.exit_requested.is_set():
        frame = await frames.next()
        if frame is None:
            log.info("the client closed its end of the stream")
            return
        if isinstance(frame, Refused):
            ls.rpc._send_data(error_message(frame.request_id, frame.code, frame.message))
            log.info("refused a frame: %s", frame.message)
            continue
        if not gate.admit(ls, frame.value):
            continue
        try:
            message = ls.rpc.structure_message(lifecycle.tolerated(frame.value))
        except Exception as exc:  # a notification whose params do not parse
            log.info("dropped a notification that does not parse: %s", exc)
            continue
        if getattr(message, "method", None) == IGNORED:
            continue  # a request already answered InvalidParams
        gate.enter(ls, frame.value)
        if frame.value.get("method") == "initialize":
            ls.opening = spawn(
                lifecycle.open_index(ls), name="open-index", what="opening the index"
            )
            ls.rpc.handle_message(message)  # answered before the index opens
            continue
        await admitted.put(message)


async def _dispatch(ls: CodeIndexServer, admitted: asyncio.Queue[Any]) -> None:
    """Hand admitted messages to pygls in order, once the index has opened."""
    while True:
        message = await admitted.get()
        if ls.opening is not None and not ls.opening.done():
            await asyncio.wait({ls.opening})
        try:
            ls.rpc.handle_message(message)
        except Exception:  # one message's failure never stops the ones after it
            log.exception("handling a message failed")


async def run(ls: CodeIndexServer, reader: asyncio.StreamReader, output: Output) -> int:
    """Serve one client until it goes; the exit status (0 only after `shutdown`)."""
    ls.rpc.set_writer(output)
    admitted: asyncio.Queue[Any] = asyncio.Queue()
    waits = [
        asyncio.ensure_future(_read(ls, Frames(reader), admitted)),
        asyncio.ensure_future(ls.exit_requested.wait()),
        asyncio.ensure_future(ls.client_gone.wait()),
        asyncio.ensure_future(_parent_gone(ls)),
    ]
    dispatcher = asyncio.ensure_future(_dispatch(ls, admitted))
    try:
        done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for ended in done:
            if not ended.cancelled() and ended.exception() is not None:
                log.error("the session failed", exc_info=ended.exception())
    finally:
        code = 0 if ls.phase == "shutdown" else 1
        output.close()
        for waiting in [*waits, dispatcher]:
            waiting.cancel()
        await asyncio.gather(*waits, dispatcher, return_exceptions=True)
        try:
            async with asyncio.timeout(END_SECONDS):
                await lifecycle.end(ls)
        except TimeoutError:
            log.error("the session did not end within %s s: leaving anyway", END_SECONDS)
            code = _leave_now(code)
    return code


def _leave_now(code: int) -> int:
    """End the process without waiting for what hangs (a database thread, say)."""
    logging.shutdown()
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    os._exit(code)


async def _stdin_reader() -> asyncio.StreamReader:
    """A stream of this process's standard input: the event loop reads a pipe itself; a
    terminal, file or socket (sharing its state with stdout) is read by a daemon thread."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    stdin: Any = sys.stdin.buffer
    if stat.S_ISFIFO(os.fstat(stdin.fileno()).st_mode):
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), stdin)
        return reader

    fd = stdin.fileno()

    def pump() -> None:
        # os.read, not the buffered reader: a daemon thread blocked in read1 holds its lock,
        # and Python aborts at exit (SIGABRT) when it cannot take it (Neovim's socket stdin)
        while chunk := os.read(fd, 65536):
            loop.call_soon_threadsafe(reader.feed_data, chunk)
        loop.call_soon_threadsafe(reader.feed_eof)

    threading.Thread(target=pump, name="codeindex-stdin", daemon=True).start()
    return reader


async def serve_stdio(ls: CodeIndexServer) -> int:
    """Serve the client on stdin/stdout; the exit status."""
    reader = await _stdin_reader()
    return await run(ls, reader, Output(sys.stdout.buffer, ls.client_gone))


async def serve_tcp(ls: CodeIndexServer, host: str, port: int) -> int:
    """Serve the first client that connects to HOST:PORT (for debugging); the exit status."""
    connected: asyncio.Future[tuple[asyncio.StreamReader, asyncio.StreamWriter]]
    connected = asyncio.get_running_loop().create_future()

    def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not connected.done():
            connected.set_result((reader, writer))
        else:
            writer.close()

    server = await asyncio.start_server(accept, host, port)
    log.info("listening on %s:%s", host, port)
    async with server:
        reader, writer = await connected
    socket_file: Any = writer.transport.get_extra_info("socket")
    log.info("a client connected from %s", socket_file.getpeername() if socket_file else "?")
    try:
        return await run(ls, reader, Output(_SocketStream(writer), ls.client_gone))
    finally:
        writer.close()


class _SocketStream:
    """A connection's writer as the binary stream `Output` writes to."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer

    def write(self, data: bytes) -> int:
        if self.writer.is_closing():
            raise BrokenPipeError("the client closed the connection")
        self.writer.write(data)
        return len(data)

    def flush(self) -> None:
        """Writes go out as the loop sends them."""
