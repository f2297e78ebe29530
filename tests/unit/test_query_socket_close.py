"""A worker that leaves closes its query socket: requests under way still get their answer
(the process closes the index right after, so an answer cut short would be an error)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from codeindex.ipc import query_socket
from codeindex.ipc.query_socket import QueryServer

pytestmark = pytest.mark.skipif(not query_socket.SUPPORTED, reason="abstract sockets: Linux")


async def test_closing_lets_the_answers_under_way_finish(tmp_path: Path) -> None:
    started = asyncio.Event()
    release = asyncio.Event()

    async def handler(op: str, args: dict[str, Any]) -> Any:
        started.set()
        await release.wait()
        return {"answered": args["n"]}

    server = QueryServer(tmp_path, handler)
    assert await server.open()
    asking = asyncio.create_task(
        query_socket.ask_async(tmp_path, "symbols", {"n": 1}, ack_seconds=5, answer_seconds=5)
    )
    await asyncio.wait_for(started.wait(), 5)
    closing = asyncio.create_task(server.close())
    await asyncio.sleep(0)  # the close has begun: no new request is taken
    assert (
        await query_socket.ask_async(tmp_path, "symbols", {"n": 2}, ack_seconds=1, answer_seconds=1)
        is None
    )
    assert not closing.done()  # it waits for the answer under way
    release.set()
    answer = await asyncio.wait_for(asking, 5)
    assert answer == {"v": query_socket.PROTOCOL, "ok": True, "result": {"answered": 1}}
    await asyncio.wait_for(closing, 5)


async def test_a_server_that_acknowledges_and_never_answers_is_late(tmp_path: Path) -> None:
    release = asyncio.Event()

    async def handler(op: str, args: dict[str, Any]) -> Any:
        await release.wait()

    server = QueryServer(tmp_path, handler)
    assert await server.open()
    try:
        with pytest.raises(query_socket.Late, match=r"not answered within 0\.2 s"):
            await query_socket.ask_async(tmp_path, "symbols", {}, ack_seconds=2, answer_seconds=0.2)
    finally:
        release.set()
        await server.close()


async def test_nobody_listening_is_no_answer_at_once(tmp_path: Path) -> None:
    assert (
        await query_socket.ask_async(tmp_path, "symbols", {}, ack_seconds=1, answer_seconds=1)
        is None
    )
