"""JSON Schema (2020-12) of a typed result: the MCP tools' output schemas come from here,
and so do the VS Code client's response types (`scripts/generate_protocol.py`).

Handles what the results are made of: TypedDicts (NotRequired keys are optional),
str, int, float, bool, None, Literal, unions, lists and str-keyed dicts. Each
TypedDict becomes one entry of `$defs`, referenced by its class name; objects stay
open (no `additionalProperties: false`), so a core that adds a key does not break
clients that validate.
"""

from __future__ import annotations

import types
import typing
from typing import (
    Any,
    Literal,
    NotRequired,
    Required,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

_SCALARS: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and typing.is_typeddict(tp)


def _describe(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    if tp is type(None) or tp is None:
        return {"type": "null"}
    if tp in _SCALARS:
        return {"type": _SCALARS[tp]}
    if tp is Any:
        return {}
    if _is_typeddict(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # claimed before the keys are described: no endless recursion
            properties: dict[str, Any] = {}
            required: list[str] = []
            # read NotRequired from the hints: with postponed annotations (PEP 563)
            # Python 3.11 cannot see it when the class is made (__required_keys__ is wrong)
            for key, hint in get_type_hints(tp, include_extras=True).items():
                wrapper = get_origin(hint)
                if wrapper in (NotRequired, Required):
                    hint = get_args(hint)[0]
                if wrapper is Required or (wrapper is not NotRequired and tp.__total__):
                    required.append(key)
                properties[key] = _describe(hint, defs)
            entry: dict[str, Any] = {
                "type": "object",
                "properties": properties,
                "required": sorted(required),
            }
            doc = (tp.__doc__ or "").strip()
            if doc:
                entry["description"] = doc.splitlines()[0]
            defs[name] = entry
        return {"$ref": f"#/$defs/{name}"}
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is Literal:
        return {"enum": list(args)}
    if origin in (Union, types.UnionType):
        return {"anyOf": [_describe(a, defs) for a in args]}
    if origin is list:
        return {"type": "array", "items": _describe(args[0], defs)}
    if origin is dict:
        if args[0] is not str:
            raise TypeError(f"JSON object keys are strings; cannot describe {tp!r}")
        return {"type": "object", "additionalProperties": _describe(args[1], defs)}
    raise TypeError(f"no JSON Schema for {tp!r}")


def schema_of(result_type: Any) -> dict[str, Any]:
    """The JSON Schema of a TypedDict: an object at the root, the types it uses in `$defs`.

    MCP wants `"type": "object"` at the root of an output schema, so the root is inlined;
    a result type that contains itself is not supported.
    """
    if not _is_typeddict(result_type):
        raise TypeError(f"an output schema needs a TypedDict (an object); got {result_type!r}")
    defs: dict[str, Any] = {}
    _describe(result_type, defs)
    root = dict(defs.pop(result_type.__name__))
    if defs:
        root["$defs"] = defs
    return root


def definitions(*result_types: Any) -> dict[str, dict[str, Any]]:
    """The JSON Schema of every TypedDict the result types are made of, by class name."""
    defs: dict[str, Any] = {}
    for result_type in result_types:
        if not _is_typeddict(result_type):
            raise TypeError(f"a result type is a TypedDict; got {result_type!r}")
        _describe(result_type, defs)
    return defs
