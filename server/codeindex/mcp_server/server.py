"""The MCP server over stdio: tools/list, tools/call, roots, and answers to malformed lines.

Built on the SDK's low-level `Server` (explicit input and output schemas; the
high-level decorators would derive schemas from Python signatures, and `async` is
a keyword). State lives in a typed lifespan context (`App`), never in module
globals. The workspace is opened at the first tool call: the `--workspace` flag,
else the client's first `file://` root (MCP roots), else the default the command
line chose.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import anyio
import mcp_types as types
from anyio.streams.memory import MemoryObjectSendStream
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared._stream_protocols import ReadStream, WriteStream
from mcp.shared.exceptions import MCPError
from mcp.shared.message import SessionMessage
from pydantic import ValidationError

from codeindex import __version__
from codeindex.app.service import CodeIndexService
from codeindex.mcp_server import core, tools
from codeindex.mcp_server.handlers import HANDLERS

log = logging.getLogger(__name__)

ROOTS_TIMEOUT_SECONDS = 10.0
INSTRUCTIONS = (
    "codeindex keeps a live index of this workspace: search_code and find_symbol query it. "
    "When results look stale or wrong, validate_index says what is wrong and gives the "
    "force_reindex arguments that fix it; force_reindex repairs it while search keeps working."
)


@dataclass
class App:
    """What every request of this server shares: the workspace and its open service."""

    workspace: Path | None
    default_root: Path
    overrides: Mapping[str, Any] | None = None
    _service: CodeIndexService | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def service(self, ctx: ServerRequestContext[App]) -> CodeIndexService:
        """The workspace's service, opened on first use (a failed open is retried next time)."""
        async with self._lock:
            if self._service is None:
                root = self.workspace or await _client_root(ctx) or self.default_root
                log.info("serving the workspace %s", root)
                self._service = await core.open_service(root, self.overrides)
            return self._service

    async def close(self) -> None:
        """End the session with the core, if one was opened."""
        if self._service is not None:
            service, self._service = self._service, None
            await core.close_service(service)


async def _client_root(ctx: ServerRequestContext[App]) -> Path | None:
    """The client's first `file://` root that is a folder, when the client offers roots."""
    caps = ctx.session.client_capabilities
    if caps is None or caps.roots is None or not ctx.session.can_send_request:
        return None
    try:
        listed = await ctx.session.send_request(
            types.ListRootsRequest(),
            types.ListRootsResult,
            request_read_timeout_seconds=ROOTS_TIMEOUT_SECONDS,
        )
    except Exception as exc:  # any failure to ask only costs the roots: use the default
        log.warning("the client's roots could not be read (%s); using the default", exc)
        return None
    for root in listed.roots:
        uri = urlparse(str(root.uri))
        path = Path(unquote(uri.path))
        if uri.scheme == "file" and path.is_dir():
            return path
    log.warning("no client root is a local folder; using the default")
    return None


def _tool(spec: tools.ToolSpec) -> types.Tool:
    return types.Tool(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        input_schema=spec.input_schema,
        output_schema=spec.output_schema,
        annotations=types.ToolAnnotations(
            title=spec.title,
            read_only_hint=spec.read_only,
            destructive_hint=False,
            idempotent_hint=spec.idempotent,
            open_world_hint=False,
        ),
    )


TOOL_LIST = types.ListToolsResult(tools=[_tool(spec) for spec in tools.TOOLS])


async def list_tools(
    ctx: ServerRequestContext[App], params: types.PaginatedRequestParams | None
) -> types.ListToolsResult:
    """Every tool with its input schema, output schema and annotations."""
    return TOOL_LIST


ERROR_META_KEY = "codeindex/error"


def _tool_error(report: core.ErrorReport) -> types.CallToolResult:
    """A tool error: the text says what was wrong and what is allowed.

    The details (code, message, field, given, allowed) ride in `_meta`, not in
    `structuredContent`: clients check structured content against the tool's output
    schema even on an error (the Inspector does), and an error is not a result.
    """
    return types.CallToolResult(
        content=[types.TextContent(text=report.text)],
        is_error=True,
        _meta={ERROR_META_KEY: report.to_dict()},
    )


