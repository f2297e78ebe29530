"""Natural-language questions about the shared corpora, with the files that answer them.

The sets live in `tests/data/queries/*.json` (`--queries DIR` points elsewhere): each
question has its answer files and a split, `tune` or `report`. Hybrid fusion was tuned on
the tune half only; the report half is what the targets are judged on. A question counts
when one of its answer files is among the files of the top 5 (or 10) hits. Only the
questions whose answer files all exist in the benched tree are asked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codeindex.app.service import CodeIndexService
from codeindex.bench.session import Run

MODES = ("lexical", "semantic", "hybrid")
SPLITS = ("tune", "report")
DEFAULT_DIR = Path(__file__).resolve().parents[3] / "tests" / "data" / "queries"


@dataclass(slots=True)
class Question:
    """One question and the files that answer it."""

    id: str
    query: str
    answers: list[str]
    split: str


@dataclass(slots=True)
class QuestionScore:
    """Recall@5, recall@10 and MRR@10 of one mode on one split."""

    questions: int
    recall_at_5: float
    recall_at_10: float
    mrr: float
    missed: list[str] = field(default_factory=list)


@dataclass(slots=True)
class QuestionsResult:
    """Questions a developer would ask, per split and mode."""

    source: str
    questions: int
    scores: dict[str, dict[str, QuestionScore]]
    note: str | None


def load_questions(folder: Path, root: Path) -> list[Question]:
    """The questions of every set in `folder` whose answer files all exist under `root`."""
    found: list[Question] = []
    for file in sorted(folder.glob("*.json")):
        data: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
        for raw in data["queries"]:
            question = Question(raw["id"], raw["query"], list(raw["answers"]), raw["split"])
            if all((root / answer).is_file() for answer in question.answers):
                found.append(question)
    return found


async def rank_of(service: CodeIndexService, question: Question, mode: str) -> int | None:
    """The rank (1-based, among distinct files) of the first answer file, within 10."""
    result = await service.search(question.query, mode=mode, limit=20)
    files: list[str] = []
    for hit in result["hits"]:
        if hit["path"] not in files:
            files.append(hit["path"])
    for rank, path in enumerate(files[:10], start=1):
        if path in question.answers:
            return rank
    return None


def score(ranks: dict[str, int | None]) -> QuestionScore:
    """Recall and MRR of the ranks of some questions."""
    n = max(len(ranks), 1)
    return QuestionScore(
        questions=len(ranks),
        recall_at_5=sum(1 for r in ranks.values() if r is not None and r <= 5) / n,
        recall_at_10=sum(1 for r in ranks.values() if r is not None) / n,
        mrr=sum(1 / r for r in ranks.values() if r is not None) / n,
        missed=sorted(q for q, r in ranks.items() if r is None or r > 5),
    )


async def measure_questions(run: Run, folder: Path | None = None) -> QuestionsResult:
    """Recall of the natural-language questions that this tree can answer, per mode."""
    folder = folder or DEFAULT_DIR
    questions = load_questions(folder, run.ws) if folder.is_dir() else []
    if not questions:
        return QuestionsResult(str(folder), 0, {}, f"no questions for this tree in {folder}")
    run.log(f"questions: {len(questions)} natural-language questions x {len(MODES)} modes")
    scores: dict[str, dict[str, QuestionScore]] = {}
    for mode in MODES:
        ranks: dict[str, dict[str, int | None]] = {s: {} for s in SPLITS}
        for question in questions:
            try:
                ranks[question.split][question.id] = await rank_of(run.service, question, mode)
            except Exception:  # a failed query is a miss
                ranks[question.split][question.id] = None
        scores[mode] = {split: score(ranks[split]) for split in SPLITS}
    return QuestionsResult(str(folder), len(questions), scores, None)
