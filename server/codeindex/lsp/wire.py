"""The language server's wire: LSP frames read from a stream, each checked before pygls sees it.

pygls reads frames itself, but drops a body it cannot parse unanswered (and pops an error up
in the editor), and trusts `Content-Length`: one too large swallows the next message, one too
small leaves the rest of the body to be read as headers, losing the next message's header.
Here a frame becomes either the JSON it carries (`Parsed`) or a `Refused` (what was wrong,
and the request id when the body still says it), which the session answers with a JSON-RPC
error (ParseError or InvalidRequest) before reading on:

- a body that is not JSON is a ParseError (id null);
- a `Content-Length` that does not match its body is found out by where the JSON value
  ends: before the declared end with the next frame's `Content-Length:` right after it (too
  large; seen as soon as the next frame arrives), or past the declared end (too small).
  That message is answered with an InvalidRequest (with its id) and the next frame is read
  from its own header;
- bytes outside any frame are skipped up to the next `Content-Length:` header; a frame
  larger than MAX_BODY is refused and skipped the same way.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600

HEADER_END = b"\r\n\r\n"
LENGTH = re.compile(rb"content-length[ \t]*:[ \t]*(\d+)", re.IGNORECASE)
MAX_HEADER = 8192  # bytes of headers before a frame's body; more is not a header
MAX_BODY = 256 * 1024 * 1024  # a larger frame is refused (and skipped)
READ_SIZE = 65536


@dataclass(frozen=True, slots=True)
class Parsed:
    """A frame whose body is JSON (not yet known to be a JSON-RPC message)."""

    value: Any


@dataclass(frozen=True, slots=True)
class Refused:
    """A frame that cannot be handled: the JSON-RPC error it gets, and its id when known."""

    code: int
    message: str
    request_id: int | str | None = None


def message_id(value: Any) -> int | str | None:
    """The id of a JSON-RPC message, when it has a usable one (a string or an integer)."""
    found = value.get("id") if isinstance(value, dict) else None
    if isinstance(found, bool) or not isinstance(found, int | str):
        return None
    return found


def _json_end(data: bytes) -> tuple[Any, int] | None:
    """The JSON value at the start of `data` and how many bytes it takes; None when the
    bytes do not start with a complete JSON value."""
    text = data.decode("utf-8", errors="surrogateescape")
    stripped = len(text) - len(text.lstrip())
    try:
        value, end = json.JSONDecoder().raw_decode(text, stripped)
    except ValueError:
        return None
    return value, len(text[:end].encode("utf-8", errors="surrogateescape"))


def _followed_by_header(rest: bytes | bytearray) -> bool:
    return rest.lstrip()[:14].lower() == b"content-length"


class Frames:
    """Frames of one stream (stdin, a TCP connection), in order; None at end of stream."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self.reader = reader
        self.buffer = bytearray()
        self.ended = False

    async def _more(self) -> bool:
        """Read what arrived; False at end of stream."""
        if self.ended:
            return False
        chunk = await self.reader.read(READ_SIZE)
        if not chunk:
            self.ended = True
            return False
        self.buffer += chunk
        return True

    async def next(self) -> Parsed | Refused | None:
        """The next frame, or None once the stream has ended."""
        while True:
            length = await self._header()
            if length is None or isinstance(length, Refused):
                return length
            if length > MAX_BODY:
                self._skip_to_header(0)
                return Refused(
                    INVALID_REQUEST,
                    f"Invalid request: Content-Length {length} is over the limit of "
                    f"{MAX_BODY} bytes; the message was skipped",
                )
            return await self._body(length)

    async def _header(self) -> int | Refused | None:
        """Consume one header block; its Content-Length (None at end of stream)."""
        while True:
            end = self.buffer.find(HEADER_END)
            if end < 0:
                if len(self.buffer) > MAX_HEADER:
                    self._skip_to_header(len(self.buffer) - len(HEADER_END))
                if not await self._more():
                    return None
                continue
            block = bytes(self.buffer[:end])
            del self.buffer[: end + len(HEADER_END)]
            match = LENGTH.search(block)
            if match is not None:
                if match.start() and block[: match.start()].strip():
                    log.warning("skipped %d bytes outside any message", match.start())
                return int(match.group(1))
            if block.strip():
                return Refused(
                    PARSE_ERROR,
                    "Parse error: a message needs a `Content-Length: N` header, then an empty "
                    "line, then N bytes of JSON",
                )

    def _skip_to_header(self, keep_from: int) -> None:
        """Drop bytes up to the next `Content-Length` header (or up to `keep_from`)."""
        match = LENGTH.search(self.buffer, 1)
        del self.buffer[: match.start() if match else keep_from]

    async def _body(self, length: int) -> Parsed | Refused:
        """The body of `length` bytes, checked against where its JSON value really ends."""
        scanned = 0
        while len(self.buffer) < length:
            # a declared length too large shows once the next frame's header has arrived
            if LENGTH.search(self.buffer, scanned):
                found = _json_end(bytes(self.buffer))
                if found is not None and _followed_by_header(self.buffer[found[1] :]):
                    return self._mismatch(length, *found)
            scanned = max(0, len(self.buffer) - 32)
            if not await self._more():
                del self.buffer[:]
                return Refused(PARSE_ERROR, "Parse error: the stream ended inside a message's body")
        body = bytes(self.buffer[:length])
        try:
            value = json.loads(body)
        except ValueError as exc:
            found = _json_end(bytes(self.buffer))
            if found is not None and found[1] != length:
                rest = self.buffer[found[1] :]
                if not rest.strip() or _followed_by_header(rest):
                    return self._mismatch(length, *found)
            del self.buffer[:length]
            return Refused(
                PARSE_ERROR, f"Parse error ({exc}): a message body must be one JSON-RPC object"
            )
        del self.buffer[:length]
        return Parsed(value)

    def _mismatch(self, declared: int, value: Any, actual: int) -> Refused:
        del self.buffer[:actual]
        return Refused(
            INVALID_REQUEST,
            f"Invalid request: its Content-Length is {declared} but its body is {actual} "
            "bytes; the message was not handled, the next one is read from its own header",
            message_id(value),
        )


def error_message(request_id: int | str | None, code: int, message: str) -> dict[str, Any]:
    """A JSON-RPC error response (`id` null when the request's id is not known)."""
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}
