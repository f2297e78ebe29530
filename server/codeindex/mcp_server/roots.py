"""Several roots: which one a tool call works on, and the answers of all of them as one.

Every tool takes an optional `root` (a served root's path or folder name). Without it,
`search_code` and `find_symbol` ask every root and merge the answers (each hit names its
`root`); the other tools work on the root that holds an absolute `path`/`paths` they
are given, on the root whose queue knows their `task_id`, else on the first root.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from codeindex.app import roots as app_roots
from codeindex.app.roots import merge_search, merge_symbols
from codeindex.contract import SearchResponse, SymbolInfo
from codeindex.errors import BadArgument, UnknownTask
from codeindex.mcp_server.handlers import Outcome

if TYPE_CHECKING:
    from codeindex.app.service import CodeIndexService


class Served(Protocol):
    """What the server's state offers here (`server.App`): its roots and their services."""

    async def roots(self, ctx: Any) -> tuple[Path, ...]: ...

    async def service(self, ctx: Any, root: Path | None = None) -> CodeIndexService: ...


FAN_OUT = frozenset({"search_code", "find_symbol"})
ROOT_PROPERTY: dict[str, Any] = {
    "type": "string",
    "description": "Which workspace root to use when the server serves several (its path "
    "or folder name). Default: every root for search_code and find_symbol (each hit names "
    "its root), else the root holding the path given, or the first root.",
}


def with_root(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A tool's input schema with the optional `root` property."""
    properties = {**schema.get("properties", {}), "root": ROOT_PROPERTY}
    return {**schema, "properties": properties}


def named(roots: Sequence[Path], given: object) -> Path:
    """The served root `given` names (its path or its folder name); BadArgument lists them."""
    served = ", ".join(str(r) for r in roots)
    matches = app_roots.named(roots, given)
    if len(matches) == 1:
        return matches[0]
    raise BadArgument(
        f"root: {given!r} is not one of the served roots ({served}): pass one of their paths "
        "or folder names",
        field="root",
        allowed=served,
    )


def _holding(roots: Sequence[Path], arguments: Mapping[str, Any]) -> Path | None:
    """The innermost root holding an absolute path among the arguments' `path`/`paths`."""
    for key in ("path", "paths"):
        given = arguments.get(key)
        for path in given if isinstance(given, list) else [given]:
            if isinstance(path, str) and Path(path).is_absolute():
                holding = app_roots.innermost(roots, path)
                if holding is not None:
                    return holding
    return None


async def pick(
    app: Served, ctx: Any, name: str, arguments: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Path] | None]:
    """The arguments without `root`, and the roots the call goes to (None: the default)."""
    rest = {k: v for k, v in arguments.items() if k != "root"}
    roots = list(await app.roots(ctx))
    if "root" in arguments:
        return rest, [named(roots, arguments["root"])]
    if len(roots) < 2:
        return rest, None
    if name in FAN_OUT:
        return rest, roots
    holding = _holding(roots, rest)
    if holding is not None:
        return rest, [holding]
    task_id = rest.get("task_id")
    if isinstance(task_id, str):
        for root in roots:
            try:
                await (await app.service(ctx, root)).get_reindex_status(task_id)
            except UnknownTask:
                continue
            return rest, [root]
    return rest, None


def merge(name: str, answers: Sequence[tuple[Path, Outcome]]) -> Outcome:
    """One answer from each root's (`app.roots`): search hits by score, symbols in turn,
    each naming its root; the summaries one after another."""
    summary = "\n\n".join(f"[{root}]\n{out.summary}" for root, out in answers)
    if name == "find_symbol":
        lists = [(root, cast(list[SymbolInfo], out.data["symbols"])) for root, out in answers]
        cap = max(len(symbols) for _, symbols in lists)
        return Outcome({"symbols": merge_symbols(lists, cap)}, summary)
    found = [(root, cast(SearchResponse, out.data)) for root, out in answers]
    return Outcome(cast(Mapping[str, object], merge_search(found)), summary)
