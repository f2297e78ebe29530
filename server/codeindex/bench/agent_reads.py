"""Item 17: the characters an agent receives to find and read one function, against the file.

For documented functions and methods (item 11's probes: the first sentence of a docstring,
or the first line of the doc comment, is the query), an agent calls search_code (hybrid,
limit 5, the tool's other defaults: `mcp_server.tools.search_defaults`), takes the first
hit's enclosing symbol and calls get_symbol on it (its name, the hit's path, the tool's
defaults). Each answer counts as the MCP server sends it: the structured result as
`json.dumps` writes it, plus the text summary beside it (`mcp_server.summaries`, which
needs no MCP SDK). Their sum is set against the characters of the whole file that holds the
function, what an agent reads without the index. A first hit outside any symbol (or no hit,
or a get_symbol that fails) leaves the agent to read the file: search plus the whole file.
"""

from __future__ import annotations

import json
import random
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from codeindex.app.code_names import symbol_id
from codeindex.bench.common import SEED
from codeindex.bench.queries import percentile
from codeindex.bench.retrieval import documented_probes
from codeindex.bench.session import Run
from codeindex.contract import code_args
from codeindex.mcp_server import summaries
from codeindex.mcp_server.tools import search_defaults

SEARCH_ARGS: dict[str, Any] = {"mode": "hybrid", "limit": 5}
TARGET_MEDIAN = 0.2
Outcome = Literal["probed", "other", "no-symbol", "error"]


@dataclass(slots=True)
class AgentRead:
    """One probe: what the agent asked for, got, and how many characters each step sent."""

    path: str
    line: int
    symbol: str | None  # the first hit's enclosing symbol, as the agent passed it
    outcome: Outcome  # get_symbol answered the probed function, another symbol, or not run
    file_chars: int
    search_json_chars: int
    search_text_chars: int
    symbol_json_chars: int = 0
    symbol_text_chars: int = 0

    @property
    def json_chars(self) -> int:
        """Structured results only (plus the whole file when the agent had to read it)."""
        fallback = self.file_chars if self.outcome in ("no-symbol", "error") else 0
        return self.search_json_chars + self.symbol_json_chars + fallback

    @property
    def chars(self) -> int:
        """Everything sent: the structured results and their text summaries."""
        return self.json_chars + self.search_text_chars + self.symbol_text_chars


@dataclass(slots=True)
class AgentReadsResult:
    """17. search -> get_symbol against reading the whole file, over documented functions."""

    source: str
    candidates: int
    probes: int
    median_ratio: float | None  # (search + get_symbol characters) / file characters
    p90_ratio: float | None
    median_ratio_json_only: float | None  # without the text summaries
    median_ratio_got_symbol: float | None  # over the probes where get_symbol answered
    median_chars: float | None
    median_file_chars: float | None
    probed: int  # get_symbol answered the probed function
    other: int  # ... another symbol
    no_symbol: int  # the first hit had no enclosing symbol (or there was no hit)
    errors: int  # search or get_symbol failed
    note: str | None
    reads: list[AgentRead] = field(default_factory=list)


def _size(data: Mapping[str, object]) -> int:
    return len(json.dumps(data))


async def _probed_id(run: Run, path: str, line: int) -> str | None:
    """The id of the innermost definition holding the probe's line (the probed function)."""
    rows = await run.service.storage.code.symbols_in(path)
    holding = [r for r in rows if r.start_line <= line <= r.end_line]
    return symbol_id(holding[-1]) if holding else None


def _file_chars(root: Path, path: str) -> int:
    return len((root / path).read_text(encoding="utf-8", errors="replace"))


async def _read(run: Run, path: str, line: int, query: str) -> AgentRead:
    """One agent's search -> get_symbol for one probe."""
    service = run.service
    found = await service.search(query, **search_defaults(SEARCH_ARGS))
    read = AgentRead(
        path,
        line,
        None,
        "no-symbol",
        _file_chars(run.ws, path),
        _size(found),
        len(summaries.search(found)),
    )
    hits = found["hits"]
    if not hits or not hits[0]["symbol"]:
        return read
    read.symbol = hits[0]["symbol"]
    try:
        args = code_args.symbol_source_args({"name": read.symbol, "path": hits[0]["path"]})
        got = await service.symbol_source(**args)
    except Exception:  # a get_symbol that fails leaves the agent to read the file
        read.outcome = "error"
        return read
    read.symbol_json_chars = _size(got)
    read.symbol_text_chars = len(summaries.symbol_source(got))
    same = got["id"] == await _probed_id(run, path, line)
    holds = got["path"] == path and got["start_line"] <= line <= got["end_line"]
    read.outcome = "probed" if same and holds else "other"
    return read


def _result(source: str, candidates: int, reads: list[AgentRead], errors: int) -> AgentReadsResult:
    ratios = [r.chars / max(r.file_chars, 1) for r in reads]
    json_only = [r.json_chars / max(r.file_chars, 1) for r in reads]
    got = [x for x, r in zip(ratios, reads, strict=True) if r.outcome in ("probed", "other")]

    def count(outcome: Outcome) -> int:
        return sum(1 for r in reads if r.outcome == outcome)

    return AgentReadsResult(
        source=source,
        candidates=candidates,
        probes=len(reads),
        median_ratio=statistics.median(ratios) if ratios else None,
        p90_ratio=percentile(ratios, 0.9) if ratios else None,
        median_ratio_json_only=statistics.median(json_only) if json_only else None,
        median_ratio_got_symbol=statistics.median(got) if got else None,
        median_chars=statistics.median(r.chars for r in reads) if reads else None,
        median_file_chars=statistics.median(r.file_chars for r in reads) if reads else None,
        probed=count("probed"),
        other=count("other"),
        no_symbol=count("no-symbol"),
        errors=errors + count("error"),
        note=None if reads else "no documented functions found: skipped",
        reads=reads,
    )


async def measure_agent_reads(run: Run) -> AgentReadsResult:
    """search -> get_symbol for each probe, on a complete index; its characters against the
    file's."""
    source, candidates = await documented_probes(run)
    chosen = random.Random(SEED).sample(
        candidates, min(run.config.retrieval_probes, len(candidates))
    )
    run.log(f"agent reads: search -> get_symbol for {len(chosen)} {source} probes")
    reads: list[AgentRead] = []
    errors = 0
    for probe in chosen:
        try:
            reads.append(await _read(run, probe.path, probe.line, probe.query))
        except Exception:  # a failed search is counted, and left out of the ratios
            errors += 1
    return _result(source, len(candidates), reads, errors)
