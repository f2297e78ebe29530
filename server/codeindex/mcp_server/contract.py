"""Argument checking for the MCP tools, until `codeindex.contract` lands in the core.

Each function takes a tool's arguments (a JSON object) and returns the keyword
arguments of the matching service call, or raises `BadArgument` naming the field,
what was given and what is allowed. The names and shapes are those of
`codeindex.contract` (see the core API notes), so switching is an import.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

SCOPES = ("file", "files", "directory", "project", "embeddings-only")
PRIORITIES = ("high", "normal", "low")
STATUSES = ("Queued", "Running", "Paused", "Completed", "Failed", "Cancelled")
MODES = ("hybrid", "semantic", "lexical")
MATCHES = ("auto", "exact", "prefix", "substring")
TASK_ID = re.compile(r"^reindex_\d{14}_[0-9a-f]{8}$")
MAX_SEARCH_LIMIT = 1000
MAX_SYMBOL_LIMIT = 1000
MAX_LIST_LIMIT = 1000


class BadArgument(ValueError):
    """An argument has the wrong type or value; the message says which and what fits."""

    code = "bad_argument"

    def __init__(self, field: str, given: Any, allowed: str) -> None:
        super().__init__(f"{field} must be {allowed}; got {_show(given)}")
        self.field = field
        self.allowed = allowed


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True, default=repr)
    if len(text) > 80:
        text = text[:77] + "..."
    kind = {bool: "a boolean", int: "a number", float: "a number", str: "a string"}.get(
        type(value), "an array" if isinstance(value, list) else "an object"
    )
    return "null" if value is None else f"{text} ({kind})"


def _one_of(obj: Mapping[str, Any], field: str, choices: Sequence[str], default: str) -> str:
    value = obj.get(field, default)
    if value is None:
        return default
    if not isinstance(value, str) or value not in choices:
        raise BadArgument(field, value, "one of " + ", ".join(choices))
    return value


def _flag(obj: Mapping[str, Any], field: str, default: bool) -> bool:
    value = obj.get(field, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise BadArgument(field, value, "true or false")
    return value


def _text(obj: Mapping[str, Any], field: str, *, required: bool = False) -> str | None:
    value = obj.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise BadArgument(field, value, "a non-empty string" if required else "a string")
    return value


def _count(obj: Mapping[str, Any], field: str, default: int, high: int) -> int:
    value = obj.get(field, default)
    if value is None:
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= high:
        raise BadArgument(field, value, f"a whole number from 1 to {high}")
    return value


def reindex_args(obj: Mapping[str, Any]) -> dict[str, Any]:
    """force_reindex's arguments (scope, paths, priority, embeddings_only, async, ...)."""
    if obj.get("scope") is None:
        raise BadArgument("scope", None, "one of " + ", ".join(SCOPES) + " (it is required)")
    scope = _one_of(obj, "scope", SCOPES, "")
    paths = obj.get("paths")
    if paths is None:
        paths = []
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise BadArgument("paths", paths, 'an array of strings, e.g. ["src/app.py"]')
    return {
        "scope": scope,
        "paths": list(paths),
        "priority": _one_of(obj, "priority", PRIORITIES, "normal"),
        "embeddings_only": _flag(obj, "embeddings_only", False),
        "async_": _flag(obj, "async", True),
        "incremental": _flag(obj, "incremental", False),
        "recursive": _flag(obj, "recursive", True),
    }


def task_id_arg(obj: Mapping[str, Any]) -> str:
    """The task_id argument of get_reindex_status, pause, resume and cancel."""
    value = obj.get("task_id")
    if not isinstance(value, str) or not TASK_ID.match(value):
        raise BadArgument(
            "task_id", value, "a task id like reindex_20250101120000_0a1b2c3d (from force_reindex)"
        )
    return value


def list_args(obj: Mapping[str, Any]) -> dict[str, Any]:
    """list_reindex_tasks' arguments: status filter and limit."""
    status = obj.get("status")
    if status is not None:
        if not isinstance(status, str) or status.capitalize() not in STATUSES:
            raise BadArgument("status", status, "one of " + ", ".join(STATUSES))
        status = status.capitalize()
    return {"status": status, "limit": _count(obj, "limit", 50, MAX_LIST_LIMIT)}


def search_args(obj: Mapping[str, Any]) -> dict[str, Any]:
    """search_code's arguments: query, mode, limit, path prefix, language."""
    query = _text(obj, "query", required=True)
    mode = obj.get("mode")
    if mode is not None:
        mode = _one_of(obj, "mode", MODES, "")
    return {
        "query": query,
        "mode": mode,
        "limit": _count(obj, "limit", 10, MAX_SEARCH_LIMIT),
        "path": _text(obj, "path") or None,
        "language": _text(obj, "language") or None,
    }


def symbol_args(obj: Mapping[str, Any]) -> dict[str, Any]:
    """find_symbol's arguments: name, match, kind, limit."""
    return {
        "name": _text(obj, "name", required=True),
        "match": _one_of(obj, "match", MATCHES, "auto"),
        "kind": _text(obj, "kind") or None,
        "limit": _count(obj, "limit", 50, MAX_SYMBOL_LIMIT),
    }
