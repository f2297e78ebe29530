"""Item 17's row: what an agent receives to find and read one function, against the file."""

from __future__ import annotations

from codeindex.bench.agent_reads import TARGET_MEDIAN, AgentReadsResult
from codeindex.bench.report import TargetRow


def agent_rows(a: AgentReadsResult) -> list[TargetRow]:
    """Item 17: what an agent receives to find and read one function, against the file."""
    what = "agent: search (hybrid, 5) + get_symbol chars ÷ the whole file's: median / p90"
    if a.median_ratio is None or a.p90_ratio is None:
        return [TargetRow(17, what, a.note or "no probes", "—", None, "agent_reads")]
    return [
        TargetRow(
            17,
            what + "; JSON only; probed function got / first hit without a symbol",
            f"{a.median_ratio:.2f} / {a.p90_ratio:.2f}; {a.median_ratio_json_only:.2f}; "
            f"{a.probed} / {a.no_symbol} of {a.probes}",
            f"median ≤ {TARGET_MEDIAN}",
            a.median_ratio <= TARGET_MEDIAN,
            "agent_reads.median_ratio",
        )
    ]
