"""find_references: where a name is used, and how surely each use means its definition.

The reference index holds names, not bindings: `c.AddCommand(x)` is a call of
`AddCommand` through `c`, whatever `c` is. So each use is tied to the definitions of that
name by what the index does know, best first:

- `same_file`: the use is in a file that defines the name;
- `same_package`: in the same folder as the definition, for Go and Java (one package);
- `imports_definition`: its file imports the definition's module or package (Python
  `from a.b import X` or `import a.b`, TypeScript `from "./b"`, Rust `use crate::b`,
  Java `import a.b.X`, C `#include "b.h"`), resolved against the definition's path;
- `name_only`: only the name matches (dynamic dispatch, another scope's name, an external
  library's name; the index cannot tell).

Uses tied to another definition of the same name are left out when `path` picks one
definition. Within a tier, source files come before tests, then by path and line.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Sequence
from typing import cast

from codeindex.app.code_names import (
    is_test_path,
    qualifies,
    ranked,
    split_name,
    under,
)
from codeindex.contract.navigation import (
    ReferenceInfo,
    ReferenceKind,
    ReferenceList,
    ReferenceMatch,
)
from codeindex.errors import BadArgument
from codeindex.parser.version import PARSER_VERSION
from codeindex.search.hits import symbol_info
from codeindex.storage import Storage
from codeindex.storage.code_sql import DefinitionRow, ImportRow, ReferenceRow
from codeindex.workspace import Workspace

MAX_SCAN = 5_000
MAX_DEFINITIONS = 200
SHOWN_DEFINITIONS = 20
MAX_TEXT = 160
TIERS: tuple[ReferenceMatch, ...] = ("same_file", "same_package", "imports_definition", "name_only")
_PACKAGES = frozenset({"go", "java"})
_SEGMENTS = re.compile(r"::|[./\\]")
_NOISE = frozenset({"", "crate", "self", "super", "src", "lib", "index", "__init__", "mod"})


def _stem(path: str) -> list[str]:
    """The path's folders and file name without its extension, as segments."""
    folder, _, name = path.rpartition("/")
    return [s for s in [*folder.split("/"), name.split(".", 1)[0]] if s not in _NOISE]


def _segments(target: str, importer: str, language: str | None) -> list[str]:
    """An import's module as path segments, a relative one resolved from the importer."""
    if language in ("c", "cpp"):
        return [posixpath.basename(target).split(".", 1)[0]]
    if target.startswith("."):
        base = posixpath.dirname(importer)
        if language == "python":
            dots = len(target) - len(target.lstrip("."))
            for _ in range(dots - 1):
                base = posixpath.dirname(base)
            target = posixpath.join(base, target.lstrip(".").replace(".", "/"))
        else:
            target = posixpath.normpath(posixpath.join(base, target))
    return [s for s in _SEGMENTS.split(target) if s not in _NOISE]


def _modules(row: ImportRow, language: str | None) -> list[list[str]]:
    """The modules an import may name: where it imports from, and that with the imported
    name (the import of a module, `import a.b` or `from a import b`)."""
    source = row.qualifier or ""
    joined = source + row.name if source.endswith(".") else f"{source}.{row.name}".lstrip(".")
    found = [_segments(t, row.path, language) for t in (source, joined) if t]
    return [f for f in found if f]


class _Imports:
    """What each referencing file imports, as tuples of module segments, ready to meet the
    definitions' paths: the whole modules, and all their leading parts (Rust, whose
    modules live inside files too, is matched on those)."""

    def __init__(self, modules: dict[str, list[list[str]]]) -> None:
        self.whole = {path: {tuple(m) for m in found} for path, found in modules.items()}
        self.heads = {
            path: {tuple(m[:n]) for m in found for n in range(1, len(m) + 1)}
            for path, found in modules.items()
        }
        self._names: dict[int, frozenset[tuple[str, ...]]] = {}

    def _file_names(self, definition: DefinitionRow) -> frozenset[tuple[str, ...]]:
        """The module names that name the definition's file or its folder (a package):
        every tail of its path without the extension, and of its folder."""
        key = id(definition)
        if key not in self._names:
            stem = _stem(definition.path)
            self._names[key] = frozenset(
                tuple(candidate[-n:])
                for candidate in (stem, stem[:-1])
                for n in range(1, len(candidate) + 1)
            )
        return self._names[key]

    def reach(self, path: str, definition: DefinitionRow) -> bool:
        """The file at `path` imports the definition's module or package."""
        table = self.heads if definition.language == "rust" else self.whole
        return not self._file_names(definition).isdisjoint(table.get(path, ()))


def _tier(ref: ReferenceRow, definition: DefinitionRow, imports: _Imports) -> int:
    """How surely `ref` means `definition`: an index into TIERS."""
    if ref.path == definition.path:
        return 0
    if (
        ref.language in _PACKAGES
        and ref.language == definition.language
        and posixpath.dirname(ref.path) == posixpath.dirname(definition.path)
    ):
        return 1
    return 2 if imports.reach(ref.path, definition) else 3


async def _import_map(storage: Storage, refs: Sequence[ReferenceRow]) -> _Imports:
    """The modules each referencing file imports, as segments."""
    language = {r.path: r.language for r in refs}
    found: dict[str, list[list[str]]] = defaultdict(list)
    for row in await storage.code.imports_of(sorted(language)):
        found[row.path].extend(_modules(row, language.get(row.path)))
    return _Imports(found)


