"""Failures of the core as the language server answers them: JSON-RPC errors.

Each `CodeIndexError` carries its JSON-RPC code (a bad argument is InvalidParams,
-32602, whose message names the field, what was given and what is allowed); `data` is
the error as JSON (`code`, `message`, `field`, ...). Anything else is a bug: it is logged
with its traceback and answered as an internal error that says so, never as bad input.
"""

from __future__ import annotations

import logging

from pygls.exceptions import JsonRpcException

from codeindex.errors import BadArgument, CodeIndexError, internal

log = logging.getLogger(__name__)


def translate(exc: BaseException) -> CodeIndexError:
    """The CodeIndexError for anything a handler raised (an internal one for a bug)."""
    if isinstance(exc, CodeIndexError):
        return exc
    log.error("internal error", exc_info=exc)
    return internal(exc)


def to_jsonrpc(error: CodeIndexError, about: str | None = None) -> JsonRpcException:
    """The JSON-RPC error a request answers with.

    `about` names the field a bad argument that names none is about (the paths of a
    reindex: the core's path errors say what and why, not which field).
    """
    message, data = error.message, error.to_dict()
    if isinstance(error, BadArgument) and about and "field" not in data:
        message = f"{about}: {message}"
        data = {**data, "message": message, "field": about}
    return JsonRpcException(message=message, code=error.jsonrpc_code, data=data)
