"""Write the VS Code client's response types from the JSON Schemas of `codeindex.contract`.

    uv run python scripts/generate_protocol.py

The MCP tools' output schemas are generated from the contract's TypedDicts
(`codeindex.mcp_server.schema`); this turns the same schemas into TypeScript interfaces in
vscode-client/src/common/protocol.generated.ts, which `protocol.ts` re-exports. Run it after
changing a result type: tests/test_vscode_contract.py fails while the checked-in file
differs from what this writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from codeindex import contract
from codeindex.contract import navigation
from codeindex.mcp_server.schema import definitions

TARGET = (
    Path(__file__).resolve().parent.parent
    / "vscode-client"
    / "src"
    / "common"
    / "protocol.generated.ts"
)
COMMAND = "uv run python scripts/generate_protocol.py"
# what the language server's commands answer (the CLI's --json, the MCP structured content)
# and the params of its status notification
ROOTS = (
    contract.ReindexResponse,
    contract.TaskInfo,
    contract.TaskListEntry,
    contract.SearchResponse,
    contract.SymbolInfo,
    contract.ValidationReport,
    contract.IndexStatus,
    contract.StatusNotification,
    navigation.FileOutline,
    navigation.SymbolSource,
    navigation.ReferenceList,
)
SCALARS = {
    "string": "string",
    "integer": "number",
    "number": "number",
    "boolean": "boolean",
    "null": "null",
}
HEADER = f"""\
// Generated from the JSON Schemas of codeindex.contract (the MCP tools' output schemas).
// Do not edit: change the Python types, then run `{COMMAND}`.
"""


def ts_type(schema: dict[str, Any]) -> str:
    """The TypeScript type of one JSON Schema."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "enum" in schema:
        return " | ".join(json.dumps(value) for value in schema["enum"])
    if "anyOf" in schema:
        return " | ".join(ts_type(part) for part in schema["anyOf"])
    kind = schema.get("type")
    if kind == "array":
        item = ts_type(schema["items"])
        return f"({item})[]" if " | " in item else f"{item}[]"
    if kind == "object":
        return f"Record<string, {ts_type(schema['additionalProperties'])}>"
    if kind is None:
        return "unknown"
    return SCALARS[kind]


def ts_interface(name: str, schema: dict[str, Any]) -> str:
    """One TypedDict's schema as an exported interface (optional keys marked `?`)."""
    lines = [f"/** {schema['description']} */"] if "description" in schema else []
    lines.append(f"export interface {name} {{")
    required = set(schema["required"])
    for key, value in schema["properties"].items():
        mark = "" if key in required else "?"
        lines.append(f"  {key}{mark}: {ts_type(value)};")
    lines.append("}")
    return "\n".join(lines)


def generate() -> str:
    """The text of protocol.generated.ts."""
    defs = definitions(*ROOTS)
    body = "\n\n".join(ts_interface(name, defs[name]) for name in sorted(defs))
    return f"{HEADER}\n{body}\n"


def main() -> int:
    """Write the file; say whether it changed."""
    text = generate()
    before = TARGET.read_text(encoding="utf-8") if TARGET.exists() else None
    if before == text:
        sys.stdout.write(f"{TARGET} is up to date\n")
        return 0
    TARGET.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {TARGET}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
