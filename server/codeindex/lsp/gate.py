"""What a message may do in the session's state: the LSP lifecycle rules and bounded strings.

Every message read from the wire passes here before pygls handles it:

- before `initialize`, a request is answered ServerNotInitialized (-32002) and a
  notification dropped (but `exit`);
- a second `initialize` is an InvalidRequest: one server serves one folder for its life;
- after `shutdown`, a request is an InvalidRequest (only `exit` is left to send) and a
  notification is dropped;
- a body that is not a JSON-RPC message is an InvalidRequest;
- no string in a message is longer than MAX_STRING characters (a document's `text` aside):
  a request carrying one is answered InvalidParams naming the field, a notification dropped.

The session moves to its next phase when the message that moves it is let through, in the
order messages arrive: a request sent after `shutdown` is refused even while `shutdown`
itself is being answered.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from codeindex.lsp.wire import INVALID_REQUEST, error_message, message_id

if TYPE_CHECKING:
    from codeindex.lsp.server import CodeIndexServer

log = logging.getLogger(__name__)

INVALID_PARAMS = -32602
SERVER_NOT_INITIALIZED = -32002
MAX_STRING = 65_536
UNBOUNDED = frozenset({"text"})  # a document's content (didOpen, didChange, didSave)
MAX_DEPTH = 64


def _too_long(value: Any, where: str = "params", depth: int = 0) -> str | None:
    """Where a string (or key) longer than MAX_STRING is, and how long; None if none is."""
    if isinstance(value, str):
        return f"{where} is {len(value)} characters long" if len(value) > MAX_STRING else None
    if depth > MAX_DEPTH:
        return f"{where} is nested more than {MAX_DEPTH} levels deep"
    if isinstance(value, dict):
        for key, item in value.items():
            if len(key) > MAX_STRING:
                return f"a key in {where} is {len(key)} characters long"
            if key not in UNBOUNDED:
                found = _too_long(item, f"{where}.{key}", depth + 1)
                if found:
                    return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _too_long(item, f"{where}[{i}]", depth + 1)
            if found:
                return found
    return None


def _structure(value: Any) -> str | None:
    """What makes a JSON value not a JSON-RPC 2.0 message; None when it is one."""
    if not isinstance(value, dict):
        return "a message must be a JSON object"
    if value.get("jsonrpc") != "2.0":
        return 'a message needs "jsonrpc": "2.0"'
    if "method" not in value:
        if "id" in value and ("result" in value or "error" in value):
            return None  # the client's answer to one of our requests
        return "a message needs a method (a request or notification) or a result or error"
    if not isinstance(value["method"], str):
        return "method must be a string"
    if "id" in value and message_id(value) is None:
        return "a request's id must be a string or an integer"
    return None


def _refuse(ls: CodeIndexServer, value: Any, code: int, message: str) -> None:
    """Answer a request with an error; a notification gets none (it is only logged)."""
    is_request = isinstance(value, dict) and "id" in value
    if is_request or code == INVALID_REQUEST:
        ls.rpc._send_data(error_message(message_id(value), code, message))
    log.info("refused a message (%s): %s", code, message)


def admit(ls: CodeIndexServer, value: Any) -> bool:
    """True when pygls may handle the message; else it was answered (or dropped) here.

    `exit` is never let through: it ends the session (`exit_requested`).
    """
    problem = _structure(value)
    if problem:
        _refuse(ls, value, INVALID_REQUEST, f"Invalid request: {problem}")
        return False
    method = value.get("method")
    if method is None:
        return True
    is_request = "id" in value
    if method == "exit":
        ls.exit_requested.set()
        return False
    if ls.phase == "new" and not (method == "initialize" and is_request):
        if is_request:
            _refuse(ls, value, SERVER_NOT_INITIALIZED, _before_initialize(method))
        return False
    if method == "initialize" and ls.phase != "new":
        _refuse(ls, value, INVALID_REQUEST, _again(ls))
        return False
    if ls.phase == "shutdown":
        if is_request:
            _refuse(ls, value, INVALID_REQUEST, _after_shutdown(method))
        return False
    long = _too_long(value.get("params"))
    if long:
        _refuse(ls, value, INVALID_PARAMS, f"{method}: {long}; at most {MAX_STRING} are allowed")
        return False
    return True


def enter(ls: CodeIndexServer, value: dict[str, Any]) -> None:
    """The session's phase after a message pygls will handle (`initialize`, `shutdown`)."""
    method = value.get("method")
    if method == "initialize":
        ls.phase = "running"
        ls.rpc.initialize_id = message_id(value)
    elif method == "shutdown":
        ls.phase = "shutdown"


def _before_initialize(method: str) -> str:
    return f"the server is not initialized: send initialize first (got {method!r} before it)"


def _again(ls: CodeIndexServer) -> str:
    roots = ", ".join(str(f.root) for f in ls.folders.all())
    served = f"it serves {roots}" if roots else "it serves no folder"
    return (
        f"Invalid request: initialize was already received ({served}); folders are added "
        "and removed with workspace/didChangeWorkspaceFolders"
    )


def _after_shutdown(method: str) -> str:
    return (
        f"Invalid request: the server is shut down ({method!r} came after shutdown); only "
        "the exit notification is accepted now"
    )
