"""The MCP server over stdio: tools/list, tools/call, roots, and answers to malformed lines.

Built on the SDK's low-level `Server` (explicit input and output schemas; the
high-level decorators would derive schemas from Python signatures, and `async` is
a keyword). State lives in a typed lifespan context (`App`), never in module
globals. The workspace is opened at the first tool call: the `--workspace` flag,
else the client's first `file://` root (MCP roots). With neither (no flag, and a
client that offers no roots) the server refuses to start: `initialize` is answered with
an error that says how to give one, and the process exits with status 2.

`initialize` is answered once the SDK has loaded, with nothing of the index imported: the
index's code loads and the index opens at the first tool call. When the client goes
(stdin closes), the server ends at once; a sync `force_reindex` it was waiting on goes on
in the worker (only `notifications/cancelled` for that request cancels the task).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
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
from codeindex.errors import IndexUnusable
from codeindex.mcp_server import core, roots, tools
from codeindex.mcp_server.handlers import HANDLERS

if TYPE_CHECKING:
    from codeindex.app.service import CodeIndexService

log = logging.getLogger(__name__)

ROOTS_TIMEOUT_SECONDS = 10.0
HOW_TO_GIVE_A_WORKSPACE = (
    "start it with --workspace PATH (`codeindex mcp --workspace /path/to/project`, or the "
    "global --root PATH), or use a client that offers its folders as MCP roots"
)
NO_WORKSPACE = f"codeindex mcp has no workspace to serve: {HOW_TO_GIVE_A_WORKSPACE}"
INSTRUCTIONS = (
    "codeindex keeps a live index of this workspace: search_code and find_symbol query it. "
    "When results look stale or wrong, validate_index says what is wrong and gives the "
    "force_reindex arguments that fix it; force_reindex repairs it while search keeps working."
)


Workspaces = Path | Sequence[Path] | None
"""One workspace, several (`--workspace` repeated), or None (the client's roots)."""


def _listed(workspaces: Workspaces) -> tuple[Path, ...]:
    if workspaces is None:
        return ()
    return (workspaces,) if isinstance(workspaces, Path) else tuple(workspaces)


@dataclass
class App:
    """What every request of this server shares: the workspaces and their open services.

    The roots are the `--workspace` folders, else every `file://` root of the client that
    is a folder (read at the first tool call). Each root is a workspace with its own index.
    """

    workspaces: Workspaces
    overrides: Mapping[str, Any] | None = None
    client_left: bool = False  # stdin closed: requests still running lose their client
    _roots: tuple[Path, ...] = ()
    _services: dict[Path, CodeIndexService] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def workspace(self) -> Path | None:
        """The first workspace given on the command line."""
        given = _listed(self.workspaces)
        return given[0] if given else None

    async def roots(self, ctx: ServerRequestContext[App]) -> tuple[Path, ...]:
        """The served roots, in order (the first is the default one)."""
        async with self._lock:
            if not self._roots:
                self._roots = _listed(self.workspaces) or await _client_roots(ctx)
            return self._roots

    async def service(
        self, ctx: ServerRequestContext[App], root: Path | None = None
    ) -> CodeIndexService:
        """A root's service (the first root's by default), opened on first use (a failed
        open is retried next time)."""
        chosen = root or (await self.roots(ctx))[0]
        async with self._lock:
            if chosen not in self._services:
                log.info("serving the workspace %s", chosen)
                self._services[chosen] = await core.open_service(chosen, self.overrides)
            return self._services[chosen]

    def leave(self) -> None:
        """The client went away: what its requests started finishes in the worker."""
        self.client_left = True
        for service in self._services.values():
            service.client_left()

    async def close(self) -> None:
        """End the sessions with the core that were opened."""
        services, self._services = list(self._services.values()), {}
        for service in services:
            await core.close_service(service)


async def _client_roots(ctx: ServerRequestContext[App]) -> tuple[Path, ...]:
    """The client's `file://` roots that are folders; IndexUnusable when it has none."""
    caps = ctx.session.client_capabilities
    if caps is None or caps.roots is None or not ctx.session.can_send_request:
        raise IndexUnusable(NO_WORKSPACE)
    try:
        listed = await ctx.session.send_request(
            types.ListRootsRequest(),
            types.ListRootsResult,
            request_read_timeout_seconds=ROOTS_TIMEOUT_SECONDS,
        )
    except Exception as exc:
        log.warning("the client's roots could not be read: %s", exc)
        raise IndexUnusable(
            f"codeindex mcp has no workspace: the client's roots could not be read ({exc}); "
            f"{HOW_TO_GIVE_A_WORKSPACE}"
        ) from None
    found: list[Path] = []
    for root in listed.roots:
        uri = urlparse(str(root.uri))
        path = Path(unquote(uri.path))
        if uri.scheme == "file" and path.is_dir() and path.resolve() not in found:
            found.append(path.resolve())
    if found:
        return tuple(found)
    shown = ", ".join(str(r.uri) for r in listed.roots[:5]) or "none"
    raise IndexUnusable(
        f"codeindex mcp has no workspace: no root the client offers is a local folder "
        f"(roots: {shown}); {HOW_TO_GIVE_A_WORKSPACE}"
    )


def _tool(spec: tools.ToolSpec) -> types.Tool:
    return types.Tool(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        input_schema=roots.with_root(spec.input_schema),
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
    app, handler = ctx.lifespan_context, HANDLERS[spec.name]
    try:
        arguments, chosen = await roots.pick(app, ctx, spec.name, params.arguments or {})
        answers = []
        targets: list[Path | None] = list(chosen) if chosen else [None]
        for root in targets:
            service = await app.service(ctx, root)
            outcome = await handler(service, arguments, ctx.session.report_progress)
            answers.append((service.settings.root, outcome))
        outcome = roots.merge(spec.name, answers) if len(answers) > 1 else answers[0][1]
    except Exception as exc:
        return _tool_error(core.report_of(exc))
    return types.CallToolResult(
        content=[types.TextContent(text=outcome.summary)], structured_content=outcome.data
    )


def build_server(
    workspace: Workspaces, overrides: Mapping[str, Any] | None = None, app: App | None = None
) -> Server[App]:
    """The MCP server for one workspace (or the client's first root); `app` is the state its
    requests share (a new one when not given)."""

    @asynccontextmanager
    async def lifespan(server: Server[App]) -> AsyncIterator[App]:
        nonlocal app
        app = app or App(workspace, overrides)
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


def _refused(app: App, item: SessionMessage) -> bool:
    """True for `initialize` from a client that offers no roots when no workspace was given:
    the server has nothing to serve."""
    message = item.message
    if app.workspace is not None or not isinstance(message, types.JSONRPCRequest):
        return False
    if message.method != "initialize":
        return False
    params = message.params or {}
    capabilities = params.get("capabilities") if isinstance(params, dict) else None
    return not (isinstance(capabilities, dict) and capabilities.get("roots") is not None)


def _reply(item: SessionMessage | Exception, refused: bool) -> types.JSONRPCError | None:
    """The error that answers a message here (a malformed line; any request once the server
    refused to start), or None for one the server handles."""
    if isinstance(item, Exception):
        request_id, error = _error_for(item)
        log.warning("answered a malformed message with error %s", error.code)
        return types.JSONRPCError(jsonrpc="2.0", id=request_id, error=error)
    message = item.message
    if refused and isinstance(message, types.JSONRPCRequest):
        error = types.ErrorData(code=types.INVALID_REQUEST, message=NO_WORKSPACE)
        return types.JSONRPCError(jsonrpc="2.0", id=message.id, error=error)
    return None


@dataclass
class Outcome:
    """How a stdio session ended: refused to start (no workspace) or not."""

    refused: bool = False


async def _checked(
    app: App,
    incoming: ReadStream[SessionMessage | Exception],
    replies: WriteStream[SessionMessage],
    forward: MemoryObjectSendStream[SessionMessage | Exception],
    outcome: Outcome,
) -> None:
    """Pass messages on to the server, until stdin closes.

    A line that is not a message gets a JSON-RPC error here: the SDK's stdio transport reads
    it as an exception and its dispatcher drops it unanswered, and JSON-RPC wants an error
    response (with a null id when none is known). With no workspace and no roots,
    `initialize` (and every request after it) is answered with an error saying how to give
    one (`outcome.refused`). When stdin closes the client has left: `app.leave()` comes
    before the server sees the end, so no request cancelled by that end cancels its task.
    """
    async with forward:
        async for item in incoming:
            if not isinstance(item, Exception) and not outcome.refused:
                outcome.refused = _refused(app, item)
                if outcome.refused:
                    log.error("%s", NO_WORKSPACE)
            reply = _reply(item, outcome.refused)
            if reply is None:
                if not outcome.refused:
                    await forward.send(item)
                continue
            try:
                await replies.send(SessionMessage(reply))
            except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                break
        app.leave()


async def serve_stdio(
    workspace: Workspaces, overrides: Mapping[str, Any] | None = None
) -> str | None:
    """Serve MCP over stdin/stdout until the client closes stdin; why the server refused to
    start (no workspace), or None."""
    app = App(workspace, overrides)
    server = build_server(workspace, overrides, app)
    outcome = Outcome()
    async with stdio_server() as (incoming, replies):
        forward, checked = anyio.create_memory_object_stream[SessionMessage | Exception](0)
        async with anyio.create_task_group() as group:
            group.start_soon(_checked, app, incoming, replies, forward, outcome)
            await server.run(checked, replies, server.create_initialization_options())
            group.cancel_scope.cancel()
    return NO_WORKSPACE if outcome.refused else None
