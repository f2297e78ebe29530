"""Search: full-text (FTS5, bm25), symbols, semantic (LanceDB) and hybrid (RRF).

A semantic hit is a content hash; it is joined back to the *current* chunks in
SQLite, so a vector whose text no chunk holds any more is skipped, and one
vector serves every chunk with that text. Each hit says how fresh it is.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from codeindex.errors import BadArgument, ModelUnavailable, SemanticUnavailable
from codeindex.models import ModelManager
from codeindex.storage import Storage
from codeindex.vectors import VectorStore, VectorTable
from codeindex.workspace import Workspace

Mode = Literal["lexical", "semantic", "hybrid"]
MODES: tuple[str, ...] = ("lexical", "semantic", "hybrid")
RRF_K = 60
_TERM = re.compile(r'"([^"]+)"|(\S+)')
_WORD = re.compile(r"\w+", re.UNICODE)


class SearchError(BadArgument):
    """A query that cannot be answered as asked; the message says why and what to do."""


@dataclass(slots=True)
class Hit:
    """One search result."""

    path: str
    start_line: int
    end_line: int
    line: int
    snippet: str
    symbol: str | None
    language: str | None
    score: float
    freshness: str = "fresh"  # fresh | stale | pending_embedding
    chunk_id: int = 0
    content_hash: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        data = asdict(self)
        data.pop("content_hash")
        return data


@dataclass(slots=True)
class SearchResult:
    """Hits plus the mode that produced them and a note when a mode was unavailable."""

    query: str
    mode: str
    hits: list[Hit] = field(default_factory=list)
    note: str | None = None
    elapsed_ms: float = 0.0
    model: str | None = None  # the embedding model that answered the semantic part

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "query": self.query,
            "mode": self.mode,
            "model": self.model,
            "note": self.note,
            "elapsed_ms": round(self.elapsed_ms, 2),
            "hits": [h.to_dict() for h in self.hits],
        }


@dataclass(frozen=True, slots=True)
class SymbolHit:
    """One symbol found by name."""

    name: str
    kind: str
    container: str | None
    path: str
    start_line: int
    start_col: int
    end_line: int
    end_col: int
    language: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


# Words so common in prose and code that matching them ranks nothing and costs a scan of
# huge posting lists. Dropped from a query unless it has nothing else (or they are quoted).
_STOP_TEXT = (
    "a an and are as at be by can do does for from has have how i if in into is it its of "
    "on or so that the their then there these this to was we what when where which who "
    "why will with you"
)
STOP_WORDS = frozenset(_STOP_TEXT.split())


def fts_query(query: str, *, any_term: bool) -> str:
    """Turn user text into a safe FTS5 query: quoted phrases, AND (or OR) between terms."""
    terms: list[str] = []
    stop: list[str] = []
    for match in _TERM.finditer(query):
        words = _WORD.findall(match.group(1) or match.group(2))
        if not words:
            continue
        term = '"' + " ".join(words).replace('"', '""') + '"'
        if match.group(2) and len(words) == 1 and words[0].lower() in STOP_WORDS:
            stop.append(term)
        else:
            terms.append(term)
    terms = terms or stop
    if not terms:
        raise SearchError(f"query {query!r} has no words to search for: type some text or code")
    return (" OR " if any_term else " ").join(dict.fromkeys(terms))


def _filters(path_prefix: str | None, language: str | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if path_prefix:
        prefix = path_prefix.rstrip("/")
        clauses.append("(f.path = ? OR substr(f.path, 1, ?) = ?)")
        params += [prefix, len(prefix) + 1, prefix + "/"]
    if language:
        clauses.append("f.language = ?")
        params.append(language)
    return "".join(f" AND {c}" for c in clauses), params


def _best_line(text: str, start_line: int, query: str) -> tuple[int, str]:
    words = [w.lower() for w in _WORD.findall(query)]
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


_HIT_COLUMNS = (
    "c.id, f.path, c.start_line, c.end_line, c.symbol, f.language, c.text, c.content_hash"
)


def _hit(row: Any, score: float, query: str) -> Hit:
    line, snippet = _best_line(row[6], row[2], query)
    return Hit(
        path=row[1],
        start_line=row[2],
        end_line=row[3],
        line=line,
        snippet=snippet,
        symbol=row[4],
        language=row[5],
        score=score,
        chunk_id=row[0],
        content_hash=row[7],
    )


async def lexical(
    storage: Storage,
    query: str,
    *,
    limit: int = 20,
    path_prefix: str | None = None,
    language: str | None = None,
) -> list[Hit]:
    """bm25-ranked full-text hits: chunks with every term first, then those with any."""
    where, params = _filters(path_prefix, language)
    hits: list[Hit] = []
    seen: set[int] = set()
    for any_term in (False, True):
        if len(hits) >= limit:
            break
        match = fts_query(query, any_term=any_term)
        rows = await storage.fetchall(
            f"SELECT {_HIT_COLUMNS}, bm25(chunks_fts, 1.0, 2.0) AS rank "
            "FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid "
            f"JOIN files f ON f.id = c.file_id WHERE chunks_fts MATCH ?{where} "
            "ORDER BY rank LIMIT ?",
            (match, *params, limit),
        )
        for row in rows:
            if row[0] in seen:
                continue
            seen.add(row[0])
            hits.append(_hit(row, -float(row[8]), query))
            if len(hits) >= limit:
                break
    return hits


async def symbols(
    storage: Storage,
    name: str,
    *,
    match: str = "auto",
    kind: str | None = None,
    limit: int = 50,
) -> list[SymbolHit]:
    """Symbols by name: exact, prefix or substring, case-insensitive (`auto`: in that order)."""
    if not name.strip():
        raise SearchError("symbol name is empty: give a name, a prefix or a part of one")
    if match not in ("auto", "exact", "prefix", "substring"):
        raise SearchError(f"match must be exact, prefix, substring or auto; got {match!r}")
    escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    patterns = {
        "exact": ("s.name = ? COLLATE NOCASE", name),
        "prefix": ("s.name LIKE ? ESCAPE '\\'", escaped + "%"),
        "substring": ("s.name LIKE ? ESCAPE '\\'", "%" + escaped + "%"),
    }
    order = ["exact", "prefix", "substring"] if match == "auto" else [match]
    found: list[SymbolHit] = []
    seen: set[tuple[str, int, int]] = set()
    for mode in order:
        clause, value = patterns[mode]
        params: list[Any] = [value]
        kind_clause = ""
        if kind:
            kind_clause = " AND s.kind = ?"
            params.append(kind)
        rows = await storage.fetchall(
            "SELECT s.name, s.kind, s.container, f.path, s.start_line, s.start_col, s.end_line, "
            f"s.end_col, f.language FROM symbols s JOIN files f ON f.id = s.file_id "
            f"WHERE {clause}{kind_clause} "
            "ORDER BY (s.name = ?) DESC, length(s.name), f.path, s.start_line LIMIT ?",
            (*params, name, limit),
        )
        for row in rows:
            key = (row[3], row[4], row[5])
            if key not in seen:
                seen.add(key)
                found.append(SymbolHit(*row))
        if found and match == "auto":
            break
    return found[:limit]


class SemanticSearcher:
    """Embeds queries with the active model and searches its LanceDB table."""

    REFRESH_SECONDS = 1.0

    def __init__(self, storage: Storage, models: ModelManager, vectors: VectorStore) -> None:
        self.storage = storage
        self.models = models
        self.vectors = vectors
        self._table: VectorTable | None = None
        self._refreshed = 0.0

    async def _active_table(self) -> tuple[Any, VectorTable, int]:
        active = await self.models.active()
        if active is None:
            failure = await self.models.remembered_failure()
            if failure is not None:
                raise SemanticUnavailable(
                    f"semantic search is unavailable: {failure.reason}. {failure.hint}"
                )
            raise SemanticUnavailable(
                "semantic search is unavailable: nothing has been embedded yet. Run "
                "`codeindex index` (with a model: set CODEINDEX_EMBED_MODEL_PATH or "
                "embedding.model_path), then search again"
            )
        try:
            embedder = await self.models.embedder_for(active)
        except ModelUnavailable as exc:
            raise SemanticUnavailable(
                f"semantic search is unavailable: {exc.reason}. {exc.hint}"
            ) from None
        table = self._table
        if table is None or table.name != active.table_name:
            table = await asyncio.to_thread(self.vectors.open_table, active.table_name)
            if table is None:
                raise SemanticUnavailable(
                    f"the vectors of model {active.name} are missing from {self.vectors.path}: "
                    "run `codeindex reindex --scope embeddings-only` to rebuild them"
                )
            self._table = table
            self._refreshed = time.monotonic()
        elif time.monotonic() - self._refreshed > self.REFRESH_SECONDS:
            await asyncio.to_thread(table.refresh)
            self._refreshed = time.monotonic()
        return embedder, table, active.id

    async def search(
        self,
        query: str,
        *,
        limit: int = 20,
        path_prefix: str | None = None,
        language: str | None = None,
    ) -> list[Hit]:
        """Chunks nearest in meaning to the query, from the active model's table."""
        if not query.strip():
            raise SearchError("query is empty: type what the code does")
        embedder, table, _ = await self._active_table()

        def run() -> list[tuple[str, float]]:
            vector = embedder.embed([query])[0]
            k = limit * (20 if (path_prefix or language) else 3)
            return table.search(vector, k)

        scored = await asyncio.to_thread(run)
        if not scored:
            return []
        where, params = _filters(path_prefix, language)
        order = {h: i for i, (h, _) in enumerate(scored)}
        score_of = dict(scored)
        hashes = list(order)
        rows = await self.storage.fetchall(
            f"SELECT {_HIT_COLUMNS} FROM chunks c JOIN files f ON f.id = c.file_id "
            f"WHERE c.content_hash IN ({','.join('?' * len(hashes))}){where}",
            (*hashes, *params),
        )
        rows.sort(key=lambda r: (order[r[7]], r[1], r[2]))
        return [_hit(r, score_of[r[7]], query) for r in rows[:limit]]


def fuse(rankings: Sequence[list[Hit]], limit: int) -> list[Hit]:
    """Reciprocal-rank fusion: score = sum of 1 / (60 + rank) over the rankings."""
    scores: dict[int, float] = {}
    first: dict[int, Hit] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
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
    """Mark each hit fresh, stale (changed on disk since indexed) or pending_embedding."""
    if not hits:
        return
    paths = sorted({h.path for h in hits})
    rows = await storage.fetchall(
        f"SELECT path, size, mtime_ns FROM files WHERE path IN ({','.join('?' * len(paths))})",
        paths,
    )
    recorded = {str(r[0]): (int(r[1]), int(r[2])) for r in rows}
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
    for hit in hits:
        if hit.path in stale:
            hit.freshness = "stale"
        elif hit.content_hash not in embedded:
            hit.freshness = "pending_embedding"
        else:
            hit.freshness = "fresh"
