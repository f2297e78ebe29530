"""The checking of the code tools' raw arguments: outline, symbol source, references.

Same rules and messages as `arguments` (a field is named, with what was given and what
is allowed); kept apart so each group of tools owns its checks.
"""

from __future__ import annotations

from typing import Any, get_args

from codeindex.contract.arguments import _bool, _choice, _int, _only, _text
from codeindex.contract.navigation import ReferenceKind
from codeindex.errors import BadArgument

REFERENCE_KINDS: tuple[str, ...] = get_args(ReferenceKind)
MIN_TOKENS = 100
MAX_TOKENS = 100_000
OUTLINE_TOKENS = 4_000
SYMBOL_TOKENS = 3_000
OUTLINE_FIELDS = ("path", "max_tokens")
SYMBOL_FIELDS = ("name", "id", "path", "kind", "bodies", "max_tokens")
REFERENCE_FIELDS = ("name", "path", "kind", "limit")


def _tokens(args: Any, default: int) -> int:
    return _int(args, "max_tokens", default, MIN_TOKENS, MAX_TOKENS)


def outline_args(obj: Any) -> dict[str, Any]:
    """The keyword arguments of `file_outline`."""
    args = _only(obj, OUTLINE_FIELDS, "get_file_outline")
    return {
        "path": _text(args, "path", required=True),
        "max_tokens": _tokens(args, OUTLINE_TOKENS),
    }


def symbol_source_args(obj: Any) -> dict[str, Any]:
    """The keyword arguments of `symbol_source`: a name or an id, not both, not neither."""
    args = _only(obj, SYMBOL_FIELDS, "get_symbol")
    name, symbol_id = _text(args, "name"), _text(args, "id")
    if (name is None) == (symbol_id is None):
        raise BadArgument(
            "get_symbol takes a name (e.g. 'AddCommand' or 'Command.AddCommand') or an id "
            "('path#Container.name', as get_symbol answers it), "
            + ("not both" if name else "and got neither"),
            field="name" if name is None else "id",
            allowed=["name", "id"],
        )
    return {
        "name": name,
        "symbol_id": symbol_id,
        "path": _text(args, "path"),
        "kind": _text(args, "kind"),
        "bodies": _bool(args, "bodies", True),
        "max_tokens": _tokens(args, SYMBOL_TOKENS),
    }


def references_args(obj: Any) -> dict[str, Any]:
    """The keyword arguments of `find_references`."""
    args = _only(obj, REFERENCE_FIELDS, "find_references")
    return {
        "name": _text(args, "name", required=True),
        "path": _text(args, "path"),
        "kind": _choice(args, "kind", REFERENCE_KINDS, None),
        "limit": _int(args, "limit", 50),
    }
