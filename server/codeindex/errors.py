"""Errors with one root: every failure a user can act on is a `CodeIndexError` with a stable code.

Each front-end maps the same kinds to its own protocol: the CLI exits with `exit_code`,
the language server answers a JSON-RPC error whose code it picks from `code`
(`lsp.error_codes`), the MCP server returns a tool error (`isError`) whose text starts with
`code` and carries `to_dict()` in its `_meta`. An exception that is not a
`CodeIndexError` is a bug: front-ends report it as `internal`, never as bad input.
"""

from __future__ import annotations

from typing import Any, ClassVar

EXIT_BAD_INPUT = 2
EXIT_UNAVAILABLE = 3
EXIT_INTERNAL = 70  # EX_SOFTWARE


class CodeIndexError(Exception):
    """A failure with a message that says what was wrong and what to do."""

    code: ClassVar[str] = "internal"
    exit_code: ClassVar[int] = EXIT_INTERNAL

    def __init__(self, message: str, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        self.data: dict[str, Any] = {k: v for k, v in data.items() if v is not None}

    def to_dict(self) -> dict[str, Any]:
        """The error as JSON: code, message and any details (field, given, allowed...)."""
        return {"code": self.code, "message": self.message, **self.data}


class BadArgument(CodeIndexError):
    """An argument or setting the caller gave has a value that cannot be used."""

    code = "bad_argument"
    exit_code = EXIT_BAD_INPUT


class OutsideWorkspace(BadArgument):
    """A path that resolves outside the workspace root (invariant 7)."""

    code = "outside_workspace"


class ConfigError(BadArgument):
    """A setting has a value we cannot use; the message names it and says what fits."""

    code = "bad_setting"


class UnknownTask(BadArgument):
    """No reindex task has that id."""

    code = "unknown_task"


class WrongState(CodeIndexError):
    """The task is in a state that does not allow the request (say, resume of a finished task)."""

    code = "wrong_state"
    exit_code = EXIT_BAD_INPUT


class ModelUnavailable(CodeIndexError):
    """No embedding model can be loaded; `reason` says why and `hint` what to set."""

    code = "model_unavailable"
    exit_code = EXIT_UNAVAILABLE

    def __init__(self, reason: str, hint: str) -> None:
        super().__init__(f"{reason}; {hint}", reason=reason, hint=hint)
        self.reason = reason
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.reason}; {self.hint}"


class EngineUnavailable(ModelUnavailable):
    """The engine did not answer in time (unreachable, timeouts, 429, 5xx): try again later."""

    def __init__(self, reason: str, hint: str, endpoint: str, status: str) -> None:
        super().__init__(reason, hint)
        self.endpoint = endpoint
        self.status = status


class SemanticUnavailable(CodeIndexError):
    """Semantic search cannot answer yet (no model, nothing embedded, vectors missing)."""

    code = "semantic_unavailable"
    exit_code = EXIT_UNAVAILABLE


class ModelLoading(SemanticUnavailable):
    """The worker is loading the embedding model: semantic search answers in a few seconds."""

    code = "model_loading"


class VectorsDamaged(CodeIndexError):
    """A model's vector table cannot be read or written (files damaged or removed)."""

    code = "vectors_damaged"
    exit_code = EXIT_UNAVAILABLE


class VectorStoreUnavailable(CodeIndexError):
    """The shared vector store (`vectors.uri`) cannot be reached or used: wrong settings, no
    credentials, no bucket, endpoint down. Nothing is set aside or rebuilt; embeddings stay
    pending and full-text search answers meanwhile.

    Not a kind of `VectorsDamaged`: a damaged table is set aside and embedded again, an
    outage is waited out, so no handler of the one may catch the other.
    """

    code = "vector_store_unavailable"
    exit_code = EXIT_UNAVAILABLE


class IndexUnusable(CodeIndexError):
    """The index cannot be opened or written (newer schema, corrupt file, read-only folder)."""

    code = "index_unusable"
    exit_code = EXIT_UNAVAILABLE


class InternalError(CodeIndexError):
    """A bug: something failed that should not have. The log has the traceback."""


def from_dict(data: dict[str, Any]) -> CodeIndexError:
    """The error another process reported (`to_dict`), as the class of its code."""
    message = str(data.get("message") or "the request failed")
    extra = {k: v for k, v in data.items() if k not in ("code", "message", "exit_code")}
    kind: type[CodeIndexError] = InternalError
    kinds: list[type[CodeIndexError]] = [CodeIndexError]
    while kinds:
        candidate = kinds.pop()
        if candidate.code == data.get("code"):
            kind = candidate
            break
        kinds.extend(candidate.__subclasses__())
    error = kind.__new__(kind)  # its own __init__ may take other arguments
    CodeIndexError.__init__(error, message, **extra)
    if isinstance(error, ModelUnavailable):
        error.reason = str(extra.get("reason", message))
        error.hint = str(extra.get("hint", ""))
    return error


def internal(exc: BaseException) -> InternalError:
    """Wrap an unexpected exception for a user: say it is a bug, not bad input."""
    text = str(exc)
    if len(text) > 300:
        text = text[:300] + "..."
    return InternalError(
        f"internal error ({type(exc).__name__}: {text}); this is a bug in codeindex, not in "
        "your input: run again with --log-level DEBUG to see where it happened"
    )
