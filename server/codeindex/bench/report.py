"""What one run measured: the report (every field lands in the JSON) and its table.

The rows of the table, each item's headline figure against its target, come from `targets`.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from codeindex.bench.agent_reads import AgentReadsResult
from codeindex.bench.cli_queries import CliQueriesResult
from codeindex.bench.cold import (
    ColdIndexResult,
    EnqueueResult,
    MemoryResult,
    SearchReadyResult,
)
from codeindex.bench.editor_symbols import EditorSymbolsResult
from codeindex.bench.frontends import FrontendsResult
from codeindex.bench.localization import LocalizationResult
from codeindex.bench.minified import MinifiedResult
from codeindex.bench.progress_score import ProgressRow
from codeindex.bench.queries import QueriesResult
from codeindex.bench.questions import QuestionsResult
from codeindex.bench.raw_model import RawModelResult
from codeindex.bench.reindex import IncrementalResult, ParserBumpResult, PriorityResult
from codeindex.bench.retrieval import RetrievalResult


@dataclass(slots=True)
class TargetRow:
    """One line of the table: the headline figure of an item, its target, met or not."""

    item: int
    measurement: str
    value: str
    target: str
    met: bool | None
    key: str


@dataclass(slots=True)
class BenchReport:
    """Everything one run measured."""

    meta: dict[str, Any]
    raw_model: RawModelResult
    cold_index: ColdIndexResult
    search_ready: SearchReadyResult
    incremental: IncrementalResult
    parser_bump: ParserBumpResult
    queries: QueriesResult
    progress: list[ProgressRow]
    priority: PriorityResult
    enqueue: EnqueueResult
    memory: MemoryResult
    retrieval: RetrievalResult
    questions: QuestionsResult
    localization: LocalizationResult
    cli_queries: CliQueriesResult
    editor_symbols: EditorSymbolsResult
    frontends: FrontendsResult
    minified: MinifiedResult
    agent_reads: AgentReadsResult
    targets: list[TargetRow] = field(default_factory=list)


@dataclass(slots=True)
class ProgressReport:
    """What `bench --progress` measured: item 7's rows only."""

    meta: dict[str, Any]
    progress: list[ProgressRow]
    targets: list[TargetRow] = field(default_factory=list)


@dataclass(slots=True)
class FrontendsReport:
    """What `bench --frontends` measured: item 16's rows only."""

    meta: dict[str, Any]
    frontends: FrontendsResult
    targets: list[TargetRow] = field(default_factory=list)


@dataclass(slots=True)
class AgentReport:
    """What `bench --agent` measured: a cold index, then item 17 only."""

    meta: dict[str, Any]
    agent_reads: AgentReadsResult
    targets: list[TargetRow] = field(default_factory=list)


AnyReport = BenchReport | ProgressReport | FrontendsReport | AgentReport


def render(report: AnyReport, console: Console) -> None:
    """Print the table."""
    meta = report.meta
    title = (
        f"codeindex bench: {Path(meta['source']).name}, {meta['files_copied']} files, "
        f"model {Path(meta['model_path']).name}{', quick' if meta['quick'] else ''}, "
        f"{meta['bench_seconds']:.0f} s"
    )
    table = Table(title=escape(title))
    for name, justify in (("#", "right"), ("Measurement", "left"), ("Value", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    table.add_column("Target")
    table.add_column("Met?")
    marks = {True: "[green]yes[/]", False: "[red]NO[/]", None: "—"}
    for row in report.targets:
        table.add_row(
            str(row.item), escape(row.measurement), escape(row.value), row.target, marks[row.met]
        )
    console.print(table)


def write_json(report: AnyReport, path: Path) -> None:
    """Write every raw figure of the report to `path`."""
    text = json.dumps(dataclasses.asdict(report), indent=2) + "\n"
    path.write_text(text, encoding="utf-8")
