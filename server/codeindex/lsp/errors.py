"""Failures of the core as the language server answers them: JSON-RPC errors with codes.

A bad argument is `InvalidParams` (-32602) whose message names the field, what was given
and what is allowed; `data` carries the same as JSON (`code`, `message`, `field`, ...).
Anything that is not a known kind is a bug: it is logged with its traceback and answered
as an internal error that says so, never as bad input.

STOPGAP(core-api): `CoreError` and its kinds mirror `codeindex.errors` (CodeIndexError,
BadArgument, UnknownTask, WrongState, ...). When that lands they are imported from there
and `translate` only wraps what is not a CodeIndexError.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from pygls.exceptions import JsonRpcException

from codeindex.config import ConfigError
from codeindex.embedder import ModelUnavailable as _ModelUnavailable
from codeindex.migrate import SchemaError
from codeindex.search import SearchError
from codeindex.tasks import TaskNotFound, TaskStateError
from codeindex.workspace import OutsideWorkspaceError, WorkspaceError

log = logging.getLogger(__name__)


class CoreError(Exception):
    """A failure with a message that says what was wrong and what to do."""

    code: ClassVar[str] = "internal"
    jsonrpc_code: ClassVar[int] = -32603

    def __init__(self, message: str, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        self.data = {k: v for k, v in data.items() if v is not None}

    def to_dict(self) -> dict[str, Any]:
        """The error as JSON: code, message and details (field, given, allowed...)."""
        return {"code": self.code, "message": self.message, **self.data}


class BadArgument(CoreError):
    """An argument or setting has a value that cannot be used."""

    code = "bad_argument"
    jsonrpc_code = -32602


class OutsideWorkspace(BadArgument):
    """A path that resolves outside the workspace."""

    code = "outside_workspace"


class BadSetting(BadArgument):
    """A setting has a value that cannot be used."""

    code = "bad_setting"


class UnknownTask(BadArgument):
    """No task has that id."""

    code = "unknown_task"


class WrongState(CoreError):
    """The task's state does not allow the request (resume of a finished task, ...)."""

    code = "wrong_state"
    jsonrpc_code = -32002


class ModelUnavailable(CoreError):
    """No embedding model can be loaded."""

    code = "model_unavailable"
    jsonrpc_code = -32003


class IndexUnusable(CoreError):
    """The index cannot be opened or written."""

    code = "index_unusable"
    jsonrpc_code = -32004


class InternalError(CoreError):
    """A bug; the log has the traceback."""


def translate(exc: BaseException) -> CoreError:
    """The CoreError for anything the core raised."""
    if isinstance(exc, CoreError):
        return exc
    message = str(exc)
    if isinstance(exc, OutsideWorkspaceError):
        return OutsideWorkspace(f"paths: {message}", field="paths")
    if isinstance(exc, ConfigError):
        return BadSetting(message)
    if isinstance(exc, TaskNotFound):
        return UnknownTask(f"task_id: {message}", field="task_id")
    if isinstance(exc, TaskStateError):
        return WrongState(message)
    if isinstance(exc, SchemaError):
        return IndexUnusable(message)
    if isinstance(exc, _ModelUnavailable):
        return ModelUnavailable(message)
    if isinstance(exc, WorkspaceError | SearchError):
        return BadArgument(message)
    log.error("internal error", exc_info=exc)
    return InternalError(
        f"internal error ({type(exc).__name__}: {exc}); this is a bug in codeindex, not in "
        "your input: the server log has the traceback"
    )


def to_jsonrpc(error: CoreError) -> JsonRpcException:
    """The JSON-RPC error a request answers with."""
    return JsonRpcException(message=error.message, code=error.jsonrpc_code, data=error.to_dict())
