"""Names as agents write them, and the definitions they mean.

`Command.AddCommand`, `Command::AddCommand`, `models.Model.save` and `AddCommand` all name
`AddCommand`: the last part is the name, the parts before it must appear, in order, in
the definition's file path and containers. A symbol's id is `path#Container.name`
(stable across reindexes while the name and file stay). When several definitions match,
the one an agent most likely means comes first: the exact case, then classes and
functions before impl blocks and fields, then source before tests, then the shorter path.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from codeindex.contract.navigation import FileFreshness
from codeindex.storage import Storage
from codeindex.storage.code_sql import DefinitionRow
from codeindex.workspace import Workspace

_PARTS = re.compile(r"::|->|[.#]")
_PRIMARY = frozenset(
    {"function", "method", "constructor", "class", "interface", "struct", "enum", "trait", "type"}
)
_TEST_DIRS = frozenset({"test", "tests", "testing", "__tests__", "spec", "specs", "testdata"})
_TEST_FILE = re.compile(
    r"(^test_.*\.py$|_tests?\.py$|_test\.go$|\.(test|spec)\.[jt]sx?$|Tests?\.java$|^conftest\.py$)"
)


def split_name(name: str) -> tuple[list[str], str]:
    """(the qualifying parts, the name): `a.B::c` -> (["a", "B"], "c")."""
    parts = [p for p in _PARTS.split(name.strip()) if p]
    if not parts:
        return [], name.strip()
    return parts[:-1], parts[-1]


def qualified(row: DefinitionRow) -> str:
    """`Container.name`, as chunks and ids name a symbol."""
    return f"{row.container}.{row.name}" if row.container else row.name


def symbol_id(row: DefinitionRow) -> str:
    """`path#Container.name`: what get_symbol takes as `id`."""
    return f"{row.path}#{qualified(row)}"


def qualifies(row: DefinitionRow, parts: Sequence[str]) -> bool:
    """The qualifying parts appear, in order, among the path's and containers' parts."""
    if not parts:
        return True
    stem = row.path.rsplit(".", 1)[0] if "." in row.path.rsplit("/", 1)[-1] else row.path
    names = stem.split("/") + _PARTS.split(row.container or "")
    available = [p.lower() for p in names if p]
    position = 0
    for part in (p.lower() for p in parts):
        try:
            position = available.index(part, position) + 1
        except ValueError:
            return False
    return True


def is_test_path(path: str) -> bool:
    """A test file or a file under a test folder."""
    *folders, name = path.split("/")
    return bool(_TEST_FILE.search(name)) or any(f.lower() in _TEST_DIRS for f in folders)


def under(path: str, prefix: str) -> bool:
    """`path` is `prefix` or inside the folder `prefix`."""
    prefix = prefix.rstrip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")


def ranked(rows: Sequence[DefinitionRow], name: str) -> list[DefinitionRow]:
    """Definitions in the order an agent most likely means them."""
    return sorted(
        rows,
        key=lambda r: (
            r.name != name,
            0 if r.kind in _PRIMARY else 1 if r.kind == "impl" else 2,
            is_test_path(r.path),
            r.path.count("/"),
            len(r.path),
            r.path,
            r.start_line,
        ),
    )


async def freshness(storage: Storage, workspace: Workspace, path: str) -> FileFreshness:
    """`stale` when the file changed on disk since it was indexed (or is gone)."""
    recorded = (await storage.recorded_stats([path])).get(path)
    entry = workspace.stat(path)
    if entry is None or recorded != (entry.size, entry.mtime_ns):
        return "stale"
    return "fresh"
