"""Failures of the core as the language server answers them: JSON-RPC errors.

The core's errors know nothing of JSON-RPC; their kind (`CodeIndexError.code`) picks the
code here. A bad argument is InvalidParams (-32602), whose message names the field, what was
given and what is allowed; the other kinds get codes of their own, outside the ranges
JSON-RPC (-32099..-32000) and LSP (-32899..-32800) reserve, so that none is read as
ServerNotInitialized (-32002) or another code the protocol defines. `data` is the error as
JSON (`code`, `message`, `field`, ...): clients tell the kinds apart by `data.code`. Anything
else is a bug: it is logged with its traceback and answered as an internal error (-32603)
that says so, never as bad input.
"""

from __future__ import annotations

import logging

from pygls.exceptions import JsonRpcException

from codeindex.errors import BadArgument, CodeIndexError, internal

log = logging.getLogger(__name__)

INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
CODES: dict[str, int] = {
    "wrong_state": -31002,
    "model_unavailable": -31003,
    "index_unusable": -31004,
    "no_index": -31004,
    "semantic_unavailable": -31005,
    "model_loading": -31005,
    "vectors_damaged": -31006,
    "vector_store_unavailable": -31006,
}


def code_of(error: CodeIndexError) -> int:
    """The JSON-RPC code of a core error."""
    if isinstance(error, BadArgument):
        return INVALID_PARAMS
    return CODES.get(error.code, INTERNAL_ERROR)


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
    return JsonRpcException(message=message, code=code_of(error), data=data)
