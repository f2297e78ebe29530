"""The seam between the MCP tools and the core: opening, sessions, errors.

Everything the MCP server needs from the core beyond plain service calls sits
here, so that moving to the core's session API (`start_session`/`end_session`,
`codeindex.errors`) changes this module and nothing else.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeindex.config import ConfigError
from codeindex.embedder import ModelUnavailable
from codeindex.mcp_server.contract import BadArgument
from codeindex.migrate import SchemaError
from codeindex.search import SearchError
from codeindex.service import CodeIndexService
from codeindex.tasks import TaskNotFound, TaskStateError
from codeindex.workspace import OutsideWorkspaceError, WorkspaceError

log = logging.getLogger(__name__)

# the error kinds an agent can act on, most specific first, with the code the core gives them
_CODES: tuple[tuple[type[BaseException], str], ...] = (
    (BadArgument, "bad_argument"),
    (OutsideWorkspaceError, "outside_workspace"),
    (ConfigError, "bad_setting"),
    (WorkspaceError, "bad_argument"),
    (SearchError, "bad_argument"),
    (TaskNotFound, "unknown_task"),
    (TaskStateError, "wrong_state"),
    (ModelUnavailable, "model_unavailable"),
    (SchemaError, "index_unusable"),
)

# what an agent can do about each kind, said in the terms of the MCP tools
HINTS: dict[str, str] = {
    "unknown_task": "list_reindex_tasks lists the known task ids",
    "wrong_state": "get_reindex_status shows the task's state",
    "model_unavailable": "lexical search and find_symbol work without a model",
}


@dataclass(frozen=True, slots=True)
class ErrorReport:
    """An error as a tool result says it: a stable code and a message."""

    code: str
    message: str

    @property
    def text(self) -> str:
        """`code: message (hint)`."""
        hint = HINTS.get(self.code)
        return f"{self.code}: {self.message}" + (f" ({hint})" if hint else "")


def report_of(exc: BaseException) -> ErrorReport | None:
    """The report of an error an agent can act on; None for a bug."""
    for kind, code in _CODES:
        if isinstance(exc, kind):
            return ErrorReport(code, str(exc))
    return None


async def open_service(root: Path, overrides: Mapping[str, Any] | None = None) -> CodeIndexService:
    """Open the workspace's index and make sure a worker serves it while this session lives.

    Until the core's sessions land, the worker runs in this process: it waits for the
    lease when another process (the language server, a CLI worker) already serves the
    workspace, and takes over when that one dies.
    """
    service = await CodeIndexService.open(root, overrides)
    service.start_worker()
    return service


async def close_service(service: CodeIndexService) -> None:
    """End this session: stop the worker it runs (if any) and close the index."""
    await service.close()


async def sync_response(service: CodeIndexService, task_id: str) -> dict[str, Any]:
    """The force_reindex response of a task that has ended, with its result (a sync answer)."""
    return await service.reindex_response(task_id, with_result=True)


async def cancel_if_running(service: CodeIndexService, task_id: str) -> None:
    """Cancel a task whose sync request was cancelled; one that already ended stays as it is."""
    with contextlib.suppress(TaskStateError):
        await service.cancel_reindex(task_id)
    log.info("request cancelled: cancelled task %s", task_id)
