"""Several workspaces served as one: which root a request names, and their answers merged.

An editor's multi-root workspace, or an agent's list of roots, is several workspaces, each
with its own index. A request names its root by path or folder name (`named`), or by an
absolute path inside it (`innermost`); the language server and the MCP server both choose
so. A search or a symbol lookup that names no root asks each of them and merges the
answers here; every hit then names its root (`root`), so that its relative `path` can be
opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, zip_longest
from pathlib import Path

from codeindex.contract import FileMatch, SearchHit, SearchResponse, SymbolInfo


def resolved(path: Path) -> Path:
    """A root's or path's key: resolved, or absolute when it cannot be (a broken link)."""
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def named(roots: Sequence[Path], given: object) -> list[Path]:
    """The served roots (resolved paths) that `given` names: the one at that absolute path,
    else those with that folder name (several when names repeat; none when nothing matches)."""
    if not isinstance(given, str) or not given:
        return []
    path = Path(given).expanduser()
    if path.is_absolute() and resolved(path) in roots:
        return [resolved(path)]
    return [r for r in roots if r.name == given]


def innermost(roots: Sequence[Path], path: str | Path) -> Path | None:
    """The root (a resolved path) that holds `path`, the innermost one when roots nest."""
    target = resolved(Path(path))
    holding = [r for r in roots if target.is_relative_to(r)]
    return max(holding, key=lambda r: len(r.parts)) if holding else None


def merge_search(answers: Sequence[tuple[Path, SearchResponse]]) -> SearchResponse:
    """One search answer from each root's: the best hits (and files) by score, as many as
    the fullest root gave, each naming its root; every root's note, prefixed with its name."""
    hits: list[SearchHit] = []
    files: list[FileMatch] = []
    for root, answer in answers:
        for hit in answer["hits"]:
            tagged = hit.copy()
            tagged["root"] = str(root)
            hits.append(tagged)
        for match in answer["files"]:
            found = match.copy()
            found["root"] = str(root)
            files.append(found)
    hits.sort(key=lambda hit: -hit["score"])
    files.sort(key=lambda match: -match["score"])
    notes = [f"{root.name}: {answer['note']}" for root, answer in answers if answer["note"]]
    merged: SearchResponse = {
        **answers[0][1],
        "note": "; ".join(notes) or None,
        "elapsed_ms": max(float(answer["elapsed_ms"]) for _, answer in answers),
        "hits": hits[: max(len(answer["hits"]) for _, answer in answers)],
        "files": files[: max(len(answer["files"]) for _, answer in answers)],
        "truncated": any(answer["truncated"] for _, answer in answers),
    }
    return merged


def merge_symbols(answers: Sequence[tuple[Path, list[SymbolInfo]]], limit: int) -> list[SymbolInfo]:
    """Each root's symbols, taken in turn (each root's best first), each naming its root."""
    tagged: list[list[SymbolInfo]] = []
    for root, hits in answers:
        tagged.append([])
        for hit in hits:
            copy = hit.copy()
            copy["root"] = str(root)
            tagged[-1].append(copy)
    taken = [hit for hit in chain.from_iterable(zip_longest(*tagged)) if hit is not None]
    return taken[:limit]
