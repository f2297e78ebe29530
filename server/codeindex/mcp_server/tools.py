"""The MCP tools: names, descriptions, input schemas, result types and annotations.

Input schemas are written out (not derived from Python signatures): `async` is a
field of the reindex contract and a Python keyword. Every object is closed
(`additionalProperties: false`), so a misspelt argument is refused by name
instead of being ignored. Output schemas are generated from the result types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from codeindex import contract
from codeindex.mcp_server.code_tools import CODE_TOOLS
from codeindex.mcp_server.schema import schema_of


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One tool as tools/list shows it."""

    name: str
    title: str
    description: str
    properties: dict[str, Any]
    result: Any
    required: tuple[str, ...] = ()
    read_only: bool = True
    idempotent: bool = True

    @property
    def input_schema(self) -> dict[str, Any]:
        """The JSON Schema of the tool's arguments."""
        schema: dict[str, Any] = {
            "type": "object",
            "properties": self.properties,
            "additionalProperties": False,
        }
        if self.required:
            schema["required"] = list(self.required)
        return schema

    @property
    def output_schema(self) -> dict[str, Any]:
        """The JSON Schema of the tool's structured result."""
        return schema_of(self.result)


SEARCH_DEFAULTS: dict[str, int] = {"context_lines": 0, "max_tokens": 300}
"""search_code's own defaults, smaller than the editor's and the CLI's: the best one or two
hits, each with its best line and its definition's name and signature, which get_symbol
then reads; an agent asks for context_lines or a larger max_tokens when it needs more.
The budget is the default of output 'hits' only (`search_defaults`): files and paths keep
their limit."""


def search_defaults(args: Mapping[str, Any]) -> dict[str, Any]:
    """search_code's arguments with the tool's defaults filled in."""
    defaults = dict(SEARCH_DEFAULTS)
    if args.get("output", "hits") != "hits":
        del defaults["max_tokens"]
    return {**defaults, **args}


TASK_ID = {
    "type": "string",
    "minLength": 1,
    "maxLength": contract.MAX_TEXT,
    "description": (
        "A task id as force_reindex and list_reindex_tasks give it, "
        "e.g. reindex_20250101120000_0a1b2c3d."
    ),
}

PREFIXES: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "minLength": 1},
        {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "maxItems": contract.MAX_PREFIXES,
        },
    ],
}

REINDEX_PROPERTIES: dict[str, Any] = {
    "scope": {
        "type": "string",
        "enum": list(contract.SCOPES),
        "description": (
            "What to reindex: 'file' (one file in paths), 'files' (the files in paths), "
            "'directory' (one folder in paths), 'project' (the whole workspace: also adds new "
            "files and drops deleted ones) or 'embeddings-only' (recreate missing embeddings "
            "of every indexed file; takes no paths)."
        ),
    },
    "paths": {
        "type": "array",
        "items": {"type": "string", "minLength": 1},
        "maxItems": contract.MAX_PATHS,
        "default": [],
        "description": (
            "Workspace-relative or absolute paths for file/files/directory. A path that "
            "resolves outside the workspace is refused."
        ),
    },
    "priority": {
        "type": "string",
        "enum": list(contract.PRIORITIES),
        "default": "normal",
        "description": "Queue priority: a 'high' task is served before others already queued.",
    },
    "embeddings_only": {
        "type": "boolean",
        "default": False,
        "description": "Keep symbols and chunks; only recreate missing embeddings of these files.",
    },
    "async": {
        "type": "boolean",
        "default": True,
        "description": (
            "true: return at once with the task id (follow it with get_reindex_status). "
            "false: wait for the end and return the result (progress notifications are sent "
            "when the request has a progressToken; cancelling the request cancels the task)."
        ),
    },
    "incremental": {
        "type": "boolean",
        "default": False,
        "description": "Only files that changed (size/mtime, then content hash), new or deleted.",
    },
    "recursive": {
        "type": "boolean",
        "default": True,
        "description": "directory scope: include subfolders.",
    },
}

TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        name="force_reindex",
        title="Force a reindex",
        description=(
            "Reindex a file, several files, a folder, the whole project, or only the "
            "embeddings, without restarting anything; search keeps answering meanwhile. Use it "
            "when search results look stale or wrong, or with the fix validate_index gives. "
            "Returns the task (id, scope, status, items, estimate); with async=false also the "
            "result (files done and failed, failures with reasons, summary)."
        ),
        properties=REINDEX_PROPERTIES,
        required=("scope",),
        result=contract.ReindexResponse,
        read_only=False,
    ),
    ToolSpec(
        name="get_reindex_status",
        title="Reindex task status",
        description=(
            "Status of one reindex task: Queued, Running, Paused, Completed, Failed or "
            "Cancelled; progress 0..1, file counts, the file in progress, ETA, failures so far "
            "and the summary."
        ),
        properties={"task_id": TASK_ID},
        required=("task_id",),
        result=contract.TaskInfo,
    ),
    ToolSpec(
        name="list_reindex_tasks",
        title="List reindex tasks",
        description="Reindex tasks, newest first, optionally only those with one status.",
        properties={
            "status": {
                "type": "string",
                "enum": list(contract.STATUSES),
                "description": "Only tasks with this status (default: all).",
            },
            "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": contract.MAX_LIMIT,
                "default": 20,
                "description": "At most this many tasks.",
            },
        },
        result=contract.TaskList,
    ),
    *(
        ToolSpec(
            name=f"{verb}_reindex",
            title=f"{verb.capitalize()} a reindex task",
            description=description,
            properties={"task_id": TASK_ID},
            required=("task_id",),
            result=contract.TaskInfo,
            read_only=False,
        )
        for verb, description in (
            (
                "pause",
                "Hold a queued or running task between two files (search keeps working); "
                "resume_reindex lets it go on.",
            ),
            (
                "resume",
                "Let a paused task go on from where it stopped; returns the task's state.",
            ),
            (
                "cancel",
                "Stop a task: files already reindexed keep their new rows, the rest keep their "
                "old ones; nothing is left half-written.",
            ),
        )
    ),
    ToolSpec(
        name="get_index_status",
        title="Index status",
        description=(
            "What the index holds: files by status and language, symbols, chunks, embedded and "
            "pending chunks (and why pending), the active embedding model, the queue and the "
            "worker."
        ),
        properties={},
        result=contract.IndexStatus,
    ),
    ToolSpec(
        name="validate_index",
        title="Validate the index",
        description=(
            "Check the index against the files on disk and itself (deleted, new and changed "
            "files, failed files, old parser versions, orphan rows, full-text index, missing "
            "vectors). Each problem carries `fix`: the force_reindex arguments that repair it, "
            "ready to pass to force_reindex as they are."
        ),
        properties={},
        result=contract.ValidationReport,
    ),
    ToolSpec(
        name="search_code",
        title="Search code",
        description=(
            "Find code by what it does (semantic), by its words (lexical, full-text) or both "
            "(hybrid, the default), ranking source files before tests, docs and changelogs "
            "unless the query asks for those. Describe the behaviour or paste identifiers "
            "(`Type::method`, snake_case, camelCase rank their definitions first). "
            "output 'paths' answers which files to look at (localization); 'files' groups "
            "the hits by file; 'hits' (default) lists matching chunks. Each hit has the "
            "path, best line, the name (`symbol`: pass it to get_symbol to read the code), "
            "kind and signature of the definition it is in, file kind, score and freshness "
            "('stale': changed since indexed; 'pending_embedding': no vector yet), so the "
            "file rarely needs opening. Hits are short by default (max_tokens "
            f"{SEARCH_DEFAULTS['max_tokens']}: the best one or two, no context lines; "
            "`truncated` says more were found): raise max_tokens or context_lines for "
            "more. Narrow with path / exclude (folder prefixes), language, kind (symbol "
            "kind) and source_only."
        ),
        properties={
            "query": {
                "type": "string",
                "minLength": 1,
                "maxLength": contract.MAX_TEXT,
                "description": (
                    "What to look for: a description of behaviour, words, identifiers or "
                    "code. Always taken as text (no query syntax)."
                ),
            },
            "mode": {
                "type": "string",
                "enum": list(contract.SEARCH_MODES),
                "description": (
                    "hybrid, semantic or lexical. Default: hybrid once embeddings exist, "
                    "lexical before (the result's note says when a mode fell back)."
                ),
            },
            "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": contract.MAX_LIMIT,
                "default": 10,
                "description": "At most this many hits (output 'hits') or files.",
            },
            "output": {
                "type": "string",
                "enum": list(contract.SEARCH_OUTPUTS),
                "default": "hits",
                "description": (
                    "hits: matching chunks, best first; files: the best files, each with "
                    "its best hits; paths: only the best files (path, kind, best line, "
                    "symbols), the cheapest way to find where a change belongs."
                ),
            },
            "path": PREFIXES
            | {"description": "Only files under this folder or path prefix (or any of several)."},
            "exclude": PREFIXES
            | {"description": "Leave out files under this folder or prefix (or several)."},
            "language": {
                "type": "string",
                "description": "Only this language, e.g. python, go, rust, typescript.",
            },
            "kind": {
                "type": "string",
                "description": (
                    "Only chunks in or around a symbol of this kind: function, method, "
                    "class, struct, interface, ..."
                ),
            },
            "source_only": {
                "type": "boolean",
                "default": False,
                "description": (
                    "Leave out tests, docs, changelogs, examples and generated files "
                    "(told apart by path and file name)."
                ),
            },
            "context_lines": {
                "type": "integer",
                "minimum": 0,
                "maximum": contract.MAX_CONTEXT_LINES,
                "default": SEARCH_DEFAULTS["context_lines"],
                "description": "Lines shown before and after each hit's best line.",
            },
            "max_tokens": {
                "type": "integer",
                "minimum": contract.MIN_TOKENS,
                "maximum": contract.MAX_TOKENS,
                "description": (
                    "Keep the whole answer under about this many tokens (4 characters "
                    "each): the best results that fit, at least one; `truncated` says if "
                    f"any were left out. Default: {SEARCH_DEFAULTS['max_tokens']} for output "
                    "'hits', none for files and paths."
                ),
            },
        },
        required=("query",),
        result=contract.SearchResponse,
    ),
    ToolSpec(
        name="find_symbol",
        title="Find a symbol",
        description=(
            "Find definitions (functions, methods, classes, structs, ...) by name, "
            "case-insensitively: exact, prefix or substring match ('auto' tries them in "
            "that order)."
        ),
        properties={
            "name": {
                "type": "string",
                "minLength": 1,
                "maxLength": contract.MAX_TEXT,
                "description": "The name or part of it.",
            },
            "match": {
                "type": "string",
                "enum": list(contract.SYMBOL_MATCHES),
                "default": "auto",
                "description": "How the name matches.",
            },
            "kind": {
                "type": "string",
                "description": "Only this kind: function, method, class, struct, interface, ...",
            },
            "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": contract.MAX_LIMIT,
                "default": 50,
                "description": "At most this many symbols.",
            },
        },
        required=("name",),
        result=contract.SymbolList,
    ),
    *(ToolSpec(**spec) for spec in CODE_TOOLS),
)

BY_NAME: dict[str, ToolSpec] = {tool.name: tool for tool in TOOLS}
