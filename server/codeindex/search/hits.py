"""What search returns: hits and results (as the contract's types), rank fusion and freshness.

Every mode ends in one ranking score per hit: reciprocal-rank fusion of its rankings
(full-text, semantic, the definitions of the identifiers the query names), each hit
scoring weight / (RRF_K + rank) in each ranking it is in; a mode of one ranking scores
1 / (RRF_K + rank). Higher is better; scores compare within one answer only.

A symbol found by name goes straight from its storage row to the contract's `SymbolInfo`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from codeindex.contract import (
    FileKind,
    FileMatch,
    Freshness,
    SearchHit,
    SearchMode,
    SearchOutput,
    SearchResponse,
    SymbolInfo,
)
from codeindex.errors import BadArgument
from codeindex.storage import Storage
from codeindex.storage.code_sql import DefinitionRow
from codeindex.storage.search_sql import ChunkRow, SymbolRow
from codeindex.workspace import Workspace

MODES: tuple[str, ...] = ("lexical", "semantic", "hybrid")
# Reciprocal-rank fusion, tuned on the "tune" halves of tests/data/queries (25 questions
# about polyglot-small, 12 about Django; MiniLM int8) and checked on doc-comment and
# docstring probes. k=10 with equal weights found 33 of the 37 tune questions in the top 5
# (k=2 with semantic weighted 0.75: 32; k=60: 33, but hybrid fell below lexical on the
# polyglot probes), and kept hybrid at or above the better of lexical and semantic on the
# probes (polyglot recall@10 0.92 vs 0.92 and 0.80; Django 1.00 vs 0.97 and 0.76).
RRF_K = 10
WEIGHTS = (1.0, 1.0)  # lexical, semantic (search itself weighs them: `ranking`)
WORD = re.compile(r"\w+", re.UNICODE)


class SearchError(BadArgument):
    """A query that cannot be answered as asked; the message says why and what to do."""


@dataclass(slots=True)
class Hit:
    """One search result (`text`, `embed_skip` and `unweighted` stay in this process)."""

    path: str
    start_line: int
    end_line: int
    line: int
    snippet: str
    symbol: str | None
    language: str | None
    score: float
    freshness: Freshness = "fresh"
    chunk_id: int = 0
    content_hash: str = ""
    symbol_kind: str | None = None
    signature: str | None = None
    context: str | None = None
    context_start_line: int | None = None
    file_kind: FileKind = "source"
    text: str = ""
    embed_skip: str | None = None
    unweighted: float = 0.0  # the score before the prior for its file's kind

    def to_dict(self) -> SearchHit:
        """JSON-ready form."""
        return {
            "path": self.path,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "line": self.line,
            "snippet": self.snippet,
            "symbol": self.symbol,
            "symbol_kind": self.symbol_kind,
            "signature": self.signature,
            "context": self.context,
            "context_start_line": self.context_start_line,
            "language": self.language,
            "file_kind": self.file_kind,
            "score": self.score,
            "freshness": self.freshness,
            "chunk_id": self.chunk_id,
        }


@dataclass(slots=True)
class FileResult:
    """A file that matched: its score, and its hits, best first."""

    path: str
    score: float
    hits: list[Hit]

    def to_dict(self, *, with_hits: bool) -> FileMatch:
        """JSON-ready form (output `files` with its hits, `paths` without)."""
        best = self.hits[0]
        freshness: Freshness = next(
            (h.freshness for h in self.hits if h.freshness != "fresh"), "fresh"
        )
        return {
            "path": self.path,
            "language": best.language,
            "file_kind": best.file_kind,
            "score": self.score,
            "freshness": freshness,
            "line": best.line,
            "symbols": list(dict.fromkeys(h.symbol for h in self.hits if h.symbol))[:5],
            "hits": [h.to_dict() for h in self.hits] if with_hits else [],
        }


@dataclass(slots=True)
class SearchResult:
    """Hits (or files) plus the mode that produced them and a note when a mode was
    unavailable."""

    query: str
    mode: str  # one of MODES: `Search.check` refuses others
    hits: list[Hit] = field(default_factory=list)
    note: str | None = None
    elapsed_ms: float = 0.0
    model: str | None = None  # the embedding model that answered the semantic part
    output: str = "hits"
    files: list[FileResult] = field(default_factory=list)
    truncated: bool = False

    def to_dict(self) -> SearchResponse:
        """JSON-ready form."""
        return {
            "query": self.query,
            "mode": cast(SearchMode, self.mode),
            "output": cast(SearchOutput, self.output),
            "model": self.model,
            "note": self.note,
            "elapsed_ms": round(self.elapsed_ms, 2),
            "hits": [h.to_dict() for h in self.hits],
            "files": [f.to_dict(with_hits=self.output == "files") for f in self.files],
            "truncated": self.truncated,
        }


def symbol_info(row: SymbolRow | DefinitionRow) -> SymbolInfo:
    """A symbol (found by name, or a definition of the code tools), JSON-ready."""
    return {
        "name": row.name,
        "kind": row.kind,
        "container": row.container,
        "path": row.path,
        "start_line": row.start_line,
        "start_col": row.start_col,
        "end_line": row.end_line,
        "end_col": row.end_col,
        "language": row.language,
    }


def _best_line(text: str, start_line: int, query: str) -> tuple[int, str]:
    words = [w.lower() for w in WORD.findall(query)]
    lines = text.split("\n")
    best, best_score = 0, -1
    for i, line in enumerate(lines):
        low = line.lower()
        score = sum(1 for w in words if w in low)
        if score > best_score:
            best, best_score = i, score
    snippet = lines[best].strip()
    if len(snippet) > 200:
        snippet = snippet[:197] + "..."
    return start_line + best, snippet


def hit_of(row: ChunkRow, score: float, query: str) -> Hit:
    """A hit for a chunk, its line and snippet the one that best matches the query."""
    line, snippet = _best_line(row.text, row.start_line, query)
    return Hit(
        path=row.path,
        start_line=row.start_line,
        end_line=row.end_line,
        line=line,
        snippet=snippet,
        symbol=row.symbol,
        language=row.language,
        score=score,
        chunk_id=row.id,
        content_hash=row.content_hash,
        text=row.text,
        embed_skip=row.embed_skip,
    )


def fuse(
    rankings: Sequence[list[Hit]], limit: int, weights: Sequence[float] = WEIGHTS
) -> list[Hit]:
    """Weighted reciprocal-rank fusion: score = sum of weight / (RRF_K + rank) over the
    rankings (lexical first, then semantic), rank counted from 1."""
    scores: dict[int, float] = {}
    first: dict[int, Hit] = {}
    for ranking, weight in zip(rankings, weights, strict=False):
        for rank, hit in enumerate(ranking):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + weight / (RRF_K + rank + 1)
            first.setdefault(hit.chunk_id, hit)
    ordered = sorted(scores, key=lambda cid: -scores[cid])[:limit]
    fused = []
    for cid in ordered:
        hit = first[cid]
        hit.score = scores[cid]
        fused.append(hit)
    return fused


async def annotate_freshness(
    storage: Storage, workspace: Workspace, model_id: int | None, hits: list[Hit]
) -> None:
    """Mark each hit fresh, stale (changed on disk since indexed) or pending_embedding.

    A hit of a file that is not embedded (`embed_rules`) waits for no vector: it is fresh.
    """
    if not hits:
        return
    paths = sorted({h.path for h in hits})
    recorded = await storage.recorded_stats(paths)
    stale: set[str] = set()
    for path in paths:
        entry = workspace.stat(path)
        if entry is None or recorded.get(path) != (entry.size, entry.mtime_ns):
            stale.add(path)
    embedded = (
        await storage.embedded_among(model_id, [h.content_hash for h in hits])
        if model_id is not None
        else set()
    )
    unembedded = await storage.not_embedded_among(paths)
    for hit in hits:
        if hit.path in stale:
            hit.freshness = "stale"
        elif hit.content_hash not in embedded and hit.path not in unembedded:
            hit.freshness = "pending_embedding"