async def _texts(storage: Storage, refs: Sequence[ReferenceRow]) -> dict[tuple[str, int], str]:
    """The indexed line of each reference, stripped and clipped."""
    by_path: dict[str, list[int]] = defaultdict(list)
    for ref in refs:
        by_path[ref.path].append(ref.line)
    texts: dict[tuple[str, int], str] = {}
    for path, lines in by_path.items():
        for line, text in (await storage.code.lines_at(path, lines)).items():
            text = text.strip()
            texts[path, line] = text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."
    return texts


async def _definitions(
    storage: Storage, workspace: Workspace, name: str, path: str | None
) -> tuple[str, list[DefinitionRow], list[DefinitionRow]]:
    """(the bare name, every definition of it, those `path` picks: all without `path`)."""
    parts, bare = split_name(name)
    rows = await storage.code.definitions_named(bare, limit=MAX_DEFINITIONS)
    rows = ranked([r for r in rows if r.name == bare and qualifies(r, parts)], bare)
    if not path:
        return bare, rows, rows
    prefix = workspace.resolve(path)
    picked = [r for r in rows if under(r.path, prefix)]
    if not picked:
        defined = ", ".join(sorted({r.path for r in rows})[:5]) or "no file of the index"
        raise BadArgument(
            f"{name!r} has no definition under {prefix!r}: it is defined in {defined} "
            "(leave path out to see every use of the name)",
            field="path",
            given=path,
        )
    return bare, rows, picked


async def find_references(
    storage: Storage,
    workspace: Workspace,
    name: str,
    *,
    path: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    version: int = PARSER_VERSION,
) -> ReferenceList:
    """The uses of a name, most surely those of its (picked) definitions first; `version`
    is the parser version of this index (files of older ones have no references)."""
    bare, everything, picked = await _definitions(storage, workspace, name, path)
    refs = await storage.code.references_named(bare, kinds=[kind] if kind else [], limit=MAX_SCAN)
    imports = await _import_map(storage, refs)
    kept = _tied(refs, everything, picked, imports)
    shown = kept[:limit]
    texts = await _texts(storage, [r for _, r in shown])
    references: list[ReferenceInfo] = [
        {
            "path": r.path,
            "line": r.line,
            "col": r.col,
            "kind": cast(ReferenceKind, r.kind),
            "text": texts.get((r.path, r.line), ""),
            "caller": r.caller,
            "qualifier": r.qualifier,
            "match": TIERS[tier],
        }
        for tier, r in shown
    ]
    return {
        "name": bare,
        "definitions": [symbol_info(d) for d in picked[:SHOWN_DEFINITIONS]],
        "references": references,
        "total": len(kept),
        "truncated": len(kept) > limit or len(refs) >= MAX_SCAN,
        "note": await _note(storage, bare, (everything, picked), len(refs) >= MAX_SCAN, version),
    }


def _tied(
    refs: Sequence[ReferenceRow],
    everything: Sequence[DefinitionRow],
    picked: Sequence[DefinitionRow],
    imports: _Imports,
) -> list[tuple[int, ReferenceRow]]:
    """Each use with its tier, best first; uses tied more surely to a definition that was
    not picked are left out (they mean that other one)."""
    wanted = {id(d) for d in picked}
    by_path: dict[str, tuple[int, DefinitionRow | None]] = {}  # a use's tier is its file's
    kept: list[tuple[int, ReferenceRow]] = []
    for ref in refs:
        if ref.path not in by_path:
            tier, best = 3, None
            for definition in everything:
                found = _tier(ref, definition, imports)
                if found < tier:
                    tier, best = found, definition
            by_path[ref.path] = tier, best
        tier, best = by_path[ref.path]
        if best is not None and id(best) not in wanted:
            continue
        kept.append((tier, ref))
    kept.sort(key=lambda t: (t[0], is_test_path(t[1].path), t[1].path, t[1].line, t[1].col))
    return kept


async def _note(
    storage: Storage,
    name: str,
    definitions: tuple[Sequence[DefinitionRow], Sequence[DefinitionRow]],
    capped: bool,
    version: int,
) -> str | None:
    """What the agent should know about the answer's limits."""
    everything, picked = definitions
    notes: list[str] = []
    if len(name) < 2:
        notes.append("names of one character are not recorded as references")
    if not everything:
        notes.append(
            f"no definition of {name!r} in the index: these are uses of the name only "
            "(an external or builtin name, or one defined in a file that is not indexed)"
        )
    elif len(picked) > 1:
        paths = sorted({d.path for d in picked})
        places = ", ".join(paths[:5]) + (", ..." if len(paths) > 5 else "")
        if len(picked) > SHOWN_DEFINITIONS:
            places += f"; the first {SHOWN_DEFINITIONS} are listed"
        notes.append(
            f"{name!r} has {len(picked)} definitions ({places}): pass path to keep the uses of one"
        )
    if capped:
        notes.append(f"only the first {MAX_SCAN} uses of the name were ranked")
    older = await storage.code.count_older_parser(version)
    if older:
        notes.append(
            f"{older} file(s) were indexed by an older parser and have no references yet: "
            "an incremental reindex adds them"
        )
    return "; ".join(notes) or None
