"""Item 11: retrieval quality, querying documented functions by their doc's first sentence.

Python trees use docstrings; others the doc comment right above a function or method.
"""

from __future__ import annotations

import ast
import asyncio
import random
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from codeindex.app.service import CodeIndexService
from codeindex.bench.common import SEED
from codeindex.bench.session import Run

MIN_WORDS = 3
TEXT_MODES = ("lexical", "semantic", "hybrid")


@dataclass(slots=True)
class RetrievalScore:
    """Recall@1, recall@10 and MRR@10 of one search mode."""

    recall_at_1: float
    recall_at_10: float
    mrr: float


@dataclass(slots=True)
class RetrievalResult:
    """11. Documented functions found by their doc's first sentence."""

    source: str
    candidates: int
    probes: int
    modes: dict[str, RetrievalScore]
    errors: int
    note: str | None


@dataclass(frozen=True, slots=True)
class _Probe:
    path: str
    line: int
    query: str


def first_sentence(doc: str) -> str:
    """The first sentence of a docstring's first paragraph, whitespace collapsed."""
    text = " ".join(doc.strip().split("\n\n", 1)[0].split())
    match = re.match(r"(.+?[.!?])(?:\s|$)", text)
    return (match.group(1) if match else text)[:300]


def python_probes(root: Path, paths: Sequence[str]) -> list[_Probe]:
    """Functions and methods with a docstring: (file, def line, first sentence)."""
    probes: list[_Probe] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rel in paths:
            try:
                tree = ast.parse((root / rel).read_text(encoding="utf-8"), filename=rel)
            except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    sentence = first_sentence(ast.get_docstring(node) or "")
                    if len(sentence.split()) >= MIN_WORDS:
                        probes.append(_Probe(rel, node.lineno, sentence))
    return sorted(probes, key=lambda p: (p.path, p.line))


def doc_comment_above(lines: Sequence[str], def_line: int) -> str | None:
    """The first text line of the // /// or /** */ comment right above a definition."""
    i = def_line - 2
    while i >= 0 and lines[i].strip().startswith(("#[", "@")):
        i -= 1
    block: list[str] = []
    while i >= 0 and lines[i].strip().startswith(("//", "/*", "*")):
        block.append(lines[i])
        i -= 1
    for line in reversed(block):
        text = line.strip().lstrip("/*!").strip().removesuffix("*/").strip()
        if text and not text.startswith("@"):
            return text
    return None


def comment_probes(root: Path, defs: dict[str, list[int]]) -> list[_Probe]:
    """Functions with a doc comment: (file, first line, first line of the comment)."""
    probes: list[_Probe] = []
    for rel, lines_of_defs in sorted(defs.items()):
        try:
            lines = (root / rel).read_text(encoding="utf-8").split("\n")
        except (OSError, UnicodeDecodeError):
            continue
        for line in lines_of_defs:
            text = doc_comment_above(lines, line)
            if text and len(text.split()) >= MIN_WORDS:
                probes.append(_Probe(rel, line, text[:300]))
    return probes


async def documented_probes(run: Run) -> tuple[str, list[_Probe]]:
    """Documented functions of the workspace (also item 17's): where the docs come from."""
    storage = run.service.storage
    rows = await storage.indexed_files_in(["python"])
    if rows:
        paths = [path for path, _, _ in rows]
        return "python-docstrings", await asyncio.to_thread(python_probes, run.ws, paths)
    defs: dict[str, list[int]] = {}
    for path, line in await storage.definition_lines():
        defs.setdefault(path, []).append(line)
    return "doc-comments", await asyncio.to_thread(comment_probes, run.ws, defs)


async def _rank(service: CodeIndexService, probe: _Probe, mode: str) -> int | None:
    result = await service.search(probe.query, mode=mode, limit=10)
    for rank, hit in enumerate(result["hits"], start=1):
        if hit["path"] == probe.path and hit["start_line"] <= probe.line <= hit["end_line"]:
            return rank
    return None


async def measure_retrieval(run: Run) -> RetrievalResult:
    """Recall@1, recall@10 and MRR of each mode, querying documented functions by their doc."""
    source, candidates = await documented_probes(run)
    if not candidates:
        return RetrievalResult("none", 0, 0, {}, 0, "no documented functions found: skipped")
    chosen = random.Random(SEED).sample(
        candidates, min(run.config.retrieval_probes, len(candidates))
    )
    run.log(f"retrieval: {len(chosen)} {source} queries x {len(TEXT_MODES)} modes")
    scores: dict[str, RetrievalScore] = {}
    errors = 0
    for mode in TEXT_MODES:
        ranks: list[int | None] = []
        for probe in chosen:
            try:
                ranks.append(await _rank(run.service, probe, mode))
            except Exception:  # a failed query is a miss, and counted
                errors += 1
                ranks.append(None)
        n = len(ranks)
        scores[mode] = RetrievalScore(
            recall_at_1=sum(1 for r in ranks if r == 1) / n,
            recall_at_10=sum(1 for r in ranks if r is not None) / n,
            mrr=sum(1 / r for r in ranks if r is not None) / n,
        )
    return RetrievalResult(source, len(candidates), len(chosen), scores, errors, None)
