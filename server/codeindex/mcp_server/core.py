"""The seam between the MCP tools and the core: the session, and errors as tool results.

Opening a workspace starts an MCP session with the core (`start_session("mcp")`): from
then on the core makes sure a worker serves the workspace (a worker process, replaced
if it dies; a worker already serving for the CLI or the language server is shared) and
keeps it while the session lives. The MCP server itself runs no worker and watches no
queue: it calls the service. The service's code is imported when the first tool call opens
the workspace, not before `initialize` is answered.

A task outlives the request that created it: when the client goes away during a sync
`force_reindex`, the task finishes in the worker; only a cancelled request (the client's
`notifications/cancelled`) cancels it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codeindex.errors import CodeIndexError, WrongState, internal

if TYPE_CHECKING:
    from codeindex.app.service import CodeIndexService
    from codeindex.contract import ReindexResponse

log = logging.getLogger(__name__)

# what an agent can do about each kind, said in the terms of the MCP tools
HINTS: dict[str, str] = {
    "unknown_task": "list_reindex_tasks lists the known task ids",
    "wrong_state": "get_reindex_status shows the task's state",
    "semantic_unavailable": "search with mode lexical, or see get_index_status",
    "model_unavailable": "lexical search and find_symbol work without a model",
}


@dataclass(frozen=True, slots=True)
class ErrorReport:
    """An error as a tool result says it: a stable code, a message and its details."""

    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """`code: message (what to call next)`."""
        hint = HINTS.get(self.code)
        return f"{self.code}: {self.message}" + (f" ({hint})" if hint else "")

    def to_dict(self) -> dict[str, Any]:
        """`{code, message, ...details}`: the details of a tool error, for client programs."""
        return {**self.details, "code": self.code, "message": self.message}


def report_of(exc: Exception) -> ErrorReport:
    """The report of an error; anything but a CodeIndexError is a bug, logged with its traceback."""
    if not isinstance(exc, CodeIndexError):
        log.error("internal error", exc_info=exc)
        exc = internal(exc)
    return ErrorReport(exc.code, exc.message, exc.to_dict())


async def open_service(root: Path, overrides: Mapping[str, Any] | None = None) -> CodeIndexService:
    """Open the workspace's index and start this server's session with the core."""
    from codeindex.app.service import CodeIndexService

    service = await CodeIndexService.open(root, overrides)
    try:
        await service.start_session("mcp")
    except BaseException:
        await service.close()
        raise
    return service


async def close_service(service: CodeIndexService) -> None:
    """End the session (the worker stays for the other clients, or lingers) and close."""
    await service.close()


async def sync_response(service: CodeIndexService, task_id: str) -> ReindexResponse:
    """The force_reindex response of a task that has ended, with its result (a sync answer)."""
    return await service.reindex_response(task_id, with_result=True)


async def cancel_if_running(service: CodeIndexService, task_id: str) -> None:
    """Cancel a task whose sync request was cancelled; one that already ended stays as it is,
    and so does one whose client went away (it finishes in the worker)."""
    if service.client_gone:
        log.info("the client left: task %s goes on in the worker", task_id)
        return
    with contextlib.suppress(WrongState):
        await service.cancel_reindex(task_id)
        log.info("request cancelled: cancelled task %s", task_id)
