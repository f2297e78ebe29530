"""Helpers for the MCP tests: the server built in this process and reached over the SDK's
in-memory transport (`mcp_memory`), or `codeindex mcp` as a subprocess driven by the SDK's
stdio client (`mcp_session`) when the process is what a test is about.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import jsonschema
import mcp_types as types
import pytest
from mcp import Client, ClientSession, StdioServerParameters, stdio_client
from mcp.client.session import ListRootsFnT

from codeindex.mcp_server.server import build_server


def server_env(model: Path) -> dict[str, str]:
    """Environment of the server: the tiny model, no downloads, no lingering workers."""
    return {
        "CODEINDEX_EMBED_MODEL_PATH": str(model),
        "CODEINDEX_ALLOW_DOWNLOAD": "0",
        "CODEINDEX_WORKER_LINGER": "0",
        "CODEINDEX_LOG_LEVEL": "INFO",
        "CODEINDEX_CACHE": "0",  # the machine-wide vector cache: tests/test_cache.py
    }


def serve_here(monkeypatch: pytest.MonkeyPatch, model: Path) -> None:
    """Give this process the server's environment (`server_env`): `mcp_memory` serves here,
    and the worker it starts inherits it."""
    for key, value in server_env(model).items():
        monkeypatch.setenv(key, value)


@asynccontextmanager
async def mcp_memory(
    workspace: Path | None, *, list_roots: ListRootsFnT | None = None
) -> AsyncIterator[ClientSession]:
    """The MCP server built in this process (`build_server`, as `codeindex mcp` builds it),
    a session initialized over the SDK's in-memory transport; the server ends after.

    Without a workspace the server serves the client's first root (`list_roots`). Set the
    environment with `serve_here` first.
    """
    server = build_server(workspace)
    async with Client(server, mode="legacy", list_roots_callback=list_roots, cache=None) as client:
        yield client.session


@asynccontextmanager
async def mcp_session(
    model: Path,
    log_path: Path,
    *,
    workspace: Path | None = None,
    cwd: Path | None = None,
    list_roots: ListRootsFnT | None = None,
    extra_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> AsyncIterator[ClientSession]:
    """Start `python -m codeindex mcp`, initialize a session, yield it; stop the server after.

    The server's environment is `server_env(model)` unless `env` gives another.
    """
    args = ["-m", "codeindex", "mcp", *extra_args]
    if workspace is not None:
        args += ["--workspace", str(workspace)]
    params = StdioServerParameters(
        command=sys.executable,
        args=args,
        env=env if env is not None else server_env(model),
        cwd=cwd or workspace,
    )
    with log_path.open("a", encoding="utf-8") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write, list_roots_callback=list_roots) as session,
        ):
            await session.initialize()
            yield session


async def call_ok(session: ClientSession, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    """Call a tool that must succeed; its structured result, checked against its output schema."""
    result = await session.call_tool(tool, args)
    text = result.content[0].text if result.content else ""
    assert not result.is_error, f"{tool}({args}) failed: {text}"
    assert isinstance(result.content[0], types.TextContent) and text.strip()
    structured = result.structured_content
    assert isinstance(structured, dict)
    tools = {t.name: t for t in (await session.list_tools()).tools}
    schema = tools[tool].output_schema
    assert schema is not None
    jsonschema.Draft202012Validator(schema).validate(structured)
    return structured


async def call_error(session: ClientSession, tool: str, args: dict[str, Any]) -> str:
    """Call a tool that must answer with a tool error (isError); the error's text.

    The text starts with the error's code; `_meta` carries the code, the message and the
    details (field, given, allowed) when the core gives them. An error has no structured
    content (that is for results, checked against the output schema).
    """
    result = await session.call_tool(tool, args)
    assert result.is_error, f"{tool}({args}) should have failed: {result.structured_content}"
    assert result.content and isinstance(result.content[0], types.TextContent)
    text = result.content[0].text
    assert result.structured_content is None
    assert result.meta is not None
    error = result.meta["codeindex/error"]
    assert isinstance(error, dict) and error["message"] in text
    assert text.startswith(f"{error['code']}: ")
    return text


async def until_finished(
    session: ClientSession, task_id: str, within: float = 300
) -> dict[str, Any]:
    """Follow a task through get_reindex_status until it ends; its final state."""
    with anyio.fail_after(within):
        while True:
            info = await call_ok(session, "get_reindex_status", {"task_id": task_id})
            if info["status"] in ("Completed", "Failed", "Cancelled"):
                return info
            await anyio.sleep(0.1)
