"""Answers of several workspaces as one: what a front-end serving several roots returns.

An editor's multi-root workspace, or an agent's list of roots, is several workspaces, each
with its own index. A search or a symbol lookup that names no root asks each of them and
merges the answers here; every hit then names its root (`root`), so that its relative
`path` can be opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, zip_longest
from pathlib import Path

from codeindex.contract import FileMatch, SearchHit, SearchResponse, SymbolInfo


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
