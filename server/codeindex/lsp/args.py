"""Checking the argument object of each workspace command against the contract.

STOPGAP(core-api): `codeindex.contract` (reindex_args, task_id_arg, list_args,
search_args, symbol_args) does this for every front-end; when it lands this module
goes and `commands` calls it. Each function takes the one argument object of a
command and returns keyword arguments for the core, or raises BadArgument naming the
field, what was given and what is allowed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from codeindex.lsp.errors import BadArgument

SCOPES = ("file", "files", "directory", "project", "embeddings-only")
PRIORITIES = ("high", "normal", "low")
STATUSES = ("Queued", "Running", "Paused", "Completed", "Failed", "Cancelled")
MODES = ("hybrid", "semantic", "lexical")
MATCHES = ("auto", "exact", "prefix", "substring")
MAX_LIMIT = 1000


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, Sequence):
        return "a list"
    return type(value).__name__


def _shown(value: Any) -> str:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def bad(field: str, given: Any, allowed: str) -> BadArgument:
    """The error for one field: what was given (and its JSON type) and what is allowed."""
    message = f"{field}: got {_shown(given)} ({_json_type(given)}); allowed: {allowed}"
    return BadArgument(message, field=field, given=given, allowed=allowed)


def _fields(obj: Mapping[str, Any], allowed: Sequence[str], required: Sequence[str]) -> None:
    unknown = [k for k in obj if k not in allowed]
    if unknown:
        name = unknown[0]
        raise BadArgument(
            f"{name}: unknown field (given {_shown(obj[name])}); allowed fields: "
            f"{', '.join(allowed)}",
            field=name,
            given=obj[name],
            allowed=", ".join(allowed),
        )
    for name in required:
        if name not in obj or obj[name] is None:
            raise BadArgument(
                f"{name}: missing; it is required (fields: {', '.join(allowed)})",
                field=name,
                allowed=", ".join(allowed),
            )


def _choice(obj: Mapping[str, Any], field: str, choices: Sequence[str], default: str) -> str:
    value = obj.get(field, default)
    if not isinstance(value, str) or value not in choices:
        raise bad(field, value, ", ".join(choices))
    return value


def _flag(obj: Mapping[str, Any], field: str, default: bool) -> bool:
    value = obj.get(field, default)
    if not isinstance(value, bool):
        raise bad(field, value, "true or false")
    return value


def _limit(obj: Mapping[str, Any], default: int) -> int:
    value = obj.get("limit", default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
        raise bad("limit", value, f"a whole number from 1 to {MAX_LIMIT}")
    return value


def _text(obj: Mapping[str, Any], field: str, *, required: bool) -> str | None:
    value = obj.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()) or "\0" in value:
        raise bad(field, value, "a non-empty string" if required else "a string")
    return value


def reindex_args(obj: Mapping[str, Any]) -> dict[str, Any]:
    """force_reindex: scope, paths, priority, embeddings_only, async, incremental, recursive."""
    fields = ("scope", "paths", "priority", "embeddings_only", "async", "incremental", "recursive")
    _fields(obj, fields, ("scope",))
    scope = _choice(obj, "scope", SCOPES, "")
    paths = obj.get("paths", [])
    if paths is None:
        paths = []
    if (
        isinstance(paths, str)
        or not isinstance(paths, Sequence)
        or not all(isinstance(p, str) and p and "\0" not in p for p in paths)
    ):
        raise bad("paths", paths, "a list of workspace-relative or absolute paths (strings)")
    return {
        "scope": scope,
        "paths": list(paths),
        "priority": _choice(obj, "priority", PRIORITIES, "normal"),
        "embeddings_only": _flag(obj, "embeddings_only", False),
        "async_": _flag(obj, "async", True),
        "incremental": _flag(obj, "incremental", False),
        "recursive": _flag(obj, "recursive", True),
    }


def task_id_arg(obj: Mapping[str, Any]) -> str:
    """The task_id of reindexStatus, pause, resume and cancel."""
    _fields(obj, ("task_id",), ("task_id",))
    value = obj["task_id"]
    if not isinstance(value, str) or not value.strip():
        raise bad("task_id", value, "a task id string like reindex_20250101120000_1a2b3c4d")
    return value


def list_args(obj: Mapping[str, Any]) -> dict[str, Any]:
    """listTasks: status (optional), limit (default 20)."""
    _fields(obj, ("status", "limit"), ())
    status = obj.get("status")
    if status is not None:
        matched = [s for s in STATUSES if isinstance(status, str) and s.lower() == status.lower()]
        if not matched:
            raise bad("status", status, ", ".join(STATUSES))
        status = matched[0]
    return {"status": status, "limit": _limit(obj, 20)}


def search_args(obj: Mapping[str, Any]) -> dict[str, Any]:
    """search: query, mode, limit, path, language."""
    _fields(obj, ("query", "mode", "limit", "path", "language"), ("query",))
    mode = obj.get("mode")
    if mode is not None:
        mode = _choice(obj, "mode", MODES, "")
    return {
        "query": _text(obj, "query", required=True),
        "mode": mode,
        "limit": _limit(obj, 10),
        "path": _text(obj, "path", required=False),
        "language": _text(obj, "language", required=False),
    }


def symbol_args(obj: Mapping[str, Any]) -> dict[str, Any]:
    """findSymbol: name, match, kind, limit."""
    _fields(obj, ("name", "match", "kind", "limit"), ("name",))
    return {
        "name": _text(obj, "name", required=True),
        "match": _choice(obj, "match", MATCHES, "auto"),
        "kind": _text(obj, "kind", required=False),
        "limit": _limit(obj, 50),
    }
