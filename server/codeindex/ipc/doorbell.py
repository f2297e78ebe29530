"""A cross-process doorbell: wakes the worker of a workspace as soon as work is queued.

The queue lives in SQLite, so a worker in another process would otherwise learn of new
work only at its next poll. On Linux the worker binds a datagram socket in the abstract
namespace, named after the data directory; any process that commits work rings it with
one byte. The name vanishes with the process that bound it (no file to clean up after a
SIGKILL), and a second binder is refused, which suits one worker per workspace.

Ringing never fails and never blocks: when no worker listens, or the platform has no
abstract sockets, the ring is dropped and the worker's poll picks the work up instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import sys
from pathlib import Path

log = logging.getLogger(__name__)

SUPPORTED = sys.platform.startswith("linux")


def address(data_dir: Path) -> str:
    """The abstract socket name of the worker of the index in `data_dir`."""
    digest = hashlib.sha256(os.fsencode(data_dir.resolve())).hexdigest()[:32]
    return f"\0codeindex-worker-{digest}"


def ring(data_dir: Path) -> bool:
    """Wake the worker of `data_dir` if one listens; True when the ring was delivered."""
    if not SUPPORTED:
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        try:
            sock.sendto(b"!", address(data_dir))
        except OSError:  # nobody listens, or its buffer is full: it is awake anyway
            return False
    return True


class Listener:
    """The worker's end: sets `event` whenever the doorbell rings."""

    def __init__(self, data_dir: Path, event: asyncio.Event) -> None:
        self._address = address(data_dir)
        self._event = event
        self._sock: socket.socket | None = None

    @property
    def listening(self) -> bool:
        return self._sock is not None

    def open(self) -> bool:
        """Start listening; False when the platform or another process prevents it."""
        if not SUPPORTED or self._sock is not None:
            return self._sock is not None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            sock.bind(self._address)
        except OSError as exc:
            sock.close()
            log.info("doorbell not bound (%s); the worker polls instead", exc)
            return False
        sock.setblocking(False)
        asyncio.get_running_loop().add_reader(sock.fileno(), self._drain)
        self._sock = sock
        return True

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is None:
            return
        with contextlib.suppress(Exception):
            asyncio.get_running_loop().remove_reader(sock.fileno())
        sock.close()

    def _drain(self) -> None:
        assert self._sock is not None
        with contextlib.suppress(OSError):
            while self._sock.recv(64):
                pass
        self._event.set()