async def call_tool(
    ctx: ServerRequestContext[App], params: types.CallToolRequestParams
) -> types.CallToolResult:
    """Run a tool; an error an agent can act on is a tool result with isError, never a crash."""
    spec = tools.BY_NAME.get(params.name)
    if spec is None:
        raise MCPError(
            code=types.INVALID_PARAMS,
            message=f"unknown tool {params.name!r}; the tools are "
            + ", ".join(t.name for t in tools.TOOLS),
        )
    try:
        service = await ctx.lifespan_context.service(ctx)
        outcome = await HANDLERS[spec.name](
            service, params.arguments or {}, ctx.session.report_progress
        )
    except Exception as exc:
        return _tool_error(core.report_of(exc))
    return types.CallToolResult(
        content=[types.TextContent(text=outcome.summary)], structured_content=outcome.data
    )


def build_server(
    workspace: Path | None, default_root: Path, overrides: Mapping[str, Any] | None = None
) -> Server[App]:
    """The MCP server for one workspace (or the client's first root)."""

    @asynccontextmanager
    async def lifespan(server: Server[App]) -> AsyncIterator[App]:
        app = App(workspace, default_root, overrides)
        try:
            yield app
        finally:
            with anyio.CancelScope(shield=True):
                await app.close()

    return Server[App](
        "codeindex",
        version=__version__,
        title="codeindex",
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def _error_for(exc: Exception) -> tuple[types.RequestId | None, types.ErrorData]:
    """A JSON-RPC error for a line that is not a JSON-RPC message (and its id, when it has one)."""
    errors = exc.errors() if isinstance(exc, ValidationError) else []
    invalid_json = [e for e in errors if e["type"] == "json_invalid"]
    if invalid_json or not errors:
        why = invalid_json[0]["msg"] if invalid_json else str(exc)
        return None, types.ErrorData(
            code=types.PARSE_ERROR,
            message=f"Parse error ({why[:200]}): each line must be one JSON-RPC 2.0 message",
        )
    request_id = None
    for error in errors:
        found = error.get("input")
        if isinstance(found, dict):
            candidate = found.get("id")
            if isinstance(candidate, str | int) and not isinstance(candidate, bool):
                request_id = candidate
                break
    return request_id, types.ErrorData(
        code=types.INVALID_REQUEST,
        message="Invalid request: a JSON-RPC 2.0 message needs jsonrpc '2.0' and a method "
        "(with an id for a request), or an id with a result or error",
    )


async def _answer_malformed(
    incoming: ReadStream[SessionMessage | Exception],
    replies: WriteStream[SessionMessage],
    forward: MemoryObjectSendStream[SessionMessage | Exception],
) -> None:
    """Pass messages on to the server; answer each line that is not one with a JSON-RPC error.

    The SDK's stdio transport reads such a line as an exception and its dispatcher drops
    it unanswered; JSON-RPC wants an error response (with a null id when none is known).
    """
    async with forward:
        async for item in incoming:
            if not isinstance(item, Exception):
                await forward.send(item)
                continue
            request_id, error = _error_for(item)
            log.warning("answered a malformed message with error %s", error.code)
            reply = types.JSONRPCError(jsonrpc="2.0", id=request_id, error=error)
            try:
                await replies.send(SessionMessage(reply))
            except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                return


async def serve_stdio(
    workspace: Path | None, default_root: Path, overrides: Mapping[str, Any] | None = None
) -> None:
    """Serve MCP over stdin/stdout until the client closes stdin."""
    server = build_server(workspace, default_root, overrides)
    async with stdio_server() as (incoming, replies):
        forward, checked = anyio.create_memory_object_stream[SessionMessage | Exception](0)
        async with anyio.create_task_group() as group:
            group.start_soon(_answer_malformed, incoming, replies, forward)
            await server.run(checked, replies, server.create_initialization_options())
            group.cancel_scope.cancel()
