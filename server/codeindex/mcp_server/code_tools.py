"""The MCP code tools: a file's outline, one symbol's source, a name's references.

Written out like the other tools (`tools.TOOLS` makes a `ToolSpec` of each): closed input
schemas, output schemas from the contract's result types. All three only read the index,
and say so (`readOnlyHint`).
"""

from __future__ import annotations

from typing import Any

from codeindex import contract
from codeindex.contract import code_args
from codeindex.contract.navigation import FileOutline, ReferenceList, SymbolSource


def _tokens(default: int, what: str) -> dict[str, Any]:
    return {
        "type": "integer",
        "minimum": code_args.MIN_TOKENS,
        "maximum": code_args.MAX_TOKENS,
        "default": default,
        "description": f"Budget for the answer, in tokens (about 4 characters each): {what}",
    }


_TEXT = {"type": "string", "minLength": 1, "maxLength": contract.MAX_TEXT}

CODE_TOOLS: tuple[dict[str, Any], ...] = (
    {
        "name": "get_file_outline",
        "title": "Outline of a file",
        "description": (
            "What one file defines, as a tree: each symbol's kind, name, signature, line "
            "range and first doc line, in a fraction of the file's size. Use it to see "
            "what a file holds and where, before or instead of reading it; then get_symbol "
            "reads one symbol."
        ),
        "properties": {
            "path": {
                **_TEXT,
                "description": "The file, workspace-relative (as search_code reports it) or "
                "absolute.",
            },
            "max_tokens": _tokens(
                code_args.OUTLINE_TOKENS,
                "deeper levels, then the last symbols, are left out to fit (the answer says so).",
            ),
        },
        "required": ("path",),
        "result": FileOutline,
    },
    {
        "name": "get_symbol",
        "title": "Source of a symbol",
        "description": (
            "The source of one function, method, class, struct or other definition, with "
            "its signature, doc comment and decorators: read just that code instead of the "
            "whole file. Give a name ('AddCommand', 'Command.AddCommand', 'Model.save') or "
            "an id ('path#Container.name'); path narrows to a file or folder. A class can "
            "come without its methods' bodies (bodies=false). Other definitions with the "
            "same name are listed in `others`."
        ),
        "properties": {
            "name": {**_TEXT, "description": "The symbol's name, optionally qualified."},
            "id": {**_TEXT, "description": "The symbol's id, 'path#Container.name'."},
            "path": {**_TEXT, "description": "Only definitions in this file or folder."},
            "kind": {
                **_TEXT,
                "description": "Only this kind: function, method, class, struct, ...",
            },
            "bodies": {
                "type": "boolean",
                "default": True,
                "description": "false: a class's methods as signatures, their bodies left out.",
            },
            "max_tokens": _tokens(
                code_args.SYMBOL_TOKENS, "a longer source is cut at a line (the answer says so)."
            ),
        },
        "result": SymbolSource,
    },
    {
        "name": "find_references",
        "title": "Find references",
        "description": (
            "Where a function, method, class or other name is used across the workspace: "
            "calls, imports and type uses, each with its line of code and the symbol it is "
            "in (its caller). For 'who calls X?', the impact of a change, or usage "
            "examples. Matched by name (the index does not resolve types): each use says "
            "how surely it means the definition (same_file, same_package, "
            "imports_definition, name_only), best first; path picks one of several "
            "definitions."
        ),
        "properties": {
            "name": {
                **_TEXT,
                "description": "The name, optionally qualified ('Command.AddCommand').",
            },
            "path": {
                **_TEXT,
                "description": "The file or folder of the definition meant, when the name has "
                "several: uses that mean another one are left out.",
            },
            "kind": {
                "type": "string",
                "enum": list(code_args.REFERENCE_KINDS),
                "description": "Only uses of this kind (default: all).",
            },
            "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": contract.MAX_LIMIT,
                "default": 50,
                "description": "At most this many uses (`total` says how many there are).",
            },
        },
        "required": ("name",),
        "result": ReferenceList,
    },
)
