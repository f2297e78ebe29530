"""File-level localization: does search name the files that a described change touched?

The held-out sets in `tests/data/commits/*.json` pair real commit messages (written by the
projects' maintainers) with the source files those commits touched, in a tree of the
shared corpus (`scripts/commit-questions` makes them); each question is in the `tune` or
the `report` half, decided by its commit hash. Ranking was tuned on the tune half only.

Each mode (lexical, semantic, hybrid) answers with output `paths` (limit 10), and a plain
baseline is computed in the same run: BM25 over whole files (SQLite FTS5 over every
indexed file's text, the query's words OR-ed). Per mode and half: Recall@k (the share of a
question's answer files in the first k, averaged over questions) for k = 1, 5, 10; Acc@5
(the share of questions with every answer file in the first 5); MRR of the first answer
file within 10; and how often a test, doc or changelog file comes first for the questions
that ask about none of those (`asks` empty).

`python -m codeindex.bench.localization WORKSPACE [SETS]` measures an indexed workspace as
it is (no copy, no reindex): the tuning loop.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from codeindex.app.service import CodeIndexService
from codeindex.bench.session import Run
from codeindex.search.kinds import DEFAULT_KINDS

MODES = ("lexical", "semantic", "hybrid")
BASELINE = "bm25-files"
SPLITS = ("tune", "report")
FIRST_KINDS = ("test", "docs", "changelog")  # what must not come first unasked
DEFAULT_DIR = Path(__file__).resolve().parents[3] / "tests" / "data" / "commits"
_WORD = re.compile(r"\w+")


@dataclass(slots=True)
class CommitQuestion:
    """A commit message and the source files the commit touched."""

    id: str
    query: str
    answers: list[str]
    split: str
    asks: list[str]


@dataclass(slots=True)
class Miss:
    """A question whose answer files were not all in the first 5, and what came instead."""

    id: str
    query: str
    answers: list[str]
    first: list[str]


@dataclass(slots=True)
class LocalizationScore:
    """File-level figures of one mode on one half."""

    questions: int
    recall_at_1: float
    recall_at_5: float
    recall_at_10: float
    acc_at_5: float
    mrr: float
    unasked: int  # questions that ask about no tests, docs or changes
    non_source_first: float  # of those, the share with a test, doc or changelog first
    misses: list[Miss] = field(default_factory=list)


@dataclass(slots=True)
class LocalizationResult:
    """Every mode and the baseline, per half."""

    source: str
    questions: int
    scores: dict[str, dict[str, LocalizationScore]]
    note: str | None


def load_commit_questions(folder: Path, root: Path) -> list[CommitQuestion]:
    """The questions of every set in `folder` whose answer files all exist under `root`."""
    found: list[CommitQuestion] = []
    for file in sorted(folder.glob("*.json")):
        data: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
        for raw in data["queries"]:
            question = CommitQuestion(
                raw["id"], raw["query"], list(raw["answers"]), raw["split"], raw["asks"]
            )
            if all((root / answer).is_file() for answer in question.answers):
                found.append(question)
    return found


class FilesBM25:
    """The baseline: BM25 over whole files, in an in-memory FTS5 table."""

    def __init__(self, root: Path, paths: list[str]) -> None:
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.execute("CREATE VIRTUAL TABLE docs USING fts5(path UNINDEXED, body)")
        for path in paths:
            text = (root / path).read_text(encoding="utf-8", errors="replace")
            self.db.execute("INSERT INTO docs VALUES (?, ?)", (path, text))

    def rank(self, query: str, limit: int = 10) -> list[str]:
        """The files best matching any word of the query."""
        words = dict.fromkeys(w.lower() for w in _WORD.findall(query))
        if not words:
            return []
        match = " OR ".join(f'"{w}"' for w in words)
        rows = self.db.execute(
            "SELECT path FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?",
            (match, limit),
        ).fetchall()
        return [str(r[0]) for r in rows]


def score(questions: list[CommitQuestion], ranked: dict[str, list[str]]) -> LocalizationScore:
    """The figures of some questions, given each one's files in rank order."""
    n = max(len(questions), 1)
    recall = {1: 0.0, 5: 0.0, 10: 0.0}
    acc = mrr = 0.0
    unasked = first_wrong = 0
    misses: list[Miss] = []
    for q in questions:
        files = ranked[q.id]
        for k in recall:
            recall[k] += len(set(files[:k]) & set(q.answers)) / len(q.answers)
        if set(q.answers) <= set(files[:5]):
            acc += 1
        else:
            misses.append(Miss(q.id, q.query, q.answers, files[:5]))
        rank = next((i for i, f in enumerate(files[:10], start=1) if f in q.answers), None)
        mrr += 1 / rank if rank else 0.0
        if not q.asks:
            unasked += 1
            first_wrong += bool(files) and DEFAULT_KINDS.kind_of(files[0]) in FIRST_KINDS
    return LocalizationScore(
        questions=len(questions),
        recall_at_1=recall[1] / n,
        recall_at_5=recall[5] / n,
        recall_at_10=recall[10] / n,
        acc_at_5=acc / n,
        mrr=mrr / n,
        unasked=unasked,
        non_source_first=first_wrong / max(unasked, 1),
        misses=misses,
    )


async def files_of(service: CodeIndexService, query: str, mode: str) -> list[str]:
    """The first 10 files of one search (output `paths`); none when the query fails."""
    try:
        result = await service.search(query, mode=mode, limit=10, output="paths")
    except Exception:  # a failed query is a miss, counted as one
        return []
    return [f["path"] for f in result["files"]]


async def localize(
    service: CodeIndexService, root: Path, questions: list[CommitQuestion]
) -> dict[str, dict[str, LocalizationScore]]:
    """Every mode and the baseline on these questions, per half."""
    rows = await service.storage.files_under("")
    paths = [r.path for r in rows if r.index_status == "indexed"]
    baseline = await asyncio.to_thread(FilesBM25, root, paths)
    ranked: dict[str, dict[str, list[str]]] = {m: {} for m in (*MODES, BASELINE)}
    for q in questions:
        ranked[BASELINE][q.id] = baseline.rank(q.query)
        for mode in MODES:
            ranked[mode][q.id] = await files_of(service, q.query, mode)
    return {
        mode: {split: score([q for q in questions if q.split == split], by_id) for split in SPLITS}
        for mode, by_id in ranked.items()
    }


async def measure_localization(run: Run, folder: Path | None = None) -> LocalizationResult:
    """File-level localization of the commit questions this tree can answer."""
    folder = folder or DEFAULT_DIR
    questions = load_commit_questions(folder, run.ws) if folder.is_dir() else []
    if not questions:
        note = f"no commit questions for this tree in {folder}"
        return LocalizationResult(str(folder), 0, {}, note)
    run.log(f"localization: {len(questions)} commit messages x {len(MODES)} modes + BM25 files")
    scores = await localize(run.service, run.ws, questions)
    return LocalizationResult(str(folder), len(questions), scores, None)


async def _main(root: Path, folder: Path) -> None:
    from codeindex.worker.host import WorkerHost

    service = await CodeIndexService.open(root, worker="none")
    try:
        WorkerHost(service)  # answers the semantic queries in this process
        scores = await localize(service, root, load_commit_questions(folder, root))
    finally:
        await service.close()
    figures = {mode: {s: asdict(v) for s, v in by.items()} for mode, by in scores.items()}
    sys.stdout.write(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    sets = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_DIR
    asyncio.run(_main(Path(sys.argv[1]).resolve(), sets))
