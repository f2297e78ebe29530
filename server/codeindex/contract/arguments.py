"""The checking of raw arguments: untyped JSON in, the service's keyword arguments out.

Front-ends receive untyped JSON. `reindex_args`, `task_id_arg`, `list_args`,
`search_args` and `symbol_args` turn it into the keyword arguments of the service's
methods, or raise `BadArgument` naming the field, what was given and what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from codeindex.contract.results import (
    Priority,
    ScopeName,
    SearchMode,
    SearchOutput,
    SymbolMatch,
    TaskStatusName,
)
from codeindex.errors import BadArgument

SCOPES: tuple[str, ...] = get_args(ScopeName)
PRIORITIES: tuple[str, ...] = get_args(Priority)
STATUSES: tuple[str, ...] = get_args(TaskStatusName)
SEARCH_MODES: tuple[str, ...] = get_args(SearchMode)
SYMBOL_MATCHES: tuple[str, ...] = get_args(SymbolMatch)
SEARCH_OUTPUTS: tuple[str, ...] = get_args(SearchOutput)
MAX_PATHS = 10_000
MAX_LIMIT = 1000
MAX_TEXT = 4096
MAX_PREFIXES = 100  # path prefixes a search may include or exclude
MAX_CONTEXT_LINES = 20
MIN_TOKENS, MAX_TOKENS = 100, 1_000_000


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _bad(name: str, value: Any, expected: str, allowed: Any = None) -> BadArgument:
    return BadArgument(
        f"{name} must be {expected}; got {_describe(value)}",
        field=name,
        given=value if isinstance(value, str | int | float | bool) or value is None else None,
        allowed=allowed,
    )


def _only(obj: Any, known: tuple[str, ...], what: str) -> Mapping[str, Any]:
    if obj is None:
        return {}
    if not isinstance(obj, Mapping):
        raise BadArgument(
            f"{what} takes one object with the fields {', '.join(known)}; got {_describe(obj)}",
            allowed=list(known),
        )
    unknown = sorted(k for k in obj if k not in known)
    if unknown:
        raise BadArgument(
            f"{what} has no field {', '.join(map(repr, unknown))}; its fields are "
            f"{', '.join(known)}",
            field=unknown[0],
            allowed=list(known),
        )
    return obj


def _choice(obj: Mapping[str, Any], name: str, choices: tuple[str, ...], default: Any) -> Any:
    value = obj.get(name)
    if value is None:
        return default
    if not isinstance(value, str) or value not in choices:
        lowered = value.lower() if isinstance(value, str) else None
        match = next((c for c in choices if c.lower() == lowered), None)
        if match is None:
            raise _bad(name, value, f"one of {', '.join(choices)}", list(choices))
        return match
    return value


def _bool(obj: Mapping[str, Any], name: str, default: bool) -> bool:
    value = obj.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _bad(name, value, "true or false")
    return value


def _int(
    obj: Mapping[str, Any], name: str, default: int, low: int = 1, high: int = MAX_LIMIT
) -> int:
    value = obj.get(name)
    if value is None:
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(name, value, f"a whole number from {low} to {high}")
    return value


def _text(
    obj: Mapping[str, Any], name: str, *, required: bool = False, allow_empty: bool = False
) -> str | None:
    value = obj.get(name)
    if value is None:
        if required:
            raise BadArgument(f"{name} is required: give it as a string", field=name)
        return None
    if not isinstance(value, str):
        raise _bad(name, value, "a string")
    if not allow_empty and not value.strip():
        raise _bad(name, value, "a non-empty string")
    if "\0" in value:
        raise _bad(name, value, "a string without NUL bytes")
    if len(value) > MAX_TEXT:
        raise BadArgument(
            f"{name} is {len(value)} characters long; at most {MAX_TEXT} are allowed", field=name
        )
    return value


def _paths(obj: Mapping[str, Any]) -> list[str]:
    value = obj.get("paths")
    if value is None:
        return []
    if isinstance(value, str):
        raise _bad("paths", value, "an array of strings (wrap a single path in [ ])")
    if not isinstance(value, list):
        raise _bad("paths", value, "an array of strings")
    if len(value) > MAX_PATHS:
        raise BadArgument(
            f"paths has {len(value)} entries; at most {MAX_PATHS} are allowed: reindex their "
            "folder (scope directory) or the project instead",
            field="paths",
        )
    for i, path in enumerate(value):
        if not isinstance(path, str) or not path:
            raise _bad(f"paths[{i}]", path, "a non-empty string")
        if "\0" in path:
            raise _bad(f"paths[{i}]", path, "a path without NUL bytes")
    return list(value)


REINDEX_FIELDS = (
    "scope",
    "paths",
    "priority",
    "embeddings_only",
    "async",
    "incremental",
    "recursive",
)


def reindex_args(obj: Any) -> dict[str, Any]:
    """The keyword arguments of `CodeIndexService.force_reindex` from a contract object."""
    args = _only(obj, REINDEX_FIELDS, "force_reindex")
    if args.get("scope") is None:
        raise BadArgument(
            f"scope is required: one of {', '.join(SCOPES)}", field="scope", allowed=list(SCOPES)
        )
    return {
        "scope": _choice(args, "scope", SCOPES, None),
        "paths": _paths(args),
        "priority": _choice(args, "priority", PRIORITIES, "normal"),
        "embeddings_only": _bool(args, "embeddings_only", False),
        "async_": _bool(args, "async", True),
        "incremental": _bool(args, "incremental", False),
        "recursive": _bool(args, "recursive", True),
    }


def task_id_arg(obj: Any) -> str:
    """The `task_id` of a status/pause/resume/cancel request."""
    args = _only(obj, ("task_id",), "this command")
    task_id = _text(args, "task_id", required=True)
    assert task_id is not None
    return task_id


def list_args(obj: Any) -> dict[str, Any]:
    """The keyword arguments of `list_reindex_tasks`."""
    args = _only(obj, ("status", "limit"), "list_reindex_tasks")
    return {
        "status": _choice(args, "status", STATUSES, None),
        "limit": _int(args, "limit", 20),
    }


SEARCH_FIELDS = (
    "query",
    "mode",
    "limit",
    "path",
    "exclude",
    "language",
    "kind",
    "source_only",
    "output",
    "context_lines",
    "max_tokens",
)


def _prefixes(obj: Mapping[str, Any], name: str) -> list[str]:
    """Path prefixes: one string or an array of strings."""
    value = obj.get(name)
    if value is None:
        return []
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or len(values) > MAX_PREFIXES:
        raise _bad(name, value, f"a string or an array of at most {MAX_PREFIXES} strings")
    for i, prefix in enumerate(values):
        if not isinstance(prefix, str) or not prefix.strip() or "\0" in prefix:
            raise _bad(f"{name}[{i}]" if value is values else name, prefix, "a non-empty string")
    return list(values)


def search_args(obj: Any) -> dict[str, Any]:
    """The keyword arguments of `search`."""
    args = _only(obj, SEARCH_FIELDS, "search")
    return {
        "query": _text(args, "query", required=True),
        "mode": _choice(args, "mode", SEARCH_MODES, None),
        "limit": _int(args, "limit", 10),
        "path": _prefixes(args, "path"),
        "exclude": _prefixes(args, "exclude"),
        "language": _text(args, "language"),
        "kind": _text(args, "kind"),
        "source_only": _bool(args, "source_only", False),
        "output": _choice(args, "output", SEARCH_OUTPUTS, "hits"),
        "context_lines": _int(args, "context_lines", 2, low=0, high=MAX_CONTEXT_LINES),
        "max_tokens": _optional_int(args, "max_tokens", MIN_TOKENS, MAX_TOKENS),
    }


def _optional_int(obj: Mapping[str, Any], name: str, low: int, high: int) -> int | None:
    return None if obj.get(name) is None else _int(obj, name, low, low=low, high=high)


def symbol_args(obj: Any) -> dict[str, Any]:
    """The keyword arguments of `find_symbols`."""
    args = _only(obj, ("name", "match", "kind", "limit"), "find_symbol")
    return {
        "name": _text(args, "name", required=True),
        "match": _choice(args, "match", SYMBOL_MATCHES, "auto"),
        "kind": _text(args, "kind"),
        "limit": _int(args, "limit", 50),
    }
